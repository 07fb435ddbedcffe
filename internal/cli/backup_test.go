package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage/sqlite"
)

// TestBackupRestore backs an instance up while it serves writes, restores
// the backup into a fresh data directory and compares: everything
// acknowledged before the backup started is in it, nothing in it is
// unknown to the live database, media files come back byte for byte, and a
// backup taken at rest restores to exactly the same rows, table by table.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfgPath := writeTestConfig(t, dir, port, "")
	h := &heraldProc{t: t, dir: dir, cfg: cfgPath, base: fmt.Sprintf("http://localhost:%d", port)}
	if _, errOut, code := run(t, dir, nil, "account", "create", "--config", cfgPath, "--username", "alice",
		"--email", "alice@example.org", "--password", "correct horse battery staple"); code != 0 {
		t.Fatal(errOut)
	}
	out, _, _ := run(t, dir, nil, "token", "create", "--config", cfgPath, "--username", "alice")
	token := lastLine(out)
	// Media files as the media store keeps them (data_dir/media/...).
	media := map[string][]byte{}
	for i := 0; i < 5; i++ {
		rel := filepath.Join("media", "attachments", strconv.Itoa(i%2), fmt.Sprintf("file%d.bin", i))
		b := bytes.Repeat([]byte{byte(i), 0xff, byte(i * 7)}, 10000+i)
		p := filepath.Join(dir, "data", rel)
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, b, 0o640); err != nil {
			t.Fatal(err)
		}
		media[rel] = b
	}
	h.start()
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			h.kill()
		}
	})
	h.waitReady()

	// Writes run all along.
	var mu sync.Mutex
	var acked []string
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				var res struct {
					ID string `json:"id"`
				}
				if h.api("POST", "/api/v1/statuses", token, map[string]any{"status": fmt.Sprintf("post %d/%d", w, i)}, &res) == 200 {
					mu.Lock()
					acked = append(acked, res.ID)
					mu.Unlock()
				}
			}
		}()
	}
	acknowledged := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	testutil.Eventually(t, 30*time.Second, "writes acknowledged before the backup", func() bool { return acknowledged() >= 20 })
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backupFile := filepath.Join(dir, "live.tar.gz")
	stdout, stderr, code := run(t, dir, nil, "backup", "--config", cfgPath, "--out", backupFile)
	if code != 0 {
		t.Fatalf("backup while serving: exit %d: %s %s", code, stdout, stderr)
	}
	// Writes go on after the backup too.
	after := acknowledged()
	testutil.Eventually(t, 30*time.Second, "writes acknowledged after the backup", func() bool { return acknowledged() >= after+10 })
	stop.Store(true)
	wg.Wait()

	// Restore refuses while the server holds the data directory.
	if _, stderr, code := run(t, dir, nil, "restore", "--config", cfgPath, "--in", backupFile, "--force"); code != 1 || !strings.Contains(stderr, "running") {
		t.Fatalf("restore over a running server: exit %d: %s", code, stderr)
	}

	// Restore into a fresh data directory.
	dir2 := t.TempDir()
	cfg2 := writeTestConfig(t, dir2, port, "")
	stdout, stderr, code = run(t, dir2, nil, "restore", "--config", cfg2, "--in", backupFile)
	if code != 0 {
		t.Fatalf("restore: exit %d: %s %s", code, stdout, stderr)
	}
	restored := openDB(t, filepath.Join(dir2, "data", sqlite.DBFile))
	live := openDB(t, filepath.Join(dir, "data", sqlite.DBFile))
	for _, id := range before {
		var n int
		if err := restored.QueryRow("SELECT COUNT(*) FROM statuses WHERE id = ?", id).Scan(&n); err != nil || n != 1 {
			t.Errorf("status %s acknowledged before the backup is not in it (%v)", id, err)
		}
	}
	var nRestored, nLive int
	restored.QueryRow("SELECT COUNT(*) FROM statuses").Scan(&nRestored)
	live.QueryRow("SELECT COUNT(*) FROM statuses").Scan(&nLive)
	if nRestored < len(before) || nRestored > nLive {
		t.Errorf("restored %d statuses; %d acknowledged before the backup, %d live", nRestored, len(before), nLive)
	}
	rows, err := restored.Query("SELECT id FROM statuses")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		var n int
		if live.QueryRow("SELECT COUNT(*) FROM statuses WHERE id = ?", id).Scan(&n); n != 1 {
			t.Errorf("restored status %d never existed", id)
		}
	}
	rows.Close()
	for rel, b := range media {
		got, err := os.ReadFile(filepath.Join(dir2, "data", rel))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("media file %s not restored intact (%v)", rel, err)
		}
	}
	restored.Close()
	t.Logf("backup under load: %d posts acknowledged before it, %d in it, %d live at the end", len(before), nRestored, nLive)

	// At rest: the restored database equals the live one, table by table.
	h.stop()
	live.Close()
	quiet := filepath.Join(dir, "quiet.tar.gz")
	if _, stderr, code := run(t, dir, nil, "backup", "--config", cfgPath, "--out", quiet); code != 0 {
		t.Fatalf("backup at rest: %s", stderr)
	}
	// Restoring over an existing database needs --force, and keeps it aside.
	if _, stderr, code := run(t, dir2, nil, "restore", "--config", cfg2, "--in", quiet); code != 1 || !strings.Contains(stderr, "--force") {
		t.Fatalf("restore over an existing database without --force: exit %d %s", code, stderr)
	}
	stdout, stderr, code = run(t, dir2, nil, "restore", "--config", cfg2, "--in", quiet, "--force")
	if code != 0 || !strings.Contains(stdout, "kept as") {
		t.Fatalf("restore --force: exit %d: %s %s", code, stdout, stderr)
	}
	a, b := dumpDB(t, filepath.Join(dir, "data", sqlite.DBFile)), dumpDB(t, filepath.Join(dir2, "data", sqlite.DBFile))
	if len(a) == 0 {
		t.Fatal("empty dump")
	}
	t.Logf("backup at rest: %d tables compared", len(a))
	for table, sum := range a {
		if b[table] != sum {
			t.Errorf("table %s differs after restore", table)
		}
	}
	for table := range b {
		if _, ok := a[table]; !ok {
			t.Errorf("restored database has an extra table %s", table)
		}
	}

	// The restored instance serves what it was given.
	h2 := &heraldProc{t: t, dir: dir2, cfg: cfg2, base: h.base}
	h2.start()
	t.Cleanup(func() {
		if h2.cmd.ProcessState == nil {
			h2.kill()
		}
	})
	h2.waitReady()
	if code := h2.api("GET", "/api/v1/statuses/"+before[len(before)-1], token, nil, nil); code != 200 {
		t.Fatalf("restored instance: status %s: %d", before[len(before)-1], code)
	}
	h2.stop()

	// A damaged archive is refused and changes nothing.
	bad := filepath.Join(dir, "bad.tar.gz")
	raw, _ := os.ReadFile(quiet)
	os.WriteFile(bad, raw[:len(raw)/2], 0o600)
	if _, _, code := run(t, dir2, nil, "restore", "--config", cfg2, "--in", bad, "--force"); code != 1 {
		t.Fatalf("truncated backup restored: exit %d", code)
	}
	if err := sqlite.CheckFile(context.Background(), filepath.Join(dir2, "data", sqlite.DBFile)); err != nil {
		t.Fatalf("a refused restore damaged the data: %v", err)
	}
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// dumpDB returns a digest of every table's rows.
func dumpDB(t *testing.T, path string) map[string]string {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	rows, err := db.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, tb := range tables {
		rs, err := db.Query(`SELECT * FROM "` + tb + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		var lines []string
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%#v", vals))
		}
		rs.Close()
		sort.Strings(lines)
		sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		out[tb] = fmt.Sprintf("%d rows %x", len(lines), sum[:8])
	}
	return out
}

// On PostgreSQL, backup and restore refuse with a pointer to pg_dump
// rather than copying a data directory without the database.
func TestBackupOnPostgresPointsAtPgDump(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HERALD_STORAGE_DRIVER=postgres", "HERALD_STORAGE_DSN=postgres://herald@127.0.0.1:1/herald"}
	for _, args := range [][]string{{"backup", "--out", filepath.Join(dir, "b.tar")}, {"restore", "--in", filepath.Join(dir, "b.tar")}} {
		_, stderr, code := run(t, dir, env, args...)
		if code == 0 || !strings.Contains(stderr, "pg_dump") {
			t.Errorf("%v: exit %d, stderr %q; want a failure naming pg_dump", args, code, stderr)
		}
	}
}
