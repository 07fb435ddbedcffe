package core_test

import (
	"net/http"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// delegatedCaller authenticates a token issued through the consent
// screen's choice of account, as the API does.
func (e *env) delegatedCaller(member *core.Caller, account *core.Caller) (*core.Caller, string) {
	e.t.Helper()
	app, err := e.svc.CreateApp(e.ctx, core.CreateAppParams{Name: "team app", RedirectURIs: []string{core.OOB}, Scopes: "read write"})
	if err != nil {
		e.t.Fatal(err)
	}
	code, err := e.svc.IssueCodeAs(e.ctx, app, member.User.ID, account.Account.ID, core.OOB, []string{"read", "write"}, "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	plain, _, err := e.svc.ExchangeCode(e.ctx, app, app.ClientSecret, code, core.OOB, "")
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.svc.CallerByToken(e.ctx, plain)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, plain
}

func errStatus(err error) int {
	if err == nil {
		return 200
	}
	return herr.As(err).Status
}

// The rules of delegation in core: who may grant, what a delegated caller
// is and may do, what is logged, and what ends it.
func TestDelegationRules(t *testing.T) {
	e := newEnv(t)
	city, mia, bob := e.user("city"), e.user("mia"), e.user("bob")

	// Only the owner (or staff) grants; nobody grants onto themselves;
	// the member must be able to sign in.
	if _, err := e.svc.GrantDelegation(e.ctx, bob, city.Account.ID, "mia", []string{"post"}); errStatus(err) != http.StatusForbidden {
		t.Fatalf("bob grants on city: %v", err)
	}
	if _, err := e.svc.GrantDelegation(e.ctx, city, city.Account.ID, "city", []string{"post"}); errStatus(err) != 422 {
		t.Fatalf("grant to the account itself: %v", err)
	}
	if _, err := e.svc.IssueCodeAs(e.ctx, &model.App{RedirectURIs: []string{core.OOB}, Scopes: "read"}, mia.User.ID, city.Account.ID,
		core.OOB, []string{"read"}, "", ""); errStatus(err) != http.StatusForbidden {
		t.Fatalf("a code acting for an account mia is no member of: %v", err)
	}
	d, err := e.svc.GrantDelegation(e.ctx, city, city.Account.ID, "mia", []string{"post", "post"})
	if err != nil || len(d.Permissions) != 1 || d.Member.ID != mia.Account.ID {
		t.Fatalf("grant: %+v %v", d, err)
	}

	c, _ := e.delegatedCaller(mia, city)
	if c.Account.ID != city.Account.ID || c.Member.ID != mia.Account.ID || !c.Delegated() || c.Token.DelegateID != mia.User.ID {
		t.Fatalf("delegated caller: account %d member %v", c.Account.ID, c.Member)
	}
	// Scopes narrowed by the permissions: admin never, the profile not
	// without "profile".
	for scope, want := range map[string]bool{"read:statuses": true, "write:statuses": true, "write:accounts": false,
		"write:favourites": false, "admin:read": false, "write:conversations": false, "write:lists": true} {
		if got := c.Allows(scope); got != want {
			t.Errorf("Allows(%s) = %v, want %v", scope, got, want)
		}
	}
	if err := e.svc.Authorize(e.ctx, c, core.PermManageUsers); errStatus(err) != http.StatusForbidden {
		t.Errorf("a delegated caller passes Authorize: %v", err)
	}
	st, err := e.svc.PostStatus(e.ctx, c, core.PostParams{Text: "as city", Visibility: "public"})
	if err != nil || st.AccountID != city.Account.ID {
		t.Fatalf("post as city: %v", err)
	}
	if _, err := e.svc.PostStatus(e.ctx, c, core.PostParams{Text: "@bob dm", Visibility: "direct"}); errStatus(err) != http.StatusForbidden {
		t.Errorf("direct post without the permission: %v", err)
	}
	bobs := e.post(bob, core.PostParams{Text: "hi", Visibility: "public"})
	if _, err := e.svc.Reblog(e.ctx, c, bobs.ID, ""); errStatus(err) != http.StatusForbidden {
		t.Errorf("boost without interact: %v", err)
	}
	dm := e.post(bob, core.PostParams{Text: "@city secret", Visibility: "direct"})
	if _, err := e.svc.Status(e.ctx, c, dm.ID); errStatus(err) != http.StatusNotFound {
		t.Errorf("a direct message read without the permission: %v", err)
	}
	if _, err := e.svc.Status(e.ctx, city, dm.ID); err != nil {
		t.Errorf("the owner reads the direct message: %v", err)
	}
	e.follow(city, bob)
	own := e.post(city, core.PostParams{Text: "@bob our own dm", Visibility: "direct"})
	for name, tl := range map[string]func(*core.Caller) (*core.Timeline, error){
		"home": func(c *core.Caller) (*core.Timeline, error) {
			return e.svc.HomeTimeline(e.ctx, c, model.Page{Limit: 40})
		},
		"profile": func(c *core.Caller) (*core.Timeline, error) {
			return e.svc.AccountStatuses(e.ctx, c, city.Account.ID, storage.AccountStatusFilter{}, model.Page{Limit: 40})
		},
	} {
		seen := func(c *core.Caller) bool {
			t, err := tl(c)
			if err != nil {
				e.t.Fatalf("%s: %v", name, err)
			}
			for _, st := range t.View.Statuses {
				if st.ID == own.ID {
					return true
				}
			}
			return false
		}
		if !seen(city) || seen(c) {
			t.Errorf("%s: the owner sees their direct message %v, the member without direct %v", name, seen(city), seen(c))
		}
	}
	if _, err := e.svc.DirectTimeline(e.ctx, c, model.Page{Limit: 10}); errStatus(err) != http.StatusForbidden {
		t.Errorf("direct timeline without the permission: %v", err)
	}
	e.svc.RecordDelegatedAction(e.ctx, c, "POST /api/v1/statuses", "statuses", "1")
	e.svc.RecordDelegatedAction(e.ctx, city, "POST /api/v1/statuses", "statuses", "2") // not delegated: not logged
	log, err := e.svc.DelegationLog(e.ctx, city, city.Account.ID, mia.Account.ID, model.Page{Limit: 10})
	if err != nil || len(log) != 2 || log[0].ObjectID != "1" || log[0].Member != "mia" || log[1].Action != core.DelegationGranted {
		t.Fatalf("log: %+v %v", log, err)
	}
	if _, err := e.svc.DelegationLog(e.ctx, c, city.Account.ID, 0, model.Page{Limit: 10}); errStatus(err) != http.StatusForbidden {
		t.Errorf("a member reads the log through a delegated caller: %v", err)
	}

	// Revoked: the token is refused at once; revoking again is a 404.
	if err := e.svc.RevokeDelegation(e.ctx, city, city.Account.ID, mia.Account.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CheckCaller(e.ctx, c); errStatus(err) != http.StatusUnauthorized {
		t.Errorf("revoked delegated token: %v", err)
	}
	if err := e.svc.RevokeDelegation(e.ctx, city, city.Account.ID, mia.Account.ID); errStatus(err) != http.StatusNotFound {
		t.Errorf("revoke again: %v", err)
	}
}

// A member who is disabled loses their delegations; a member whose
// password changes loses their delegated tokens.
func TestDelegationEndsWithTheMember(t *testing.T) {
	e := newEnv(t)
	city, mia, ann := e.user("city"), e.user("mia"), e.user("ann")
	if _, err := e.svc.GrantDelegation(e.ctx, city, city.Account.ID, "mia", []string{"post"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.GrantDelegation(e.ctx, city, city.Account.ID, "ann", []string{"post"}); err != nil {
		t.Fatal(err)
	}
	_, miaTok := e.delegatedCaller(mia, city)
	_, annTok := e.delegatedCaller(ann, city)

	oa, ou, err := e.svc.CreateLocalAccount(e.ctx, core.NewAccountParams{Username: "owner1", Email: "owner1@example.org",
		Password: "correct horse battery", Role: "owner", Approved: true, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	owner := &core.Caller{Token: &model.Token{UserID: ou.ID, Scopes: "read write admin:write"}, User: ou, Account: oa}
	if err := e.svc.AccountAction(e.ctx, owner, mia.Account.ID, core.AccountActionParams{Type: "disable"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CallerByToken(e.ctx, miaTok); errStatus(err) != http.StatusUnauthorized {
		t.Errorf("disabled member's token: %v", err)
	}
	ds, err := e.svc.AccountDelegations(e.ctx, city, city.Account.ID)
	if err != nil || len(ds) != 1 || ds[0].Member.ID != ann.Account.ID {
		t.Fatalf("delegations after mia was disabled: %+v %v", ds, err)
	}
	if err := e.svc.ChangePassword(e.ctx, ann, "correct horse battery", "a new horse battery staple", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CallerByToken(e.ctx, annTok); errStatus(err) != http.StatusUnauthorized {
		t.Errorf("a delegated token after its member's password changed: %v", err)
	}
}
