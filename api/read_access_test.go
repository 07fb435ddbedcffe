package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

// The routes that show statuses to anonymous callers check a token's scope
// when one is sent (Mastodon's authorize_if_got_token!): they show the
// token's user's direct and followers-only posts, which a token for push
// or profile alone must not read.
func TestPublicReadRoutesCheckTheTokensScope(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	aliceID := strconv.FormatInt(alice.ID, 10)
	writer := ts.Token(t, "alice", "write")
	post := func(text, visibility string) string {
		t.Helper()
		var st struct{ ID string }
		ts.JSON(t, "POST", "/api/v1/statuses", writer, map[string]any{"status": text, "visibility": visibility}, 200, &st)
		return st.ID
	}
	public := post("a public post", "public")
	private := post("a followers-only post", "private")
	direct := post("a direct post", "direct")

	// Each route, and what it shows a token of alice's that may read it.
	type route struct{ path, shows string }
	var routes []route
	for id, text := range map[string]string{private: "a followers-only post", direct: "a direct post"} {
		routes = append(routes,
			route{"/api/v1/statuses/" + id, text},
			route{"/api/v1/statuses/" + id + "/context", `"ancestors"`},
			route{"/api/v1/statuses/" + id + "/history", text},
			route{"/api/v1/statuses?id[]=" + id, text},
		)
	}
	routes = append(routes, route{"/api/v1/accounts/" + aliceID + "/statuses", "a followers-only post"})

	for _, scope := range []string{"push", "profile", "follow", "write:media", "write:statuses", "read:accounts"} {
		tok := ts.Token(t, "alice", scope)
		for _, r := range routes {
			status, _, body := ts.Do(t, "GET", r.path, tok, nil)
			if status != http.StatusForbidden {
				t.Errorf("GET %s with a %q token: %d %s, want 403", r.path, scope, status, body)
			}
		}
	}
	for _, scope := range []string{"read", "read:statuses"} {
		tok := ts.Token(t, "alice", scope)
		for _, r := range routes {
			status, _, body := ts.Do(t, "GET", r.path, tok, nil)
			if status != http.StatusOK || !strings.Contains(string(body), r.shows) {
				t.Errorf("GET %s with a %q token: %d %s, want 200 with %s", r.path, scope, status, body, r.shows)
			}
		}
	}
	// Anonymous callers see the public post only.
	ts.JSON(t, "GET", "/api/v1/statuses/"+public, "", nil, 200, nil)
	for _, id := range []string{private, direct} {
		ts.JSON(t, "GET", "/api/v1/statuses/"+id, "", nil, 404, nil)
	}
	var list []struct{ ID string }
	ts.JSON(t, "GET", "/api/v1/accounts/"+aliceID+"/statuses", "", nil, 200, &list)
	if len(list) != 1 || list[0].ID != public {
		t.Errorf("anonymous account statuses = %v, want only %s", list, public)
	}
}

