package cli

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/herald-social/herald/api"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// Backups. `herald backup` writes one gzipped tar file: a consistent
// snapshot of the database (VACUUM INTO, taken beside a running server
// thanks to WAL), then every other file under data_dir (media, keys a
// future version may keep there), then the media directory when
// media.store_dir points outside data_dir. `herald restore` unpacks it
// into data_dir; it refuses while a server holds the data directory.
//
// Archive layout:
//
//	herald-backup.json   manifest (format, version, domain, time)
//	herald.db            the database snapshot
//	data/<path>          files under data_dir
//	media/<path>         files under an absolute media.store_dir outside data_dir
//
// With [media] backend = "s3" the media files are in the bucket, not in
// the backup (a note says so). Media files are copied after the snapshot: a file written meanwhile is
// included without its row (harmless), a file deleted meanwhile is missing
// (its row was deleted too, unless the snapshot predates the deletion).

const (
	manifestName  = "herald-backup.json"
	backupFormat  = 1
	lockFileName  = "herald.lock"
	restoreSuffix = ".restore-tmp"
)

type manifest struct {
	Format   int       `json:"format"`
	Herald   string    `json:"herald"`
	Domain   string    `json:"domain"`
	Created  time.Time `json:"created"`
	Database string    `json:"database"`
	Files    int       `json:"files"`
}

// skipData reports data_dir entries that are not copied: the live
// database and its journals (the snapshot replaces them), the lock, and
// leftovers of an interrupted restore.
func skipData(rel string) bool {
	switch rel {
	case server.DatabaseFile, server.DatabaseFile + "-wal", server.DatabaseFile + "-shm", server.DatabaseFile + "-journal", lockFileName:
		return true
	}
	return false
}

func backup(args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("backup", stderr)
	out := fs.String("out", "", "backup file to write (a .tar.gz)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"backup needs --out FILE"}
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	m, err := writeBackup(context.Background(), cfg, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (database and %d files)\n", cfg.Instance.Domain, *out, m.Files)
	if cfg.Media.Backend == "s3" {
		// The bucket is not copied: it can be far larger than a tar file
		// should be, and object stores have their own copies and versions.
		fmt.Fprintf(stderr, "herald: note: media files are in bucket %q at %s and are not in this backup; back the bucket up with the object store's tools, or copy it to a directory with herald media migrate\n",
			cfg.Media.S3.Bucket, cfg.Media.S3.Endpoint)
	}
	return nil
}

func writeBackup(ctx context.Context, cfg config.Config, out string) (*manifest, error) {
	if cfg.Storage.Postgres() {
		return nil, server.ErrPostgresBackup
	}
	dataDir := cfg.Storage.DataDir
	dbPath := filepath.Join(dataDir, server.DatabaseFile)
	if _, err := os.Stat(dbPath); err != nil {
		return nil, fmt.Errorf("no database in %s: %w", dataDir, err)
	}
	outAbs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(outAbs), ".herald-backup-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmpDir)
	snap := filepath.Join(tmpDir, server.DatabaseFile)
	if err := server.SnapshotDatabase(ctx, dbPath, snap); err != nil {
		return nil, err
	}
	if err := server.CheckDatabase(ctx, snap); err != nil {
		return nil, fmt.Errorf("the snapshot is damaged, nothing written: %w", err)
	}

	partial := outAbs + ".partial"
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(partial)
	bw := bufio.NewWriterSize(f, 1<<20)
	gz := gzip.NewWriter(bw)
	tw := tar.NewWriter(gz)
	m := &manifest{Format: backupFormat, Herald: api.Version, Domain: cfg.Instance.Domain, Created: time.Now().UTC(), Database: server.DatabaseFile}

	// Files first (counted for the manifest), then the manifest and the
	// database: restore reads the whole archive either way.
	skip := map[string]bool{outAbs: true, partial: true, tmpDir: true}
	addTree := func(root, prefix string) error {
		rootAbs, err := filepath.Abs(root)
		if err != nil {
			return err
		}
		return filepath.WalkDir(rootAbs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil // deleted while we walk
				}
				return err
			}
			if skip[p] {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			rel, err := filepath.Rel(rootAbs, p)
			if err != nil || rel == "." {
				return err
			}
			rel = filepath.ToSlash(rel)
			if prefix == "data/" && skipData(rel) {
				return nil
			}
			if prefix == "data/" && d.IsDir() && strings.HasSuffix(rel, restoreSuffix) {
				return filepath.SkipDir
			}
			if !d.IsDir() && !d.Type().IsRegular() {
				return nil // sockets, symlinks: not ours
			}
			if d.IsDir() {
				return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: prefix + rel + "/", Mode: 0o700, ModTime: time.Now()})
			}
			if err := addFile(tw, p, prefix+rel); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			m.Files++
			return nil
		})
	}
	if err := addTree(dataDir, "data/"); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy %s: %w", dataDir, err)
	}
	if md := cfg.MediaDir(); !within(md, dataDir) {
		if _, err := os.Stat(md); err == nil {
			if err := addTree(md, "media/"); err != nil {
				f.Close()
				return nil, fmt.Errorf("copy %s: %w", md, err)
			}
		}
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: manifestName, Mode: 0o600, Size: int64(len(mj)), ModTime: m.Created}); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := tw.Write(mj); err != nil {
		f.Close()
		return nil, err
	}
	if err := addFile(tw, snap, server.DatabaseFile); err != nil {
		f.Close()
		return nil, err
	}
	for _, c := range []io.Closer{tw, gz} {
		if err := c.Close(); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(partial, outAbs); err != nil {
		return nil, err
	}
	return m, nil
}

