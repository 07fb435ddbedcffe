package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The auth cache (internal/core/authcache.go) keeps callers, roles and
// follow-request counts between requests. Changes made by a second process
// on the same database (here a second *sqlite.Store on the file, as the
// command line or a second server would open it) must take effect at the
// next request, as changes made through this server do.
func TestAuthCacheSeesChangesOfAnotherProcess(t *testing.T) {
	ts := StartTest(t)
	ctx := context.Background()
	alice := ts.CreateUser(t, "alice", model.RoleUser)
	ts.CreateUser(t, "bob", model.RoleUser)
	token := ts.Token(t, "alice", "read write")
	bobToken := ts.Token(t, "bob", "read write")

	other, err := openStore(ctx, ts.Cfg, 1) // another process: on the same database
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	verify := func(tok string) (int, map[string]any) {
		t.Helper()
		var out map[string]any
		code, _, body := ts.Do(t, http.MethodGet, "/api/v1/accounts/verify_credentials", tok, nil)
		if code == http.StatusOK {
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
		}
		return code, out
	}
	// Twice: the second answer comes from the cache.
	for i := 0; i < 2; i++ {
		if code, _ := verify(token); code != http.StatusOK {
			t.Fatalf("verify_credentials: %d", code)
		}
	}

	// A follow request to alice, stored by the other process, shows in her
	// credentials at once.
	bob, err := other.AccountByUsername(ctx, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.RequestFollow(ctx, &model.Follow{AccountID: bob.ID, TargetID: alice.ID}, nil); err != nil {
		t.Fatal(err)
	}
	_, acc := verify(token)
	if n := acc["source"].(map[string]any)["follow_requests_count"]; n != float64(1) {
		t.Errorf("follow_requests_count after a request by another process: %v, want 1", n)
	}

	// A role changed by the other process.
	role, err := other.RoleByKey(ctx, model.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	role.Name = "Everyone, renamed elsewhere"
	if err := other.UpdateRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	_, acc = verify(token)
	if name := acc["role"].(map[string]any)["name"]; name != role.Name {
		t.Errorf("role name after a change by another process: %v, want %q", name, role.Name)
	}

	// The token revoked by the other process stops working.
	if id, err := other.RevokeToken(ctx, token, 0); err != nil || id == 0 {
		t.Fatalf("revoke: %d, %v", id, err)
	}
	if code, _ := verify(token); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}

	// Bob's account suspended by the other process: his token is refused.
	if code, _ := verify(bobToken); code != http.StatusOK {
		t.Fatalf("bob: %d", code)
	}
	yes := true
	if err := other.ModerateAccount(ctx, bob.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if code, _ := verify(bobToken); code != http.StatusForbidden {
		t.Errorf("suspended account's token: %d, want 403", code)
	}
}

// The same changes made through this server's own API take effect at once
// too (the cache is not told: the version it checks moves).
func TestAuthCacheSeesRevocationAndProfileChanges(t *testing.T) {
	ts := StartTest(t)
	ts.CreateUser(t, "alice", model.RoleUser)
	token := ts.Token(t, "alice", "read write")
	ts.JSON(t, http.MethodGet, "/api/v1/accounts/verify_credentials", token, nil, http.StatusOK, nil)

	var acc map[string]any
	ts.JSON(t, http.MethodPatch, "/api/v1/accounts/update_credentials", token, map[string]any{"display_name": "Alice Cached"}, http.StatusOK, nil)
	ts.JSON(t, http.MethodGet, "/api/v1/accounts/verify_credentials", token, nil, http.StatusOK, &acc)
	if acc["display_name"] != "Alice Cached" {
		t.Errorf("display_name after update: %v", acc["display_name"])
	}

	ts.JSON(t, http.MethodPost, "/api/v1/statuses", token, map[string]any{"status": "counted"}, http.StatusOK, nil)
	ts.JSON(t, http.MethodGet, "/api/v1/accounts/verify_credentials", token, nil, http.StatusOK, &acc)
	if acc["statuses_count"] != float64(1) {
		t.Errorf("statuses_count after posting: %v, want 1", acc["statuses_count"])
	}

	if err := ts.Srv.Svc.RevokeToken(context.Background(), &model.App{}, token); err != nil {
		t.Fatal(err)
	}
	code, _, _ := ts.Do(t, http.MethodGet, "/api/v1/accounts/verify_credentials", token, nil)
	if code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
}

// The accounts a page of statuses shows are cached too (core's account
// cache); a profile changed by another process shows at the next page.
func TestAccountCacheSeesChangesOfAnotherProcess(t *testing.T) {
	ts := StartTest(t)
	ctx := context.Background()
	alice := ts.CreateUser(t, "alice", model.RoleUser)
	token := ts.Token(t, "alice", "read write")
	ts.JSON(t, http.MethodPost, "/api/v1/statuses", token, map[string]any{"status": "hello"}, http.StatusOK, nil)
	name := func() any {
		t.Helper()
		var page []map[string]any
		ts.JSON(t, http.MethodGet, "/api/v1/timelines/home", token, nil, http.StatusOK, &page)
		if len(page) != 1 {
			t.Fatalf("home: %d statuses", len(page))
		}
		return page[0]["account"].(map[string]any)["display_name"]
	}
	name()
	name() // from the cache

	other, err := openStore(ctx, ts.Cfg, 1) // another process: on the same database
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	renamed := "Alice, renamed elsewhere"
	if err := other.UpdateProfile(ctx, alice.ID, storage.ProfileUpdate{DisplayName: &renamed}, nil); err != nil {
		t.Fatal(err)
	}
	if got := name(); got != renamed {
		t.Errorf("display_name after a change by another process: %v, want %q", got, renamed)
	}
}

// An account's default interaction policies are cached too (read on every
// verify_credentials): a change by another process shows at once.
func TestInteractionDefaultsCacheSeesChangesOfAnotherProcess(t *testing.T) {
	ts := StartTest(t)
	ctx := context.Background()
	alice := ts.CreateUser(t, "alice", model.RoleUser)
	token := ts.Token(t, "alice", "read write")
	quotePolicy := func() any {
		t.Helper()
		var me map[string]any
		ts.JSON(t, http.MethodGet, "/api/v1/accounts/verify_credentials", token, nil, http.StatusOK, &me)
		return me["source"].(map[string]any)["quote_policy"]
	}
	before := quotePolicy()
	quotePolicy()                           // from the cache
	other, err := openStore(ctx, ts.Cfg, 1) // another process: on the same database
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	open := &model.InteractionPolicy{Quote: model.PolicyRule{Automatic: []string{"public"}}}
	if err := other.SetInteractionDefaults(ctx, alice.ID, model.InteractionDefaults{Public: open, Unlisted: open}); err != nil {
		t.Fatal(err)
	}
	if got := quotePolicy(); got != "public" || got == before {
		t.Errorf("quote_policy after a change by another process: %v (before %v), want public", got, before)
	}
}
