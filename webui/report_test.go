package webui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// A user reports a post from the web client; the moderators see it.
func TestReportPostFromWebClient(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "mod", "moderator")
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "bob", "write"), map[string]any{"status": "buy pills", "visibility": "public"}, 200, &st)
	b := newBrowser(t, ts)
	b.signIn("alice")
	if _, body := b.do("GET", "/@bob/"+st.ID, nil); !strings.Contains(body, `href="/statuses/`+st.ID+`/report"`) {
		t.Fatal("no Report link on another's post")
	}
	path := "/statuses/" + st.ID + "/report"
	if code, body := b.do("GET", path, nil); code != 200 || !strings.Contains(body, "buy pills") || !strings.Contains(body, `value="violation"`) {
		t.Fatalf("report form: %d", code)
	}
	if code, body := b.do("POST", path, url.Values{"category": {"nonsense"}}); code != 422 || !strings.Contains(body, `class="error"`) {
		t.Errorf("a bad category: %d", code)
	}
	if code, _ := b.do("POST", path, url.Values{"category": {"violation"}, "rule_ids": {"x"}}); code != 422 {
		t.Errorf("a bad rule id: %d", code)
	}
	if code, body := b.do("POST", path, url.Values{"category": {"spam"}, "comment": {"selling things"}}); code != 200 || !strings.Contains(body, "report was sent") {
		t.Fatalf("report: %d", code)
	}
	if code, _ := b.do("GET", "/statuses/999999/report", nil); code != 404 {
		t.Errorf("report form of an unknown post: %d", code)
	}
	m := newBrowser(t, ts)
	m.signIn("mod")
	if _, body := m.do("GET", "/admin/reports", nil); !strings.Contains(body, "selling things") && !strings.Contains(body, "@bob") {
		t.Error("the report is not in the console")
	}
}
