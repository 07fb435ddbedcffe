package activitypub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// Two and three whole Herald servers on loopback ports (protocol http,
// private addresses allowed) federating through their real inboxes,
// driven through core as the client API would drive them.

type herald struct {
	*server.TestServer
	svc *core.Service
}

// startHerald starts a whole server (the federation engine included).
func startHerald(t *testing.T) *herald {
	t.Helper()
	ts := server.StartTest(t)
	return &herald{TestServer: ts, svc: ts.Srv.Svc}
}

func (h *herald) user(t *testing.T, name string, locked bool) *core.Caller {
	t.Helper()
	a := h.CreateUser(t, name, "")
	ctx := context.Background()
	if locked {
		yes := true
		if err := h.Srv.Store.UpdateProfile(ctx, a.ID, storage.ProfileUpdate{Locked: &yes}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return h.caller(t, name)
}

func (h *herald) caller(t *testing.T, name string) *core.Caller {
	t.Helper()
	ctx := context.Background()
	a, err := h.svc.LocalAccount(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	u, err := h.Srv.Store.UserByAccountID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &core.Caller{Token: &model.Token{UserID: u.ID, Scopes: "read write follow push"}, User: u, Account: a}
}

// resolve looks user@domain up through WebFinger (acct: over http).
func (h *herald) resolve(t *testing.T, acct string) *model.Account {
	t.Helper()
	a, err := h.svc.LookupAcct(context.Background(), acct, true)
	if err != nil {
		t.Fatalf("resolve %s on %s: %v", acct, h.Domain, err)
	}
	return a
}

// byURI returns the status with that URI, or nil.
func (h *herald) byURI(uri string) *model.Status {
	st, err := h.Srv.Store.StatusByURI(context.Background(), uri)
	if err != nil {
		return nil
	}
	return st
}

func (h *herald) homeHas(t *testing.T, c *core.Caller, uri string) bool {
	t.Helper()
	tl, err := h.svc.HomeTimeline(context.Background(), c, model.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range tl.View.Statuses {
		if st.URI == uri {
			return true
		}
	}
	return false
}

// idle waits until the server has no delivery left to make and no
// received activity left to apply.
func (h *herald) idle(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, "the federation queues of "+h.Domain+" empty", func() bool {
		d, err := h.Srv.Store.CountDeliveries(context.Background())
		if err != nil || d != 0 {
			return false
		}
		n, err := h.Srv.Store.CountInbox(context.Background())
		return err == nil && n == 0
	})
}

func (h *herald) following(viewer, target int64) bool {
	r, err := h.svc.Relationship(context.Background(), viewer, target)
	return err == nil && r.Following
}

func post(t *testing.T, h *herald, c *core.Caller, p core.PostParams) *model.Status {
	t.Helper()
	st, err := h.svc.PostStatus(context.Background(), c, p)
	if err != nil {
		t.Fatalf("post %q: %v", p.Text, err)
	}
	return st
}

func TestTwoHeraldsFederate(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	bea := B.user(t, "bea", true) // locked

	// --- follow and accept, with an acct: lookup over http ---
	benOnA := A.resolve(t, "ben@"+B.Domain)
	if benOnA.URI != ben.Account.URI {
		t.Fatalf("resolved %s, want %s", benOnA.URI, ben.Account.URI)
	}
	if _, err := A.svc.Follow(ctx, ann, benOnA.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ann follows ben (Accept received)", func() bool { return A.following(ann.Account.ID, benOnA.ID) })
	var annOnB *model.Account
	testutil.Eventually(t, 15*time.Second, "ben's server knows ann as a follower", func() bool {
		a, err := B.Srv.Store.AccountByURI(ctx, ann.Account.URI)
		if err != nil {
			return false
		}
		annOnB = a
		return B.following(a.ID, ben.Account.ID)
	})

	// --- a public post reaches the follower's home ---
	hello := post(t, B, ben, core.PostParams{Text: "hello from B #federation", Visibility: "public"})
	testutil.Eventually(t, 15*time.Second, "ben's post in ann's home", func() bool { return A.homeHas(t, ann, hello.URI) })
	helloOnA := A.byURI(hello.URI)
	if helloOnA.Visibility != model.Public || len(helloOnA.Tags) != 1 || helloOnA.Tags[0] != "federation" {
		t.Fatalf("ben's post on A: vis %v tags %v", helloOnA.Visibility, helloOnA.Tags)
	}

	// --- reply with a mention, like, boost ---
	reply := post(t, A, ann, core.PostParams{Text: "@ben@" + B.Domain + " welcome", InReplyToID: helloOnA.ID, Visibility: "public"})
	testutil.Eventually(t, 15*time.Second, "ann's reply on B, threaded, mentioning ben", func() bool {
		st := B.byURI(reply.URI)
		return st != nil && st.InReplyToID == hello.ID && len(st.MentionIDs) == 1 && st.MentionIDs[0] == ben.Account.ID
	})
	if _, err := A.svc.Favourite(ctx, ann, helloOnA.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := A.svc.Reblog(ctx, ann, helloOnA.ID, "public"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "like and boost counted on B", func() bool {
		st := B.byURI(hello.URI)
		return st != nil && st.FavouritesCount == 1 && st.ReblogsCount == 1
	})
	if _, err := A.svc.Unfavourite(ctx, ann, helloOnA.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := A.svc.Unreblog(ctx, ann, helloOnA.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "unlike and unboost applied on B", func() bool {
		st := B.byURI(hello.URI)
		return st != nil && st.FavouritesCount == 0 && st.ReblogsCount == 0
	})

	// --- edit and delete ---
	if _, err := B.svc.EditStatus(ctx, ben, hello.ID, core.EditParams{Text: "hello, edited"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "the edit on A", func() bool {
		st := A.byURI(hello.URI)
		return st != nil && strings.Contains(st.Content, "edited") && st.EditedAt != nil
	})
	if _, err := B.svc.DeleteStatus(ctx, ben, hello.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "the delete on A", func() bool { return A.byURI(hello.URI) == nil })

	// --- a locked account: request, then authorisation ---
	beaOnA := A.resolve(t, "bea@"+B.Domain)
	if !beaOnA.Locked {
		t.Fatal("bea is locked on B but not on A")
	}
	if _, err := A.svc.Follow(ctx, ann, beaOnA.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ann's request at bea", func() bool {
		n, _ := B.Srv.Store.CountFollowRequests(ctx, bea.Account.ID)
		return n == 1
	})
	if A.following(ann.Account.ID, beaOnA.ID) {
		t.Fatal("following a locked account before authorisation")
	}
	if _, err := B.svc.AuthorizeFollowRequest(ctx, bea, annOnB.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ann follows bea after authorisation", func() bool { return A.following(ann.Account.ID, beaOnA.ID) })

	// --- unfollow ---
	if _, err := A.svc.Unfollow(ctx, ann, beaOnA.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "the unfollow on B", func() bool { return !B.following(annOnB.ID, bea.Account.ID) })

	// --- block: ben blocks ann; the follow ends on both sides ---
	if _, err := B.svc.Block(ctx, ben, annOnB.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ann no longer follows ben, and is blocked by him", func() bool {
		r, err := A.svc.Relationship(ctx, ann.Account.ID, benOnA.ID)
		return err == nil && !r.Following && r.BlockedBy
	})
}

func TestVisibilityRespectedOnReceivingSide(t *testing.T) {
	ctx := context.Background()
	A, B, C := startHerald(t), startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	cid := C.user(t, "cid", false)

	// ann and cid follow ben; ann is also addressed directly.
	for _, h := range []struct {
		srv *herald
		c   *core.Caller
	}{{A, ann}, {C, cid}} {
		benThere := h.srv.resolve(t, "ben@"+B.Domain)
		if _, err := h.srv.svc.Follow(ctx, h.c, benThere.ID, core.FollowOptions{}); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 15*time.Second, h.c.Account.Username+" follows ben", func() bool { return h.srv.following(h.c.Account.ID, benThere.ID) })
	}
	// An unfollowed account on C must not see followers-only posts.
	C.user(t, "cat", false)
	cat := C.caller(t, "cat")

	private := post(t, B, ben, core.PostParams{Text: "followers only", Visibility: "private"})
	direct := post(t, B, ben, core.PostParams{Text: "@ann@" + A.Domain + " just for you", Visibility: "direct"})

	testutil.Eventually(t, 15*time.Second, "the followers-only post in ann's and cid's homes", func() bool {
		return A.homeHas(t, ann, private.URI) && C.homeHas(t, cid, private.URI)
	})
	if st := A.byURI(private.URI); st.Visibility != model.Private {
		t.Fatalf("followers-only post arrived as %v", st.Visibility)
	}
	if C.homeHas(t, cat, private.URI) {
		t.Fatal("a non-follower on C sees the followers-only post")
	}
	if _, err := C.svc.Status(ctx, cat, C.byURI(private.URI).ID); err == nil {
		t.Fatal("a non-follower on C may open the followers-only post")
	}
	testutil.Eventually(t, 15*time.Second, "the direct message at ann", func() bool {
		st := A.byURI(direct.URI)
		return st != nil && st.Visibility == model.Direct
	})
	dm := A.byURI(direct.URI)
	if _, err := A.svc.Status(ctx, ann, dm.ID); err != nil {
		t.Fatalf("ann cannot open her DM: %v", err)
	}
	// B delivered everything it had queued and C applied everything it
	// received: a copy of the DM sent to C would be there now.
	B.idle(t)
	C.idle(t)
	if C.byURI(direct.URI) != nil {
		t.Fatal("the direct message reached C, whose users were not addressed")
	}
	// Authorized fetch: the followers-only post is not served to anyone
	// who is not a follower, and not at all unsigned.
	status, _, _ := A.Do(t, "GET", private.URI, "", nil)
	if status != 401 {
		t.Fatalf("unsigned fetch of a followers-only post: %d, want 401", status)
	}
}
