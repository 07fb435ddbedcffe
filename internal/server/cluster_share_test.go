package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// onDatabase points a test server at the PostgreSQL database dsn, with
// another process's servers.
func onDatabase(dsn string, more ...func(*config.Config)) func(*config.Config) {
	return func(cfg *config.Config) {
		cfg.Storage.Driver, cfg.Storage.DSN = "postgres", dsn
		for _, m := range more {
			m(cfg)
		}
	}
}

// Failed sign-ins through two processes of one instance add up, and the
// lock-out they cause holds on both, even with the right password.
func TestFailedSignInsCountAcrossProcesses(t *testing.T) {
	dsn := pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
	limit := onDatabase(dsn, func(cfg *config.Config) { cfg.Limits.FailedSignInsPerAccount = 4 })
	a := StartTest(t, limit)
	b := StartTest(t, limit)
	a.CreateUser(t, "alice", "user")
	ctx := context.Background()
	wrong := func(ts *TestServer) {
		t.Helper()
		_, _, err := ts.Srv.Svc.SignInWithPassword(ctx, "alice", "wrong password", "192.0.2.7", core.ViaWeb)
		if st := herr.As(err).Status; st != 400 {
			t.Fatalf("wrong password: status %d (%v)", st, err)
		}
	}
	// Two through each: four in all, the limit.
	wrong(a)
	wrong(b)
	wrong(a)
	wrong(b)
	for _, ts := range []*TestServer{a, b} {
		_, _, err := ts.Srv.Svc.SignInWithPassword(ctx, "alice", TestPassword, "192.0.2.7", core.ViaWeb)
		var locked *core.SignInLocked
		if err == nil {
			t.Fatalf("%s: signed in after the limit", ts.Domain)
		}
		if st := herr.As(err).Status; st != 429 || !errors.As(err, &locked) {
			t.Fatalf("%s: right password after the limit: status %d (%v), want 429", ts.Domain, st, err)
		}
	}
	// A success gives its place back: another account is not touched and
	// its successful sign-ins do not count.
	a.CreateUser(t, "bob", "user")
	for range 6 {
		if _, _, err := b.Srv.Svc.SignInWithPassword(ctx, "bob", TestPassword, "192.0.2.7", core.ViaWeb); err != nil {
			t.Fatalf("bob: %v", err)
		}
	}
}

// The web forms' per-address limits count for the whole instance: what
// one process counted is refused by the other once they have synced.
func TestWebFormLimitsAreShared(t *testing.T) {
	dsn := pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
	a := StartTest(t, onDatabase(dsn))
	b := StartTest(t, onDatabase(dsn))
	la, lb := a.Srv.UI.Limiters()["web_sign_in"], b.Srv.UI.Limiters()["web_sign_in"]
	const ip = "192.0.2.9"
	now := time.Now()
	for range la.Limit {
		if !la.Allow(ip, now).Allowed {
			t.Fatal("refused under the limit")
		}
	}
	ctx := context.Background()
	start := now.Truncate(la.Window).UnixMilli()
	testutil.Eventually(t, 10*time.Second, "the first process's counts in the shared table", func() bool {
		got, err := a.Srv.Store.ExchangeRateCounts(ctx, "web_sign_in", []storage.RateCount{{Key: ip, Start: start, N: 0}})
		return err == nil && len(got) == 1 && got[0].N >= int64(la.Limit)
	})
	if !lb.Allow(ip, now).Allowed {
		t.Fatal("the second process refused before it synced")
	}
	if err := lb.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if r := lb.Allow(ip, now); r.Allowed {
		t.Fatalf("the second process allowed past the shared limit: %+v", r)
	}
}

// startWithJobs is StartTest on the database dsn whose runner polls only
// every hour and also runs the kinds register adds.
func startWithJobs(t *testing.T, dsn string, register func(r *jobs.Runner)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Instance.Domain, cfg.Instance.Protocol = "localhost:"+itoa(ln.Addr().(*net.TCPAddr).Port), "http"
	cfg.Server.Listen = ln.Addr().String()
	cfg.Storage.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Storage.Driver, cfg.Storage.DSN = "postgres", dsn
	cfg.Jobs.Poll = config.Duration{Duration: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if register != nil {
		register(srv.Jobs)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	})
	return srv
}

// A job queued by one process is taken up by another at once, not at its
// next poll (an hour here): the first tells the others which kinds it
// woke. Only the second runs this kind, so only its wake-up can run it.
func TestJobWakeReachesTheOtherProcesses(t *testing.T) {
	dsn := pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
	ran := make(chan string, 1)
	b := startWithJobs(t, dsn, func(r *jobs.Runner) {
		r.Handle(jobs.Kind{Name: "test.wake", Run: func(_ context.Context, j *storage.Job) ([]storage.Job, error) {
			ran <- j.Payload
			return nil, nil
		}})
	})
	a := startWithJobs(t, dsn, nil)
	ctx := context.Background()
	// A job queued by the second itself first: once run, the second's
	// runner has made its first claim and waits for a wake-up or its poll.
	if err := b.Jobs.Enqueue(ctx, storage.Job{Kind: "test.wake", Payload: `"warm-up"`, RunAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if got := <-ran; got != `"warm-up"` {
		t.Fatalf("payload %q", got)
	}
	if err := b.Jobs.Drained(ctx, "test.wake"); err != nil {
		t.Fatal(err)
	}
	if err := a.Jobs.Enqueue(ctx, storage.Job{Kind: "test.wake", Payload: `"hello"`, RunAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var got string
	testutil.Eventually(t, 20*time.Second, "the job run by the other process", func() bool {
		select {
		case got = <-ran:
			return true
		default:
			// The bus may not have been listening yet when the job was
			// queued: wake the kind again (only the wake-up travels).
			a.Jobs.Wake("test.wake")
			return false
		}
	})
	if got != `"hello"` {
		t.Fatalf("payload %q", got)
	}
}
