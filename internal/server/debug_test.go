package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage/sqlite"
)

// The profiler answers requests addressed to localhost or an IP, and
// refuses a name that a rebinding web page would send from the operator's
// browser.
func TestDebugListenerChecksHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	StartTest(t, func(c *config.Config) { c.Server.DebugListen = addr })
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(host string) int {
		t.Helper()
		code := 0
		// The listener starts with Serve.
		testutil.Eventually(t, 10*time.Second, "the debug listener answering", func() bool {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/debug/vars", nil)
			req.Host = host
			resp, err := client.Do(req)
			if err != nil {
				return false
			}
			resp.Body.Close()
			code = resp.StatusCode
			return true
		})
		return code
	}
	_, port, _ := net.SplitHostPort(addr)
	for _, host := range []string{addr, "localhost:" + port, "localhost", "[::1]:" + port} {
		if code := get(host); code != http.StatusOK {
			t.Errorf("Host %q: %d, want 200", host, code)
		}
	}
	for _, host := range []string{"attacker.example:" + port, "attacker.example", "localhost.attacker.example"} {
		if code := get(host); code != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: %d, want 421", host, code)
		}
	}
}

// A data directory left open to other users (made by hand, or by an
// older Herald) is named in a warning at start.
func TestStartWarnsAboutReadableDataFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st, err := sqlite.Open(context.Background(), dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db := filepath.Join(dir, sqlite.DBFile)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Storage.DataDir = dir
	var buf bytes.Buffer
	srv, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Store.Close()
	for _, p := range []string{dir, db} {
		if !strings.Contains(buf.String(), "readable by other users") || !strings.Contains(buf.String(), "path="+p+"\n") {
			t.Errorf("no warning naming %s in:\n%s", p, buf.String())
		}
	}
}
