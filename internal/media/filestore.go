package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// FileStore keeps media files under keys such as
// "attachments/3f9a.../original.jpg". Keys are made by Herald (NewKey), never
// from user input. A key is written once and never rewritten: a new file
// gets a new key, so files can be cached forever.
type FileStore interface {
	// Put stores r under key (atomically: readers never see half a file).
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the file for reading, fs.ErrNotExist when missing.
	Open(ctx context.Context, key string) (StoredFile, error)
	// Delete removes a file; a missing file is not an error.
	Delete(ctx context.Context, key string) error
}

// StoredFile is an open stored file.
type StoredFile interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// NewKey makes a fresh key: dir/<random>/name (name keeps its extension).
func NewKey(dir, name string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return dir + "/" + hex.EncodeToString(b[:]) + "/" + name
}

// ValidKey reports a key Herald could have made: lower-case letters,
// digits, '.', '_', '-' in '/'-separated segments, no '..' or empty ones.
func ValidKey(key string) bool {
	if key == "" || len(key) > 256 || strings.HasPrefix(key, "/") {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return false
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// LocalStore is a FileStore on the local file system under Root.
type LocalStore struct {
	Root string
}

// NewLocalStore makes (if needed) root and returns the store.
func NewLocalStore(root string) (*LocalStore, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("media store %s: %w", root, err)
	}
	return &LocalStore{Root: root}, nil
}

func (s *LocalStore) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("media: invalid key %q: %w", key, fs.ErrNotExist)
	}
	return filepath.Join(s.Root, filepath.FromSlash(path.Clean(key))), nil
}

// Put writes to a temporary file beside the target, then renames it.
func (s *LocalStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o640)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return n, nil
}

type localFile struct {
	*os.File
	info os.FileInfo
}

func (f localFile) Size() int64        { return f.info.Size() }
func (f localFile) ModTime() time.Time { return f.info.ModTime() }

// Open opens a stored file.
func (s *LocalStore) Open(ctx context.Context, key string) (StoredFile, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return localFile{f, info}, nil
}

// Delete removes a file and the directories the key made, when empty.
func (s *LocalStore) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Remove the now empty random directory (and its parents up to Root).
	for dir := filepath.Dir(p); dir != s.Root && strings.HasPrefix(dir, s.Root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// Walk calls fn with the key and size of every stored file (tools:
// migration, counts), skipping temporary files. It stops at fn's first error.
func (s *LocalStore) Walk(ctx context.Context, fn func(key string, size int64) error) error {
	err := filepath.WalkDir(s.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.Root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !ValidKey(key) {
			return nil // a temporary file of a Put, or not Herald's
		}
		info, err := d.Info()
		if err != nil {
			return nil // deleted meanwhile
		}
		return fn(key, info.Size())
	})
	return err
}
