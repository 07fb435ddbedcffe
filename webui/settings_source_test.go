package webui_test

import (
	"net/url"
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
