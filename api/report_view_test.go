package api_test

import (
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// The moderators' view of a reported post (core.ViewReports) shows it as
// it is, whatever its visibility: with its media and mentions.
func TestAdminReportShowsReportedPostWhole(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "carol", "user")
	ts.CreateUser(t, "mod", "moderator")
	aliceTok := ts.Token(t, "alice", "read write")
	bobTok := ts.Token(t, "bob", "read write follow")
	var m mediaJSON
	if st := upload(t, ts, "POST", "/api/v2/media", aliceTok, nil,
		map[string]formFile{"file": {"photo.jpg", "image/jpeg", gpsJPEG(t, 64, 32)}}, &m); st != 200 {
		t.Fatalf("upload: %d", st)
	}
	var post struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "look @carol", "visibility": "private",
		"media_ids": []string{m.ID}}, 200, &post)
	ts.JSON(t, "POST", "/api/v1/accounts/"+idOf(alice)+"/follow", bobTok, nil, 200, nil)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", bobTok, map[string]any{"account_id": idOf(alice), "status_ids": []string{post.ID},
		"comment": "look at this"}, 200, &rep)

	var got struct {
		Account       struct{ Username string }
		TargetAccount struct{ Username string } `json:"target_account"`
		Statuses      []struct {
			ID       string
			Media    []struct{ ID string } `json:"media_attachments"`
			Mentions []struct{ Username string }
		}
	}
	ts.JSON(t, "GET", "/api/v1/admin/reports/"+rep.ID, ts.Token(t, "mod", "admin:read"), nil, 200, &got)
	if got.Account.Username != "bob" || got.TargetAccount.Username != "alice" {
		t.Errorf("accounts: %+v", got)
	}
	if len(got.Statuses) != 1 || got.Statuses[0].ID != post.ID {
		t.Fatalf("statuses: %+v", got.Statuses)
	}
	st := got.Statuses[0]
	if len(st.Media) != 1 || st.Media[0].ID != m.ID {
		t.Errorf("the reported post's media: %+v, want %s", st.Media, m.ID)
	}
	if len(st.Mentions) != 1 || st.Mentions[0].Username != "carol" {
		t.Errorf("the reported post's mentions: %+v", st.Mentions)
	}
}
