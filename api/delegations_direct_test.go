package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/testutil"
)

// A member acting for an account without the "direct" permission receives
// its direct messages in no form: not as notifications (v1, grouped, by
// id, the unread count), not on the user stream (the notification nor the
// status update), not as Web Push to their token; the owner's own token
// gets all of them. Public mentions still reach the member.
func TestDelegationWithoutDirectGetsNoDirectNotifications(t *testing.T) {
	f := startStreaming(t)
	ts := f.ts
	// bob is the shared account; carol its member with "post" only. bob
	// follows alice, so alice's direct messages to bob are home updates.
	owner := f.tBob
	ts.JSON(t, "POST", "/api/v1/delegations", owner, map[string]any{"member": "carol", "permissions": "post"}, 200, nil)
	tok := authorizeActingAsWith(t, ts, "carol", "bob", "read write follow push")

	// Web Push for the member's token and for the owner's.
	r := testutil.NewPushReceiver(t)
	p256dh, auth := r.Keys()
	subscribe := func(token, path string) {
		ts.JSON(t, "POST", "/api/v1/push/subscription", token, map[string]any{
			"subscription": map[string]any{"endpoint": r.URL() + path, "keys": map[string]string{"p256dh": p256dh, "auth": auth}},
			"data":         map[string]any{"alerts": map[string]bool{"mention": true}, "policy": "all"}}, 200, nil)
	}
	subscribe(tok, "/push/member")
	subscribe(owner, "/push/owner")

	member := dialWS(t, ts, tok, "header", "stream=user")
	member.send(map[string]any{"type": "subscribe", "stream": "user:notification"})
	member.sync()
	ownerWS := dialWS(t, ts, owner, "header", "stream=user")

	dm := f.post(t, f.tAlice, "@bob the code is 1234", "direct")
	ownerWS.wait("the owner's DM update", 5*time.Second, statusEvent("update", dm))
	ownerWS.wait("the owner's DM notification", 5*time.Second, notificationEvent("mention"))
	pub := f.post(t, f.tAlice, "@bob public hello", "public")
	member.wait("the member's public mention", 5*time.Second, func(e streamEvent) bool {
		return e.Event == "notification" && strings.Contains(e.Payload, pub)
	})
	f.barrier(t, member, ownerWS)
	member.none("the DM on the member's streams", anyStatus(dm))
	member.none("the DM's text on the member's streams", func(e streamEvent) bool { return strings.Contains(e.Payload, "1234") })

	// Notifications through the API.
	type notif struct {
		ID     string
		Type   string
		Status *struct{ ID string }
	}
	var ns []notif
	ts.JSON(t, "GET", "/api/v1/notifications", owner, nil, 200, &ns)
	var dmNotif string
	for _, n := range ns {
		if n.Status != nil && n.Status.ID == dm {
			dmNotif = n.ID
		}
	}
	if len(ns) != 2 || dmNotif == "" {
		t.Fatalf("the owner's notifications: %+v", ns)
	}
	ts.JSON(t, "GET", "/api/v1/notifications", tok, nil, 200, &ns)
	if len(ns) != 1 || ns[0].Status == nil || ns[0].Status.ID != pub {
		t.Fatalf("the member's notifications: %+v", ns)
	}
	ts.JSON(t, "GET", "/api/v1/notifications/"+dmNotif, tok, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/notifications/"+dmNotif, owner, nil, 200, nil)
	var grouped struct {
		NotificationGroups []struct {
			StatusID string `json:"status_id"`
		} `json:"notification_groups"`
		Statuses []struct{ ID string } `json:"statuses"`
	}
	ts.JSON(t, "GET", "/api/v2/notifications", tok, nil, 200, &grouped)
	if len(grouped.NotificationGroups) != 1 || grouped.NotificationGroups[0].StatusID != pub || len(grouped.Statuses) != 1 {
		t.Fatalf("the member's grouped notifications: %+v", grouped)
	}
	var count struct{ Count int }
	ts.JSON(t, "GET", "/api/v1/notifications/unread_count", tok, nil, 200, &count)
	if count.Count != 1 {
		t.Errorf("the member's unread count: %d, want 1", count.Count)
	}
	ts.JSON(t, "GET", "/api/v2/notifications/unread_count", tok, nil, 200, &count)
	if count.Count != 1 {
		t.Errorf("the member's grouped unread count: %d, want 1", count.Count)
	}
	ts.JSON(t, "GET", "/api/v1/notifications/unread_count", owner, nil, 200, &count)
	if count.Count != 2 {
		t.Errorf("the owner's unread count: %d, want 2", count.Count)
	}

	// Web Push: the owner got both mentions, the member the public one.
	drainPushes(t, ts)
	byPath := map[string][]string{}
	payloads := r.Payloads()
	for i, p := range r.Paths() {
		byPath[p] = append(byPath[p], fmt.Sprint(payloads[i]["body"]))
	}
	if len(byPath["/push/owner"]) != 2 {
		t.Errorf("pushes to the owner: %v", byPath["/push/owner"])
	}
	if m := byPath["/push/member"]; len(m) != 1 || strings.Contains(m[0], "1234") {
		t.Errorf("pushes to the member: %v", m)
	}
}
