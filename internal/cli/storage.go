package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/herald-social/herald/internal/config"
	mediapkg "github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/server"
)

// storageCmd runs the storage subcommands: migrate.
func storageCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "migrate" {
		return usageError{"storage needs a subcommand: migrate"}
	}
	return storageMigrate(args[1:], stdout, stderr)
}

// storageMigrate moves an instance from the database (and media store) of
// one config to those of another: the whole database is copied into a
// fresh one in one transaction, then the media files (media.Copy), and
// the row counts of every table are compared on both sides.
func storageMigrate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("storage migrate", flag.ContinueOnError)
	fromPath := fs.String("from-config", "", "configuration file of the instance to copy")
	toPath := fs.String("to-config", "", "configuration file whose database (freshly created) receives the copy")
	skipMedia := fs.Bool("skip-media", false, "copy the database only")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *fromPath == "" || *toPath == "" {
		return usageError{"storage migrate needs --from-config FILE and --to-config FILE"}
	}
	from, err := loadConfig(*fromPath, stderr)
	if err != nil {
		return err
	}
	to, err := loadConfig(*toPath, stderr)
	if err != nil {
		return err
	}
	if databaseName(from) == databaseName(to) {
		return usageError{"storage migrate: both configs name the same database (" + databaseName(from) + ")"}
	}
	// A server writing to either side would make the copy incomplete
	// or be overwritten; on SQLite the data directory's lock tells.
	for _, c := range []config.Config{from, to} {
		if !c.Storage.Postgres() {
			unlock, err := lockDataDir(c.Storage.DataDir)
			if err != nil {
				return err
			}
			defer unlock()
		}
	}
	ctx := context.Background()
	fmt.Fprintf(stdout, "copying the database from %s to %s\n", databaseName(from), databaseName(to))
	counts, err := server.CopyDatabase(ctx, from, to, nil)
	if err != nil {
		return fmt.Errorf("storage migrate: %w", err)
	}
	fmt.Fprintf(stdout, "%-32s %12s %12s\n", "table", "source", "destination")
	var differ []string
	for _, c := range counts {
		mark := ""
		if c.Source != c.Dst {
			mark = "  DIFFERS"
			differ = append(differ, c.Table)
		}
		fmt.Fprintf(stdout, "%-32s %12d %12d%s\n", c.Table, c.Source, c.Dst, mark)
	}
	if len(differ) > 0 {
		return fmt.Errorf("storage migrate: the row counts differ in %s", strings.Join(differ, ", "))
	}
	fmt.Fprintf(stdout, "verified: %d tables, the same row counts on both sides\n", len(counts))

	if *skipMedia {
		return nil
	}
	if mediaStoreName(from) == mediaStoreName(to) {
		fmt.Fprintf(stdout, "media: both configs use %s; nothing to copy\n", mediaStoreName(from))
		return nil
	}
	src, srcName, err := openMediaStore(ctx, *fromPath, from)
	if err != nil {
		return err
	}
	dst, dstName, err := openMediaStore(ctx, *toPath, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copying media from %s to %s\n", srcName, dstName)
	r, err := mediapkg.Copy(ctx, src, dst, nil)
	if err != nil {
		return fmt.Errorf("storage migrate: media (%d files copied before the error; herald media migrate goes on): %w", r.Copied, err)
	}
	if len(r.Missing) > 0 {
		return fmt.Errorf("storage migrate: %d media files are still missing from %s: %s", len(r.Missing), dstName, strings.Join(r.Missing[:min(len(r.Missing), 10)], ", "))
	}
	fmt.Fprintf(stdout, "media: %d files in the source: %d copied (%d bytes), %d already there; all are in %s\n", r.Source, r.Copied, r.Bytes, r.Present, dstName)
	return nil
}

// databaseName names the database of cfg, for messages and to tell two
// configs on the same database apart (the DSN's password is left out).
func databaseName(cfg config.Config) string {
	if cfg.Storage.Postgres() {
		return "PostgreSQL database " + redactDSN(cfg.Storage.DSN)
	}
	return "SQLite database in " + cfg.Storage.DataDir
}

// redactDSN hides a password in a URL or key=value DSN.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			cred := dsn[i+3 : at]
			if c := strings.Index(cred, ":"); c >= 0 {
				return dsn[:i+3] + cred[:c] + ":***" + dsn[at:]
			}
		}
		return dsn
	}
	f := strings.Fields(dsn)
	for i, kv := range f {
		if strings.HasPrefix(kv, "password=") {
			f[i] = "password=***"
		}
	}
	return strings.Join(f, " ")
}
