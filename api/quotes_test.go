package api_test

import (
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// quoteStatus is the part of Mastodon's Status entity about quotes.
type quoteStatus struct {
	ID            string `json:"id"`
	Content       string `json:"content"`
	QuotesCount   int64  `json:"quotes_count"`
	QuoteApproval struct {
		Automatic   []string `json:"automatic"`
		Manual      []string `json:"manual"`
		CurrentUser string   `json:"current_user"`
	} `json:"quote_approval"`
	Quote *struct {
		State        string `json:"state"`
		QuotedStatus *struct {
			ID    string `json:"id"`
			Quote *struct {
				State          string  `json:"state"`
				QuotedStatusID *string `json:"quoted_status_id"`
			} `json:"quote"`
		} `json:"quoted_status"`
	} `json:"quote"`
}

// Quote posts through the client API, as Mastodon 4.5 clients use it:
// quoted_status_id on POST /api/v1/statuses, the quote entity (nested one
// level), quotes_count, quote_approval.current_user per viewer, GET
// /api/v1/statuses/:id/quotes, the quote notification, a 422 where the
// policy denies, approval through the interaction requests, and revoking.
func TestQuotePostsHTTP(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "bob", "")
	ts.CreateUser(t, "cat", "")
	ann := ts.Token(t, "ann", "read write follow")
	bob := ts.Token(t, "bob", "read write follow")
	cat := ts.Token(t, "cat", "read write follow")

	// Anyone may quote ann's first post; the second, only with her approval;
	// the third, nobody.
	var open, asked, closed quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "quote me", "quote_approval_policy": "public"}, 200, &open)
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "ask first",
		"interaction_policy": map[string]any{"can_quote": map[string]any{"automatic_approval": []string{"author"}, "manual_approval": []string{"public"}}}}, 200, &asked)
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "not this one", "quote_approval_policy": "nobody"}, 200, &closed)

	var seen quoteStatus
	for _, c := range []struct {
		id, want string
	}{{open.ID, "automatic"}, {asked.ID, "manual"}, {closed.ID, "denied"}} {
		ts.JSON(t, "GET", "/api/v1/statuses/"+c.id, bob, nil, 200, &seen)
		if seen.QuoteApproval.CurrentUser != c.want {
			t.Fatalf("quote_approval.current_user for bob on %s: %q, want %q", c.id, seen.QuoteApproval.CurrentUser, c.want)
		}
	}

	// --- automatic approval ---
	var q quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "look at this", "quoted_status_id": open.ID, "quote_approval_policy": "public"}, 200, &q)
	if q.Quote == nil || q.Quote.State != "accepted" || q.Quote.QuotedStatus == nil || q.Quote.QuotedStatus.ID != open.ID {
		t.Fatalf("bob's quote: %+v", q.Quote)
	}
	// For clients that know no quotes, a link to the quoted post.
	if !strings.Contains(q.Content, `<p class="quote-inline">RE: <a href="`) || !strings.Contains(q.Content, "look at this") {
		t.Fatalf("bob's quote reads %q", q.Content)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+open.ID, cat, nil, 200, &seen)
	if seen.QuotesCount != 1 {
		t.Fatalf("quotes_count: %d", seen.QuotesCount)
	}
	// Nested one level: a quote of the quote shows bob's quote shallow.
	var q2 quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", cat, map[string]any{"status": "and this", "quoted_status_id": q.ID}, 200, &q2)
	if q2.Quote == nil || q2.Quote.State != "accepted" || q2.Quote.QuotedStatus == nil || q2.Quote.QuotedStatus.Quote == nil ||
		q2.Quote.QuotedStatus.Quote.State != "accepted" || q2.Quote.QuotedStatus.Quote.QuotedStatusID == nil ||
		*q2.Quote.QuotedStatus.Quote.QuotedStatusID != open.ID {
		t.Fatalf("a quote of a quote: %+v", q2.Quote)
	}
	var quotes []quoteStatus
	ts.JSON(t, "GET", "/api/v1/statuses/"+open.ID+"/quotes", ann, nil, 200, &quotes)
	if len(quotes) != 1 || quotes[0].ID != q.ID {
		t.Fatalf("quotes of ann's post: %+v", quotes)
	}
	var notes []struct {
		Type   string `json:"type"`
		Status *struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=quote", ann, nil, 200, &notes)
	if len(notes) != 1 || notes[0].Type != "quote" || notes[0].Status == nil || notes[0].Status.ID != q.ID {
		t.Fatalf("ann's quote notifications: %+v", notes)
	}

	// --- denied: a clear 422 ---
	status, _, body := ts.Do(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "nope", "quoted_status_id": closed.ID})
	if status != 422 || !strings.Contains(string(body), "does not allow you to quote") {
		t.Fatalf("quote of a post that allows none: %d %s", status, body)
	}
	// A post one may not see cannot be quoted: 404.
	var secret quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "just me", "visibility": "direct"}, 200, &secret)
	if status, _, body := ts.Do(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "peek", "quoted_status_id": secret.ID}); status != 404 {
		t.Fatalf("quote of an invisible post: %d %s", status, body)
	}

	// --- manual approval: pending, then accepted by ann ---
	var pending quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "may I?", "quoted_status_id": asked.ID}, 200, &pending)
	if pending.Quote == nil || pending.Quote.State != "pending" || pending.Quote.QuotedStatus != nil {
		t.Fatalf("a quote waiting for approval: %+v", pending.Quote)
	}
	var reqs []requestJSON
	ts.JSON(t, "GET", "/api/v1/interaction_requests", ann, nil, 200, &reqs)
	if len(reqs) != 1 || reqs[0].Type != "quote" {
		t.Fatalf("ann's interaction requests: %+v", reqs)
	}
	ts.JSON(t, "POST", "/api/v1/interaction_requests/"+reqs[0].ID+"/authorize", ann, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/statuses/"+pending.ID, cat, nil, 200, &seen)
	if seen.Quote == nil || seen.Quote.State != "accepted" || seen.Quote.QuotedStatus == nil || seen.Quote.QuotedStatus.ID != asked.ID {
		t.Fatalf("the approved quote: %+v", seen.Quote)
	}

	// --- revoke: only the quoted author; the quote shows revoked ---
	if status, _, body := ts.Do(t, "POST", "/api/v1/statuses/"+open.ID+"/quotes/"+q.ID+"/revoke", cat, nil); status != 404 {
		t.Fatalf("revoke by another: %d %s", status, body)
	}
	var revoked quoteStatus
	ts.JSON(t, "POST", "/api/v1/statuses/"+open.ID+"/quotes/"+q.ID+"/revoke", ann, nil, 200, &revoked)
	if revoked.Quote == nil || revoked.Quote.State != "revoked" || revoked.Quote.QuotedStatus != nil {
		t.Fatalf("the revoked quote: %+v", revoked.Quote)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+open.ID, cat, nil, 200, &seen)
	if seen.QuotesCount != 0 {
		t.Fatalf("quotes_count after revoking: %d", seen.QuotesCount)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+open.ID+"/quotes", ann, nil, 200, &quotes)
	if len(quotes) != 0 {
		t.Fatalf("quotes after revoking: %+v", quotes)
	}
	// A followers-only post: its quote is followers-only at most (bob
	// follows ann; the author may quote her own); a private mention is
	// not quotable, even by its author.
	var private, narrowed struct {
		ID         string `json:"id"`
		Visibility string `json:"visibility"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "followers only", "visibility": "private"}, 200, &private)
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "me again", "visibility": "public", "quoted_status_id": private.ID}, 200, &narrowed)
	if narrowed.Visibility != "private" {
		t.Fatalf("a public quote of a followers-only post is %s", narrowed.Visibility)
	}
	if status, _, body := ts.Do(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "x", "quoted_status_id": secret.ID}); status != 422 {
		t.Fatalf("quote of a private mention: %d %s", status, body)
	}
	// Bad input: an id that is not one.
	if status, _, _ := ts.Do(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "x", "quoted_status_id": "abc"}); status < 400 || status >= 500 {
		t.Fatalf("quoted_status_id=abc: %d", status)
	}
}
