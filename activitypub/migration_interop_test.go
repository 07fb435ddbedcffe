package activitypub_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// Issue 15 item 16's two-instance test: ann on A moves to nora on B. The
// move is refused until nora lists ann as an alias (through B's client
// API), and without ann's password. Once moved, ann's account on A points
// to nora and posts no more; bea on B, who followed ann, is moved by B on
// receiving the Move and follows nora instead; amy, ann's local follower
// on A, is moved by A.
func TestOutgoingMoveAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	amy := A.user(t, "amy", false)
	nora := B.user(t, "nora", false)
	bea := B.user(t, "bea", false)

	annOnB := B.resolve(t, "ann@"+A.Domain)
	if _, err := B.svc.Follow(ctx, bea, annOnB.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := A.svc.Follow(ctx, amy, ann.Account.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "bea follows ann", func() bool { return B.following(bea.Account.ID, annOnB.ID) })

	annTok := A.Token(t, "ann", "read write")
	noraTok := B.Token(t, "nora", "read write")
	move := map[string]any{"acct": "nora@" + B.Domain, "current_password": server.TestPassword}

	// Not an alias of nora yet: refused.
	if status, _, b := A.Do(t, http.MethodPost, "/api/v1/herald/move", annTok, move); status != http.StatusUnprocessableEntity {
		t.Fatalf("move before the alias: %d %s", status, b)
	}
	var alias struct {
		URI string `json:"uri"`
	}
	B.JSON(t, http.MethodPost, "/api/v1/herald/aliases", noraTok, map[string]any{"acct": "ann@" + A.Domain}, 200, &alias)
	if alias.URI != ann.Account.URI {
		t.Fatalf("alias %q, want %q", alias.URI, ann.Account.URI)
	}
	var aliases []struct {
		URI string `json:"uri"`
	}
	B.JSON(t, http.MethodGet, "/api/v1/herald/aliases", noraTok, nil, 200, &aliases)
	if len(aliases) != 1 || aliases[0].URI != ann.Account.URI {
		t.Fatalf("aliases: %+v", aliases)
	}
	// Wrong password: refused.
	if status, _, b := A.Do(t, http.MethodPost, "/api/v1/herald/move", annTok, map[string]any{"acct": "nora@" + B.Domain, "current_password": "wrong"}); status == http.StatusOK {
		t.Fatalf("move with a wrong password: %d %s", status, b)
	}

	var me struct {
		Moved *struct {
			Acct string `json:"acct"`
		} `json:"moved"`
	}
	A.JSON(t, http.MethodPost, "/api/v1/herald/move", annTok, move, 200, &me)
	if me.Moved == nil || me.Moved.Acct != "nora@"+B.Domain {
		t.Fatalf("moved after the move: %+v", me.Moved)
	}
	// A moved account posts no more.
	if status, _, b := A.Do(t, http.MethodPost, "/api/v1/statuses", annTok, map[string]any{"status": "still here?"}); status != http.StatusForbidden {
		t.Fatalf("posting from a moved account: %d %s", status, b)
	}
	// Moving again to the same account is refused.
	if status, _, b := A.Do(t, http.MethodPost, "/api/v1/herald/move", annTok, move); status != http.StatusUnprocessableEntity && status != http.StatusForbidden {
		t.Fatalf("second move: %d %s", status, b)
	}

	// B moves bea: she follows nora, not ann, and B knows ann moved.
	testutil.Eventually(t, 15*time.Second, "bea follows nora instead of ann on B", func() bool {
		return B.following(bea.Account.ID, nora.Account.ID) && !B.following(bea.Account.ID, annOnB.ID)
	})
	if a, err := B.svc.AccountByID(ctx, annOnB.ID); err != nil || a.MovedToID != nora.Account.ID {
		t.Fatalf("ann on B after the move: %+v %v", a, err)
	}
	// A moves amy, ann's local follower, to nora.
	noraOnA := A.resolve(t, "nora@"+B.Domain)
	testutil.Eventually(t, 15*time.Second, "amy follows nora instead of ann on A", func() bool {
		return A.following(amy.Account.ID, noraOnA.ID) && !A.following(amy.Account.ID, ann.Account.ID)
	})
	// The API shows the move to other viewers too.
	var annSeen struct {
		Moved *struct {
			URI string `json:"uri"`
		} `json:"moved"`
	}
	A.JSON(t, http.MethodGet, "/api/v1/accounts/"+strconv.FormatInt(ann.Account.ID, 10), "", nil, 200, &annSeen)
	if annSeen.Moved == nil || annSeen.Moved.URI != nora.Account.URI {
		t.Fatalf("ann's account entity: %+v", annSeen.Moved)
	}

	// Removing the alias.
	B.JSON(t, http.MethodDelete, "/api/v1/herald/aliases", noraTok, map[string]any{"uri": ann.Account.URI}, 200, nil)
	B.JSON(t, http.MethodGet, "/api/v1/herald/aliases", noraTok, nil, 200, &aliases)
	if len(aliases) != 0 {
		t.Fatalf("aliases after removal: %+v", aliases)
	}
}
