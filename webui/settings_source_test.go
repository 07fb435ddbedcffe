package webui_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// A setting the operator pinned in the config file is shown read-only in
// the console with where it comes from; the console's form still saves
// the other settings; the admin API refuses to change it; nodeinfo, like
// the client API, shows the effective values.
func TestConsoleShowsPinnedSettings(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Registration.Mode = "closed"
		c.Sources = map[string]string{"registration.mode": "config file /etc/herald/config.toml"}
	})
	ts.CreateUser(t, "boss", "owner")
	b := newBrowser(t, ts)
	b.signIn("boss")
	_, body := b.do("GET", "/admin/settings", nil)
	if !strings.Contains(body, `name="registrations_mode" disabled`) || !strings.Contains(body, "Set in the config file /etc/herald/config.toml") {
		t.Fatalf("the pinned registration mode is not shown read-only with its source:\n%s", body)
	}
	// The browser does not send a disabled field.
	if code, body := b.do("POST", "/admin/settings", url.Values{"title": {"City Hall"}, "short_description": {"Official"}}); code >= 400 {
		t.Fatalf("saving the console's form with a pinned field: %d %s", code, body)
	}
	tok := ts.Token(t, "boss", "read write admin:read admin:write")
	var s struct {
		Title  string            `json:"title"`
		Mode   string            `json:"registrations_mode"`
		Pinned map[string]string `json:"pinned"`
	}
	ts.JSON(t, "GET", "/api/v1/admin/settings", tok, nil, 200, &s)
	if s.Title != "City Hall" || s.Mode != "closed" || s.Pinned["registrations_mode"] == "" {
		t.Fatalf("settings after the form: %+v", s)
	}
	ts.JSON(t, "PUT", "/api/v1/admin/settings", tok, map[string]any{"registrations_mode": "open"}, 422, nil)
	var nodeinfo struct {
		OpenRegistrations bool           `json:"openRegistrations"`
		Metadata          map[string]any `json:"metadata"`
	}
	ts.JSON(t, "GET", "/nodeinfo/2.0", "", nil, 200, &nodeinfo)
	if nodeinfo.OpenRegistrations || nodeinfo.Metadata["nodeName"] != "City Hall" {
		t.Fatalf("nodeinfo does not show the effective settings: %+v", nodeinfo)
	}
}

// A refused form is shown again on its page with the error above it and
// what was typed kept: an already blocked domain (once a 500), an invalid
// domain, a too long setting. The config's domain blocks are listed too.
func TestRefusedFormsKeepTheirInput(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Federation.BlockedDomains = []string{"from-config.example"}
		c.Sources = map[string]string{"federation.blocked_domains": "config file herald.toml"}
	})
	ts.CreateUser(t, "boss", "owner")
	b := newBrowser(t, ts)
	b.signIn("boss")
	_, body := b.do("GET", "/admin/federation", nil)
	if !strings.Contains(body, "from-config.example") || !strings.Contains(body, "Set in the config file herald.toml") {
		t.Fatalf("the config's domain block is not listed with its source")
	}
	block := url.Values{"domain": {"spam.example"}, "severity": {"silence"}, "private_comment": {"ticket 4711"}, "reject_media": {"1"}}
	if code, _ := b.do("POST", "/admin/federation/block", block); code >= 400 {
		t.Fatalf("first block: %d", code)
	}
	block.Set("private_comment", "second try")
	code, body := b.do("POST", "/admin/federation/block", block)
	if code != 422 || !strings.Contains(body, "spam.example is already blocked") || !strings.Contains(body, `value="second try"`) ||
		!strings.Contains(body, `<option value="silence" selected>`) || !strings.Contains(body, `name="reject_media" value="1" checked`) {
		t.Fatalf("blocking an already blocked domain: %d\n%s", code, body)
	}
	code, body = b.do("POST", "/admin/federation/block", url.Values{"domain": {"not a domain!"}, "public_comment": {"kept"}})
	if code != 422 || !strings.Contains(body, "not a valid domain") || !strings.Contains(body, `value="not a domain!"`) ||
		!strings.Contains(body, `action="/admin/federation/block"`) {
		t.Fatalf("an invalid domain: %d\n%s", code, body)
	}
	code, body = b.do("POST", "/admin/blocks/ip", url.Values{"ip": {"not-an-ip"}, "comment": {"from the SOC"}, "severity": {"no_access"}})
	if code != 422 || !strings.Contains(body, `value="from the SOC"`) || !strings.Contains(body, `<option value="no_access" selected>`) {
		t.Fatalf("an invalid address rule: %d\n%s", code, body)
	}
	code, body = b.do("POST", "/admin/rules/create", url.Values{"text": {strings.Repeat("r", 1001)}, "hint": {"why we have it"}})
	if code != 422 || !strings.Contains(body, `>why we have it</textarea>`) || !strings.Contains(body, "too long") {
		t.Fatalf("a too long rule: %d\n%s", code, body)
	}
	long := strings.Repeat("x", 300)
	code, body = b.do("POST", "/admin/settings", url.Values{"title": {long}, "description": {"Our about text"}, "registrations_mode": {"invite"}})
	if code != 422 || !strings.Contains(body, "too long") || !strings.Contains(body, "Our about text</textarea>") ||
		!strings.Contains(body, `<option value="invite" selected>`) {
		t.Fatalf("a too long title: %d\n%s", code, body)
	}
}

