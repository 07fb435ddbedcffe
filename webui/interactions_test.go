package webui_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage"
)

// The web client's interaction controls: a post's reply and quote rules
// chosen when composing, a choice that is not one gets a 422, and the
// settings page sets the defaults (and keeps what an app set that it
// cannot show).
func TestInteractionControls(t *testing.T) {
	ctx := context.Background()
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	b := newBrowser(t, ts)
	b.signIn("alice")
	a, _ := ts.Srv.Svc.LocalAccount(ctx, "alice")
	newest := func() *model.Status {
		t.Helper()
		sts, err := ts.Srv.Store.AccountStatuses(ctx, a.ID, model.Direct, storage.AccountStatusFilter{}, model.Page{Limit: 1})
		if err != nil || len(sts) == 0 {
			t.Fatalf("alice's posts: %v", err)
		}
		return sts[0]
	}

	b.do("GET", "/home", nil)
	if code, _ := b.do("POST", "/statuses", url.Values{"status": {"followers answer"}, "visibility": {"public"},
		"policy_reply": {"followers"}, "policy_quote": {"author"}}); code != 200 {
		t.Fatalf("compose: %d", code)
	}
	p := newest().Policy
	if !slices.Equal(p.Reply.Automatic, []string{model.PolicyFollowers}) || !slices.Equal(p.Quote.Automatic, []string{model.PolicyAuthor}) ||
		!slices.Equal(p.Favourite.Automatic, []string{model.PolicyPublic}) {
		t.Fatalf("post's policy: %+v", p)
	}
	b.do("GET", "/home", nil)
	if code, _ := b.do("POST", "/statuses", url.Values{"status": {"never posted"}, "policy_reply": {"everybody"}}); code != 422 {
		t.Fatalf("compose with a bad choice: %d", code)
	}

	// An app set a rule the page has no preset for: shown as custom, kept.
	custom := model.PolicyRule{Automatic: []string{model.PolicyMentioned, model.PolicyFollowing}}
	if err := ts.Srv.Store.SetInteractionDefaults(ctx, a.ID, model.InteractionDefaults{Public: &model.InteractionPolicy{
		Favourite: custom, Reply: model.PolicyRule{Automatic: []string{model.PolicyPublic}}, Reblog: custom, Quote: custom}}); err != nil {
		t.Fatal(err)
	}
	if _, body := b.do("GET", "/settings/interactions", nil); !strings.Contains(body, `<option value="custom" selected>`) {
		t.Fatal("the settings page does not show the app's rule as custom")
	}
	if code, _ := b.do("POST", "/settings/interactions", url.Values{"policy_reply": {"approval"}, "policy_favourite": {"custom"},
		"policy_reblog": {"followers"}, "policy_quote": {"public"}}); code != 200 {
		t.Fatalf("settings: %d", code)
	}
	b.do("GET", "/home", nil)
	b.do("POST", "/statuses", url.Values{"status": {"with the defaults"}, "visibility": {"public"}})
	p = newest().Policy
	if !slices.Equal(p.Reply.Manual, []string{model.PolicyPublic}) || !slices.Equal(p.Favourite.Automatic, custom.Automatic) ||
		!slices.Equal(p.Reblog.Automatic, []string{model.PolicyFollowers}) || !slices.Equal(p.Quote.Automatic, []string{model.PolicyPublic}) {
		t.Fatalf("new post's policy after the settings: %+v", p)
	}
	// Followers-only posts: the reply rule applies, boosts stay the author's.
	b.do("GET", "/home", nil)
	b.do("POST", "/statuses", url.Values{"status": {"for followers"}, "visibility": {"private"}})
	p = newest().Policy
	if !slices.Equal(p.Reply.Manual, []string{model.PolicyPublic}) || !slices.Equal(p.Reblog.Automatic, []string{model.PolicyAuthor}) {
		t.Fatalf("followers-only post's policy: %+v", p)
	}
	b.do("GET", "/settings/interactions", nil)
	if code, _ := b.do("POST", "/settings/interactions", url.Values{"policy_reply": {"nobody"}}); code != 422 {
		t.Fatalf("settings with a bad choice: %d", code)
	}

	// A favourite or boost that waits for its author says so.
	ts.CreateUser(t, "bob", "user")
	bob := newBrowser(t, ts)
	bob.signIn("bob")
	bob.do("GET", "/settings/interactions", nil)
	bob.do("POST", "/settings/interactions", url.Values{"policy_favourite": {"approval"}, "policy_reblog": {"approval"}})
	bob.do("GET", "/home", nil)
	bob.do("POST", "/statuses", url.Values{"status": {"ask first"}, "visibility": {"public"}})
	bobAcc, _ := ts.Srv.Svc.LocalAccount(ctx, "bob")
	sts, err := ts.Srv.Store.AccountStatuses(ctx, bobAcc.ID, model.Direct, storage.AccountStatusFilter{}, model.Page{Limit: 1})
	if err != nil || len(sts) != 1 {
		t.Fatalf("bob's post: %v", err)
	}
	path := "/@bob/" + strconv.FormatInt(sts[0].ID, 10)
	for _, op := range []string{"favourite", "reblog"} {
		b.do("GET", path, nil)
		if code, body := b.do("POST", "/statuses/"+strconv.FormatInt(sts[0].ID, 10)+"/"+op, url.Values{"return_to": {path}}); code != 200 ||
			!strings.Contains(body, "the author must approve") {
			t.Fatalf("%s of a post whose author approves: %d, no word of it", op, code)
		}
	}
}
