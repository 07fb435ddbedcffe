package api_test

import (
	"fmt"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

func TestNotificationPolicyAndRequests(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	carol := ts.CreateUser(t, "carol", "user")
	dave := ts.CreateUser(t, "dave", "user")
	erin := ts.CreateUser(t, "erin", "user")
	tok := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		tok[u] = ts.Token(t, u, "read write follow")
	}
	id := func(v int64) string { return fmt.Sprint(v) }
	post := func(user, text, vis string) string {
		t.Helper()
		var st struct {
			ID string `json:"id"`
		}
		ts.JSON(t, "POST", "/api/v1/statuses", tok[user], map[string]any{"status": text, "visibility": vis}, 200, &st)
		return st.ID
	}
	type notif struct {
		Type    string `json:"type"`
		Account struct {
			ID string `json:"id"`
		} `json:"account"`
		Status *struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	list := func() map[string]int { // "type:sender" → count
		t.Helper()
		var ns []notif
		ts.JSON(t, "GET", "/api/v1/notifications", tok["alice"], nil, 200, &ns)
		out := map[string]int{}
		for _, n := range ns {
			out[n.Type+":"+n.Account.ID]++
		}
		return out
	}
	type request struct {
		ID         string              `json:"id"`
		Count      string              `json:"notifications_count"`
		CreatedAt  string              `json:"created_at"`
		UpdatedAt  string              `json:"updated_at"`
		Account    struct{ ID string } `json:"account"`
		LastStatus *struct {
			ID string `json:"id"`
		} `json:"last_status"`
	}
	requests := func() map[string]request {
		t.Helper()
		var rs []request
		ts.JSON(t, "GET", "/api/v1/notifications/requests", tok["alice"], nil, 200, &rs)
		out := map[string]request{}
		for _, r := range rs {
			out[r.Account.ID] = r
		}
		return out
	}
	type policy struct {
		ForNotFollowing    string `json:"for_not_following"`
		ForNotFollowers    string `json:"for_not_followers"`
		ForNewAccounts     string `json:"for_new_accounts"`
		ForPrivateMentions string `json:"for_private_mentions"`
		ForLimitedAccounts string `json:"for_limited_accounts"`
		Summary            struct {
			Requests      int `json:"pending_requests_count"`
			Notifications int `json:"pending_notifications_count"`
		} `json:"summary"`
	}
	getPolicy := func() policy {
		t.Helper()
		var p policy
		ts.JSON(t, "GET", "/api/v2/notifications/policy", tok["alice"], nil, 200, &p)
		return p
	}

	// alice follows bob; the others are strangers.
	ts.JSON(t, "POST", "/api/v1/accounts/"+id(bob.ID)+"/follow", tok["alice"], nil, 200, nil)

	// Defaults (Mastodon 4.3): a stranger's follow and favourite notify; a
	// stranger's private mention is filtered.
	if p := getPolicy(); p.ForNotFollowing != "accept" || p.ForNotFollowers != "accept" || p.ForNewAccounts != "accept" ||
		p.ForPrivateMentions != "filter" || p.ForLimitedAccounts != "filter" || p.Summary.Requests != 0 {
		t.Fatalf("default policy: %+v", p)
	}
	mine := post("alice", "hello", "public")
	ts.JSON(t, "POST", "/api/v1/statuses/"+mine+"/favourite", tok["carol"], nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+id(alice.ID)+"/follow", tok["carol"], nil, 200, nil)
	dm := post("dave", "@alice psst", "direct")
	post("bob", "@alice private from a friend", "direct")
	got := list()
	if got["favourite:"+id(carol.ID)] != 1 || got["follow:"+id(carol.ID)] != 1 || got["mention:"+id(bob.ID)] != 1 || got["mention:"+id(dave.ID)] != 0 {
		t.Fatalf("defaults: %v", got)
	}
	rs := requests()
	if r, ok := rs[id(dave.ID)]; len(rs) != 1 || !ok || r.Count != "1" || r.ID != id(dave.ID) || r.LastStatus == nil || r.LastStatus.ID != dm || r.CreatedAt == "" {
		t.Fatalf("private mention request: %+v", rs)
	}
	if p := getPolicy(); p.Summary.Requests != 1 || p.Summary.Notifications != 1 {
		t.Fatalf("summary: %+v", p.Summary)
	}
	var one request
	ts.JSON(t, "GET", "/api/v1/notifications/requests/"+id(dave.ID), tok["alice"], nil, 200, &one)
	if one.Account.ID != id(dave.ID) {
		t.Fatalf("one request: %+v", one)
	}
	ts.JSON(t, "GET", "/api/v1/notifications/requests/"+id(bob.ID), tok["alice"], nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/notifications/requests/"+id(dave.ID), tok["bob"], nil, 404, nil)

	// Dismiss: dave's filtered notification is gone for good.
	ts.JSON(t, "POST", "/api/v1/notifications/requests/"+id(dave.ID)+"/dismiss", tok["alice"], nil, 200, nil)
	if rs := requests(); len(rs) != 0 {
		t.Fatalf("after dismiss: %+v", rs)
	}
	if got := list(); got["mention:"+id(dave.ID)] != 0 {
		t.Fatalf("dismissed shows: %v", got)
	}
	ts.JSON(t, "POST", "/api/v1/notifications/requests/"+id(dave.ID)+"/dismiss", tok["alice"], nil, 404, nil)

	// for_not_following=filter: a stranger's mention waits in a request.
	ts.JSON(t, "PATCH", "/api/v2/notifications/policy", tok["alice"], map[string]any{"for_not_following": "filter"}, 200, nil)
	var unread map[string]int
	ts.JSON(t, "GET", "/api/v1/notifications/unread_count", tok["alice"], nil, 200, &unread)
	before := unread["count"]
	mention := post("erin", "@alice hi there", "public")
	got = list()
	if got["mention:"+id(erin.ID)] != 0 || got["mention:"+id(bob.ID)] != 1 || got["favourite:"+id(carol.ID)] != 0 {
		t.Fatalf("filtered list: %v", got)
	}
	ts.JSON(t, "GET", "/api/v1/notifications/unread_count", tok["alice"], nil, 200, &unread)
	if unread["count"] != before {
		t.Errorf("unread %d, was %d", unread["count"], before)
	}
	var grouped struct {
		Groups []struct {
			Type   string   `json:"type"`
			Sample []string `json:"sample_account_ids"`
		} `json:"notification_groups"`
	}
	ts.JSON(t, "GET", "/api/v2/notifications", tok["alice"], nil, 200, &grouped)
	for _, g := range grouped.Groups {
		for _, s := range g.Sample {
			if s == id(erin.ID) || s == id(carol.ID) {
				t.Fatalf("grouped shows a filtered sender: %+v", grouped)
			}
		}
	}
	rs = requests()
	if r := rs[id(erin.ID)]; len(rs) != 2 || r.Count != "1" || r.LastStatus == nil || r.LastStatus.ID != mention || rs[id(carol.ID)].Count != "2" {
		t.Fatalf("requests: %+v", rs)
	}
	if p := getPolicy(); p.Summary.Requests != 2 || p.Summary.Notifications != 3 {
		t.Fatalf("summary: %+v", p.Summary)
	}

	// Accept: erin's notifications come back, and later ones pass.
	ts.JSON(t, "POST", "/api/v1/notifications/requests/"+id(erin.ID)+"/accept", tok["alice"], nil, 200, nil)
	post("erin", "@alice again", "public")
	if got := list(); got["mention:"+id(erin.ID)] != 2 {
		t.Fatalf("accepted: %v", got)
	}
	if rs := requests(); len(rs) != 1 {
		t.Fatalf("after accept: %+v", rs)
	}

	// drop: a stranger's notifications are hidden, not even requested.
	ts.JSON(t, "PATCH", "/api/v2/notifications/policy", tok["alice"], map[string]any{"for_not_following": "drop"}, 200, nil)
	post("dave", "@alice anyone?", "public")
	if got := list(); got["mention:"+id(dave.ID)] != 0 || got["mention:"+id(erin.ID)] != 2 {
		t.Fatalf("dropped list: %v", got)
	}
	if rs := requests(); len(rs) != 0 {
		t.Fatalf("dropped requests: %+v", rs)
	}

	// Back to filter; bulk accept and dismiss with id[].
	ts.JSON(t, "PATCH", "/api/v2/notifications/policy", tok["alice"], map[string]any{"for_not_following": "filter"}, 200, nil)
	if rs := requests(); len(rs) != 2 {
		t.Fatalf("refiltered: %+v", rs)
	}
	ts.JSON(t, "POST", "/api/v1/notifications/requests/accept", tok["alice"], map[string]any{"id": []string{id(carol.ID)}}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/notifications/requests/dismiss", tok["alice"], map[string]any{"id": []string{id(dave.ID)}}, 200, nil)
	got = list()
	if got["favourite:"+id(carol.ID)] != 1 || got["follow:"+id(carol.ID)] != 1 || got["mention:"+id(dave.ID)] != 0 {
		t.Fatalf("bulk: %v", got)
	}
	if rs := requests(); len(rs) != 0 {
		t.Fatalf("after bulk: %+v", rs)
	}
	var merged map[string]bool
	ts.JSON(t, "GET", "/api/v1/notifications/requests/merged", tok["alice"], nil, 200, &merged)
	if !merged["merged"] {
		t.Errorf("merged: %v", merged)
	}
}
