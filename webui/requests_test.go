package webui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// The web client holds its users to interaction policies as the API
// does: a reply that needs approval is sent and said to wait; the author
// approves it on the Requests page and it shows under the post.
func TestWebInteractionRequests(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	tok := ts.Token(t, "alice", "read write")
	var st struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", tok, url.Values{"status": {"ask before replying"},
		"interaction_policy[can_reply][automatic_approval][]": {"author"},
		"interaction_policy[can_reply][manual_approval][]":    {"public"}}, 200, &st)

	bob := newBrowser(t, ts)
	bob.signIn("bob")
	bob.do("GET", "/@alice/"+st.ID, nil)
	code, body := bob.do("POST", "/statuses", url.Values{"status": {"a held reply"}, "in_reply_to_id": {st.ID}, "return_to": {"/@alice/" + st.ID}})
	if code != 200 || !strings.Contains(body, "must approve it") {
		t.Fatalf("reply that needs approval: %d %s", code, body)
	}

	alice := newBrowser(t, ts)
	alice.signIn("alice")
	if _, body := alice.do("GET", "/@alice/"+st.ID, nil); strings.Contains(body, "a held reply") {
		t.Fatal("the held reply shows under the post")
	}
	code, body = alice.do("GET", "/requests", nil)
	if code != 200 || !strings.Contains(body, "replied to your post") || !strings.Contains(body, "a held reply") {
		t.Fatalf("requests page: %d %s", code, body)
	}
	i := strings.Index(body, `action="/requests/`)
	id := body[i+len(`action="/requests/`):]
	id = id[:strings.Index(id, "/")]
	if code, body := alice.do("POST", "/requests/"+id+"/authorize", url.Values{}); code != 200 || !strings.Contains(body, "Approved.") {
		t.Fatalf("approve: %d %s", code, body)
	}
	if _, body := alice.do("GET", "/@alice/"+st.ID, nil); !strings.Contains(body, "a held reply") {
		t.Fatal("the approved reply is not under the post")
	}
}
