package webui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// A user whose post a moderator removed sees the notification, the strike
// with the post's text and the rule broken, and appeals from the page; an
// admin sees the appeal in the console and rejects it; the user sees the
// decision. A moderator sees a new report in their notifications.
func TestStrikesPageAndAppeal(t *testing.T) {
	ts := server.StartTest(t)
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "boss", "admin")
	trollTok := ts.Token(t, "troll", "read write")
	aliceTok := ts.Token(t, "alice", "read write")
	bossTok := ts.Token(t, "boss", "read write admin:read admin:write")

	var rule struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/rules", bossTok, map[string]any{"text": "No insults"}, 200, &rule)
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"you are all idiots"}}, 200, &st)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", aliceTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "status_ids": []string{st.ID},
		"rule_ids": []string{rule.ID}, "comment": "insulting"}, 200, &rep)

	boss := newBrowser(t, ts)
	boss.signIn("boss")
	if code, body := boss.do("GET", "/notifications", nil); code != 200 || !strings.Contains(body, "filed a report on @troll") ||
		!strings.Contains(body, "/admin/reports/"+rep.ID) {
		t.Fatalf("moderator notifications: %d %s", code, body)
	}

	ts.JSON(t, "POST", "/api/v1/admin/status_actions", bossTok, map[string]any{"type": "delete", "report_id": rep.ID,
		"text": "Insults are not allowed here."}, 200, nil)

	user := newBrowser(t, ts)
	user.signIn("troll")
	if code, body := user.do("GET", "/notifications", nil); code != 200 || !strings.Contains(body, "some of your posts were removed") ||
		!strings.Contains(body, "/settings/strikes") {
		t.Fatalf("user notifications: %d %s", code, body)
	}
	code, body := user.do("GET", "/settings/strikes", nil)
	for _, want := range []string{"Some of your posts were removed", "Insults are not allowed here.", "you are all idiots", "No insults", "Appeal this decision"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("strikes page lacks %q: %d %s", want, code, body)
		}
	}
	var ws []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/account_warnings", trollTok, nil, 200, &ws)
	if code, body := user.do("POST", "/settings/strikes/"+ws[0].ID+"/appeal", url.Values{"text": {"It was a joke."}}); code != 200 ||
		!strings.Contains(body, "Pending") || !strings.Contains(body, "It was a joke.") {
		t.Fatalf("appeal: %d %s", code, body)
	}
	// Someone else's strike cannot be appealed.
	other := newBrowser(t, ts)
	other.signIn("alice")
	other.do("GET", "/settings/profile", nil) // a page with a form: its CSRF token
	if code, _ := other.do("POST", "/settings/strikes/"+ws[0].ID+"/appeal", url.Values{"text": {"x"}}); code != 404 {
		t.Fatalf("appeal of another's strike: %d", code)
	}

	if code, body := boss.do("GET", "/admin/accounts/"+fmt.Sprint(troll.ID), nil); code != 200 || !strings.Contains(body, "Pending appeals") ||
		!strings.Contains(body, "It was a joke.") {
		t.Fatalf("account page without the appeal: %d %s", code, body)
	}
	if code, body := boss.do("GET", "/admin/appeals", nil); code != 200 || !strings.Contains(body, "It was a joke.") || !strings.Contains(body, "@troll") {
		t.Fatalf("console appeals: %d %s", code, body)
	}
	var as []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/admin/appeals", bossTok, nil, 200, &as)
	if code, body := boss.do("POST", "/admin/appeals/"+as[0].ID+"/reject", url.Values{}); code != 200 || !strings.Contains(body, "No pending appeals") {
		t.Fatalf("reject: %d %s", code, body)
	}
	if _, body := user.do("GET", "/settings/strikes", nil); !strings.Contains(body, "Rejected: the decision stands") {
		t.Fatalf("decision not shown: %s", body)
	}
}

// Staff choose their moderation e-mails in the account settings (reports,
// sign-ups, new trends: each on by default); other users see no such
// choice.
func TestStaffEmailPreferences(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "mod", "moderator")
	ts.CreateUser(t, "alice", "user")
	mod := newBrowser(t, ts)
	mod.signIn("mod")
	if _, body := mod.do("GET", "/settings/account", nil); !strings.Contains(body, `name="report" value="1" checked`) ||
		!strings.Contains(body, `name="sign_up" value="1" checked`) || !strings.Contains(body, `name="trends" value="1" checked`) {
		t.Fatalf("defaults: %s", body)
	}
	if code, body := mod.do("POST", "/settings/account/staff_emails", url.Values{"sign_up": {"1"}}); code != 200 ||
		strings.Contains(body, `name="report" value="1" checked`) || !strings.Contains(body, `name="sign_up" value="1" checked`) ||
		strings.Contains(body, `name="trends" value="1" checked`) || !strings.Contains(body, `name="trends" value="1"`) {
		t.Fatalf("saved: %d %s", code, body)
	}
	user := newBrowser(t, ts)
	user.signIn("alice")
	if _, body := user.do("GET", "/settings/account", nil); strings.Contains(body, "staff_emails") {
		t.Fatal("a user is offered moderation e-mails")
	}
}
