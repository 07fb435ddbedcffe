package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/herald-social/herald/activitypub"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

// exportCmd is `herald export`: a local account's public record (its
// public and unlisted posts with their edits and media) for a period, as
// the ZIP archive the console downloads (activitypub/archive.go describes
// it). It works while the server runs. The archive is written beside
// --out and renamed into place when whole, so a failed export leaves no
// file that looks complete.
func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("export", stderr)
	username := fs.String("username", "", "the local account whose posts to export")
	from := fs.String("from", "", "first day or time included (RFC 3339, UTC: 2024-01-31 or 2024-01-31T12:00:00Z; default: the first post)")
	to := fs.String("to", "", "first day or time not included (default: now)")
	out := fs.String("out", "", "the archive to write (a .zip)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *username == "" || *out == "" {
		return usageError{"export needs --username U and --out FILE.zip"}
	}
	svc, closeFn, err := openService(*cfgPath, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx := context.Background()
	e, err := svc.OperatorExportRecords(ctx, *username, core.RecordsRequest{From: *from, To: *to})
	if err != nil {
		if herr.As(err).Status == http.StatusNotFound {
			return fmt.Errorf("no local user @%s", *username)
		}
		return err
	}
	fed := activitypub.New(svc, svc.Cfg, svc.Log)
	sum, err := writeArchive(*out, func(w io.Writer) (*core.RecordsSummary, error) { return fed.WriteRecords(ctx, w, e) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported the public record of @%s (posts published %s) to %s\nposts: %d, of which edited: %d; media files: %d (%d bytes)\n",
		e.Account.Username, e.Period(), *out, sum.Posts, sum.EditedPosts, sum.MediaFiles, sum.MediaBytes)
	if n := len(sum.MissingMedia); n > 0 {
		fmt.Fprintf(stderr, "herald: warning: %d attached files were missing from the media store (listed in manifest.json)\n", n)
	}
	return nil
}

// writeArchive writes out through write, via a partial file renamed into
// place once whole and synced.
func writeArchive(out string, write func(io.Writer) (*core.RecordsSummary, error)) (*core.RecordsSummary, error) {
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	partial := outAbs + ".partial"
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(partial)
	bw := bufio.NewWriterSize(f, 1<<20)
	sum, err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return sum, os.Rename(partial, outAbs)
}
