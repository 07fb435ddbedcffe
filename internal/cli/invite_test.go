package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func postForm(t *testing.T, u, token string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, bytes.NewBufferString(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// An admin makes an invite with the CLI while the server runs, and a new
// user joins with it through POST /api/v1/accounts; a fresh instance
// refuses public sign-up.
func TestInviteCreateWhileServing(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[instance]\ndomain = \"localhost:%d\"\nprotocol = \"http\"\n[server]\nlisten = \"127.0.0.1:%d\"\n[storage]\ndata_dir = \"data\"\n", port, port)), 0o600)
	base := fmt.Sprintf("http://localhost:%d", port)
	startServe(t, dir, nil, base, "--config", cfg, "--init")

	// An app and its token.
	status, app := postForm(t, base+"/api/v1/apps", "", url.Values{"client_name": {"signup"}, "redirect_uris": {"urn:ietf:wg:oauth:2.0:oob"}, "scopes": {"read write"}})
	if status != 200 {
		t.Fatalf("app: %d %v", status, app)
	}
	status, tok := postForm(t, base+"/oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {app["client_id"].(string)},
		"client_secret": {app["client_secret"].(string)}, "scope": {"read write"}})
	if status != 200 {
		t.Fatalf("app token: %d %v", status, tok)
	}
	appTok := tok["access_token"].(string)
	signUp := url.Values{"username": {"newcomer"}, "email": {"newcomer@example.org"}, "password": {"a long password"}, "agreement": {"true"}}
	if status, body := postForm(t, base+"/api/v1/accounts", appTok, signUp); status != 403 {
		t.Fatalf("a fresh instance accepts sign-ups: %d %v", status, body)
	}

	if _, _, code := run(t, dir, nil, "invite", "create", "--config", cfg, "--expires-in", "soon"); code != 2 {
		t.Fatalf("bad --expires-in: exit %d, want 2", code)
	}
	if _, _, code := run(t, dir, nil, "invite", "create", "--config", cfg, "--role", "emperor"); code != 1 {
		t.Fatalf("unknown role: exit %d, want 1", code)
	}
	stdout, stderr, code := run(t, dir, nil, "invite", "create", "--config", cfg, "--max-uses", "1", "--expires-in", "7d",
		"--role", "moderator", "--comment", "new press officer")
	if code != 0 {
		t.Fatalf("invite create: %d %s %s", code, stdout, stderr)
	}
	code1 := lastLine(stdout)
	if !strings.Contains(stdout, base+"/invite/"+code1) || len(code1) < 8 {
		t.Fatalf("invite create output: %q", stdout)
	}
	signUp.Set("invite_code", code1)
	status, tok = postForm(t, base+"/api/v1/accounts", appTok, signUp)
	if status != 200 || tok["access_token"] == nil {
		t.Fatalf("sign-up with the invite: %d %v", status, tok)
	}
	st, me := get(t, base+"/api/v1/accounts/verify_credentials", tok["access_token"].(string))
	if role, _ := me["role"].(map[string]any); st != 200 || me["username"] != "newcomer" || role["name"] != "Moderator" {
		t.Fatalf("the invited user: %d %v", st, me)
	}
	// Used up.
	signUp.Set("username", "second")
	signUp.Set("email", "second@example.org")
	if status, body := postForm(t, base+"/api/v1/accounts", appTok, signUp); status != 403 {
		t.Fatalf("a used-up invite was accepted: %d %v", status, body)
	}
}
