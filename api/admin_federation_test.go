package api_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

// The core side of federated moderation: forwarded reports, incoming
// Flags, domain policies with reject_reports.
func TestFederatedReports(t *testing.T) {
	ts := server.StartTest(t)
	ctx := t.Context()
	ts.CreateUser(t, "alice", "user")
	troll := ts.CreateUser(t, "troll", "user")
	ts.CreateUser(t, "mod", "moderator")
	ts.CreateUser(t, "boss", "admin")
	aliceTok := ts.Token(t, "alice", "read write")
	modTok := ts.Token(t, "mod", "admin:read admin:write")
	bossTok := ts.Token(t, "boss", "admin:read admin:write")
	rob := &model.Account{Username: "rob", Domain: "remote.example", URI: "https://remote.example/users/rob",
		InboxURL: "https://remote.example/users/rob/inbox"}
	if err := ts.Srv.Store.UpsertRemoteAccount(ctx, rob); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ID        string `json:"id"`
		Forwarded bool   `json:"forwarded"`
	}
	ts.JSON(t, "POST", "/api/v1/reports", aliceTok, map[string]any{"account_id": fmt.Sprint(rob.ID), "forward": true, "comment": "remote spam"}, 200, &rep)
	if !rep.Forwarded {
		t.Fatalf("not forwarded: %+v", rep)
	}

	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "troll", "write"), map[string]any{"status": "offensive"}, 200, &st)
	sid, _ := strconv.ParseInt(st.ID, 10, 64)
	flag := func(uri string) {
		t.Helper()
		if err := ts.Srv.Svc.ReceiveFlag(ctx, "remote.example", rob.ID, troll.ID, []int64{sid, 12345}, "from their moderators", uri); err != nil {
			t.Fatal(err)
		}
	}
	flag("https://remote.example/flags/1")
	flag("https://remote.example/flags/1") // repeated: ignored
	type report struct {
		Comment  string `json:"comment"`
		Account  struct{ Username, Domain string }
		Statuses []struct{ ID string }
	}
	var list []report
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/admin/reports?target_account_id=%d", troll.ID), modTok, nil, 200, &list)
	if len(list) != 1 || list[0].Account.Username != "rob" || list[0].Account.Domain != "remote.example" || len(list[0].Statuses) != 1 ||
		list[0].Comment != "from their moderators" {
		t.Fatalf("flag as report: %+v", list)
	}
	ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", bossTok, map[string]any{"domain": "remote.example", "severity": "noop", "reject_reports": true}, 200, nil)
	flag("https://remote.example/flags/2")
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/admin/reports?target_account_id=%d", troll.ID), modTok, nil, 200, &list)
	if len(list) != 1 {
		t.Fatalf("a flag from a domain whose reports are rejected was kept: %+v", list)
	}
	// Reports about remote accounts can be listed by domain.
	ts.JSON(t, "GET", "/api/v1/admin/reports?by_target_domain=remote.example", modTok, nil, 200, &list)
	if len(list) != 1 || list[0].Comment != "remote spam" {
		t.Fatalf("by target domain: %+v", list)
	}
}
