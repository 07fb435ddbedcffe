package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/testutil"
)

// TestSecretsStayOutOfLogs runs the server with debug logging through the
// flows that handle secrets — the CLI, a web sign-in (also a failed one),
// the OAuth code, password and client-credentials grants, API calls with
// the token in the header and in the query string, revocation, signed
// inbox traffic and signed deliveries — and checks that the log never
// carries a password, a token, a client secret, an authorisation code, a
// session or CSRF cookie, or a private key.
func TestSecretsStayOutOfLogs(t *testing.T) {
	remote := newFakeFediverse(t)
	dir := t.TempDir()
	port := freePort(t)
	cfgPath := writeTestConfig(t, dir, port, "[log]\nlevel = \"debug\"\n")
	h := &heraldProc{t: t, dir: dir, cfg: cfgPath, base: fmt.Sprintf("http://localhost:%d", port)}
	const password = "Sup3r-Secret-Passw0rd-xyzzy"
	var secrets []string
	secrets = append(secrets, password)
	stdout, stderr, code := run(t, dir, nil, "account", "create", "--config", cfgPath, "--username", "alice",
		"--email", "alice@example.org", "--password", password)
	if code != 0 {
		t.Fatal(stderr)
	}
	cliLog := stdout + stderr
	stdout, stderr, _ = run(t, dir, nil, "token", "create", "--config", cfgPath, "--username", "alice")
	cliToken := lastLine(stdout)
	secrets = append(secrets, cliToken)
	cliLog += stderr // stdout carries the token on purpose

	h.start()
	t.Cleanup(func() {
		if h.cmd.ProcessState == nil {
			h.kill()
		}
	})
	h.waitReady()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := func(path string) string {
		resp, err := browser.Get(h.base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no CSRF token on %s: %s", path, b)
		}
		return string(m[1])
	}
	post := func(path string, form url.Values) *http.Response {
		resp, err := browser.PostForm(h.base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// A failed sign-in (the wrong password is a secret too), then a good one.
	tok := csrf("/auth/sign_in")
	secrets = append(secrets, tok)
	wrong := "Wrong-But-Secret-Passw0rd-plugh"
	secrets = append(secrets, wrong)
	if r := post("/auth/sign_in", url.Values{"authenticity_token": {tok}, "username": {"alice"}, "password": {wrong}}); r.StatusCode != 401 {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}
	if r := post("/auth/sign_in", url.Values{"authenticity_token": {tok}, "username": {"alice"}, "password": {password}}); r.StatusCode != 303 {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	base, _ := url.Parse(h.base)
	for _, c := range jar.Cookies(base) {
		secrets = append(secrets, c.Value)
	}

	// OAuth: an app, the code flow through the consent page, the password
	// and client-credentials grants.
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if s := h.api("POST", "/api/v1/apps", "", map[string]any{"client_name": "probe", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}, &app); s != 200 {
		t.Fatalf("create app: %d", s)
	}
	secrets = append(secrets, app.ClientSecret)
	q := url.Values{"client_id": {app.ClientID}, "redirect_uri": {"urn:ietf:wg:oauth:2.0:oob"}, "response_type": {"code"}, "scope": {"read write"}}
	tok = csrf("/oauth/authorize?" + q.Encode())
	form := url.Values{"authenticity_token": {tok}, "decision": {"approve"}}
	for k, v := range q {
		form[k] = v
	}
	r := post("/oauth/authorize", form)
	loc, _ := url.Parse(r.Header.Get("Location"))
	authCode := ""
	if loc != nil {
		authCode = loc.Query().Get("code")
	}
	if authCode == "" {
		t.Fatalf("no code after consent: %d %v", r.StatusCode, r.Header)
	}
	secrets = append(secrets, authCode)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if s := h.api("POST", "/oauth/token", "", map[string]any{"grant_type": "authorization_code", "code": authCode, "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}, &tr); s != 200 {
		t.Fatalf("code exchange: %d", s)
	}
	secrets = append(secrets, tr.AccessToken)
	codeToken := tr.AccessToken
	if s := h.api("POST", "/oauth/token", "", map[string]any{"grant_type": "password", "username": "alice", "password": password,
		"client_id": app.ClientID, "client_secret": app.ClientSecret, "scope": "read write"}, &tr); s != 200 {
		t.Fatalf("password grant: %d", s)
	}
	secrets = append(secrets, tr.AccessToken)
	pwToken := tr.AccessToken
	h.api("POST", "/oauth/token", "", map[string]any{"grant_type": "password", "username": "alice", "password": wrong,
		"client_id": app.ClientID, "client_secret": app.ClientSecret}, nil)
	h.api("POST", "/oauth/token", "", map[string]any{"grant_type": "client_credentials", "client_id": app.ClientID, "client_secret": app.ClientSecret + "x"}, nil)
	if s := h.api("POST", "/oauth/token", "", map[string]any{"grant_type": "client_credentials", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "scope": "read"}, &tr); s != 200 {
		t.Fatalf("client credentials: %d", s)
	}
	secrets = append(secrets, tr.AccessToken)

	// API calls: header, query string, a bad token, a post and an error.
	h.api("GET", "/api/v1/accounts/verify_credentials", codeToken, nil, nil)
	h.api("GET", "/api/v1/accounts/verify_credentials?access_token="+url.QueryEscape(pwToken), "", nil, nil)
	h.api("GET", "/api/v1/timelines/home", cliToken+"tampered", nil, nil)
	var me struct {
		ID string `json:"id"`
	}
	h.api("GET", "/api/v1/accounts/verify_credentials", cliToken, nil, &me)
	h.api("POST", "/api/v1/statuses", cliToken, map[string]any{"status": "hello fediverse"}, nil)

	// Federation: a remote follower (signed Follow, signed Accept back, a
	// signed delivery of the next post), and a forged activity.
	remote.PrefetchKeys(h.base + "/users/alice")
	if s := remote.Send(h.base+"/users/alice/inbox", "bob", follow(remote.URL+"/follows/1", remote.Actor("bob"), h.base+"/users/alice")); s != 202 {
		t.Fatalf("signed follow: %d", s)
	}
	testutil.Eventually(t, 20*time.Second, "the Accept", func() bool { return len(remote.Received()) > 0 })
	h.api("POST", "/api/v1/statuses", cliToken, map[string]any{"status": "to my followers"}, nil)
	testutil.Eventually(t, 20*time.Second, "the delivery of the post", func() bool { return len(remote.Received()) > 1 })
	req, _ := http.NewRequest("POST", h.base+"/inbox", strings.NewReader(`{"type":"Delete","actor":"`+remote.Actor("mallory")+`","object":"x","id":"`+remote.URL+`/d/1"}`))
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Signature", `keyId="`+remote.Actor("mallory")+`#main-key",headers="(request-target) host date",signature="AAAA"`)
	if resp, err := httpClient.Do(req); err == nil {
		resp.Body.Close()
	}
	// Revocation.
	h.api("POST", "/oauth/revoke", "", map[string]any{"client_id": app.ClientID, "client_secret": app.ClientSecret, "token": codeToken}, nil)
	h.stop()

	// Private keys: the remote's, and every PEM in the database.
	remotePEM, _ := httpsig.EncodePrivateKeyPEM(remote.key)
	secrets = append(secrets, pemBody(remotePEM)...)
	db := openDB(t, filepath.Join(dir, "data", "herald.db"))
	rows, err := db.Query("SELECT private_key_pem FROM accounts WHERE private_key_pem IS NOT NULL AND private_key_pem != ''")
	if err == nil {
		for rows.Next() {
			var pem string
			rows.Scan(&pem)
			secrets = append(secrets, pemBody(pem)...)
		}
		rows.Close()
	} else {
		t.Logf("no private keys read from accounts: %v", err)
	}
	db.Close()

	logs := h.log.String() + cliLog
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("debug logging is not on; the test proves nothing: %.500s", logs)
	}
	for _, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("secret %q too short to be meaningful", s)
		}
		if strings.Contains(logs, s) || strings.Contains(logs, url.QueryEscape(s)) {
			t.Errorf("the log carries a secret (%.6s…)", s)
		}
	}
	if strings.Contains(logs, "PRIVATE KEY") {
		t.Error("the log carries a private key")
	}
	t.Logf("%d secrets checked against %d bytes of debug log", len(secrets), len(logs))
	if testing.Verbose() {
		t.Log(logs)
	}
	_ = json.Valid
	_ = os.Getpid
}

// pemBody returns a few lines from the middle of a PEM block: enough to
// recognise the key in a log, whatever the line wrapping around them.
func pemBody(pem string) []string {
	var lines []string
	for _, l := range strings.Split(pem, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 4 {
		return lines
	}
	return []string{lines[1], lines[len(lines)/2], lines[len(lines)-2]}
}

// TestConfigReadableByOthersWarns: a config readable by other users gets
// a warning (it may hold the SMTP password); a private one does not.
func TestConfigReadableByOthersWarns(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, freePort(t), "")
	if _, stderr, code := run(t, dir, nil, "account", "list", "--config", cfg); code != 0 || strings.Contains(stderr, "readable") {
		t.Fatalf("mode 0600: exit %d, %q", code, stderr)
	}
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, dir, nil, "account", "list", "--config", cfg); code != 0 || !strings.Contains(stderr, "readable by other users") {
		t.Fatalf("mode 0644: exit %d, no warning: %q", code, stderr)
	}
}
