package api_test

import (
	"fmt"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestRebloggedByHidesPrivateBoosts: reblogged_by lists public boosts,
// never the author's boost of a private post (as Mastodon).
func TestRebloggedByHidesPrivateBoosts(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	alice, bob := ts.Token(t, "alice", "read write"), ts.Token(t, "bob", "read write")
	var priv, pub struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "followers only", "visibility": "private"}, 200, &priv)
	ts.JSON(t, "POST", "/api/v1/statuses/"+priv.ID+"/reblog", alice, nil, 200, nil)
	var accts []struct {
		Username string `json:"username"`
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+priv.ID+"/reblogged_by", alice, nil, 200, &accts)
	if len(accts) != 0 {
		t.Fatalf("reblogged_by of a private post: %+v", accts)
	}
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "hello"}, 200, &pub)
	ts.JSON(t, "POST", "/api/v1/statuses/"+pub.ID+"/reblog", bob, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/statuses/"+pub.ID+"/reblogged_by", alice, nil, 200, &accts)
	if len(accts) != 1 || accts[0].Username != "bob" {
		t.Fatalf("reblogged_by of a public post: %+v", accts)
	}
}

// TestGetBodyParams: parameters sent in a GET's JSON body are read, as
// Mastodon.py sends account_familiar_followers' ids.
func TestGetBodyParams(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	alice := ts.Token(t, "alice", "read write follow")
	var out []struct {
		ID string `json:"id"`
	}
	id := fmt.Sprint(bob.ID)
	ts.JSON(t, "GET", "/api/v1/accounts/familiar_followers", alice, map[string]any{"id": []string{id}}, 200, &out)
	if len(out) != 1 || out[0].ID != id {
		t.Fatalf("familiar_followers with a GET body: %+v", out)
	}
}
