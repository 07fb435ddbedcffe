package api_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

// A move's local followers are moved by a durable job queued with the
// move, not inside the request: the server that recorded the move dies
// before its workers run, and the next start moves every follower, in
// batches, keeping each follow's options.
func TestMoveFollowersIsADurableJob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	old := core.MoveFollowersBatch
	core.MoveFollowersBatch = 3 // 8 followers: three batches
	t.Cleanup(func() { core.MoveFollowersBatch = old })
	var alice, bob *model.Account
	var followers []*model.Account

	t.Run("first run, whose workers never start", func(t *testing.T) {
		hs := httptest.NewUnstartedServer(nil)
		cfg := config.Default()
		cfg.Instance.Domain = "localhost:" + fmt.Sprint(hs.Listener.Addr().(*net.TCPAddr).Port)
		cfg.Instance.Protocol = "http"
		cfg.Storage.DataDir = dir
		cfg.Federation.AllowPrivateAddresses = true
		server.ApplyTestDriver(t, &cfg)
		srv, err := server.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		hs.Config.Handler = srv.Echo
		hs.Start()
		defer srv.Store.Close()
		defer hs.Close()
		ts := &server.TestServer{URL: hs.URL, Domain: cfg.Instance.Domain, Srv: srv, Cfg: cfg}

		alice = ts.CreateUser(t, "alice", "user")
		bob = ts.CreateUser(t, "bob", "user")
		for i := range 8 {
			f := ts.CreateUser(t, fmt.Sprintf("fan%d", i), "user")
			followers = append(followers, f)
			body := map[string]any{}
			if i == 0 {
				body["reblogs"] = false
			}
			ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", alice.ID), ts.Token(t, f.Username, "read write follow"), body, 200, nil)
		}
		ts.JSON(t, "POST", "/api/v1/herald/aliases", ts.Token(t, "bob", "read write"), map[string]any{"acct": "alice@" + ts.Domain}, 200, nil)
		ts.JSON(t, "POST", "/api/v1/herald/move", ts.Token(t, "alice", "read write"),
			map[string]any{"acct": "bob@" + ts.Domain, "current_password": server.TestPassword}, 200, nil)
		// Recorded and queued; no follower moved within the request.
		n, err := srv.Store.CountJobs(t.Context(), core.JobMoveFollowers, 0, time.Now().AddDate(1, 0, 0))
		if err != nil || n != 1 {
			t.Fatalf("%d follower moves queued (%v), want 1", n, err)
		}
		for _, f := range followers {
			if rel, err := srv.Svc.Relationship(t.Context(), f.ID, alice.ID); err != nil || !rel.Following {
				t.Fatalf("@%s no longer follows alice before any job ran: %+v %v", f.Username, rel, err)
			}
		}
	})

	ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dir })
	if err := ts.Srv.Jobs.Drained(t.Context(), core.JobMoveFollowers); err != nil {
		t.Fatal(err)
	}
	for i, f := range followers {
		rel, err := ts.Srv.Svc.Relationship(t.Context(), f.ID, bob.ID)
		if err != nil || !rel.Following {
			t.Errorf("@%s does not follow bob: %+v %v", f.Username, rel, err)
			continue
		}
		if rel.ShowingReblogs != (i != 0) {
			t.Errorf("@%s follows bob with reblogs %v", f.Username, rel.ShowingReblogs)
		}
		if rel, _ := ts.Srv.Svc.Relationship(t.Context(), f.ID, alice.ID); rel.Following {
			t.Errorf("@%s still follows alice", f.Username)
		}
	}
}
