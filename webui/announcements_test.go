package webui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// Announcements published in the console show on members' home page
// until each dismisses them; the profile's Media tab keeps posts with
// attachments.
func TestHomeAnnouncementsAndMediaTab(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin", "admin")
	ts.CreateUser(t, "alice", "user")
	adm := newBrowser(t, ts)
	adm.signIn("admin")
	adm.do("GET", "/admin/announcements", nil)
	if code, _ := adm.do("POST", "/admin/announcements/create", url.Values{"text": {"Maintenance on Sunday"}, "published": {"1"}}); code != 200 {
		t.Fatalf("create announcement: %d", code)
	}
	b := newBrowser(t, ts)
	b.signIn("alice")
	_, body := b.do("GET", "/home", nil)
	if !strings.Contains(body, "Maintenance on Sunday") {
		t.Fatal("announcement not on the home page")
	}
	i := strings.Index(body, `action="/announcements/`)
	action := body[i+len(`action="`):]
	action = action[:strings.Index(action, `"`)]
	if code, body := b.do("POST", action, url.Values{}); code != 200 || strings.Contains(body, "Maintenance on Sunday") {
		t.Errorf("dismiss: %d, still shown: %v", code, strings.Contains(body, "Maintenance on Sunday"))
	}
	b.do("GET", "/home", nil)
	if code, _ := b.do("POST", "/announcements/999999/dismiss", url.Values{}); code != 404 {
		t.Errorf("dismiss an unknown announcement: %d", code)
	}

	// Media tab: a text post is not in it.
	tok := ts.Token(t, "alice", "write")
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "just words", "visibility": "public"}, 200, nil)
	if _, body := b.do("GET", "/@alice", nil); !strings.Contains(body, "just words") || !strings.Contains(body, `href="/@alice?media=1"`) {
		t.Error("profile: no post or no Media tab")
	}
	if _, body := b.do("GET", "/@alice?media=1", nil); strings.Contains(body, "just words") || !strings.Contains(body, "No posts with media yet") {
		t.Error("media tab shows a post without media")
	}
}
