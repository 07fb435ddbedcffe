package webui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/server"
)

var (
	webhookIDRe     = regexp.MustCompile(`action="/admin/webhooks/(\d+)/update"`)
	webhookSecretRe = regexp.MustCompile(`<code id="webhook-secret">([0-9a-f]+)</code>`)
)

// TestConsoleManagesWebhooks: the console adds a webhook and shows its
// secret, shows its deliveries, edits it, disables and enables it, rotates
// its secret and deletes it; a moderator (no Manage Webhooks) is refused
// the page and does not see the tab.
func TestConsoleManagesWebhooks(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "mod1", "moderator")
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(rcv.Close)

	b := newBrowser(t, ts)
	b.signIn("owner1")
	if _, body := b.do("GET", "/admin", nil); !strings.Contains(body, `href="/admin/webhooks"`) {
		t.Fatal("no Webhooks tab for the owner")
	}
	b.do("GET", "/admin/webhooks", nil)
	code, body := b.do("POST", "/admin/webhooks", url.Values{"url": {rcv.URL + "/in"}, "events": {"status.created"}})
	m, s := webhookIDRe.FindStringSubmatch(body), webhookSecretRe.FindStringSubmatch(body)
	if code != 200 || m == nil || s == nil || len(s[1]) != 40 {
		t.Fatalf("add a webhook: %d, id %v, secret %v", code, m, s)
	}
	id, secret := m[1], s[1]
	page := "/admin/webhooks/" + id

	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "alice", "write"), map[string]any{"status": "hello"}, 200, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Drained(ctx, "webhook"); err != nil {
		t.Fatal(err)
	}
	if _, body := b.do("GET", page, nil); hits.Load() != 1 || !strings.Contains(body, "status.created") || !strings.Contains(body, ">delivered<") {
		t.Errorf("the delivery log does not show the delivery (%d received)", hits.Load())
	}

	if _, body := b.do("POST", page+"/update", url.Values{"url": {rcv.URL + "/in2"}, "events": {"status.created", "report.created"}}); !strings.Contains(body, "status.created, report.created") && !strings.Contains(body, "report.created, status.created") || !strings.Contains(body, "/in2") {
		t.Error("edit not shown")
	}
	if _, body := b.do("POST", page+"/disable", url.Values{}); !strings.Contains(body, "Disabled") {
		t.Error("not disabled")
	}
	if _, body := b.do("POST", page+"/enable", url.Values{}); !strings.Contains(body, `class="webhook-state">Enabled`) {
		t.Error("not enabled")
	}
	_, body = b.do("POST", page+"/rotate", url.Values{})
	if s := webhookSecretRe.FindStringSubmatch(body); s == nil || s[1] == secret {
		t.Errorf("secret not rotated: %v", s)
	}
	if code, body := b.do("POST", page+"/update", url.Values{"url": {"gopher://x"}, "events": {"status.created"}}); code != 422 || !strings.Contains(body, "Url") {
		t.Errorf("a bad URL: %d", code)
	}
	b.do("GET", page, nil)
	if _, body := b.do("POST", page+"/delete", url.Values{}); !strings.Contains(body, "No webhooks yet") {
		t.Error("not deleted")
	}

	mod := newBrowser(t, ts)
	mod.signIn("mod1")
	if _, body := mod.do("GET", "/admin", nil); strings.Contains(body, `href="/admin/webhooks"`) {
		t.Error("a moderator sees the Webhooks tab")
	}
	if code, _ := mod.do("GET", "/admin/webhooks", nil); code != 403 {
		t.Errorf("a moderator opens the webhooks page: %d", code)
	}
	if code, _ := mod.do("POST", "/admin/webhooks", url.Values{"url": {rcv.URL}, "events": {"status.created"}}); code != 403 {
		t.Errorf("a moderator adds a webhook: %d", code)
	}
}
