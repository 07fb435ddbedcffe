package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// An async upload's processing is a job stored with the attachment: a
// server that stops before the job ran leaves it in the store, and the
// next server started on the same data directory processes the upload.
func TestAsyncUploadProcessedAfterRestart(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	cfg := config.Default()
	cfg.Instance.Domain, cfg.Instance.Protocol = "herald.test", "http"
	cfg.Storage.DataDir = dataDir
	server.ApplyTestDriver(t, &cfg)
	// The first server is built but never served: no worker runs, as when
	// a server stops (or dies) right after answering the upload.
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
	wav := testutil.WAV(2)
	m, err := first.Svc.UploadMedia(ctx, alice, core.UploadParams{File: bytes.NewReader(wav), Size: int64(len(wav)), Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Processing != model.MediaProcessing {
		t.Fatalf("async upload answered as %v, want processing", m.Processing)
	}
	if err := first.Store.Close(); err != nil {
		t.Fatal(err)
	}

	ts := server.StartTest(t, func(c *config.Config) { c.Storage.DataDir = dataDir })
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Drained(dctx, core.JobMediaProcess); err != nil {
		t.Fatal(err)
	}
	got, err := ts.Srv.Svc.Media(ctx, alice, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Processing != model.MediaReady || got.Type != "audio" || got.Meta.Duration != 2 {
		t.Fatalf("after the restart: processing %v, type %s, duration %v", got.Processing, got.Type, got.Meta.Duration)
	}
}
