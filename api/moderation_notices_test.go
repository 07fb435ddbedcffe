package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

type notif struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Report *struct {
		ID            string                    `json:"id"`
		Comment       string                    `json:"comment"`
		StatusIDs     []string                  `json:"status_ids"`
		TargetAccount struct{ Username string } `json:"target_account"`
	} `json:"report"`
	ModerationWarning *struct {
		ID        string   `json:"id"`
		Action    string   `json:"action"`
		Text      string   `json:"text"`
		StatusIDs []string `json:"status_ids"`
		Appeal    *struct{ Text, State string }
	} `json:"moderation_warning"`
	Account struct{ Username string }
}

// Staff with Manage Reports get an admin.report notification for every
// report (two by one reporter are two); Manage Users holders get
// admin.sign_up for a new account; users without the permission get none.
func TestStaffNotifiedOfReportsAndSignUps(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "mod", "moderator")
	ts.CreateUser(t, "bob", "user")
	aliceTok := ts.Token(t, "alice", "read write")
	modTok := ts.Token(t, "mod", "read write admin:read admin:write")
	bobTok := ts.Token(t, "bob", "read write")

	for _, comment := range []string{"first", "second"} {
		ts.JSON(t, "POST", "/api/v1/reports", aliceTok, map[string]any{"account_id": fmt.Sprint(troll.ID), "comment": comment}, 200, nil)
	}
	var ns []notif
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=admin.report", modTok, nil, 200, &ns)
	if len(ns) != 2 || ns[0].Report == nil || ns[0].Report.Comment != "second" || ns[1].Report.Comment != "first" ||
		ns[0].Account.Username != "alice" || ns[0].Report.TargetAccount.Username != "troll" {
		t.Fatalf("admin.report notifications: %+v", ns)
	}
	ts.JSON(t, "GET", "/api/v1/notifications", bobTok, nil, 200, &ns)
	if len(ns) != 0 {
		t.Fatalf("a user got staff notifications: %+v", ns)
	}
	// exclude_types hides them, as clients filter them in Mastodon.
	ts.JSON(t, "GET", "/api/v1/notifications?exclude_types[]=admin.report", modTok, nil, 200, &ns)
	for _, n := range ns {
		if n.Type == "admin.report" {
			t.Fatalf("excluded type listed: %+v", ns)
		}
	}

	// A sign-up (open registrations) notifies Manage Users holders.
	ownerTok := func() string {
		ts.CreateUser(t, "owner", "owner")
		return ts.Token(t, "owner", "read write admin:read admin:write")
	}()
	setMode(t, ts, ownerTok, "open")
	app := appToken(t, ts, "read write")
	ts.JSON(t, "POST", "/api/v1/accounts", app, signUpForm("newbie", "newbie@example.com", ""), 200, nil)
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=admin.sign_up", modTok, nil, 200, &ns)
	if len(ns) != 1 || ns[0].Account.Username != "newbie" {
		t.Fatalf("admin.sign_up notifications: %+v", ns)
	}
}

