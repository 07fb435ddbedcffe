package webui_test

import (
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestReportShowsTheRulesItCites: the console's report page and the admin
// report entity show the category and the rules the reporter chose, with
// their text, also after a rule is deleted (it is kept, marked removed;
// new reports cannot cite it and the public list drops it); the author's
// strike shows the rule too.
func TestReportShowsTheRulesItCites(t *testing.T) {
	ts := server.StartTest(t)
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "boss", "admin")
	bossTok := ts.Token(t, "boss", "read write admin:read admin:write")
	bobTok := ts.Token(t, "bob", "read write")

	var kind, names struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/rules", bossTok, map[string]any{"text": "Be kind"}, 200, &kind)
	ts.JSON(t, "POST", "/api/v1/admin/rules", bossTok, map[string]any{"text": "No personal data of residents"}, 200, &names)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", bobTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "category": "violation",
		"rule_ids": []string{names.ID}, "comment": "names a resident"}, 200, &rep)
	ts.JSON(t, "DELETE", "/api/v1/admin/rules/"+names.ID, bossTok, nil, 200, nil)

	var rules []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/instance/rules", "", nil, 200, &rules)
	if len(rules) != 1 || rules[0].ID != kind.ID {
		t.Fatalf("public rules after the deletion: %+v", rules)
	}
	ts.JSON(t, "POST", "/api/v1/reports", bobTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "category": "violation",
		"rule_ids": []string{names.ID}}, 422, nil)

	var ar struct {
		Category string
		Rules    []struct{ ID, Text string }
	}
	ts.JSON(t, "GET", "/api/v1/admin/reports/"+rep.ID, bossTok, nil, 200, &ar)
	if ar.Category != "violation" || len(ar.Rules) != 1 || ar.Rules[0].ID != names.ID || ar.Rules[0].Text != "No personal data of residents" {
		t.Fatalf("admin report entity: %+v", ar)
	}

	b := newBrowser(t, ts)
	b.signIn("boss")
	_, body := b.do("GET", "/admin/reports/"+rep.ID, nil)
	body = html.UnescapeString(body)
	for _, want := range []string{"Breaks the server's rules", "Rules cited", "No personal data of residents", "(rule removed since)"} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	if strings.Contains(body, "Be kind") {
		t.Error("report page shows a rule the report does not cite")
	}

	// The author's strike names the rule.
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", troll.ID), bossTok, map[string]any{"type": "none",
		"report_id": rep.ID, "text": "Remove the name."}, 200, nil)
	u := newBrowser(t, ts)
	u.signIn("troll")
	if _, body := u.do("GET", "/settings/strikes", nil); !strings.Contains(body, "No personal data of residents") {
		t.Error("the strike does not show the rule the report cites")
	}
}
