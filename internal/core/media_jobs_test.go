package core_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// testClock is a runner's clock that tests move forward; it starts at the
// real time, as jobs queued without a run time are due from the real time.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// startRunner runs a job runner with core's kinds on store until the test
// ends. store may wrap the service's store (to watch what the runner does).
func startRunner(t *testing.T, svc *core.Service, store storage.Jobs, clock *testClock) *jobs.Runner {
	t.Helper()
	r := jobs.New(store, jobs.Options{Lease: 5 * time.Second, Poll: 10 * time.Millisecond, Now: clock.Now})
	svc.RegisterJobs(r)
	if svc.Jobs == nil {
		svc.Jobs = r // what core queues goes to the first runner
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func drained(t *testing.T, r *jobs.Runner, kinds ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Drained(ctx, kinds...); err != nil {
		t.Fatalf("jobs %v not drained: %v", kinds, err)
	}
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The sweep deletes no file that a row names again: a writer that read a
// row before its key was dropped (an edit of a remote post, while the
// cache is pruned) writes the key back, and the file stays. A key freshly
// dropped waits for the grace period.
func TestSweepKeepsFilesNamedAgain(t *testing.T) {
	e := newEnv(t)
	alice := e.user("alice")
	data := testPNG(t)
	m, err := e.svc.UploadMedia(e.ctx, alice, core.UploadParams{File: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if m.FileKey == "" || m.PreviewKey == "" {
		t.Fatalf("upload without its files: %+v", m)
	}
	exists := func(key string) bool {
		f, err := e.svc.Files().Open(e.ctx, key)
		if err == nil {
			f.Close()
			return true
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return false
	}
	stale := *m // what a slow writer read
	drop := func() {
		t.Helper()
		cleared := *m
		cleared.FileKey, cleared.PreviewKey = "", ""
		if err := e.store.UpdateMedia(e.ctx, &cleared); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(storage.MediaGarbageGrace + time.Minute)

	drop()                                                     // the keys are garbage now
	if err := e.store.UpdateMedia(e.ctx, &stale); err != nil { // and named again
		t.Fatal(err)
	}
	if n := e.svc.SweepMediaGarbageAt(e.ctx, later); n != 0 || !exists(m.FileKey) || !exists(m.PreviewKey) {
		t.Fatalf("a sweep deleted %d files that a row names again", n)
	}

	drop() // garbage again, freshly
	if n := e.svc.SweepMediaGarbage(e.ctx); n != 0 || !exists(m.FileKey) {
		t.Fatalf("a sweep within the grace period deleted %d files", n)
	}
	if n := e.svc.SweepMediaGarbageAt(e.ctx, later); n != 2 || exists(m.FileKey) || exists(m.PreviewKey) {
		t.Fatalf("a sweep past the grace period deleted %d files, want 2", n)
	}
}

// sweepCounter counts the media sweeps a service logs.
type sweepCounter struct{ n *atomic.Int32 }

func (h sweepCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h sweepCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "media: swept" {
		h.n.Add(1)
	}
	return nil
}
func (h sweepCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h sweepCounter) WithGroup(string) slog.Handler      { return h }

// scheduleWatch is a store that signals each media sweep schedule asked
// of it (a runner's scheduling pass).
type scheduleWatch struct {
	*sqlite.Store
	asked chan struct{}
}

func (w scheduleWatch) SchedulePeriodic(ctx context.Context, name string, now, next time.Time, job storage.Job) (time.Time, error) {
	at, err := w.Store.SchedulePeriodic(ctx, name, now, next, job)
	if name == core.JobMediaSweep {
		w.asked <- struct{}{}
	}
	return at, err
}

// The media sweep runs once per period, however many runners (processes,
// restarts) schedule it.
func TestMediaSweepOncePerPeriod(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var sweeps atomic.Int32
	cfg := config.Default()
	cfg.Instance.Domain = "herald.test"
	svc := core.New(cfg, st, slog.New(sweepCounter{&sweeps}))
	clock := &testClock{}
	// Away from the end of a minute, so that the period does not turn
	// while the first runners start.
	if s := clock.Now().Second(); s > 40 {
		clock.Advance(time.Duration(62-s) * time.Second)
	}

	start := func() *jobs.Runner {
		t.Helper()
		w := scheduleWatch{Store: st, asked: make(chan struct{}, 8)}
		r := startRunner(t, svc, w, clock)
		select { // its first pass: it schedules at once
		case <-w.asked:
		case <-time.After(10 * time.Second):
			t.Fatal("the runner did not schedule the sweep")
		}
		return r
	}
	a := start()
	drained(t, a, core.JobMediaSweep)
	b := start() // another process, or a restart, in the same minute
	drained(t, b, core.JobMediaSweep)
	drained(t, a, core.JobMediaSweep)
	if n := sweeps.Load(); n != 1 {
		t.Fatalf("%d sweeps in one period, want 1", n)
	}

	clock.Advance(time.Minute)
	c := start() // the next minute: A's and B's timers have not fired yet
	drained(t, c, core.JobMediaSweep)
	if n := sweeps.Load(); n != 2 {
		t.Fatalf("%d sweeps after two periods, want 2", n)
	}
}

// mailbox is an SMTP server on loopback that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []string
}

type mbSession struct{ mb *mailbox }

func (s mbSession) Reset()                               {}
func (s mbSession) Logout() error                        { return nil }
func (s mbSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s mbSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s mbSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, string(b))
	s.mb.mu.Unlock()
	return err
}

func (mb *mailbox) count() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.msgs)
}

// A mail queued while the mail server is down is kept, and delivered once
// the server is up.
func TestMailQueuedWhileServerDown(t *testing.T) {
	// A port with nothing listening on it, for now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Instance.Domain = "herald.test"
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Security = "127.0.0.1", port, "none"
	cfg.SMTP.From = "Herald <noreply@herald.test>"
	svc := core.New(cfg, st, slog.New(slog.DiscardHandler))
	if _, _, err := svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: "alice", Email: "alice@example.org",
		Password: "correct horse battery", Approved: true, Confirm: true}); err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	r := startRunner(t, svc, st, clock)

	if err := svc.RequestPasswordReset(ctx, "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	// Drained once the first attempt failed and the job waits for its retry.
	drained(t, r, core.JobMail)
	if n, err := st.CountJobs(ctx, core.JobMail, 0, clock.Now().Add(24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("mail jobs after a failed send: %d %v, want 1 waiting", n, err)
	}

	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mbSession{mb}, nil }))
	srv.Domain = "localhost"
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the mail server's port was taken meanwhile: %v", err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })

	clock.Advance(time.Hour) // past the retry's time
	r.Wake(core.JobMail)
	testutil.Eventually(t, 10*time.Second, "the mail delivered", func() bool { return mb.count() == 1 })
	drained(t, r, core.JobMail)
	if n, _ := st.CountJobs(ctx, core.JobMail, 0, clock.Now().Add(24*time.Hour)); n != 0 {
		t.Fatalf("%d mail jobs left after delivery", n)
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if msg := mb.msgs[0]; !strings.Contains(msg, "alice@example.org") || !strings.Contains(msg, "Reset your password") {
		t.Fatalf("mail: %s", msg)
	}
}
