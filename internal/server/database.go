package server

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/storage/sqlite"
)

// The store behind the domain layer is SQLite or PostgreSQL
// ([storage] driver); server is the one place that chooses it. One-off
// commands get the domain layer alone from OpenService; backup and
// restore, which copy the SQLite database as a file, get the file's name
// and the file operations from here.

// openStore opens the store cfg names; conns sizes SQLite's reader pool
// (PostgreSQL's one pool holds config.PostgresExtraConns more).
func openStore(ctx context.Context, cfg config.Config, conns int) (*sqlite.Store, error) {
	if cfg.Storage.Postgres() {
		store, err := sqlite.OpenPostgres(ctx, cfg.Storage.DSN, conns+config.PostgresExtraConns)
		if err != nil {
			return nil, err
		}
		// Other processes make ids on the same database: this one's carry
		// a node number of their own, held while the process lives.
		if _, err := store.ClaimNode(ctx); err != nil {
			store.Close()
			return nil, err
		}
		return store, nil
	}
	return sqlite.Open(ctx, cfg.Storage.DataDir, conns)
}

// ErrPostgresBackup answers backup and restore on PostgreSQL, whose
// database is not a file of the data directory.
var ErrPostgresBackup = errors.New("herald backup and restore copy the SQLite database file; with [storage] driver = \"postgres\" back up the database with pg_dump (and restore it with pg_restore) and copy the media directory yourself")

// OpenService opens the store of cfg and the domain layer over it, for a
// command that serves nothing (account, token, invite, media commands).
// closeStore closes the store.
func OpenService(ctx context.Context, cfg config.Config, log *slog.Logger) (svc *core.Service, closeStore func() error, err error) {
	store, err := openStore(ctx, cfg, 1)
	if err != nil {
		return nil, nil, err
	}
	svc = core.New(cfg, store, log)
	if err := svc.CheckFileStore(ctx); err != nil {
		store.Close()
		return nil, nil, err
	}
	tellOthers(ctx, svc, store)
	return svc, store.Close, nil
}

// DatabaseFile is the database file's name inside data_dir.
const DatabaseFile = sqlite.DBFile

// The modes of the data directory and of the files Herald writes in it.
const (
	PrivateDirMode  os.FileMode = sqlite.PrivateDirMode
	PrivateFileMode os.FileMode = sqlite.PrivateFileMode
)

// SnapshotDatabase writes a consistent copy of the database file dbPath to
// out (which must not exist), beside a serving process (VACUUM INTO).
func SnapshotDatabase(ctx context.Context, dbPath, out string) error {
	return sqlite.Snapshot(ctx, dbPath, out)
}

// CheckDatabase checks the integrity of a database file that no process
// is writing (a snapshot, a restored copy).
func CheckDatabase(ctx context.Context, path string) error {
	return sqlite.CheckFile(ctx, path)
}

// TableCount is one table's row count in the source and the destination
// of CopyDatabase.
type TableCount = sqlite.TableCount

// CopyDatabase copies the whole database of from into that of to (herald
// storage migrate): SQLite to PostgreSQL or back. to's database is
// migrated first and must hold no data. It returns the row counts of
// every table on both sides, read after the copy.
func CopyDatabase(ctx context.Context, from, to config.Config, progress func(table string, rows int64)) ([]TableCount, error) {
	src, err := openStore(ctx, from, 1)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := openStore(ctx, to, 1)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	if err := src.CopyTo(ctx, dst, progress); err != nil {
		return nil, err
	}
	return src.CompareCounts(ctx, dst)
}
