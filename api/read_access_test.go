package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

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