// The about page and the legal pages render the admins' Markdown
// (headings, lists, links), sanitised.
func TestSitePagesRenderMarkdown(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "owner")
	tok := ts.Token(t, "boss", "read write admin:read admin:write")
	ts.JSON(t, "PUT", "/api/v1/admin/settings", tok, map[string]any{
		"description":      "## Who we are\n\nThe **city council**'s official server.",
		"terms_of_service": "# Terms\n\n- be kind\n- [report](https://city.example/report) abuse\n\n<script>alert(1)</script>",
	}, 200, nil)
	b := newBrowser(t, ts)
	_, about := b.do("GET", "/about", nil)
	if !strings.Contains(about, "<h2>Who we are</h2>") || !strings.Contains(about, "<strong>city council</strong>") {
		t.Fatalf("about page:\n%s", about)
	}
	_, terms := b.do("GET", "/terms", nil)
	if !strings.Contains(terms, "<h1>Terms</h1>") || !strings.Contains(terms, "<li>be kind</li>") ||
		!strings.Contains(terms, `<a href="https://city.example/report" rel="nofollow">report</a>`) || strings.Contains(terms, "<script>alert") {
		t.Fatalf("terms page:\n%s", terms)
	}
	var tos struct{ Content string }
	ts.JSON(t, "GET", "/api/v1/instance/terms_of_service", "", nil, 200, &tos)
	if !strings.Contains(tos.Content, "<h1>Terms</h1>") {
		t.Fatalf("API terms: %s", tos.Content)
	}
}

// An unknown address opened in a browser is a page of the site, not the
// API's JSON; the API's paths keep JSON errors.
func TestUnknownPathsInABrowser(t *testing.T) {
	ts := server.StartTest(t)
	get := func(path, accept string) (int, string, string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	if code, ct, body := get("/no/such/page", browser); code != 404 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "There is nothing at this address") {
		t.Fatalf("unknown page in a browser: %d %s\n%s", code, ct, body)
	}
	if code, ct, _ := get("/no/such/page", "application/json"); code != 404 || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("unknown page for a program: %d %s", code, ct)
	}
	if code, ct, _ := get("/api/v1/no_such_endpoint", browser); code != 404 || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("unknown API path in a browser: %d %s", code, ct)
	}
	if code, ct, _ := get("/favicon.ico", "image/*"); code != 200 || !strings.HasPrefix(ct, "image/") {
		t.Fatalf("favicon: %d %s", code, ct)
	}
}

// The console speaks words, not codes: the audit log, past actions and
// the role menus.
func TestConsoleLabels(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "owner")
	bob := ts.CreateUser(t, "bob", "user")
	tok := ts.Token(t, "boss", "read write admin:read admin:write")
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+strconv.FormatInt(bob.ID, 10)+"/action", tok, map[string]any{"type": "none", "text": "mind the rules"}, 200, nil)
	ts.JSON(t, "PUT", "/api/v1/admin/settings", tok, map[string]any{"title": "City Hall"}, 200, nil)
	b := newBrowser(t, ts)
	b.signIn("boss")
	_, audit := b.do("GET", "/admin/audit", nil)
	for _, want := range []string{"Warned account", "Changed instance settings", "instance settings"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
	for _, code := range []string{"none_account", "update_setting", "Form::AdminSettings"} {
		if strings.Contains(audit, code) {
			t.Errorf("audit log shows the code %q", code)
		}
	}
	_, account := b.do("GET", "/admin/accounts/"+strconv.FormatInt(bob.ID, 10), nil)
	if !strings.Contains(account, "Warning – mind the rules") || strings.Contains(account, "none – ") {
		t.Errorf("past actions do not say what they were")
	}
	if strings.Contains(account, `"></option>`) {
		t.Errorf("a role without a label in the role menu")
	}
}

// A moderator deletes a reported post from the report's page.
func TestConsoleDeletesAReportedPost(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "rita", "user")
	ts.CreateUser(t, "mod", "moderator")
	alice, _ := ts.Srv.Svc.LocalAccount(context.Background(), "alice")
	var st, keep struct{ ID string }
	atok := ts.Token(t, "alice", "write")
	ts.JSON(t, "POST", "/api/v1/statuses", atok, map[string]any{"status": "Jane Doe lives at 12 High St"}, 200, &st)
	ts.JSON(t, "POST", "/api/v1/statuses", atok, map[string]any{"status": "fine post"}, 200, &keep)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", ts.Token(t, "rita", "write"), map[string]any{"account_id": strconv.FormatInt(alice.ID, 10),
		"status_ids": []string{st.ID, keep.ID}, "comment": "personal data"}, 200, &rep)
	b := newBrowser(t, ts)
	b.signIn("mod")
	_, body := b.do("GET", "/admin/reports/"+rep.ID, nil)
	if !strings.Contains(body, `value="delete_statuses"`) || !strings.Contains(body, `name="status_ids" value="`+st.ID+`"`) {
		t.Fatalf("no post actions on the report page:\n%s", body)
	}
	if code, _ := b.do("POST", "/admin/reports/"+rep.ID+"/action", url.Values{"type": {"delete_statuses"}}); code != 422 {
		t.Fatalf("no post chosen: %d", code)
	}
	if code, body := b.do("POST", "/admin/reports/"+rep.ID+"/action", url.Values{"type": {"delete_statuses"}, "status_ids": {st.ID},
		"text": {"personal data of a resident"}}); code >= 400 {
		t.Fatalf("delete from the report: %d %s", code, body)
	}
	rtok := ts.Token(t, "alice", "read")
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, rtok, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/statuses/"+keep.ID, rtok, nil, 200, nil)
	var warnings []struct {
		Action string `json:"action"`
	}
	ts.JSON(t, "GET", "/api/v1/account_warnings", ts.Token(t, "alice", "read"), nil, 200, &warnings)
	if len(warnings) != 1 || warnings[0].Action != "delete_statuses" {
		t.Fatalf("alice's warnings: %+v", warnings)
	}
}
