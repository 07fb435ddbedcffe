package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// Snapshot writes a consistent copy of the database file dbPath to out
// (which must not exist) with VACUUM INTO. It opens its own read-only
// connection, so it runs beside a serving process: WAL lets the snapshot
// read one committed state while the server keeps writing.
func Snapshot(ctx context.Context, dbPath, out string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s already exists", out)
	}
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(dbPath)+"?_pragma=busy_timeout(10000)&_time_format=sqlite")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", out); err != nil {
		os.Remove(out)
		return fmt.Errorf("snapshot %s: %w", dbPath, err)
	}
	return nil
}

// CheckFile runs PRAGMA integrity_check on a database file that no
// process is writing (a snapshot, a restored copy) and returns an error
// unless it answers "ok".
func CheckFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&v); err != nil {
		return fmt.Errorf("integrity check of %s: %w", path, err)
	}
	if v != "ok" {
		return errors.New("integrity check of " + path + ": " + v)
	}
	return nil
}
