package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage/sqlite"
)

// testInstance is a Herald federation engine on a loopback port, over a
// real SQLite store in a temporary directory, without the client API.
type testInstance struct {
	t      testing.TB
	fed    *Federation
	jobs   *jobs.Runner
	svc    *core.Service
	store  *sqlite.Store
	url    string
	cfg    config.Config
	cancel context.CancelFunc
	done   chan struct{}
}

func quietLog(t testing.TB) *slog.Logger {
	level := slog.LevelError + 4
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: level}))
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fastTuning makes retries quick for tests.
func fastTuning(tu *Tuning) {
	tu.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
}

func newTestInstance(t testing.TB, mutate ...func(*config.Config)) *testInstance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := config.Default()
	cfg.Instance.Domain = "localhost:" + strconv.Itoa(port)
	cfg.Instance.Protocol = "http"
	cfg.Storage.DataDir = t.TempDir()
	cfg.Federation.AllowPrivateAddresses = true
	cfg.Federation.RequestTimeout = config.Duration{Duration: 5 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	// HERALD_TEST_DRIVER=postgres: on a fresh PostgreSQL database.
	var store *sqlite.Store
	if os.Getenv("HERALD_TEST_DRIVER") == "postgres" {
		cfg.Storage.Driver, cfg.Storage.DSN = "postgres", pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
		store, err = sqlite.OpenPostgres(context.Background(), cfg.Storage.DSN, 8)
	} else {
		store, err = sqlite.Open(context.Background(), cfg.Storage.DataDir, 2)
	}
	if err != nil {
		t.Fatal(err)
	}
	log := quietLog(t)
	svc := core.New(cfg, store, log)
	runner := jobs.New(store, jobs.Options{Log: log, Poll: 20 * time.Millisecond})
	svc.Jobs = runner
	fed := New(svc, cfg, log)
	fastTuning(&fed.Tuning)
	svc.Resolver = fed
	fed.Prepare(context.Background())
	fed.RegisterJobs(runner)
	svc.RegisterFollowerMoves(runner)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	fed.Register(e)
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	ctx, cancel := context.WithCancel(context.Background())
	ti := &testInstance{t: t, fed: fed, jobs: runner, svc: svc, store: store, url: "http://" + cfg.Instance.Domain, cfg: cfg, cancel: cancel, done: make(chan struct{})}
	go func() { runner.Run(ctx); close(ti.done) }()
	t.Cleanup(func() {
		cancel()
		<-ti.done
		srv.Close()
		store.Close()
	})
	return ti
}

func (ti *testInstance) createUser(username string) *model.Account {
	ti.t.Helper()
	a, _, err := ti.svc.CreateLocalAccount(context.Background(), core.NewAccountParams{
		Username: username, Email: username + "@example.org", Password: "correct horse battery", Approved: true, Confirm: true})
	if err != nil {
		ti.t.Fatalf("create %s: %v", username, err)
	}
	return a
}

// --- a fake remote server: one actor, an inbox that records ---

type fakePeer struct {
	t        testing.TB
	url      string
	actor    string
	key      *rsa.PrivateKey
	pubPEM   string
	srv      *http.Server
	mu       sync.Mutex
	received [][]byte
	// answer decides the inbox's status for each POST (nil: 202).
	answer func(n int) int
	// verify, when set, checks the signature of every inbox POST with the
	// sender's key fetched from it (benchmarks: sinks that verify).
	verify    bool
	keyCache  sync.Map
	objects   sync.Map // path → JSON served
	inboxHits int
	hitCh     chan struct{}
}

var sharedPeerKey struct {
	once sync.Once
	key  *rsa.PrivateKey
}

func peerKey(t testing.TB) *rsa.PrivateKey {
	sharedPeerKey.once.Do(func() {
		k, err := httpsig.GenerateKey(0)
		if err != nil {
			t.Fatal(err)
		}
		sharedPeerKey.key = k
	})
	return sharedPeerKey.key
}

func newFakePeer(t testing.TB) *fakePeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePeer{t: t, url: "http://" + ln.Addr().String(), key: peerKey(t), hitCh: make(chan struct{}, 1024)}
	p.actor = p.url + "/users/alice"
	p.pubPEM, _ = httpsig.EncodePublicKeyPEM(&p.key.PublicKey)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/alice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                p.actor,
			"type":              "Person",
			"preferredUsername": "alice",
			"inbox":             p.actor + "/inbox",
			"followers":         p.actor + "/followers",
			"endpoints":         map[string]string{"sharedInbox": p.url + "/inbox"},
			"publicKey":         map[string]string{"id": p.actor + "#main-key", "owner": p.actor, "publicKeyPem": p.pubPEM},
		})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if v, ok := p.objects.Load(r.URL.Path); ok {
			w.Header().Set("Content-Type", "application/activity+json")
			w.Write(v.([]byte))
			return
		}
		http.NotFound(w, r)
	})
	inbox := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if p.verify {
			_, err := httpsig.Verify(r.Context(), r, body, p.resolveKey, time.Time{})
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
		}
		p.mu.Lock()
		p.inboxHits++
		n := p.inboxHits
		status := http.StatusAccepted
		if p.answer != nil {
			status = p.answer(n)
		}
		if status/100 == 2 {
			p.received = append(p.received, body)
		}
		p.mu.Unlock()
		w.WriteHeader(status)
		select {
		case p.hitCh <- struct{}{}:
		default:
		}
	}
	mux.HandleFunc("POST /users/alice/inbox", inbox)
	mux.HandleFunc("POST /inbox", inbox)
	p.srv = &http.Server{Handler: mux}
	go p.srv.Serve(ln)
	t.Cleanup(func() { p.srv.Close() })
	return p
}

// resolveKey fetches (unsigned: a minimal actor is always served) and
// caches a sender's key.
func (p *fakePeer) resolveKey(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, error) {
	if v, ok := p.keyCache.Load(keyID); ok && !refresh {
		return v.(*rsa.PublicKey), nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, stripFragment(keyID), nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	o, err := Decode(body)
	if err != nil {
		return nil, err
	}
	k, ok := o.PublicKey.Find(keyID)
	if !ok {
		return nil, io.ErrUnexpectedEOF
	}
	pk, err := httpsig.ParsePublicKeyPEM(k.PublicKeyPem)
	if err != nil {
		return nil, err
	}
	p.keyCache.Store(keyID, pk)
	return pk, nil
}

func (p *fakePeer) receivedActivities() []*Object {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*Object
	for _, b := range p.received {
		if o, err := Decode(b); err == nil {
			out = append(out, o)
		}
	}
	return out
}

func (p *fakePeer) hits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inboxHits
}

// signedPost POSTs body to url signed with the peer's key (keyID defaults
// to the actor's main key); tamper changes the body after signing.
func (p *fakePeer) signedPost(url string, body []byte, tamper func([]byte) []byte) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, p.actor+"#main-key", p.key, body); err != nil {
		p.t.Fatal(err)
	}
	if tamper != nil {
		b := tamper(body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitInboxEmpty waits until every queued inbox activity was processed
// (applied or dropped as permanently failing): processed items leave the
// queue. An activity left for a retry keeps it waiting, and fails the test.
func (ti *testInstance) waitInboxEmpty() {
	ti.t.Helper()
	testutil.Eventually(ti.t, 10*time.Second, "the inbox queue processed", func() bool {
		n, err := ti.store.CountInbox(context.Background())
		return err == nil && n == 0
	})
}