// A closed instance (public pages off, or limited federation) shows its
// content and accounts to its users only: anonymous callers and app tokens
// get 401 from the client API as from the web pages, while what a client
// needs before signing in stays public.
func TestClosedInstanceRefusesAnonymousReads(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*config.Config)
		// atRunTime turns limited federation on through the admin setting.
		atRunTime bool
		closed    bool
	}{
		{name: "open", mutate: func(*config.Config) {}},
		{name: "public pages off", mutate: func(c *config.Config) { c.Instance.PublicPages = false }, closed: true},
		{name: "allowlist mode", mutate: func(c *config.Config) { c.Federation.AllowlistMode = true }, closed: true},
		{name: "limited federation set by an admin", mutate: func(*config.Config) {}, atRunTime: true, closed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := server.StartTest(t, tc.mutate)
			alice := ts.CreateUser(t, "alice", "user")
			root := ts.CreateUser(t, "root", "owner")
			aliceID := strconv.FormatInt(alice.ID, 10)
			tok := ts.Token(t, "alice", "read write")
			var st struct{ ID string }
			ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "hello #herald", "visibility": "public"}, 200, &st)
			if tc.atRunTime {
				ctx := context.Background()
				rootCaller, err := ts.Srv.Svc.CallerByToken(ctx, ts.Token(t, root.Username, "admin:write"))
				if err != nil {
					t.Fatal(err)
				}
				on := true
				if _, err := ts.Srv.Svc.UpdateSite(ctx, rootCaller, core.SiteUpdate{LimitedFederation: &on}); err != nil {
					t.Fatal(err)
				}
			}
			app := createApp(t, ts, "urn:ietf:wg:oauth:2.0:oob", "read")
			var appTok tokenResp
			ts.JSON(t, "POST", "/oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID},
				"client_secret": {app.ClientSecret}, "scope": {"read"}}, 200, &appTok)

			content := []string{
				"/api/v1/timelines/public",
				"/api/v1/timelines/tag/herald",
				"/api/v1/statuses/" + st.ID,
				"/api/v1/statuses?id[]=" + st.ID,
				"/api/v1/statuses/" + st.ID + "/context",
				"/api/v1/statuses/" + st.ID + "/history",
				"/api/v1/statuses/" + st.ID + "/favourited_by",
				"/api/v1/statuses/" + st.ID + "/reblogged_by",
				"/api/v1/accounts/" + aliceID,
				"/api/v1/accounts?id[]=" + aliceID,
				"/api/v1/accounts/" + aliceID + "/statuses",
				"/api/v1/accounts/" + aliceID + "/followers",
				"/api/v1/accounts/" + aliceID + "/following",
				"/api/v1/accounts/" + aliceID + "/featured_tags",
				"/api/v1/accounts/" + aliceID + "/endorsements",
				"/api/v1/accounts/lookup?acct=alice",
				"/api/v1/directory",
				"/api/v2/search?q=alice",
				"/api/v1/tags/herald",
				"/api/v1/trends",
				"/api/v1/trends/tags",
				"/api/v1/trends/statuses",
				"/api/v1/trends/links",
			}
			for _, p := range content {
				status, _, body := ts.Do(t, "GET", p, "", nil)
				switch {
				case tc.closed && (status != http.StatusUnauthorized || !strings.Contains(string(body), "This method requires an authenticated user")):
					t.Errorf("anonymous GET %s: %d %s, want 401", p, status, body)
				case !tc.closed && status != http.StatusOK:
					t.Errorf("anonymous GET %s on an open instance: %d %s, want 200", p, status, body)
				}
				if status, _, body := ts.Do(t, "GET", p, tok, nil); status != http.StatusOK {
					t.Errorf("GET %s with a user token: %d %s, want 200", p, status, body)
				}
				want := http.StatusOK
				if tc.closed {
					want = http.StatusUnauthorized
				}
				if status, _, body := ts.Do(t, "GET", p, appTok.AccessToken, nil); status != want {
					t.Errorf("GET %s with an app token: %d %s, want %d", p, status, body, want)
				}
			}
			// A status's source is for users, not app tokens (Mastodon's
			// require_user!): it would otherwise read a closed instance.
			ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/source", appTok.AccessToken, nil, 422, nil)
			ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/source", tok, nil, 200, nil)
			// Still public: what clients read before signing in.
			for _, p := range []string{"/api/v1/instance", "/api/v2/instance", "/api/v1/instance/rules", "/api/v1/custom_emojis"} {
				if status, _, body := ts.Do(t, "GET", p, "", nil); status != http.StatusOK {
					t.Errorf("anonymous GET %s: %d %s, want 200", p, status, body)
				}
			}
			var inst struct {
				Configuration struct {
					TimelinesAccess map[string]map[string]string `json:"timelines_access"`
				}
			}
			ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &inst)
			want := "public"
			if tc.closed {
				want = "authenticated"
			}
			if got := inst.Configuration.TimelinesAccess["live_feeds"]["local"]; got != want {
				t.Errorf("instance timelines_access live_feeds = %q, want %q", got, want)
			}
		})
	}
}
