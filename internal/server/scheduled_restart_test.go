package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

// A scheduled post is a row and a job in the store: a server that stops
// before the time leaves both, and the next server started on the same
// data directory publishes the post when it is due, once.
func TestScheduledStatusPublishedAfterRestart(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	cfg := config.Default()
	cfg.Instance.Domain, cfg.Instance.Protocol = "herald.test", "http"
	cfg.Storage.DataDir = dataDir
	server.ApplyTestDriver(t, &cfg)
	// Built, never served: no job runs, as when a server stops.
	first, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	acc, user, err := first.Svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: "alice", Email: "alice@example.org",
		Password: server.TestPassword, Approved: true, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := &core.Caller{Token: &model.Token{UserID: user.ID, Scopes: "read write"}, User: user, Account: acc}
	// Its clock is ten minutes slow: six minutes ahead for it is due for
	// the next server.
	first.Svc.SetClock(func() time.Time { return time.Now().Add(-10 * time.Minute) })
	v, err := first.Svc.ScheduleStatus(ctx, alice, core.PostParams{Text: "published after a restart", Visibility: "public"},
		time.Now().Add(-4*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Store.Close(); err != nil {
		t.Fatal(err)
	}

	ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dataDir })
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ts.Srv.Jobs.Wake(core.JobPublishScheduled)
	if err := ts.Srv.Jobs.Drained(dctx, core.JobPublishScheduled); err != nil {
		t.Fatal(err)
	}
	tok := ts.Token(t, "alice", "read")
	var sts []struct {
		Content string `json:"content"`
	}
	_, _, body := ts.Do(t, "GET", "/api/v1/accounts/"+strconv.FormatInt(acc.ID, 10)+"/statuses", tok, nil)
	if err := json.Unmarshal(body, &sts); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(sts) != 1 || sts[0].Content != "<p>published after a restart</p>" {
		t.Fatalf("after the restart: %s", body)
	}
	if code, _, _ := ts.Do(t, "GET", "/api/v1/scheduled_statuses/"+strconv.FormatInt(v.Scheduled.ID, 10), tok, nil); code != 404 {
		t.Fatalf("the schedule is still there: %d", code)
	}
}
