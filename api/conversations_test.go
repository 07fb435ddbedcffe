package api_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestConversations(t *testing.T) {
	f := startStreaming(t)
	ts := f.ts
	dm := f.post(t, f.tAlice, "@bob @carol a secret", "direct")
	type conv struct {
		ID       string `json:"id"`
		Unread   bool   `json:"unread"`
		Accounts []struct {
			Acct string `json:"acct"`
		} `json:"accounts"`
		LastStatus *struct {
			ID string `json:"id"`
		} `json:"last_status"`
	}
	var bobs []conv
	ts.JSON(t, "GET", "/api/v1/conversations", f.tBob, nil, 200, &bobs)
	if len(bobs) != 1 || !bobs[0].Unread || bobs[0].LastStatus == nil || bobs[0].LastStatus.ID != dm || len(bobs[0].Accounts) != 2 {
		t.Fatalf("bob's conversations: %+v", bobs)
	}
	var alices []conv
	ts.JSON(t, "GET", "/api/v1/conversations", f.tAlice, nil, 200, &alices)
	if len(alices) != 1 || alices[0].Unread {
		t.Fatalf("alice's: %+v", alices)
	}
	var daves []conv
	ts.JSON(t, "GET", "/api/v1/conversations", f.tDave, nil, 200, &daves)
	if len(daves) != 0 {
		t.Fatalf("dave is not in it: %+v", daves)
	}
	// A reply stays in the same conversation.
	var reply struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", f.tBob, map[string]any{"status": "@alice @carol got it", "visibility": "direct", "in_reply_to_id": dm}, 200, &reply)
	ts.JSON(t, "GET", "/api/v1/conversations", f.tAlice, nil, 200, &alices)
	if len(alices) != 1 || !alices[0].Unread || alices[0].LastStatus.ID != reply.ID {
		t.Fatalf("after reply: %+v", alices)
	}
	var read conv
	ts.JSON(t, "POST", "/api/v1/conversations/"+alices[0].ID+"/read", f.tAlice, nil, 200, &read)
	if read.Unread {
		t.Fatal("still unread")
	}
	ts.JSON(t, "POST", "/api/v1/conversations/"+alices[0].ID+"/read", f.tBob, nil, 404, nil)
	ts.JSON(t, "DELETE", "/api/v1/conversations/"+alices[0].ID, f.tAlice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/conversations", f.tAlice, nil, 200, &alices)
	if len(alices) != 0 {
		t.Fatalf("after delete: %+v", alices)
	}
	// Public posts are no conversations.
	f.post(t, f.tAlice, fmt.Sprintf("@bob %s", "public"), "public")
	ts.JSON(t, "GET", "/api/v1/conversations", f.tBob, nil, 200, &bobs)
	if len(bobs) != 1 {
		t.Fatalf("bob: %+v", bobs)
	}
}

func TestGroupedNotificationsAndPolicy(t *testing.T) {
	f := startStreaming(t)
	ts := f.ts
	id := f.post(t, f.tAlice, "popular", "public")
	for _, tok := range []string{f.tBob, f.tCar, f.tDave} {
		ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/favourite", tok, nil, 200, nil)
	}
	ts.JSON(t, "POST", "/api/v1/statuses/"+id+"/reblog", f.tBob, nil, 200, nil)
	f.post(t, f.tBob, "@alice hey", "public")
	type group struct {
		GroupKey           string   `json:"group_key"`
		Count              int      `json:"notifications_count"`
		Type               string   `json:"type"`
		MostRecent         string   `json:"most_recent_notification_id"`
		SampleAccountIDs   []string `json:"sample_account_ids"`
		StatusID           *string  `json:"status_id"`
		LatestNotification string   `json:"latest_page_notification_at"`
	}
	var res struct {
		Accounts []struct {
			ID string `json:"id"`
		} `json:"accounts"`
		Statuses []struct {
			ID string `json:"id"`
		} `json:"statuses"`
		Groups []group `json:"notification_groups"`
	}
	ts.JSON(t, "GET", "/api/v2/notifications", f.tAlice, nil, 200, &res)
	// mention, reblog, favourite×3 (bob's follow came first, in startStreaming).
	byType := map[string]group{}
	for _, g := range res.Groups {
		byType[g.Type] = g
	}
	fav := byType["favourite"]
	if len(res.Groups) != 4 || fav.Count != 3 || len(fav.SampleAccountIDs) != 3 || fav.StatusID == nil || *fav.StatusID != id ||
		!strings.HasPrefix(fav.GroupKey, "favourite-"+id+"-") || len(res.Accounts) != 3 || len(res.Statuses) < 1 {
		t.Fatalf("grouped: %+v", res)
	}
	if !strings.HasPrefix(byType["mention"].GroupKey, "ungrouped-") {
		t.Errorf("mention key %s", byType["mention"].GroupKey)
	}
	// grouped_types[] without favourite: three single groups.
	ts.JSON(t, "GET", "/api/v2/notifications?grouped_types[]=reblog&grouped_types[]=follow", f.tAlice, nil, 200, &res)
	if len(res.Groups) != 6 {
		t.Errorf("ungrouped favourites: %d groups", len(res.Groups))
	}
	// One group, its accounts, dismissal.
	var one struct {
		Groups []group `json:"notification_groups"`
	}
	ts.JSON(t, "GET", "/api/v2/notifications/"+fav.GroupKey, f.tAlice, nil, 200, &one)
	if len(one.Groups) != 1 || one.Groups[0].Count != 3 {
		t.Fatalf("group: %+v", one)
	}
	var accs []map[string]any
	ts.JSON(t, "GET", "/api/v2/notifications/"+fav.GroupKey+"/accounts", f.tAlice, nil, 200, &accs)
	if len(accs) != 3 {
		t.Fatalf("group accounts: %d", len(accs))
	}
	ts.JSON(t, "GET", "/api/v2/notifications/"+fav.GroupKey, f.tBob, nil, 404, nil)
	var count map[string]int
	ts.JSON(t, "GET", "/api/v2/notifications/unread_count", f.tAlice, nil, 200, &count)
	if count["count"] != 4 {
		t.Errorf("unread groups: %v", count)
	}
	ts.JSON(t, "POST", "/api/v2/notifications/"+fav.GroupKey+"/dismiss", f.tAlice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v2/notifications", f.tAlice, nil, 200, &res)
	if len(res.Groups) != 3 {
		t.Fatalf("after dismiss: %+v", res.Groups)
	}
	ts.JSON(t, "GET", "/api/v2/notifications/nonsense-key", f.tAlice, nil, 404, nil)

	// Policy: stored and returned.
	var pol map[string]any
	ts.JSON(t, "GET", "/api/v2/notifications/policy", f.tAlice, nil, 200, &pol)
	if pol["for_not_following"] != "accept" {
		t.Fatalf("default policy: %v", pol)
	}
	ts.JSON(t, "PATCH", "/api/v2/notifications/policy", f.tAlice, map[string]any{"for_not_following": "filter", "for_new_accounts": "drop"}, 200, &pol)
	if pol["for_not_following"] != "filter" || pol["for_new_accounts"] != "drop" || pol["filter_not_following"] != true {
		t.Fatalf("patched: %v", pol)
	}
	ts.JSON(t, "PATCH", "/api/v2/notifications/policy", f.tAlice, map[string]any{"for_not_following": "maybe"}, 422, nil)
	ts.JSON(t, "GET", "/api/v2/notifications/policy", f.tAlice, nil, 200, &pol)
	if pol["for_not_following"] != "filter" {
		t.Fatalf("persisted: %v", pol)
	}
}
