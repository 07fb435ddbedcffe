package webui_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// TestLandingPageShowsRecentPublicPosts: a stranger's landing page shows
// the latest public posts of local accounts, not unlisted, followers-only
// or direct ones, nor those of a suspended account; a signed-in visitor
// is sent to their home timeline; with public pages off there are none.
func TestLandingPageShowsRecentPublicPosts(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	alice := ts.Token(t, "alice", "write")
	for vis, text := range map[string]string{"public": "landing public words", "unlisted": "landing unlisted words",
		"private": "landing private words", "direct": "landing direct words"} {
		ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": text, "visibility": vis}, 200, nil)
	}
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "bob", "write"), map[string]any{"status": "suspended words"}, 200, nil)
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/admin/accounts/%d/action", bob.ID), ts.Token(t, "owner1", "admin:write"),
		map[string]any{"type": "suspend"}, 200, nil)

	b := newBrowser(t, ts)
	code, body := b.do("GET", "/", nil)
	if code != 200 || !strings.Contains(body, "Recent posts") || !strings.Contains(body, "landing public words") {
		t.Fatalf("the landing page lacks the public post: %d", code)
	}
	for _, hidden := range []string{"landing unlisted words", "landing private words", "landing direct words", "suspended words"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the landing page shows %q", hidden)
		}
	}
	if code, body := b.do("GET", "/about", nil); code != 200 || strings.Contains(body, "Recent posts") {
		t.Errorf("the about page lists posts: %d", code)
	}
	b.signIn("alice")
	if _, body := b.do("GET", "/", nil); !strings.Contains(body, "compose") && !strings.Contains(body, "Home") {
		t.Error("a signed-in visitor is not sent home")
	}

	closed := server.StartTest(t, func(c *config.Config) { c.Instance.PublicPages = false })
	closed.CreateUser(t, "carol", "user")
	closed.JSON(t, "POST", "/api/v1/statuses", closed.Token(t, "carol", "write"), map[string]any{"status": "closed words"}, 200, nil)
	if _, body := newBrowser(t, closed).do("GET", "/", nil); strings.Contains(body, "closed words") {
		t.Error("with public pages off, the landing page shows posts")
	}
}

var enclosureRe = regexp.MustCompile(`<link rel="enclosure" type="image/png" length="(\d+)" href="([^"]+)"></link>`)

// TestAtomFeedHasMediaEnclosures: a public post's attachments are in the
// Atom feed as enclosure links with their type, size and address.
func TestAtomFeedHasMediaEnclosures(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "write")
	id, fileURL := uploadPNG(t, ts, tok)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "with a picture", "media_ids": []string{id}}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "without"}, 200, nil)
	_, body := newBrowser(t, ts).do("GET", "/@alice.atom", nil)
	m := enclosureRe.FindAllStringSubmatch(body, -1)
	if len(m) != 1 || m[0][2] != fileURL || m[0][1] == "0" {
		t.Fatalf("enclosures %v (file %s) in:\n%s", m, fileURL, body)
	}
	if !strings.Contains(body, `<link rel="alternate" type="text/html" href="`) {
		t.Error("the entries lost their page link")
	}
}
