package webui

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The pages' scripts parse: a script with a syntax error silently turns
// off every behaviour it holds (copy buttons, confirmations, counters).
// Node checks the syntax when it is installed (CI installs it for the
// browser tests); without it the test is skipped, except in CI.
func TestStaticScriptsParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed: CI needs it for the browser tests")
		}
		t.Skip("node is not installed")
	}
	files, err := filepath.Glob(filepath.Join("static", "*.js"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in static/: %v", err)
	}
	for _, f := range files {
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf("%s does not parse: %v\n%s", f, err, out)
		}
	}
}
