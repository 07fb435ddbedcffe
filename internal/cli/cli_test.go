package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/testutil"
)

// herald is the binary built once for these tests: the CLI is tested as a
// person runs it, including while the server runs.
var herald string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herald-cli-test")
	if err != nil {
		panic(err)
	}
	herald = filepath.Join(dir, "herald")
	build := exec.Command("go", "build", "-o", herald, "../..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func run(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(herald, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// runWithInput is run with input on standard input.
func runWithInput(t *testing.T, dir, input string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(herald, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// startServe runs `herald serve` and waits for the instance endpoint.
func startServe(t *testing.T, dir string, env []string, base string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(herald, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	defer func() {
		if t.Failed() {
			t.Logf("server output: %s", out.String())
		}
	}()
	testutil.Eventually(t, 20*time.Second, "the server ready", func() bool {
		resp, err := http.Get(base + "/api/v1/instance")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return cmd, &out
}

func lastLine(s string) string {
	var last string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			last = l
		}
	}
	return last
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// webSignIn signs a browser (a cookie jar that does not follow redirects)
// in through the web form.
func webSignIn(t *testing.T, base, login, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/auth/sign_in")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no sign-in form: %s", b)
	}
	resp, err = c.PostForm(base+"/auth/sign_in", url.Values{"authenticity_token": {string(m[1])}, "username": {login}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	return c
}

// webPage returns the status of a GET by a browser.
func webPage(t *testing.T, c *http.Client, u string) int {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestCommandsWhileServing(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`[instance]
domain = "localhost:%d"
protocol = "http"
[server]
listen = "127.0.0.1:%d"
[storage]
data_dir = "data"
`, port, port)), 0o600)
	base := fmt.Sprintf("http://localhost:%d", port)
	srv, out := startServe(t, dir, nil, base, "--config", cfg, "--init")
	if !strings.Contains(out.String(), herald+" account create --config "+cfg) {
		t.Errorf("serve on an empty instance does not say how to create the owner with this binary: %s", out)
	}

	stdout, stderr, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "Admin",
		"--email", "admin@example.org", "--password", "long enough password", "--role", "owner")
	if code != 0 || !strings.Contains(stdout, "@admin") {
		t.Fatalf("account create: %d %s %s", code, stdout, stderr)
	}
	if _, _, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "admin",
		"--email", "other@example.org", "--password", "long enough password"); code != 1 {
		t.Fatalf("duplicate username (any case) accepted: exit %d", code)
	}
	if _, _, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "bad name!",
		"--email", "x@example.org", "--password", "long enough password"); code != 1 {
		t.Fatalf("invalid username accepted: exit %d", code)
	}
	if _, _, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "x"); code != 2 {
		t.Fatalf("missing flags: exit %d, want 2", code)
	}

	stdout, _, code = run(t, dir, nil, "token", "create", "--config", cfg, "--username", "admin", "--scopes", "read write follow push")
	if code != 0 {
		t.Fatalf("token create: %d", code)
	}
	token := lastLine(stdout)
	status, me := get(t, base+"/api/v1/accounts/verify_credentials", token)
	if status != 200 || me["username"] != "admin" {
		t.Fatalf("token from the CLI: %d %v", status, me)
	}
	if role, _ := me["role"].(map[string]any); role["name"] != "Owner" {
		t.Fatalf("role %v", me["role"])
	}

	stdout, _, code = run(t, dir, nil, "account", "set-role", "--config", cfg, "--username", "admin", "--role", "moderator")
	if code != 0 {
		t.Fatalf("set-role: %d %s", code, stdout)
	}
	_, me = get(t, base+"/api/v1/accounts/verify_credentials", token)
	if role, _ := me["role"].(map[string]any); role["name"] != "Moderator" {
		t.Fatalf("role after set-role: %v", me["role"])
	}
	if _, _, code := run(t, dir, nil, "account", "set-role", "--config", cfg, "--username", "admin", "--role", "emperor"); code != 1 {
		t.Fatalf("invalid role accepted")
	}

	stdout, _, code = run(t, dir, nil, "account", "list", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "admin@example.org") || !strings.Contains(stdout, "moderator") {
		t.Fatalf("account list: %d %s", code, stdout)
	}

	// A new password revokes the tokens and signs every browser out at once.
	browser := webSignIn(t, base, "admin", "long enough password")
	if st := webPage(t, browser, base+"/settings/account"); st != 200 {
		t.Fatalf("settings page of a signed-in browser: %d", st)
	}
	if _, _, code := run(t, dir, nil, "account", "set-password", "--config", cfg, "--username", "admin", "--password", "another long password"); code != 0 {
		t.Fatal("set-password failed")
	}
	if status, _ := get(t, base+"/api/v1/accounts/verify_credentials", token); status != 401 {
		t.Fatalf("token survived a password change: %d", status)
	}
	if st := webPage(t, browser, base+"/settings/account"); st != 303 {
		t.Fatalf("a browser session survived set-password: %d", st)
	}

	stdout, _, _ = run(t, dir, nil, "version")
	if !strings.HasPrefix(stdout, "herald ") {
		t.Fatalf("version: %q", stdout)
	}

	// Passwords need not be on the command line: from a file, from
	// standard input, or generated and printed once.
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("password from a file\n"), 0o600)
	if _, stderr, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "filed",
		"--email", "filed@example.org", "--password-file", pwFile); code != 0 {
		t.Fatalf("--password-file: exit %d %s", code, stderr)
	}
	webSignIn(t, base, "filed", "password from a file")
	if _, stderr, code := runWithInput(t, dir, "password from stdin\n", "account", "set-password", "--config", cfg,
		"--username", "filed", "--password-file", "-"); code != 0 {
		t.Fatalf("--password-file -: exit %d %s", code, stderr)
	}
	webSignIn(t, base, "filed", "password from stdin")
	stdout, stderr, code = run(t, dir, nil, "account", "create", "--config", cfg, "--username", "generated", "--email", "gen@example.org")
	generated := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(stdout)
	if code != 0 || generated == nil {
		t.Fatalf("account create without a password: exit %d, no generated password printed: %s %s", code, stdout, stderr)
	}
	webSignIn(t, base, "generated", generated[1])
	if _, stderr, code := run(t, dir, nil, "account", "create", "--config", cfg, "--username", "both", "--email", "b@example.org",
		"--password", "long enough password", "--password-file", pwFile); code != 2 || !strings.Contains(stderr, "not both") {
		t.Fatalf("--password with --password-file: exit %d %s", code, stderr)
	}

	// What was not found is named.
	for _, args := range [][]string{
		{"account", "set-password", "--config", cfg, "--username", "nobody", "--password", "long enough password"},
		{"account", "set-role", "--config", cfg, "--username", "nobody", "--role", "user"},
		{"token", "create", "--config", cfg, "--username", "nobody"},
	} {
		if _, stderr, code := run(t, dir, nil, args...); code != 1 || !strings.Contains(stderr, "no account named nobody") {
			t.Errorf("%v: exit %d, %q", args[:2], code, stderr)
		}
	}

	// SIGTERM stops the server cleanly, and says so.
	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v: %s", err, out)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if !strings.Contains(out.String(), `msg="herald stopping"`) || !strings.Contains(out.String(), `msg="herald stopped"`) {
		t.Errorf("no stopping/stopped lines in the log: %s", out)
	}
}

