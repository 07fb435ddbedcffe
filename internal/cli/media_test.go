package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mediapkg "github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/testutil"
)

func TestMediaPruneCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte("[storage]\ndata_dir = \"data\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"media", "prune", "--config", cfg, "--older-than", "30d"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "pruned cached remote media older than 720h0m0s") {
		t.Fatalf("output: %q", out.String())
	}
	out.Reset()
	if code := Main([]string{"media", "prune", "--config", cfg, "--older-than", "soon"}, &out, &errb); code != 2 {
		t.Fatalf("bad duration: exit %d", code)
	}
	if code := Main([]string{"media"}, &out, &errb); code != 2 {
		t.Fatalf("no subcommand: exit %d", code)
	}
}

// herald media migrate copies every file from the local directory to a
// bucket of a real S3 server and back to another directory, verified by
// listing; run again, it copies nothing.
func TestMediaMigrateCommand(t *testing.T) {
	s3 := testutil.StartS3(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	local := write("local.toml", "[storage]\ndata_dir = \"data\"\n")
	s3cfg := write("s3.toml", fmt.Sprintf("[storage]\ndata_dir = \"data\"\n[media]\nbackend = \"s3\"\n[media.s3]\n"+
		"endpoint = %q\nbucket = \"migrated\"\naccess_key = %q\nsecret_key = %q\nuse_tls = false\npath_style = true\ncreate_bucket = true\n",
		s3.Endpoint, s3.AccessKey, s3.SecretKey))
	back := write("back.toml", "[storage]\ndata_dir = \"data\"\n[media]\nstore_dir = \"media-back\"\n")

	src, err := mediapkg.NewLocalStore(filepath.Join(dir, "data", "media"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for i, name := range []string{"original.png", "small.webp", "clip.mp4"} {
		key := mediapkg.NewKey("attachments", name)
		files[key] = strings.Repeat(string(rune('a'+i)), 1000*(i+1))
		if _, err := src.Put(context.Background(), key, strings.NewReader(files[key])); err != nil {
			t.Fatal(err)
		}
	}

	run := func(from, to string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main([]string{"media", "migrate", "--from-config", from, "--to-config", to}, &out, &errb); code != 0 {
			t.Fatalf("migrate %s → %s: exit %d: %s%s", from, to, code, out.String(), errb.String())
		}
		return out.String()
	}
	if out := run(local, s3cfg); !strings.Contains(out, "3 files in the source: 3 copied (6000 bytes), 0 already there") ||
		!strings.Contains(out, `verified: all 3 files are in bucket "migrated"`) {
		t.Fatalf("to S3: %s", out)
	}
	if out := run(local, s3cfg); !strings.Contains(out, "3 files in the source: 0 copied (0 bytes), 3 already there") {
		t.Fatalf("again: %s", out)
	}
	if out := run(s3cfg, back); !strings.Contains(out, "3 copied") {
		t.Fatalf("back from S3: %s", out)
	}
	dst := &mediapkg.LocalStore{Root: filepath.Join(dir, "data", "media-back")}
	for key, body := range files {
		f, err := dst.Open(context.Background(), key)
		if err != nil {
			t.Fatalf("%s after the round trip: %v", key, err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if string(got) != body {
			t.Errorf("%s came back as %d bytes", key, len(got))
		}
	}

	var out, errb bytes.Buffer
	if code := Main([]string{"media", "migrate", "--from-config", local, "--to-config", local}, &out, &errb); code != 2 {
		t.Errorf("same store: exit %d", code)
	}
	if code := Main([]string{"media", "migrate", "--from-config", local}, &out, &errb); code != 2 {
		t.Errorf("no --to-config: exit %d", code)
	}
}
