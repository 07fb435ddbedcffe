package cli_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func writeServeConfig(t *testing.T, dir string, port int) string {
	t.Helper()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[instance]\ndomain = \"localhost:%d\"\nprotocol = \"http\"\n[server]\nlisten = \"127.0.0.1:%d\"\n[storage]\ndata_dir = \"data\"\n", port, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A config file that names a data directory that does not exist (a volume
// that failed to mount) does not bring up a new, empty instance; --init
// does, for a new instance.
func TestServeRefusesAMissingDataDir(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := writeServeConfig(t, dir, port)
	_, stderr, code := run(t, dir, nil, "serve", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "does not exist") || !strings.Contains(stderr, "--init") {
		t.Fatalf("serve with a missing data directory: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("the refused start created the data directory: %v", err)
	}
	startServe(t, dir, nil, fmt.Sprintf("http://localhost:%d", port), "--config", cfg, "--init")
	if _, err := os.Stat(filepath.Join(dir, "data", "herald.db")); err != nil {
		t.Fatalf("--init did not create the instance: %v", err)
	}
}

// A busy listen address fails the start before the data directory is
// touched.
func TestServeChecksTheAddressFirst(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := writeServeConfig(t, dir, ln.Addr().(*net.TCPAddr).Port)
	_, stderr, code := run(t, dir, nil, "serve", "--config", cfg, "--init")
	if code != 1 || !strings.Contains(stderr, "cannot listen on") {
		t.Fatalf("serve on a busy address: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("the failed start touched the data directory: %v", err)
	}
}

// --help answers on stdout with exit 0, for commands and subcommands; a bad
// flag is a usage error (exit 2) that points to --help.
func TestHelpExitsZero(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"account", "--help"}, {"account", "create", "--help"},
		{"token", "create", "-h"}, {"backup", "--help"}, {"invite", "create", "--help"},
	} {
		stdout, stderr, code := run(t, dir, nil, args...)
		if code != 0 || stdout == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	stdout, _, _ := run(t, dir, nil, "account", "create", "--help")
	if !strings.Contains(stdout, "-password-file") {
		t.Errorf("account create --help does not list --password-file: %s", stdout)
	}
	stdout, _, _ = run(t, dir, nil, "serve", "--help")
	if !strings.Contains(stdout, "-init") {
		t.Errorf("serve --help does not list --init: %s", stdout)
	}
	_, stderr, code := run(t, dir, nil, "account", "create", "--frobnicate")
	if code != 2 || !strings.Contains(stderr, "--help") {
		t.Errorf("bad flag: exit %d, %q", code, stderr)
	}
}

// On a terminal, account create asks for the password twice, without
// echo. util-linux's script(1) gives the command a real terminal; each
// answer is typed once its prompt is shown, as a person would.
func TestPasswordPrompt(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is not installed")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[storage]\ndata_dir = \"data\"\n"), 0o600)
	out := onTerminal(t, dir, herald+" account create --config "+cfg+" --username prompted --email p@example.org",
		"Password (empty: generate one):", "typed at the prompt", "Repeat the password:", "typed at the prompt")
	if !strings.Contains(out, "created @prompted") {
		t.Fatalf("no account: %q", out)
	}
	if strings.Contains(out, "typed at the prompt") || regexp.MustCompile(`(?m)^password: `).MatchString(out) {
		t.Fatalf("the password was echoed or printed: %q", out)
	}
	out = onTerminal(t, dir, herald+" account set-password --config "+cfg+" --username prompted",
		"Password (empty: generate one):", "one long password", "Repeat the password:", "another long password")
	if !strings.Contains(out, "the two passwords differ") {
		t.Fatalf("differing answers accepted: %q", out)
	}
	// An empty answer generates a password, printed once.
	out = onTerminal(t, dir, herald+" account set-password --config "+cfg+" --username prompted",
		"Password (empty: generate one):", "")
	if !regexp.MustCompile(`(?m)^password: \S+`).MatchString(out) {
		t.Fatalf("an empty answer did not generate a password: %q", out)
	}
}

// onTerminal runs command on a terminal and, for each (prompt, answer)
// pair, waits for the prompt and types the answer. It returns all output.
func onTerminal(t *testing.T, dir, command string, dialogue ...string) string {
	t.Helper()
	cmd := exec.Command("script", "-qec", command, "/dev/null")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stuck := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() }) // a missing prompt fails, not hangs
	defer stuck.Stop()
	var seen strings.Builder
	buf := make([]byte, 4096)
	for i := 0; i+1 < len(dialogue); i += 2 {
		for !strings.Contains(seen.String(), dialogue[i]) {
			n, err := stdout.Read(buf)
			seen.Write(buf[:n])
			if err != nil {
				t.Fatalf("no prompt %q: %v: %q", dialogue[i], err, seen.String())
			}
		}
		rest := seen.String()[strings.Index(seen.String(), dialogue[i])+len(dialogue[i]):]
		seen.Reset()
		seen.WriteString(rest)
		io.WriteString(stdin, dialogue[i+1]+"\n")
	}
	all, _ := io.ReadAll(stdout)
	cmd.Wait()
	return seen.String() + string(all)
}
