package activitypub

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// Interaction policies against documents shaped as GoToSocial's and
// Mastodon 4.5's (docs: GoToSocial federation/interaction_controls,
// FEP-044f), sent by a fake peer.

// approvalNeeded is a local post's policy: only the author replies
// without approval; anyone may quote.
var approvalNeeded = core.PolicyChoice{
	model.InteractReply: {Automatic: []string{model.PolicyAuthor}, Manual: []string{model.PolicyPublic}},
	model.InteractQuote: {Automatic: []string{model.PolicyPublic}},
}

func (ti *testInstance) pendingRequests(c *core.Caller) []*model.InteractionRequest {
	ti.t.Helper()
	page, err := ti.svc.InteractionRequests(context.Background(), c, storage.InteractionRequestFilter{}, model.Page{Limit: 40})
	if err != nil {
		ti.t.Fatal(err)
	}
	return page.Requests
}

// A reply that arrives (impolitely, a Create) for a post whose author
// must approve replies is held: stored, in no thread, a request the author
// sees. Approved, it joins the thread and the peer gets an Accept naming
// the reply, the post and an authorization object that Herald serves.
func TestRemoteReplyHeldThenAccepted(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	ann := ti.caller(ti.createUser("ann"))
	bob := ti.caller(ti.createUser("bob"))
	post, err := ti.svc.PostStatus(ctx, ann, core.PostParams{Text: "replies need approval", Visibility: "public", InteractionPolicy: approvalNeeded})
	if err != nil {
		t.Fatal(err)
	}
	// The Note tells other servers so, in GoToSocial's terms.
	_, _, body := get(t, post.URI, "application/activity+json", newFakePeer(t))
	note, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	pol := note.InteractionPolicy
	if !pol.CanReply.Present || !pol.CanReply.Manual.HasPublic() || pol.CanReply.Automatic.HasPublic() ||
		!pol.CanReply.Automatic.Has(ann.Account.URI) || !pol.CanLike.Automatic.HasPublic() || !pol.CanQuote.Automatic.HasPublic() {
		t.Fatalf("interactionPolicy of the Note: %+v (%s)", pol, body)
	}

	p := newFakePeer(t)
	replyURI := p.url + "/users/alice/statuses/r1"
	create := mustJSON(t, map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", "https://gotosocial.org/ns"},
		"id":       replyURI + "/activity", "type": "Create", "actor": p.actor,
		"to": []string{Public}, "cc": []string{p.actor + "/followers", ann.Account.URI},
		"object": map[string]any{
			"id": replyURI, "type": "Note", "attributedTo": p.actor, "inReplyTo": post.URI,
			"to": []string{Public}, "cc": []string{p.actor + "/followers", ann.Account.URI},
			"content": "<p>hey what's up</p>", "published": time.Now().UTC().Format(time.RFC3339),
			"tag": []any{map[string]any{"type": "Mention", "href": ann.Account.URI, "name": "@ann"}},
			// GoToSocial sends its own policy with every post.
			"interactionPolicy": map[string]any{
				"canLike":     map[string]any{"automaticApproval": Public},
				"canReply":    map[string]any{"automaticApproval": []string{Public}},
				"canAnnounce": map[string]any{"always": []string{Public}},
			},
		},
	})
	if status, msg := p.signedPost(ti.url+"/inbox", create, nil); status != 202 {
		t.Fatalf("Create: %d %s", status, msg)
	}
	ti.waitInboxEmpty()
	held, err := ti.store.StatusByURI(ctx, replyURI)
	if err != nil || !held.PendingApproval {
		t.Fatalf("the reply: %+v %v; want it held", held, err)
	}
	if held.Policy == nil || held.Policy.Reply.Automatic[0] != model.PolicyPublic {
		t.Fatalf("the reply's own policy: %+v", held.Policy)
	}
	for _, c := range []*core.Caller{ann, bob, nil} {
		sc, err := ti.svc.Context(ctx, c, post.ID)
		if err != nil || len(sc.Descendants) != 0 {
			t.Fatalf("a held reply in the thread: %+v %v", sc, err)
		}
	}
	if n, _ := ti.store.CountNotificationsAfter(ctx, ann.Account.ID, 0, 10, nil); n != 0 {
		t.Fatalf("%d notifications for a held reply", n)
	}
	reqs := ti.pendingRequests(ann)
	if len(reqs) != 1 || reqs[0].Kind != model.InteractReply || reqs[0].URI != replyURI || reqs[0].ReplyID != held.ID {
		t.Fatalf("ann's requests: %+v", reqs)
	}

	if _, err := ti.svc.AnswerInteractionRequest(ctx, ann, reqs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	sc, err := ti.svc.Context(ctx, bob, post.ID)
	if err != nil || len(sc.Descendants) != 1 || sc.Descendants[0].URI != replyURI {
		t.Fatalf("after approval bob sees %+v %v", sc, err)
	}
	approved, _ := ti.store.StatusByURI(ctx, replyURI)
	authURI := ti.svc.InteractionAuthorizationURI(ann.Account, reqs[0].ID)
	if approved.ApprovedBy != ti.svc.InteractionAcceptURI(ann.Account, reqs[0].ID) || approved.Authorization != authURI {
		t.Fatalf("approval not kept on the reply: %q %q", approved.ApprovedBy, approved.Authorization)
	}
	var accept *Object
	testutil.Eventually(t, 10*time.Second, "the Accept at the peer", func() bool {
		for _, a := range p.receivedActivities() {
			if a.Type.Is("Accept") {
				accept = a
				return true
			}
		}
		return false
	})
	if accept.Actor.ID != ann.Account.URI || accept.Object.ID != replyURI || accept.Target.ID != post.URI || accept.Result.ID != authURI {
		t.Fatalf("Accept: actor %s object %s target %s result %s", accept.Actor.ID, accept.Object.ID, accept.Target.ID, accept.Result.ID)
	}
	// The authorization object, dereferenced as a third server would.
	status, _, body := get(t, authURI, "application/activity+json", p)
	if status != 200 {
		t.Fatalf("authorization: %d %s", status, body)
	}
	auth, _ := Decode(body)
	if !auth.Type.Is("ReplyAuthorization") || auth.AttributedTo.ID != ann.Account.URI ||
		!strings.Contains(string(body), `"interactingObject":"`+replyURI+`"`) || !strings.Contains(string(body), `"interactionTarget":"`+post.URI+`"`) {
		t.Fatalf("authorization: %s", body)
	}
	if status, _, _ := get(t, authURI, "application/activity+json", nil); status != 401 {
		t.Fatalf("unsigned fetch of an authorization: %d", status)
	}
}

