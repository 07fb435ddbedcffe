package server_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestEveryRouteSurvivesBadInput sends every registered client API route
// requests without a token, with malformed JSON, with wrongly typed values
// and with unknown ids, and checks that none answers 5xx, and that each
// answers JSON (a bare value too: check_confirmation answers a boolean).
func TestEveryRouteSurvivesBadInput(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner", "owner")
	ts.CreateUser(t, "other", "user")
	token := ts.Token(t, "owner", "read write follow push admin:read admin:write")
	routes := ts.Srv.API.Routes()
	if len(routes) < 100 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	bodies := []any{
		nil,
		`{"status": `, // truncated JSON
		`[1, 2, 3]`,   // not an object
		`{"status": {"nested": 1}, "id": [true], "limit": "many", "visibility": 7, "fields_attributes": "x"}`,
		url.Values{"limit": {"-5"}, "max_id": {"abc"}, "id[]": {"zz"}, "status": {strings.Repeat("x", 10000)}},
	}
	for _, r := range routes {
		// Streams answer forever by design; they have their own tests.
		if strings.HasPrefix(r.Path, "/api/v1/streaming") && r.Path != "/api/v1/streaming/health" {
			continue
		}
		for _, idv := range []string{"1", "99999999999999999999", "abc"} {
			path := r.Path
			for _, seg := range strings.Split(r.Path, "/") {
				if strings.HasPrefix(seg, ":") {
					path = strings.Replace(path, seg, idv, 1)
				}
			}
			for _, tok := range []string{"", token} {
				for _, b := range bodies {
					if r.Method == "GET" || r.Method == "HEAD" || r.Method == "DELETE" {
						b = nil
					}
					status, _, body := ts.Do(t, r.Method, path+"?limit=x&max_id=-1", tok, b)
					if status >= 500 {
						t.Errorf("%s %s (token=%v, body=%v): %d %s", r.Method, path, tok != "", b, status, body)
					}
					if r.Method != "HEAD" && len(body) > 0 && !json.Valid(body) && strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/api/v1/streaming") {
						t.Errorf("%s %s: non-JSON body %.80q", r.Method, path, body)
					}
				}
			}
		}
	}
}

// TestEssentialRoutesRegistered checks that every endpoint marked
// essential for a first client session is served.
func TestEssentialRoutesRegistered(t *testing.T) {
	ts := server.StartTest(t)
	have := map[string]bool{}
	for _, r := range ts.Srv.API.Routes() {
		have[r.Method+" "+r.Path] = true
	}
	essential := []string{
		"POST /api/v1/apps", "GET /api/v1/apps/verify_credentials", "POST /oauth/token", "POST /oauth/revoke",
		"GET /.well-known/oauth-authorization-server",
		"GET /api/v1/accounts/verify_credentials", "PATCH /api/v1/accounts/update_credentials", "GET /api/v1/accounts/:id",
		"GET /api/v1/accounts/:id/statuses", "POST /api/v1/accounts/:id/follow", "POST /api/v1/accounts/:id/unfollow",
		"GET /api/v1/accounts/relationships", "GET /api/v1/accounts/lookup", "GET /api/v1/accounts/:id/followers",
		"GET /api/v1/accounts/:id/following", "GET /api/v1/follow_requests",
		"POST /api/v1/statuses", "GET /api/v1/statuses/:id", "DELETE /api/v1/statuses/:id", "GET /api/v1/statuses/:id/context",
		"POST /api/v1/statuses/:id/favourite", "POST /api/v1/statuses/:id/unfavourite", "POST /api/v1/statuses/:id/reblog",
		"POST /api/v1/statuses/:id/unreblog", "POST /api/v1/statuses/:id/bookmark", "POST /api/v1/statuses/:id/pin",
		"GET /api/v1/statuses/:id/favourited_by", "GET /api/v1/statuses/:id/reblogged_by",
		"GET /api/v1/timelines/public", "GET /api/v1/timelines/home", "GET /api/v1/timelines/tag/:hashtag",
		"GET /api/v1/notifications", "GET /api/v1/notifications/:id", "POST /api/v1/notifications/clear",
		"POST /api/v1/notifications/:id/dismiss", "GET /api/v1/favourites", "GET /api/v1/bookmarks",
		"GET /api/v2/search", "GET /api/v1/instance", "GET /api/v2/instance", "GET /api/v1/custom_emojis",
		"GET /api/v1/preferences", "GET /api/v1/markers", "POST /api/v1/markers", "GET /api/v1/lists",
		"GET /api/v1/filters", "GET /api/v2/filters", "GET /api/v1/announcements", "GET /api/v1/followed_tags",
	}
	for _, e := range essential {
		if !have[e] {
			t.Errorf("not registered: %s", e)
		}
	}
	// Discovery documents served outside the client API.
	for _, p := range []string{"/.well-known/nodeinfo", "/.well-known/webfinger?resource=acct:nobody@" + ts.Domain, "/.well-known/host-meta"} {
		if status, _, _ := ts.Do(t, "GET", p, "", nil); status != 200 && status != 404 {
			t.Errorf("GET %s: %d", p, status)
		}
	}
}
