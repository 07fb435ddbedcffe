package webui_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// A user makes a list, adds an account she follows, reads its timeline,
// removes the account, renames and deletes the list.
func TestWebLists(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "carol", "user")
	ts.JSON(t, "POST", "/api/v1/accounts/"+itoa64(bob.ID)+"/follow", ts.Token(t, "alice", "follow"), nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "bob", "write"), map[string]any{"status": "bob's news", "visibility": "public"}, 200, nil)
	b := newBrowser(t, ts)
	b.signIn("alice")
	if code, body := b.do("GET", "/lists", nil); code != 200 || !strings.Contains(body, "No lists yet") {
		t.Fatalf("lists page: %d", code)
	}
	if code, _ := b.do("POST", "/lists", url.Values{"title": {""}}); code != 422 {
		t.Errorf("a list without a title: %d", code)
	}
	b.do("GET", "/lists", nil)
	code, body := b.do("POST", "/lists", url.Values{"title": {"Colleagues"}})
	m := regexp.MustCompile(`action="(/lists/\d+)/add"`).FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("create list: %d", code)
	}
	list := m[1]
	if code, _ := b.do("POST", list+"/add", url.Values{"acct": {"carol"}}); code != 422 {
		t.Errorf("adding an account not followed: %d", code)
	}
	b.do("GET", list, nil)
	if _, body := b.do("POST", list+"/add", url.Values{"acct": {"bob"}}); !strings.Contains(body, "@bob") {
		t.Error("bob not added")
	} else if !strings.Contains(body, "Manage this list (1 account)") {
		t.Error("one member is not counted as one account")
	}
	// The timeline shows what members post from now on.
	ts.JSON(t, "POST", "/api/v1/statuses", ts.Token(t, "bob", "write"), map[string]any{"status": "bob again", "visibility": "public"}, 200, nil)
	if _, body := b.do("GET", list, nil); !strings.Contains(body, "bob again") {
		t.Error("list timeline lacks the member's post")
	}
	if _, body := b.do("POST", list+"/remove", url.Values{"account_id": {itoa64(bob.ID)}}); strings.Contains(body, `name="account_id" value="`+itoa64(bob.ID)) {
		t.Error("bob not removed")
	}
	if _, body := b.do("POST", list+"/rename", url.Values{"title": {"Team"}}); !strings.Contains(body, "<h1 class=\"section\">Team</h1>") {
		t.Error("not renamed")
	}
	if _, body := b.do("POST", list+"/delete", url.Values{}); !strings.Contains(body, "No lists yet") {
		t.Error("not deleted")
	}
	// Another user's list is not found.
	b2 := newBrowser(t, ts)
	b2.signIn("carol")
	if code, _ := b2.do("GET", list, nil); code != 404 {
		t.Errorf("another's list: %d", code)
	}
}