// A polite ReplyRequest (GoToSocial 0.21) is held too; its rejection is
// a Reject naming the request, and the reply is gone. A Like outside the
// policy waits as well; Mastodon's QuoteRequest of a quotable post is
// accepted at once with a QuoteAuthorization.
func TestInteractionRequestsFromPeers(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	ann := ti.caller(ti.createUser("ann"))
	choice := core.PolicyChoice{
		model.InteractReply:     approvalNeeded[model.InteractReply],
		model.InteractQuote:     approvalNeeded[model.InteractQuote],
		model.InteractFavourite: {Automatic: []string{model.PolicyFollowers}, Manual: []string{model.PolicyPublic}},
	}
	post, err := ti.svc.PostStatus(ctx, ann, core.PostParams{Text: "ask first", Visibility: "public", InteractionPolicy: choice})
	if err != nil {
		t.Fatal(err)
	}
	p := newFakePeer(t)
	replyURI := p.url + "/users/alice/statuses/r2"
	requestURI := p.url + "/users/alice/reply_requests/1"
	send := func(v map[string]any) {
		t.Helper()
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, v), nil); status != 202 {
			t.Fatalf("%s: %d %s", v["type"], status, msg)
		}
	}
	send(map[string]any{
		"@context": []any{"https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"},
		"type":     "ReplyRequest", "id": requestURI, "actor": p.actor, "to": ann.Account.URI, "object": post.URI,
		"instrument": map[string]any{
			"type": "Note", "id": replyURI, "attributedTo": p.actor, "inReplyTo": post.URI,
			"to": []string{Public}, "cc": []string{p.actor + "/followers", ann.Account.URI}, "content": "<p>may I?</p>",
		},
	})
	likeURI := p.url + "/users/alice/likes/1"
	send(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Like", "id": likeURI, "actor": p.actor, "object": post.URI})
	ti.waitInboxEmpty()
	reqs := ti.pendingRequests(ann)
	if len(reqs) != 2 {
		t.Fatalf("ann's requests: %+v", reqs)
	}
	if got, _ := ti.store.StatusByID(ctx, post.ID); got.FavouritesCount != 0 {
		t.Fatal("a held Like was counted")
	}
	for _, r := range reqs {
		if r.Kind == model.InteractReply {
			if r.RequestURI != requestURI || r.URI != replyURI {
				t.Fatalf("reply request: %+v", r)
			}
			if _, err := ti.svc.AnswerInteractionRequest(ctx, ann, r.ID, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	testutil.Eventually(t, 10*time.Second, "the Reject of the ReplyRequest at the peer", func() bool {
		return p.sawActivity("Reject", func(a *Object) bool {
			o := a.Object.Obj
			return o != nil && o.Type.Is("ReplyRequest") && string(o.ID) == requestURI && o.Instrument.ID == replyURI && o.Object.ID == post.URI
		})
	})
	if _, err := ti.store.StatusByURI(ctx, replyURI); err == nil {
		t.Fatal("the rejected reply is kept")
	}
	// An Undo of the held Like withdraws it.
	send(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Undo", "id": likeURI + "/undo", "actor": p.actor,
		"object": map[string]any{"type": "Like", "id": likeURI, "actor": p.actor, "object": post.URI}})
	ti.waitInboxEmpty()
	if reqs := ti.pendingRequests(ann); len(reqs) != 0 {
		t.Fatalf("requests after the Undo: %+v", reqs)
	}

	// Mastodon 4.5 asks to quote.
	quoteURI := p.url + "/users/alice/statuses/q1"
	quoteRequest := p.url + "/users/alice/quote_requests/1"
	send(map[string]any{
		"@context": []any{"https://www.w3.org/ns/activitystreams", map[string]any{"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"}},
		"type":     "QuoteRequest", "id": quoteRequest, "actor": p.actor, "object": post.URI, "instrument": quoteURI,
	})
	var accept *Object
	testutil.Eventually(t, 10*time.Second, "the Accept of the QuoteRequest", func() bool {
		for _, a := range p.receivedActivities() {
			if a.Type.Is("Accept") && a.Object.Obj != nil && a.Object.Obj.Type.Is("QuoteRequest") {
				accept = a
				return true
			}
		}
		return false
	})
	qr := accept.Object.Obj
	if string(qr.ID) != quoteRequest || qr.Actor.ID != p.actor || qr.Object.ID != post.URI || qr.Instrument.ID != quoteURI || accept.Result.ID == "" {
		t.Fatalf("Accept of the QuoteRequest: %+v result %q", qr, accept.Result.ID)
	}
	status, _, body := get(t, accept.Result.ID, "application/activity+json", p)
	if status != 200 || !strings.Contains(string(body), `"type":"QuoteAuthorization"`) || !strings.Contains(string(body), `"interactingObject":"`+quoteURI+`"`) {
		t.Fatalf("QuoteAuthorization: %d %s", status, body)
	}
}

// GoToSocial's posts carry their policy: Herald keeps it and holds its
// users to it: a 422 when they may not reply or favourite; when approval is
// needed, the reply goes to the post's author alone and waits for the
// Accept, which releases it to its whole audience with its proof.
func TestRemotePolicyRespectedLocally(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	ann := ti.caller(ti.createUser("ann"))
	p := newFakePeer(t)
	closed := p.serveNote("/users/alice/statuses/closed", map[string]any{
		"interactionPolicy": map[string]any{
			"canLike":     map[string]any{"automaticApproval": []string{p.actor}},
			"canReply":    map[string]any{"always": p.actor}, // GoToSocial before 0.20
			"canAnnounce": map[string]any{"automaticApproval": []string{Public}},
		},
	})
	ask := p.serveNote("/users/alice/statuses/ask", map[string]any{
		"interactionPolicy": map[string]any{
			"canReply":    map[string]any{"automaticApproval": []string{p.actor, p.actor + "/followers"}, "manualApproval": []string{Public}},
			"canAnnounce": map[string]any{"automaticApproval": []string{p.actor}, "manualApproval": []string{Public}},
		},
	})
	closedSt, err := ti.fed.ResolveStatus(ctx, closed)
	if err != nil {
		t.Fatal(err)
	}
	if closedSt.Policy == nil || closedSt.Policy.Reply.Automatic[0] != model.PolicyAuthor || closedSt.Policy.Reblog.Automatic[0] != model.PolicyPublic ||
		closedSt.Policy.Quote.Automatic[0] != model.PolicyAuthor {
		t.Fatalf("the stored policy: %+v", closedSt.Policy)
	}
	_, err = ti.svc.PostStatus(ctx, ann, core.PostParams{Text: "hi", InReplyToID: closedSt.ID})
	if he := herr.As(err); err == nil || he.Status != 422 || !strings.Contains(he.Msg, "reply") {
		t.Fatalf("reply to a closed post: %v", err)
	}
	if _, err := ti.svc.Favourite(ctx, ann, closedSt.ID); err == nil || herr.As(err).Status != 422 {
		t.Fatalf("favourite of a closed post: %v", err)
	}
	if _, err := ti.svc.Reblog(ctx, ann, closedSt.ID, ""); err != nil {
		t.Fatalf("boost of a boostable post: %v", err)
	}

	askSt, err := ti.fed.ResolveStatus(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := ti.svc.PostStatus(ctx, ann, core.PostParams{Text: "may I?", InReplyToID: askSt.ID, Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	if !reply.PendingApproval {
		t.Fatal("a reply that needs approval was not held")
	}
	testutil.Eventually(t, 10*time.Second, "the reply at the author's inbox", func() bool {
		return p.sawActivity("Create", func(a *Object) bool { return a.Object.ID == reply.URI })
	})
	acceptID := p.url + "/users/alice/accepts/1"
	authID := p.url + "/users/alice/authorizations/1"
	accept := mustJSON(t, map[string]any{
		"@context": []any{"https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"},
		"type":     "Accept", "id": acceptID, "actor": p.actor, "to": ann.Account.URI,
		"cc":     []string{Public, p.actor + "/followers"},
		"object": reply.URI, "target": ask, "result": authID,
	})
	if status, msg := p.signedPost(ti.url+"/inbox", accept, nil); status != 202 {
		t.Fatalf("Accept: %d %s", status, msg)
	}
	ti.waitInboxEmpty()
	got, err := ti.store.StatusByID(ctx, reply.ID)
	if err != nil || got.PendingApproval || got.ApprovedBy != acceptID || got.Authorization != authID {
		t.Fatalf("after the Accept: %+v %v", got, err)
	}
	testutil.Eventually(t, 10*time.Second, "the approved reply sent again, with its proof", func() bool {
		return p.sawActivity("Create", func(a *Object) bool {
			return a.Object.Obj != nil && a.Object.ID == reply.URI && string(a.Object.Obj.ReplyAuthorization) == authID &&
				string(a.Object.Obj.ApprovedBy) == acceptID
		})
	})

	// A boost that needs approval waits the same way, and is counted once
	// accepted (an Accept that names the Announce, embedded).
	boost, err := ti.svc.Reblog(ctx, ann, askSt.ID, "")
	if err != nil || !boost.PendingApproval {
		t.Fatalf("boost that needs approval: %+v %v", boost, err)
	}
	if got, _ := ti.store.StatusByID(ctx, askSt.ID); got.ReblogsCount != 0 {
		t.Fatal("a waiting boost was counted")
	}
	testutil.Eventually(t, 10*time.Second, "the Announce at the author's inbox", func() bool {
		return p.sawActivity("Announce", func(a *Object) bool { return string(a.ID) == boost.URI })
	})
	accept = mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "type": "Accept", "id": acceptID + "b", "actor": p.actor,
		"object": map[string]any{"type": "Announce", "id": boost.URI}, "result": authID + "b",
	})
	if status, msg := p.signedPost(ti.url+"/inbox", accept, nil); status != 202 {
		t.Fatalf("Accept: %d %s", status, msg)
	}
	ti.waitInboxEmpty()
	if got, _ := ti.store.StatusByID(ctx, askSt.ID); got.ReblogsCount != 1 {
		t.Fatalf("reblogs after the Accept: %d", got.ReblogsCount)
	}
	testutil.Eventually(t, 10*time.Second, "the approved Announce with its proof", func() bool {
		return p.sawActivity("Announce", func(a *Object) bool { return string(a.ID) == boost.URI && string(a.ApprovedBy) == acceptID+"b" })
	})
}

// approves accepts an author's authorization object or Accept for exactly
// the interaction and the post, from the author's host, and nothing else.
func TestApprovesChecksEveryField(t *testing.T) {
	const (
		author = "https://b.example/users/bob"
		post   = "https://b.example/users/bob/statuses/1"
		reply  = "https://c.example/users/carl/statuses/2"
	)
	decode := func(s string) *Object {
		o, err := Decode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, c := range []struct {
		name string
		kind model.InteractionKind
		doc  string
		want bool
	}{
		{"authorization", model.InteractReply, `{"id":"https://b.example/a/1","type":"ReplyAuthorization","attributedTo":"` + author + `","interactingObject":"` + reply + `","interactionTarget":"` + post + `"}`, true},
		{"authorization of another reply", model.InteractReply, `{"id":"https://b.example/a/1","type":"ReplyAuthorization","attributedTo":"` + author + `","interactingObject":"https://c.example/x","interactionTarget":"` + post + `"}`, false},
		{"authorization of another post", model.InteractReply, `{"id":"https://b.example/a/1","type":"ReplyAuthorization","attributedTo":"` + author + `","interactingObject":"` + reply + `","interactionTarget":"https://b.example/users/bob/statuses/9"}`, false},
		{"authorization by someone else", model.InteractReply, `{"id":"https://b.example/a/1","type":"ReplyAuthorization","attributedTo":"https://b.example/users/eve","interactingObject":"` + reply + `","interactionTarget":"` + post + `"}`, false},
		{"authorization of another kind", model.InteractReply, `{"id":"https://b.example/a/1","type":"AnnounceAuthorization","attributedTo":"` + author + `","interactingObject":"` + reply + `","interactionTarget":"` + post + `"}`, false},
		{"authorization on another host", model.InteractReply, `{"id":"https://c.example/a/1","type":"ReplyAuthorization","attributedTo":"` + author + `","interactingObject":"` + reply + `","interactionTarget":"` + post + `"}`, false},
		{"accept", model.InteractReply, `{"id":"https://b.example/acc/1","type":"Accept","actor":"` + author + `","object":"` + reply + `","target":"` + post + `"}`, true},
		{"accept without target", model.InteractReply, `{"id":"https://b.example/acc/1","type":"Accept","actor":"` + author + `","object":"` + reply + `"}`, true},
		{"accept of a request", model.InteractReply, `{"id":"https://b.example/acc/1","type":"Accept","actor":"` + author + `","object":{"id":"https://c.example/req/1","type":"ReplyRequest","instrument":"` + reply + `"}}`, true},
		{"accept for another post", model.InteractReply, `{"id":"https://b.example/acc/1","type":"Accept","actor":"` + author + `","object":"` + reply + `","target":"https://b.example/users/bob/statuses/9"}`, false},
		{"accept by someone else", model.InteractReply, `{"id":"https://b.example/acc/1","type":"Accept","actor":"https://b.example/users/eve","object":"` + reply + `"}`, false},
		{"reject", model.InteractReply, `{"id":"https://b.example/acc/1","type":"Reject","actor":"` + author + `","object":"` + reply + `"}`, false},
	} {
		if got := approves(decode(c.doc), c.kind, author, reply, post); got != c.want {
			t.Errorf("%s: approves = %v, want %v", c.name, got, c.want)
		}
	}
}
