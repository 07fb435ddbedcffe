package api_test

import (
	"slices"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// An account's followers and follows, as Mastodon shows them: a viewer is
// not shown the accounts it blocks, is blocked by or mutes (the owner of
// the list sees all), and an account that blocks the viewer shows it none.
func TestGraphListsHideExcludedAccounts(t *testing.T) {
	ts := server.StartTest(t)
	names := []string{"target", "viewer", "blocked", "muted", "blocker", "plain"}
	tok := map[string]string{}
	id := map[string]string{}
	for _, n := range names {
		id[n] = idOf(ts.CreateUser(t, n, "user"))
		tok[n] = ts.Token(t, n, "read write follow")
	}
	for _, n := range []string{"blocked", "muted", "blocker", "plain"} {
		ts.JSON(t, "POST", "/api/v1/accounts/"+id["target"]+"/follow", tok[n], nil, 200, nil)
		ts.JSON(t, "POST", "/api/v1/accounts/"+id[n]+"/follow", tok["target"], nil, 200, nil)
	}
	ts.JSON(t, "POST", "/api/v1/accounts/"+id["blocked"]+"/block", tok["viewer"], nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+id["muted"]+"/mute", tok["viewer"], nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+id["viewer"]+"/block", tok["blocker"], nil, 200, nil)

	list := func(path, token string) []string {
		t.Helper()
		var accs []struct{ Username string }
		ts.JSON(t, "GET", path, token, nil, 200, &accs)
		var out []string
		for _, a := range accs {
			out = append(out, a.Username)
		}
		slices.Sort(out)
		return out
	}
	all := []string{"blocked", "blocker", "muted", "plain"}
	for _, rel := range []string{"followers", "following"} {
		path := "/api/v1/accounts/" + id["target"] + "/" + rel
		if got := list(path, tok["viewer"]); !slices.Equal(got, []string{"plain"}) {
			t.Errorf("%s as the viewer: %v, want [plain]", rel, got)
		}
		if got := list(path, tok["target"]); !slices.Equal(got, all) {
			t.Errorf("%s as the owner: %v, want %v", rel, got, all)
		}
		if got := list(path, ""); !slices.Equal(got, all) {
			t.Errorf("%s anonymously: %v, want %v", rel, got, all)
		}
	}
	// The target blocks the viewer: nothing to see.
	ts.JSON(t, "POST", "/api/v1/accounts/"+id["viewer"]+"/block", tok["target"], nil, 200, nil)
	if got := list("/api/v1/accounts/"+id["target"]+"/followers", tok["viewer"]); len(got) != 0 {
		t.Errorf("followers of an account that blocks the viewer: %v", got)
	}
}