// A moderation action reaches its target as a moderation_warning
// notification; the user appeals once, within the window; a moderator
// with Manage Appeals sees and decides it, and approving reverses the
// account action.
func TestModerationWarningAndAppeal(t *testing.T) {
	ts := server.StartTest(t)
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "mod", "moderator")
	ts.CreateUser(t, "other", "user")
	trollTok := ts.Token(t, "troll", "read write")
	otherTok := ts.Token(t, "other", "read write")
	modTok := ts.Token(t, "mod", "read write admin:read admin:write")

	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"something nasty"}}, 200, &st)
	ts.JSON(t, "POST", "/api/v1/admin/status_actions", modTok, map[string]any{"type": "delete", "status_ids": []string{st.ID},
		"text": "Not here."}, 200, nil)
	var ns []notif
	ts.JSON(t, "GET", "/api/v1/notifications", trollTok, nil, 200, &ns)
	if len(ns) != 1 || ns[0].Type != "moderation_warning" || ns[0].ModerationWarning == nil ||
		ns[0].ModerationWarning.Action != "delete_statuses" || ns[0].ModerationWarning.Text != "Not here." ||
		len(ns[0].ModerationWarning.StatusIDs) != 1 || ns[0].ModerationWarning.Appeal != nil {
		t.Fatalf("moderation_warning: %+v", ns)
	}
	deleteWarning := ns[0].ModerationWarning.ID
	var grouped struct {
		NotificationGroups []struct {
			Type              string
			ModerationWarning *struct{ ID string } `json:"moderation_warning"`
		} `json:"notification_groups"`
	}
	ts.JSON(t, "GET", "/api/v2/notifications", trollTok, nil, 200, &grouped)
	if len(grouped.NotificationGroups) != 1 || grouped.NotificationGroups[0].ModerationWarning == nil ||
		grouped.NotificationGroups[0].ModerationWarning.ID != deleteWarning {
		t.Fatalf("grouped moderation_warning: %+v", grouped)
	}

	// Silence with a warning: a second notification.
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+fmt.Sprint(troll.ID)+"/action", modTok, map[string]any{"type": "silence", "text": "Calm down."}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=moderation_warning", trollTok, nil, 200, &ns)
	if len(ns) != 2 || ns[0].ModerationWarning.Action != "silence" {
		t.Fatalf("second warning: %+v", ns)
	}
	silenceWarning := ns[0].ModerationWarning.ID

	// Appeals: only one's own, with text, once.
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+silenceWarning+"/appeal", otherTok, map[string]any{"text": "x"}, 404, nil)
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+silenceWarning+"/appeal", trollTok, map[string]any{"text": " "}, 422, nil)
	var w struct{ Appeal *struct{ Text, State string } }
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+silenceWarning+"/appeal", trollTok, map[string]any{"text": "I was provoked."}, 200, &w)
	if w.Appeal == nil || w.Appeal.State != "pending" || w.Appeal.Text != "I was provoked." {
		t.Fatalf("appeal: %+v", w)
	}
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+silenceWarning+"/appeal", trollTok, map[string]any{"text": "again"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+deleteWarning+"/appeal", trollTok, map[string]any{"text": "That post was fine."}, 200, nil)

	// Staff with Manage Appeals (admins; Mastodon's moderators lack it)
	// list and decide.
	ts.JSON(t, "GET", "/api/v1/admin/appeals", trollTok, nil, 403, nil)
	ts.JSON(t, "GET", "/api/v1/admin/appeals", modTok, nil, 403, nil)
	ts.CreateUser(t, "boss", "admin")
	modTok = ts.Token(t, "boss", "read write admin:read admin:write")
	type adminAppeal struct {
		ID, State string
		Warning   struct{ ID, Action string }
		Account   struct{ Username string }
	}
	var as []adminAppeal
	ts.JSON(t, "GET", "/api/v1/admin/appeals?pending=true", modTok, nil, 200, &as)
	if len(as) != 2 || as[0].Account.Username != "troll" || as[0].Warning.ID != deleteWarning {
		t.Fatalf("appeals: %+v", as)
	}
	var a adminAppeal
	ts.JSON(t, "POST", "/api/v1/admin/appeals/"+as[1].ID+"/approve", modTok, nil, 200, &a)
	if a.State != "approved" {
		t.Fatalf("approved: %+v", a)
	}
	ts.JSON(t, "POST", "/api/v1/admin/appeals/"+as[1].ID+"/reject", modTok, nil, 422, nil)
	ts.JSON(t, "POST", "/api/v1/admin/appeals/"+as[0].ID+"/reject", modTok, nil, 200, &a)
	if a.State != "rejected" {
		t.Fatalf("rejected: %+v", a)
	}
	ts.JSON(t, "POST", "/api/v1/admin/appeals/999/reject", modTok, nil, 404, nil)
	var acc struct{ Silenced bool }
	ts.JSON(t, "GET", "/api/v1/admin/accounts/"+fmt.Sprint(troll.ID), modTok, nil, 200, &acc)
	if acc.Silenced {
		t.Fatal("the approved appeal did not lift the limit")
	}
	ts.JSON(t, "GET", "/api/v1/admin/appeals?pending=true", modTok, nil, 200, &as)
	if len(as) != 0 {
		t.Fatalf("pending after decisions: %+v", as)
	}
	var ws []struct {
		ID     string
		Appeal *struct{ State string }
	}
	ts.JSON(t, "GET", "/api/v1/account_warnings", trollTok, nil, 200, &ws)
	if len(ws) != 2 || ws[0].Appeal == nil || ws[0].Appeal.State != "approved" || ws[1].Appeal.State != "rejected" {
		t.Fatalf("warnings with appeals: %+v", ws)
	}
}

