package api_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage/sqlite"
)

// A storage failure behind a request is a 500 whose log line names the
// store operation and its cause, while the client sees only the generic
// message: no SQL, no table names.
func TestStorageFailureLogsOperationNotClient(t *testing.T) {
	logs := &syncBuffer{}
	ts := server.StartTestLogging(t, logs)
	if ts.Cfg.Storage.Postgres() {
		t.Skip("it breaks the SQLite database file under the server")
	}
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read")
	ts.JSON(t, "GET", "/api/v1/bookmarks", tok, nil, 200, nil)

	// Break the schema under the running server, from a second connection
	// as another process would.
	path := filepath.Join(ts.Cfg.Storage.DataDir, sqlite.DBFile)
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "ALTER TABLE bookmarks RENAME TO bookmarks_gone"); err != nil {
		t.Fatal(err)
	}

	status, _, body := ts.Do(t, "GET", "/api/v1/bookmarks", tok, nil)
	if status != 500 {
		t.Fatalf("status %d, want 500; body %s", status, body)
	}
	if got := strings.TrimSpace(string(body)); got != `{"error":"Internal server error"}` {
		t.Errorf("client body %s: want only the generic message", got)
	}
	log := logs.String()
	if !strings.Contains(log, "store: bookmarks: ") || !strings.Contains(log, "no such table: bookmarks") {
		t.Errorf("log does not name the operation and cause:\n%s", log)
	}
}
