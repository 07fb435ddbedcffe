package webui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// TestSettingsMigration: bob lists alice as an alias from the settings,
// alice moves to bob (her password required), and her page then says so.
func TestSettingsMigration(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")

	bb := newBrowser(t, ts)
	bb.signIn("bob")
	if code, page := bb.do("GET", "/settings/migration", nil); code != 200 || !strings.Contains(page, "No aliases") {
		t.Fatalf("migration page: %d", code)
	}
	if code, page := bb.do("POST", "/settings/migration/aliases", url.Values{"acct": {"alice@" + ts.Domain}}); code != 200 || !strings.Contains(page, alice.URI) {
		t.Fatalf("add alias: %d %.400s", code, page)
	}

	ab := newBrowser(t, ts)
	ab.signIn("alice")
	ab.do("GET", "/settings/migration", nil)
	if code, _ := ab.do("POST", "/settings/migration", url.Values{"acct": {"bob@" + ts.Domain}, "current_password": {"wrong"}}); code == 200 {
		t.Fatal("move with a wrong password succeeded")
	}
	ab.do("GET", "/settings/migration", nil)
	code, page := ab.do("POST", "/settings/migration", url.Values{"acct": {"bob@" + ts.Domain}, "current_password": {server.TestPassword}})
	if code != 200 || !strings.Contains(page, "This account has moved to") {
		t.Fatalf("move: %d %.400s", code, page)
	}
	if a, err := ts.Srv.Svc.AccountByID(context.Background(), alice.ID); err != nil || a.MovedToID != bob.ID {
		t.Fatalf("alice after the move: %+v %v", a, err)
	}
	// Removing the alias.
	bb.do("GET", "/settings/migration", nil)
	if code, page := bb.do("POST", "/settings/migration/aliases/remove", url.Values{"uri": {alice.URI}}); code != 200 || !strings.Contains(page, "No aliases") {
		t.Fatalf("remove alias: %d", code)
	}
}
