package api_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// TestEmailConfirmationResend: POST /api/v1/emails/confirmations works
// for the token of a user awaiting confirmation (the middleware refused
// it with 403 before the handler ran), mails a new link, to a new address
// when one is given; only the app the user signed up with may ask; a
// confirmed user gets Mastodon's 403. Mastodon.py signs up and asks too.
func TestEmailConfirmationResend(t *testing.T) {
	mb := startMailbox(t)
	ts := server.StartTest(t, withMail(mb), func(c *config.Config) { c.Registration.Mode = "open" })
	appTok := appToken(t, ts, "read write")

	var tok tokenResp
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("newbie", "newbie@example.org", ""), 200, &tok)
	mb.Wait(t, "newbie@example.org", "Confirm your e-mail address")
	// Elsewhere the token is refused while unconfirmed, as Mastodon.
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 403, nil)
	ts.JSON(t, "POST", "/api/v1/emails/confirmations", tok.AccessToken, nil, 200, nil)
	m := mb.Wait(t, "newbie@example.org", "Confirm your e-mail address")
	if !strings.Contains(m.Body, "@newbie") {
		t.Fatalf("resent mail: %+v", m)
	}
	// A new address: the mail goes there.
	ts.JSON(t, "POST", "/api/v1/emails/confirmations", tok.AccessToken, map[string]any{"email": "fixed@example.org"}, 200, nil)
	m = mb.Wait(t, "fixed@example.org", "Confirm your e-mail address")
	ts.JSON(t, "POST", "/api/v1/emails/confirmations", tok.AccessToken, map[string]any{"email": "not an address"}, 422, nil)
	// Another app's token of the same user may not ask.
	other := ts.Token(t, "newbie", "read write")
	ts.JSON(t, "POST", "/api/v1/emails/confirmations", other, nil, 403, nil)

	link := linkRe.FindString(m.Body)
	if status, _, _ := ts.Do(t, "GET", strings.TrimPrefix(link, ts.URL), "", nil); status != 200 {
		t.Fatalf("confirm: %d", status)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)
	var e struct {
		Error string `json:"error"`
	}
	ts.JSON(t, "POST", "/api/v1/emails/confirmations", tok.AccessToken, nil, 403, &e)
	if e.Error != "This method is only available while the e-mail is awaiting confirmation" {
		t.Fatalf("confirmed user: %q", e.Error)
	}

	// Mastodon.py: create_account with its app, then email_resend_confirmation.
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
	script := `
import sys
from mastodon import Mastodon
base = sys.argv[1]
cid, secret = Mastodon.create_app("Mastodon.py signup", api_base_url=base, scopes=["read", "write"], request_timeout=15)
m = Mastodon(client_id=cid, client_secret=secret, api_base_url=base, version_check_mode="none", mastodon_version="4.3.0", request_timeout=15)
m.create_account("pyuser", "a long password", "pyuser@example.org", agreement=True, scopes=["read", "write"])
m.email_resend_confirmation()
print("ok")
`
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", script, ts.URL)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "ok") {
		t.Fatalf("Mastodon.py: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	mb.Wait(t, "pyuser@example.org", "Confirm your e-mail address") // the sign-up's
	mb.Wait(t, "pyuser@example.org", "Confirm your e-mail address") // the resent one
}

// TestCheckEmailConfirmation: GET /api/v1/emails/check_confirmation
// answers a bare boolean for the signed-in user, also while they await
// confirmation (the token is refused elsewhere then); it needs a
// read:accounts scope and a user (an app token gets Mastodon's 401). A
// changed address is awaiting confirmation again until its link is
// opened. masto.js asks it as an app polling after a sign-up does.
func TestCheckEmailConfirmation(t *testing.T) {
	mb := startMailbox(t)
	ts := server.StartTest(t, withMail(mb), func(c *config.Config) { c.Registration.Mode = "open" })
	appTok := appToken(t, ts, "read write")

	var tok tokenResp
	ts.JSON(t, "POST", "/api/v1/accounts", appTok, signUpForm("waiting", "waiting@example.org", ""), 200, &tok)
	m := mb.Wait(t, "waiting@example.org", "Confirm your e-mail address")
	var confirmed bool
	ts.JSON(t, "GET", "/api/v1/emails/check_confirmation", tok.AccessToken, nil, 200, &confirmed)
	if confirmed {
		t.Fatal("an unconfirmed user is answered true")
	}
	// The body is the bare JSON boolean, as Mastodon's render json: bool.
	if status, _, body := ts.Do(t, "GET", "/api/v1/emails/check_confirmation", tok.AccessToken, nil); status != 200 || strings.TrimSpace(string(body)) != "false" {
		t.Fatalf("body: %d %q", status, body)
	}
	ts.JSON(t, "GET", "/api/v1/emails/check_confirmation", "", nil, 401, nil)
	var e struct {
		Error string `json:"error"`
	}
	ts.JSON(t, "GET", "/api/v1/emails/check_confirmation", appTok, nil, 401, &e)
	if e.Error != "This method requires an authenticated user" {
		t.Fatalf("app token: %q", e.Error)
	}
	ts.JSON(t, "GET", "/api/v1/emails/check_confirmation", ts.Token(t, "waiting", "write"), nil, 403, nil)

	link := linkRe.FindString(m.Body)
	if status, _, _ := ts.Do(t, "GET", strings.TrimPrefix(link, ts.URL), "", nil); status != 200 {
		t.Fatalf("confirm: %d", status)
	}
	ts.JSON(t, "GET", "/api/v1/emails/check_confirmation", tok.AccessToken, nil, 200, &confirmed)
	if !confirmed {
		t.Fatal("a confirmed user is answered false")
	}

	var fromJS struct {
		Confirmed bool `json:"confirmed"`
	}
	mastoJS(t, `const v = await client.v1.emails.checkConfirmation.fetch();
console.log(JSON.stringify({ confirmed: v }));`, &fromJS, ts.URL, ts.Token(t, "waiting", "read:accounts"))
	if !fromJS.Confirmed {
		t.Fatalf("masto.js: %+v", fromJS)
	}
}
