package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
