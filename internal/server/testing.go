package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage/sqlite"
)

// TestServer is a whole Herald on a loopback port with its data in a
// temporary directory, for tests of any package. It stops at the end of
// the test.
type TestServer struct {
	URL    string // e.g. http://localhost:41234
	Domain string // e.g. localhost:41234
	Srv    *Server
	Cfg    config.Config
}

// ApplyTestDriver points cfg at PostgreSQL when HERALD_TEST_DRIVER is
// "postgres" (pgtest: HERALD_TEST_POSTGRES_DSN names the server), for
// tests that build a server from a config of their own: the database of
// cfg's data directory, so that a server started again on the same
// directory finds its data.
func ApplyTestDriver(t testing.TB, cfg *config.Config) {
	t.Helper()
	applyTestDriver(t, cfg, "")
}

// applyTestDriver is ApplyTestDriver; a database for ownDir (the test's
// own temporary directory) is dropped with the test.
func applyTestDriver(t testing.TB, cfg *config.Config, ownDir string) {
	t.Helper()
	if os.Getenv("HERALD_TEST_DRIVER") != "postgres" || cfg.Storage.DSN != "" {
		return
	}
	cfg.Storage.Driver = "postgres"
	if v, ok := testDatabases.Load(cfg.Storage.DataDir); ok {
		cfg.Storage.DSN = v.(string)
	} else if cfg.Storage.DataDir == ownDir {
		cfg.Storage.DSN = pgtest.DSNFrom(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
	} else {
		cfg.Storage.DSN = pgtest.DSNKept(t, sqlite.PostgresSchemaKey(), sqlite.MigratePostgres)
	}
	testDatabases.Store(cfg.Storage.DataDir, cfg.Storage.DSN)
}

// testDatabases maps the data directories tests chose to their
// PostgreSQL databases (HERALD_TEST_DRIVER=postgres).
var testDatabases sync.Map

// TestPassword is the password of users made by CreateUser.
const TestPassword = "correct horse battery"

// StartTest starts a server; mutate may adjust the config first.
func StartTest(t testing.TB, mutate ...func(*config.Config)) *TestServer {
	t.Helper()
	return startTest(t, nil, mutate)
}

// StartTestLogging is StartTest that also writes the server's log, from
// info level up, to logw (for tests of what is logged).
func StartTestLogging(t testing.TB, logw io.Writer, mutate ...func(*config.Config)) *TestServer {
	t.Helper()
	return startTest(t, logw, mutate)
}

func startTest(t testing.TB, logw io.Writer, mutate []func(*config.Config)) *TestServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := config.Default()
	cfg.Instance.Domain = "localhost:" + itoa(port)
	cfg.Instance.Protocol = "http"
	cfg.Server.Listen = ln.Addr().String()
	// A data directory of its own inside the test's, made by Herald (0700),
	// as in production: t.TempDir() is open to other users.
	cfg.Storage.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Storage.ReadConnections = 2
	cfg.Federation.AllowPrivateAddresses = true
	cfg.Limits.SignInPerMinute = 1000
	// Abuse limits stay out of the way of ordinary tests; tests of the
	// limits lower them in mutate.
	cfg.Limits.APIPer5Minutes = 1_000_000
	cfg.Limits.APIPerIPPer5Minutes = 1_000_000
	cfg.Limits.SignUpPer5Minutes = 1_000_000
	cfg.Limits.InboxPerDomainPerMinute = 1_000_000
	ownDir := cfg.Storage.DataDir
	for _, m := range mutate {
		m(&cfg)
	}
	applyTestDriver(t, &cfg, ownDir)
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	var out io.Writer = testWriter{t}
	if logw != nil {
		level = min(level, slog.LevelInfo)
		out = io.MultiWriter(out, logw)
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, cfg, log)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	ts := &TestServer{URL: "http://" + cfg.Instance.Domain, Domain: cfg.Instance.Domain, Srv: srv, Cfg: cfg}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15 s")
		}
	})
	return ts
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// CreateUser makes a local account with TestPassword.
func (ts *TestServer) CreateUser(t testing.TB, username, role string) *model.Account {
	t.Helper()
	a, _, err := ts.Srv.Svc.CreateLocalAccount(context.Background(), core.NewAccountParams{
		Username: username, Email: username + "@example.org", Password: TestPassword, Role: role, Approved: true, Confirm: true})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return a
}

// Token issues an access token for a local user.
func (ts *TestServer) Token(t testing.TB, username, scopes string) string {
	t.Helper()
	ctx := context.Background()
	a, err := ts.Srv.Svc.LocalAccount(ctx, username)
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	sc, err := core.ParseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := ts.Srv.Svc.IssueToken(ctx, 0, a.ID, sc)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// testClient bounds every test request, so that a handler that never
// answers fails its test instead of hanging the suite.
var testClient = &http.Client{Timeout: 30 * time.Second}

// Do sends a request to the server. body may be nil, url.Values (sent as a
// form), []byte/string (sent as JSON) or any other value (marshalled to
// JSON). It returns the status, the headers and the body.
func (ts *TestServer) Do(t testing.TB, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = ts.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// JSON is Do that also decodes the response body into out (when not nil)
// and fails the test unless the status is want.
func (ts *TestServer) JSON(t testing.TB, method, path, token string, body any, want int, out any) http.Header {
	t.Helper()
	status, h, b := ts.Do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return h
}

// SeedSQL opens the test server's SQLite database beside the server (a
// store of its own, as a second process would) for a test to write rows
// the API cannot make, such as rows dated in the past; the returned
// function runs one statement and fails the test on an error.
func (ts *TestServer) SeedSQL(t testing.TB) func(q string, args ...any) {
	t.Helper()
	st, err := sqlite.OpenFile(context.Background(), filepath.Join(ts.Cfg.Storage.DataDir, sqlite.DBFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, _ := st.Pools()
	return func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("seed %q: %v", q, err)
		}
	}
}