// TestApprovedAppealLiftsSensitiveMarks: approving the appeal of "posts
// marked sensitive" lifts the marks the action applied (a post that was
// sensitive before stays so), and the warning is overruled
// (overruled_at) in the owner's and the moderators' lists; a rejected
// appeal overrules nothing.
func TestApprovedAppealLiftsSensitiveMarks(t *testing.T) {
	ts := server.StartTest(t)
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "boss", "admin")
	trollTok := ts.Token(t, "troll", "read write")
	bossTok := ts.Token(t, "boss", "read write admin:read admin:write")

	type status struct {
		ID        string
		Sensitive bool
	}
	var plain, already, other status
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"a plain post"}}, 200, &plain)
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"sensitive already"}, "sensitive": {"true"}}, 200, &already)
	ts.JSON(t, "POST", "/api/v1/statuses", trollTok, url.Values{"status": {"another post"}}, 200, &other)
	for _, ids := range [][]string{{plain.ID, already.ID}, {other.ID}} {
		ts.JSON(t, "POST", "/api/v1/admin/status_actions", bossTok, map[string]any{"type": "mark_as_sensitive", "status_ids": ids}, 200, nil)
	}
	type warning struct {
		ID          string
		Action      string
		OverruledAt *string `json:"overruled_at"`
		Appeal      *struct{ State string }
	}
	var ws []warning
	ts.JSON(t, "GET", "/api/v1/account_warnings", trollTok, nil, 200, &ws)
	if len(ws) != 2 || ws[0].Action != "mark_statuses_as_sensitive" || ws[0].OverruledAt != nil {
		t.Fatalf("warnings: %+v", ws)
	}
	// ws[1] marked plain and already; ws[0] marked other.
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+ws[1].ID+"/appeal", trollTok, map[string]any{"text": "Nothing sensitive there."}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/account_warnings/"+ws[0].ID+"/appeal", trollTok, map[string]any{"text": "Nor there."}, 200, nil)
	var as []struct {
		ID      string
		Warning struct{ ID string }
	}
	ts.JSON(t, "GET", "/api/v1/admin/appeals?pending=true", bossTok, nil, 200, &as)
	if len(as) != 2 {
		t.Fatalf("appeals: %+v", as)
	}
	for _, a := range as {
		op := "reject"
		if a.Warning.ID == ws[1].ID {
			op = "approve"
		}
		ts.JSON(t, "POST", "/api/v1/admin/appeals/"+a.ID+"/"+op, bossTok, nil, 200, nil)
	}

	for id, want := range map[string]bool{plain.ID: false, already.ID: true, other.ID: true} {
		var st status
		ts.JSON(t, "GET", "/api/v1/statuses/"+id, trollTok, nil, 200, &st)
		if st.Sensitive != want {
			t.Errorf("post %s sensitive = %v after the decisions, want %v", id, st.Sensitive, want)
		}
	}
	ts.JSON(t, "GET", "/api/v1/account_warnings", trollTok, nil, 200, &ws)
	if ws[1].OverruledAt == nil || ws[1].Appeal.State != "approved" || ws[0].OverruledAt != nil || ws[0].Appeal.State != "rejected" {
		t.Fatalf("overruled_at after the decisions: %+v", ws)
	}
	var adminWs []warning
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/admin/accounts/%d/warnings", troll.ID), bossTok, nil, 200, &adminWs)
	if len(adminWs) != 2 || adminWs[1].OverruledAt == nil || adminWs[0].OverruledAt != nil {
		t.Fatalf("moderators' list of warnings: %+v", adminWs)
	}
}
