package webui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// view fetches a page (GET, or POST when form is not nil) and fails on a
// server error or a value of the wrong kind for its place in the page
// (markup's %!). The page tests reach each page in its states with it;
// while the pages moved from html/template to Go, it compared both byte
// for byte.
func (b *browser) view(method, path string, form url.Values) string {
	b.t.Helper()
	st, body := b.do(method, path, form)
	if st >= 500 {
		b.t.Fatalf("%s %s: %d %s", method, path, st, body)
	}
	if strings.Contains(body, "%!") {
		b.t.Fatalf("%s %s: a value of the wrong kind in the page: %s", method, path, body)
	}
	return body
}

// TestBaseViews: the plain pages, and values that need escaping.
func TestBaseViewsMatchTemplates(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	b := newBrowser(t, ts)
	b.view("GET", "/terms", nil)
	b.view("GET", "/no/such/page", nil)
	b.signIn("owner1")
	b.view("GET", "/terms", nil)
	b.view("GET", "/admin/no-such-area", nil)
	// What html/template escaped in its own way: a plus sign, a URL with
	// a space and non-ASCII letters.
	tok := ts.Token(t, "owner1", "read write")
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{"display_name": "C++ & <co>"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "Un café #café pour a+b@example.org"}, 200, nil)
	b.view("GET", "/search?q=c%2B%2B+caf%C3%A9", nil)
	b.view("GET", "/@owner1", nil)
	b.view("GET", "/home", nil)
	b.view("GET", "/settings/nothing", nil)
}

// TestReplyFormCountsCharacters: the reply form on a post's page carries
// the instance's limit for the counter (it was empty there, so the
// counter had no limit), as the home timeline's form does.
func TestReplyFormCountsCharacters(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Limits.MaxStatusChars = 321 })
	ts.CreateUser(t, "alice", "user")
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "hello"}, 200, &st)
	b := newBrowser(t, ts)
	b.signIn("alice")
	for _, path := range []string{"/@alice/" + st.ID, "/home"} {
		if body := b.view("GET", path, nil); !strings.Contains(body, `data-max="321"`) {
			t.Errorf("%s: the compose form has no limit", path)
		}
	}
}
