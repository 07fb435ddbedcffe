package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The data directory and the database files hold private keys and
// secrets: nobody but the server's user may read them.
func TestDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(context.Background(), dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A write makes sure the -wal and -shm files exist.
	if _, err := s.w.Exec("CREATE TABLE perms_probe (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		dir:                               PrivateDirMode,
		filepath.Join(dir, DBFile):        PrivateFileMode,
		filepath.Join(dir, DBFile+"-wal"): PrivateFileMode,
		filepath.Join(dir, DBFile+"-shm"): PrivateFileMode,
	}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s: mode %o, want %o", p, got, mode)
		}
	}
	if got := ExposedFiles(dir); len(got) != 0 {
		t.Errorf("ExposedFiles on a private directory = %v", got)
	}
}

func TestExposedFilesNamesOpenOnes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := filepath.Join(dir, DBFile)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	got := ExposedFiles(dir)
	if len(got) != 2 || got[0] != dir || got[1] != db {
		t.Errorf("ExposedFiles = %v, want [%s %s]", got, dir, db)
	}
}
