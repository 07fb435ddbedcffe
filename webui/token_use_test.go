package webui_test

import (
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestAppsShowLastUse: an app's token records its use (once a day, as
// Mastodon), and the settings' Apps page shows when it was last used.
func TestAppsShowLastUse(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	ts.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "Phone app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
		"scopes": "read write"}, 200, &app)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	ts.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "password", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "username": "alice", "password": server.TestPassword, "scope": "read write"}, 200, &tok)
	b := newBrowser(t, ts)
	b.signIn("alice")
	if body := b.view("GET", "/settings/apps", nil); !strings.Contains(body, "Phone app") || strings.Contains(body, "last used") {
		t.Fatalf("before any use: %s", body)
	}
	for range 3 {
		ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil, 200, nil)
	}
	today := ts.Srv.Svc.Now().UTC().Format("2 Jan 2006")
	if body := b.view("GET", "/settings/apps", nil); !strings.Contains(body, "last used "+today) {
		t.Fatalf("after use: no \"last used %s\": %s", today, body)
	}
}
