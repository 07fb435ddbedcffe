package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runMastoJS runs an ES module with masto.js (argv: the clients'
// directory, then args) and decodes the last line it prints into out; it
// skips the test when node or masto.js is missing.
func runMastoJS(t *testing.T, script string, out any, args ...string) {
	t.Helper()
	dir := os.Getenv("HERALD_CLIENTS_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "herald-clients")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "masto")); err != nil {
		t.Skip("masto.js is not installed (see the clients' install.sh)")
	}
	file := filepath.Join(t.TempDir(), "script.mjs")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	runClient(t, exec.Command(node, append([]string{file, dir}, args...)...), out)
}

// runMastodonPy runs a Python script with Mastodon.py (argv: args) and
// decodes the last line it prints into out; it skips the test when
// Mastodon.py is missing.
func runMastodonPy(t *testing.T, script string, out any, args ...string) {
	t.Helper()
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import mastodon").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 with the mastodon module is not installed")
	}
	runClient(t, exec.Command(py, append([]string{"-c", script}, args...)...), out)
}

func runClient(t *testing.T, cmd *exec.Cmd, out any) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", filepath.Base(cmd.Path), err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
}