// Without a config, serve runs on the embedded defaults (data in
// ./herald-data); the environment overrides config keys.
func TestServeDefaultsAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	env := []string{fmt.Sprintf("HERALD_SERVER_LISTEN=127.0.0.1:%d", port), fmt.Sprintf("HERALD_INSTANCE_DOMAIN=localhost:%d", port),
		"HERALD_INSTANCE_TITLE=Env Title"}
	startServe(t, dir, env, fmt.Sprintf("http://localhost:%d", port))
	if _, err := os.Stat(filepath.Join(dir, "herald-data", "herald.db")); err != nil {
		t.Fatalf("no database under ./herald-data: %v", err)
	}
	resp, err := http.Get(fmt.Sprintf("http://localhost:%d/api/v2/instance", port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inst map[string]any
	json.NewDecoder(resp.Body).Decode(&inst)
	if inst["title"] != "Env Title" {
		t.Fatalf("title %v", inst["title"])
	}
}

func TestBadConfigExits(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.toml")
	os.WriteFile(cfg, []byte("[registration]\nmode = \"whenever\"\n"), 0o600)
	_, stderr, code := run(t, dir, nil, "serve", "--config", cfg)
	if code != 1 || !strings.Contains(stderr, "registration.mode") {
		t.Fatalf("bad config: exit %d, %s", code, stderr)
	}
	if _, _, code := run(t, dir, nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown command: exit %d", code)
	}
}
