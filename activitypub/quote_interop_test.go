package activitypub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// Quote posts between Heralds (issue 15, item 3; FEP-044f as Mastodon 4.5
// federates them). ann on A lets anyone quote one post and asks to be
// asked for another. ben on B quotes the first: B sends a QuoteRequest,
// A accepts at once with a QuoteAuthorization, and the quote turns from
// pending to accepted on B; A has the quote (ann notified, quotes_count
// 1). C, where cid follows ben, gets ben's quote, then its Update naming
// the authorization, which C dereferences from A and checks before it
// shows the quote as accepted. ben's quote of the second post waits on B
// until ann authorizes it on A. ann revokes the first quote: B learns it
// by the Delete of the authorization. Last, ann quotes ben's post.
func TestQuotePostsAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B, C := startHerald(t), startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	cid := C.user(t, "cid", false)
	followAcross(t, B, ben, A, "ann")
	followAcross(t, C, cid, B, "ben")

	open := post(t, A, ann, core.PostParams{Text: "quote me", Visibility: "public",
		InteractionPolicy: core.PolicyChoice{model.InteractQuote: {Automatic: []string{model.PolicyPublic}}}})
	asked := post(t, A, ann, core.PostParams{Text: "ask me first", Visibility: "public",
		InteractionPolicy: core.PolicyChoice{model.InteractQuote: {Automatic: []string{model.PolicyAuthor}, Manual: []string{model.PolicyPublic}}}})
	testutil.Eventually(t, 15*time.Second, "ann's posts on B", func() bool { return B.byURI(open.URI) != nil && B.byURI(asked.URI) != nil })

	// --- automatic approval ---
	q := post(t, B, ben, core.PostParams{Text: "look at this", Visibility: "public", QuoteID: B.byURI(open.URI).ID})
	if q.QuoteState != model.QuotePending || q.QuoteURI != open.URI {
		t.Fatalf("ben's quote on B before A answers: %q %q", q.QuoteState, q.QuoteURI)
	}
	testutil.Eventually(t, 15*time.Second, "ben's quote accepted on B", func() bool {
		st := B.byURI(q.URI)
		return st.QuoteState == model.QuoteAccepted && st.QuoteAuthorization != ""
	})
	onB := B.byURI(q.URI)
	if !strings.HasPrefix(onB.QuoteAuthorization, A.URL+"/") {
		t.Fatalf("the authorization %q is not A's", onB.QuoteAuthorization)
	}
	onA := A.byURI(q.URI)
	if onA == nil || onA.QuoteState != model.QuoteAccepted || onA.QuoteOfID != open.ID {
		t.Fatalf("ben's quote on A: %+v", onA)
	}
	if got := A.byURI(open.URI); got.QuotesCount != 1 {
		t.Fatalf("quotes_count on A: %d", got.QuotesCount)
	}
	nts, err := A.svc.Notifications(ctx, ann, storage.NotificationFilter{Types: []string{model.NotifyQuote}}, model.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(nts.Notifications) != 1 || nts.Notifications[0].StatusID != onA.ID {
		t.Fatalf("ann's quote notifications: %+v", nts.Notifications)
	}
	// C checked the authorization with A.
	testutil.Eventually(t, 15*time.Second, "ben's quote accepted on C", func() bool {
		st := C.byURI(q.URI)
		return st != nil && st.QuoteState == model.QuoteAccepted && st.QuoteAuthorization == onB.QuoteAuthorization && st.QuoteOfID != 0
	})

	// --- manual approval: pending until ann authorizes ---
	q2 := post(t, B, ben, core.PostParams{Text: "may I?", Visibility: "public", QuoteID: B.byURI(asked.URI).ID})
	var reqs *core.InteractionRequestPage
	testutil.Eventually(t, 15*time.Second, "the quote request held on A", func() bool {
		reqs, err = A.svc.InteractionRequests(ctx, ann, storage.InteractionRequestFilter{}, model.Page{Limit: 10})
		return err == nil && len(reqs.Requests) == 1
	})
	if r := reqs.Requests[0]; r.Kind != model.InteractQuote || r.URI != q2.URI {
		t.Fatalf("the request on A: %+v", r)
	}
	B.idle(t)
	if st := B.byURI(q2.URI); st.QuoteState != model.QuotePending {
		t.Fatalf("the quote on B before ann answers: %q", st.QuoteState)
	}
	if st := A.byURI(q2.URI); st == nil || st.QuoteState != model.QuotePending {
		t.Fatalf("the quote on A before ann answers: %+v", st)
	}
	if _, err := A.svc.AnswerInteractionRequest(ctx, ann, reqs.Requests[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if st := A.byURI(q2.URI); st.QuoteState != model.QuoteAccepted {
		t.Fatalf("the approved quote on A: %q", st.QuoteState)
	}
	testutil.Eventually(t, 15*time.Second, "the approved quote accepted on B", func() bool {
		return B.byURI(q2.URI).QuoteState == model.QuoteAccepted
	})

	// --- revoked ---
	if _, err := A.svc.RevokeQuote(ctx, ann, open.ID, onA.ID); err != nil {
		t.Fatal(err)
	}
	if st := A.byURI(q.URI); st.QuoteState != model.QuoteRevoked {
		t.Fatalf("the revoked quote on A: %q", st.QuoteState)
	}
	testutil.Eventually(t, 15*time.Second, "the quote revoked on B", func() bool {
		return B.byURI(q.URI).QuoteState == model.QuoteRevoked
	})

	// --- the other way: ann quotes ben ---
	followAcross(t, A, ann, B, "ben")
	bens := post(t, B, ben, core.PostParams{Text: "mine", Visibility: "public",
		InteractionPolicy: core.PolicyChoice{model.InteractQuote: {Automatic: []string{model.PolicyPublic}}}})
	testutil.Eventually(t, 15*time.Second, "ben's post on A", func() bool { return A.byURI(bens.URI) != nil })
	aq := post(t, A, ann, core.PostParams{Text: "ben says", Visibility: "public", QuoteID: A.byURI(bens.URI).ID})
	testutil.Eventually(t, 15*time.Second, "ann's quote accepted on A and known on B", func() bool {
		onB := B.byURI(aq.URI)
		return A.byURI(aq.URI).QuoteState == model.QuoteAccepted && onB != nil && onB.QuoteState == model.QuoteAccepted
	})
	A.idle(t)
	B.idle(t)
	C.idle(t)
}