func addFile(tw *tar.Writer, p, name string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: st.Size(), ModTime: st.ModTime()}); err != nil {
		return err
	}
	// A file that grows while copied is cut at its size when stat'ed.
	n, err := io.Copy(tw, io.LimitReader(f, st.Size()))
	if err != nil {
		return err
	}
	if n < st.Size() { // it shrank: pad, the tar header is written already
		_, err = io.CopyN(tw, zeroReader{}, st.Size()-n)
	}
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	pa, err1 := filepath.Abs(p)
	da, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(da, pa)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func restore(args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("restore", stderr)
	in := fs.String("in", "", "backup file written by herald backup")
	force := fs.Bool("force", false, "replace an existing database (the current data_dir is kept beside it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return usageError{"restore needs --in FILE"}
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	m, kept, err := restoreBackup(context.Background(), cfg, *in, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored the backup of %s taken %s (database and %d files) into %s\n",
		m.Domain, m.Created.Format(time.RFC3339), m.Files, cfg.Storage.DataDir)
	if kept != "" {
		fmt.Fprintf(stdout, "the previous data directory was kept as %s\n", kept)
	}
	if m.Domain != cfg.Instance.Domain {
		fmt.Fprintf(stderr, "herald: warning: the backup is of %s but this configuration serves %s\n", m.Domain, cfg.Instance.Domain)
	}
	return nil
}

func restoreBackup(ctx context.Context, cfg config.Config, in string, force bool) (*manifest, string, error) {
	if cfg.Storage.Postgres() {
		return nil, "", server.ErrPostgresBackup
	}
	dataDir, err := filepath.Abs(cfg.Storage.DataDir)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dataDir, server.PrivateDirMode); err != nil {
		return nil, "", err
	}
	unlock, err := lockDataDir(dataDir)
	if err != nil {
		return nil, "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dataDir, server.DatabaseFile)); err == nil && !force {
		return nil, "", fmt.Errorf("%s already holds a database; restore with --force to replace it (the current data directory is kept beside it)", dataDir)
	}
	mediaDir := cfg.MediaDir()
	mediaOutside := !within(mediaDir, dataDir)

	staging := dataDir + restoreSuffix
	if err := os.RemoveAll(staging); err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(staging, server.PrivateDirMode); err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(staging)
	m, err := unpack(in, staging)
	if err != nil {
		return nil, "", err
	}
	if err := server.CheckDatabase(ctx, filepath.Join(staging, "db", server.DatabaseFile)); err != nil {
		return nil, "", fmt.Errorf("the backup's database is damaged, nothing restored: %w", err)
	}

	// Swap: the current data_dir moves aside (kept), the staged one takes its place.
	kept := ""
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, "", err
	}
	if len(entries) > 1 || (len(entries) == 1 && entries[0].Name() != lockFileName) {
		kept = dataDir + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.MkdirAll(kept, server.PrivateDirMode); err != nil {
			return nil, "", err
		}
		for _, e := range entries {
			if e.Name() == lockFileName {
				continue
			}
			if err := os.Rename(filepath.Join(dataDir, e.Name()), filepath.Join(kept, e.Name())); err != nil {
				return nil, "", fmt.Errorf("move the current data aside: %w", err)
			}
		}
	}
	moveAll := func(from, to string) error {
		entries, err := os.ReadDir(from)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := os.MkdirAll(to, server.PrivateDirMode); err != nil {
			return err
		}
		for _, e := range entries {
			if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	if err := moveAll(filepath.Join(staging, "data"), dataDir); err != nil {
		return nil, kept, err
	}
	if mediaOutside {
		if _, err := os.Stat(filepath.Join(staging, "media")); err == nil {
			if ents, _ := os.ReadDir(mediaDir); len(ents) > 0 {
				old := mediaDir + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
				if err := os.Rename(mediaDir, old); err != nil {
					return nil, kept, err
				}
			}
			if err := moveAll(filepath.Join(staging, "media"), mediaDir); err != nil {
				return nil, kept, err
			}
		}
	}
	if err := os.Rename(filepath.Join(staging, "db", server.DatabaseFile), filepath.Join(dataDir, server.DatabaseFile)); err != nil {
		return nil, kept, err
	}
	return m, kept, nil
}

// unpack extracts a backup into dir: dir/db/herald.db, dir/data/...,
// dir/media/...; it refuses paths that would leave dir.
func unpack(in, dir string) (*manifest, error) {
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s is not a Herald backup: %w", in, err)
	}
	tr := tar.NewReader(gz)
	var m *manifest
	haveDB := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", in, err)
		}
		name := path.Clean(h.Name)
		if strings.HasPrefix(name, "/") || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "\\") {
			return nil, fmt.Errorf("%s: unsafe path %q in the archive", in, h.Name)
		}
		var target string
		switch {
		case name == manifestName:
			var mm manifest
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&mm); err != nil {
				return nil, fmt.Errorf("%s: bad manifest: %w", in, err)
			}
			if mm.Format != backupFormat {
				return nil, fmt.Errorf("%s: backup format %d is not supported", in, mm.Format)
			}
			m = &mm
			continue
		case name == server.DatabaseFile:
			target = filepath.Join(dir, "db", server.DatabaseFile)
			haveDB = true
		case strings.HasPrefix(name, "data/") || strings.HasPrefix(name, "media/"):
			target = filepath.Join(dir, filepath.FromSlash(name))
		default:
			return nil, fmt.Errorf("%s: unexpected entry %q", in, h.Name)
		}
		if !within(target, dir) {
			return nil, fmt.Errorf("%s: unsafe path %q in the archive", in, h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, server.PrivateDirMode); err != nil {
				return nil, err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), server.PrivateDirMode); err != nil {
				return nil, err
			}
			w, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, server.PrivateFileMode)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(w, tr)
			if err == nil {
				err = w.Sync()
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, err
			}
			_ = os.Chtimes(target, h.ModTime, h.ModTime)
		default:
			return nil, fmt.Errorf("%s: entry %q is not a file or directory", in, h.Name)
		}
	}
	if m == nil || !haveDB {
		return nil, fmt.Errorf("%s is not a complete Herald backup (no manifest or no database)", in)
	}
	return m, nil
}
