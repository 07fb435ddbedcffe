package webui_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// A colleague searches from the web client: local accounts by name,
// hashtags, a post by its URL, and an account of another server by its
// full address, which is resolved and can be followed from the results.
func TestWebSearch(t *testing.T) {
	a := server.StartTest(t)
	b := server.StartTest(t)
	a.CreateUser(t, "alice", "user")
	a.CreateUser(t, "bobby", "user")
	b.CreateUser(t, "carol", "user")
	var st struct{ ID, URI string }
	a.JSON(t, "POST", "/api/v1/statuses", a.Token(t, "bobby", "write"), map[string]any{"status": "about #heraldry", "visibility": "public"}, 200, &st)
	br := newBrowser(t, a)
	br.signIn("alice")
	if code, body := br.do("GET", "/search", nil); code != 200 || !strings.Contains(body, `name="q"`) {
		t.Fatalf("search page: %d", code)
	}
	if _, body := br.do("GET", "/search?q=bob", nil); !strings.Contains(body, `href="/@bobby"`) || !strings.Contains(body, "/follow\"") {
		t.Error("search by name: bobby not found with a Follow button")
	}
	if _, body := br.do("GET", "/search?q=%23herald", nil); !strings.Contains(body, `href="/tags/heraldry"`) {
		t.Error("search by hashtag: #heraldry not found")
	}
	if _, body := br.do("GET", "/search?q="+url.QueryEscape(st.URI), nil); !strings.Contains(body, `id="s`+st.ID+`"`) {
		t.Error("search by a post's URL: not found")
	}
	if _, body := br.do("GET", "/search?q=zzzz", nil); !strings.Contains(body, "Nothing found") {
		t.Error("no results: not said")
	}
	_, body := br.do("GET", "/search?q="+url.QueryEscape("@carol@"+b.Domain), nil)
	m := regexp.MustCompile(`action="(/accounts/\d+/follow)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "carol@"+b.Domain) {
		t.Fatalf("remote address not resolved: %s", body)
	}
	back := "/search?q=" + url.QueryEscape("@carol@"+b.Domain)
	if code, body := br.do("POST", m[1], url.Values{"return_to": {back}}); code != 200 || !strings.Contains(body, "/unfollow\"") {
		t.Errorf("follow from the results: %d", code)
	}
	// Strangers are sent to sign in.
	if _, body := newBrowser(t, a).do("GET", "/search?q=bob", nil); !strings.Contains(body, `type="password"`) {
		t.Error("search open to strangers")
	}
}
