package webui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// Polls and quotes in the web pages: the public page of a poll shows its
// results, the signed-in client offers a vote form and then the results
// with the vote marked; a quote post embeds the quoted post with its
// author, and a revoked quote is shown as removed.
func TestWebPollsAndQuotes(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "user")
	ts.CreateUser(t, "ben", "user")
	ann, ben := ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write")
	var poll, orig, q struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "tea or coffee?",
		"poll": map[string]any{"options": []string{"tea", "coffee"}, "expires_in": 3600}}, 200, &poll)
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "the original words", "quote_approval_policy": "public"}, 200, &orig)
	ts.JSON(t, "POST", "/api/v1/statuses", ben, map[string]any{"status": "ben quotes", "quoted_status_id": orig.ID}, 200, &q)

	// Public pages: results, the embedded quote.
	code, _, body := ts.Do(t, "GET", "/@ann/"+poll.ID, "", nil)
	if code != 200 || !strings.Contains(string(body), `class="poll-results"`) || !strings.Contains(string(body), "coffee") || strings.Contains(string(body), `name="choices"`) {
		t.Fatalf("public poll page: %d %s", code, body)
	}
	code, _, body = ts.Do(t, "GET", "/@ben/"+q.ID, "", nil)
	if code != 200 || !strings.Contains(string(body), `<blockquote class="quote">`) || !strings.Contains(string(body), "the original words") || !strings.Contains(string(body), "@ann") {
		t.Fatalf("public quote page: %d %s", code, body)
	}

	// The client: ben votes through the form.
	b := newBrowser(t, ts)
	b.signIn("ben")
	_, page := b.do("GET", "/@ann/"+poll.ID, nil)
	if !strings.Contains(page, `action="/statuses/`+poll.ID+`/vote"`) || !strings.Contains(page, `name="choices" value="1"`) {
		t.Fatalf("no vote form for ben: %s", page)
	}
	if code, page := b.do("POST", "/statuses/"+poll.ID+"/vote", url.Values{"choices": {"1"}, "return_to": {"/@ann/" + poll.ID}}); code != 200 ||
		!strings.Contains(page, "(your vote)") || strings.Contains(page, `name="choices"`) || !strings.Contains(page, "100%") {
		t.Fatalf("after voting: %d %s", code, page)
	}
	// A bad choice is refused with a message, not a 500.
	if code, _ := b.do("POST", "/statuses/"+poll.ID+"/vote", url.Values{"choices": {"9"}}); code != 422 {
		t.Fatalf("a second vote: %d", code)
	}

	// ann revokes ben's quote: shown as removed.
	ts.JSON(t, "POST", "/api/v1/statuses/"+orig.ID+"/quotes/"+q.ID+"/revoke", ann, nil, 200, nil)
	code, _, body = ts.Do(t, "GET", "/@ben/"+q.ID, "", nil)
	if code != 200 || !strings.Contains(string(body), "removed this quote") || strings.Contains(string(body), "the original words") {
		t.Fatalf("revoked quote page: %d %s", code, body)
	}
}
