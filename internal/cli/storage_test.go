package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mediapkg "github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/testutil/pgtest"
)

// herald storage migrate moves an instance from SQLite to PostgreSQL with
// its media; it refuses while the source's data directory is locked by a
// server and when the destination already holds data.
func TestStorageMigrateCommand(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	from := write("sqlite.toml", "[storage]\ndata_dir = \"data\"\n")
	to := write("pg.toml", fmt.Sprintf("[storage]\ndata_dir = \"data-pg\"\ndriver = \"postgres\"\ndsn = %q\n", dsn))
	run := func(args ...string) (int, string) {
		t.Helper()
		var out bytes.Buffer
		code := Main(args, &out, &out)
		return code, out.String()
	}
	if code, out := run("account", "create", "--config", from, "--username", "alice", "--email", "alice@example.org", "--password", "correct horse battery"); code != 0 {
		t.Fatalf("account create: %d %s", code, out)
	}
	src, err := mediapkg.NewLocalStore(filepath.Join(dir, "data", "media"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Put(context.Background(), mediapkg.NewKey("attachments", "a.png"), strings.NewReader("png")); err != nil {
		t.Fatal(err)
	}

	unlock, err := lockDataDir(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if code, out := run("storage", "migrate", "--from-config", from, "--to-config", to); code != 1 || !strings.Contains(out, "in use by a running Herald") {
		t.Fatalf("with a server on the source: exit %d: %s", code, out)
	}
	unlock()

	code, out := run("storage", "migrate", "--from-config", from, "--to-config", to)
	if code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, out)
	}
	for _, want := range []string{"verified: ", "accounts ", "1 copied (3 bytes)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "DIFFERS") {
		t.Errorf("counts differ:\n%s", out)
	}
	if code, out := run("storage", "migrate", "--from-config", from, "--to-config", to); code != 1 || !strings.Contains(out, "not empty") {
		t.Fatalf("into a database with data: exit %d: %s", code, out)
	}
	if code, out := run("storage", "migrate", "--from-config", from, "--to-config", from); code != 2 {
		t.Fatalf("onto itself: exit %d: %s", code, out)
	}
	// The account signs in on the new database.
	if code, out := run("token", "create", "--config", to, "--username", "alice"); code != 0 {
		t.Fatalf("token on the copy: exit %d: %s", code, out)
	}
}
