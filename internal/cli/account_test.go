package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// herald account create checks the address by the sign-up rule: it used
// to accept addresses that sign-up refuses, such as one at a dotless host.
func TestAccountCreateChecksEmailAsSignUp(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[instance]\ndomain = %q\n[storage]\ndata_dir = \"data\"\n", "herald.test")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"root@intranet", "Root <root@example.org>"} {
		_, stderr, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "root",
			"--email", email, "--password", "long enough password", "--role", "owner")
		if code != 1 || !strings.Contains(stderr, "Email is invalid") {
			t.Errorf("account create with %q: exit %d, %s", email, code, stderr)
		}
	}
	stdout, stderr, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "root",
		"--email", "root@localhost", "--password", "long enough password", "--role", "owner")
	if code != 0 || !strings.Contains(stdout, "@root") {
		t.Errorf("account create with root@localhost: exit %d, %s %s", code, stdout, stderr)
	}
}

// herald account disable-2fa names an unknown account, and says so when the
// user has no second factor to turn off (the console's test turns one off).
func TestAccountDisable2FA(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[instance]\ndomain = %q\n[storage]\ndata_dir = \"data\"\n", "herald.test")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "root",
		"--email", "root@localhost", "--password", "long enough password", "--role", "owner"); code != 0 {
		t.Fatalf("account create: exit %d", code)
	}
	if _, stderr, code := run(t, dir, nil, "account", "disable-2fa", "--config", cfg, "--username", "nobody"); code != 1 || !strings.Contains(stderr, "nobody") {
		t.Errorf("unknown account: exit %d, %s", code, stderr)
	}
	if _, stderr, code := run(t, dir, nil, "account", "disable-2fa", "--config", cfg, "--username", "root"); code != 1 || !strings.Contains(stderr, "not enabled") {
		t.Errorf("no second factor: exit %d, %s", code, stderr)
	}
	if _, _, code := run(t, dir, nil, "account", "disable-2fa", "--config", cfg); code != 2 {
		t.Errorf("no --username: exit %d, want 2", code)
	}
}
