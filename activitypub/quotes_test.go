package activitypub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// Incoming quotes in Mastodon 4.5's shape, checked as FEP-044f says: a
// quote is accepted only with a QuoteAuthorization served by the quoted
// author's server, attributed to them, naming both posts; anything else
// stays pending. The older names (_misskey_quote) are read too. A Delete
// of the authorization by the quoted author revokes the quote. A local
// quote of a remote post sends a QuoteRequest and waits for the Accept.
func TestQuotesFromMastodonShapedNotes(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	quoted, quoter := newFakePeer(t), newFakePeer(t)
	send := func(p *fakePeer, v map[string]any) {
		t.Helper()
		v["@context"] = []any{"https://www.w3.org/ns/activitystreams", map[string]any{"quote": "https://w3id.org/fep/044f#quote"}}
		v["actor"] = p.actor
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, v), nil); status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", v["type"], status, msg)
		}
		ti.waitInboxEmpty()
	}
	serve := func(p *fakePeer, path string, v map[string]any) string {
		v["@context"] = "https://www.w3.org/ns/activitystreams"
		v["id"] = p.url + path
		p.objects.Store(path, mustJSON(t, v))
		return p.url + path
	}
	note := func(p *fakePeer, path string, extra map[string]any) map[string]any {
		n := map[string]any{"id": p.url + path, "type": "Note", "attributedTo": p.actor, "to": []string{Public},
			"cc": []string{bob.URI}, "content": "<p>" + path + "</p>", "published": time.Now().UTC().Format(time.RFC3339)}
		for k, v := range extra {
			n[k] = v
		}
		return n
	}
	// The quoted post, served by its server.
	orig := serve(quoted, "/users/alice/statuses/orig", note(quoted, "/users/alice/statuses/orig", map[string]any{
		"interactionPolicy": map[string]any{"canQuote": map[string]any{"automaticApproval": []string{Public}}}}))
	authorization := func(path, quote string) string {
		return serve(quoted, path, map[string]any{"type": "QuoteAuthorization", "attributedTo": quoted.actor,
			"interactingObject": quote, "interactionTarget": orig})
	}
	create := func(n map[string]any) *model.Status {
		t.Helper()
		send(quoter, map[string]any{"id": n["id"].(string) + "/activity", "type": "Create", "object": n})
		st, err := ti.store.StatusByURI(ctx, n["id"].(string))
		if err != nil {
			t.Fatalf("%s not stored: %v", n["id"], err)
		}
		return st
	}

	good := quoter.url + "/users/alice/statuses/good"
	goodAuth := authorization("/users/alice/quote_authorizations/1", good)
	st := create(note(quoter, "/users/alice/statuses/good", map[string]any{"quote": orig, "quoteUri": orig, "_misskey_quote": orig, "quoteAuthorization": goodAuth}))
	if st.QuoteState != model.QuoteAccepted || st.QuoteAuthorization != goodAuth || st.QuoteOfID == 0 {
		t.Fatalf("a verified quote: %q %q %d", st.QuoteState, st.QuoteAuthorization, st.QuoteOfID)
	}
	// An authorization of another quote proves nothing for this one.
	st = create(note(quoter, "/users/alice/statuses/other", map[string]any{"quote": orig, "quoteAuthorization": goodAuth}))
	if st.QuoteState != model.QuotePending || st.QuoteAuthorization != "" {
		t.Fatalf("a quote with another's authorization: %q", st.QuoteState)
	}
	// One from the quoting server itself neither.
	forged := serve(quoter, "/users/alice/forged", map[string]any{"type": "QuoteAuthorization", "attributedTo": quoted.actor,
		"interactingObject": quoter.url + "/users/alice/statuses/forged", "interactionTarget": orig})
	st = create(note(quoter, "/users/alice/statuses/forged", map[string]any{"quote": orig, "quoteAuthorization": forged}))
	if st.QuoteState != model.QuotePending {
		t.Fatalf("a quote authorized by its own server: %q", st.QuoteState)
	}
	// Misskey's name, no authorization: pending.
	st = create(note(quoter, "/users/alice/statuses/misskey", map[string]any{"_misskey_quote": orig}))
	if st.QuoteState != model.QuotePending || st.QuoteURI != orig {
		t.Fatalf("a _misskey_quote: %q %q", st.QuoteState, st.QuoteURI)
	}

	// The quoted author revokes the good one: a Delete of the authorization.
	send(quoted, map[string]any{"id": goodAuth + "#delete", "type": "Delete", "object": goodAuth})
	if st, _ := ti.store.StatusByURI(ctx, good); st.QuoteState != model.QuoteRevoked {
		t.Fatalf("after the Delete of its authorization: %q", st.QuoteState)
	}

	// --- a local quote of a remote post ---
	origHere, err := ti.store.StatusByURI(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := ti.svc.PostStatus(ctx, ti.caller(bob), core.PostParams{Text: "quoting", Visibility: "public", QuoteID: origHere.ID})
	if err != nil {
		t.Fatal(err)
	}
	if mine.QuoteState != model.QuotePending {
		t.Fatalf("bob's quote before the Accept: %q", mine.QuoteState)
	}
	var request *Object
	testutil.Eventually(t, 10*time.Second, "the QuoteRequest", func() bool {
		for _, a := range quoted.receivedActivities() {
			if a.Type.Is("QuoteRequest") {
				request = a
				return true
			}
		}
		return false
	})
	inst := request.Instrument.Obj
	if request.Object.ID != orig || inst == nil || string(inst.ID) != mine.URI || inst.Quote.ID != orig || inst.MisskeyQuote != Str(orig) {
		raw, _ := json.Marshal(request)
		t.Fatalf("the QuoteRequest: %s", raw)
	}
	stamp := authorization("/users/alice/quote_authorizations/2", mine.URI)
	send(quoted, map[string]any{"id": quoted.actor + "#accepts/2", "type": "Accept", "object": string(request.ID), "result": stamp})
	got, _ := ti.store.StatusByURI(ctx, mine.URI)
	if got.QuoteState != model.QuoteAccepted || got.QuoteAuthorization != stamp {
		t.Fatalf("bob's quote after the Accept: %q %q", got.QuoteState, got.QuoteAuthorization)
	}
	// Its Note now names the authorization.
	b, err := ti.fed.loadStatus(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	d := ti.fed.noteDoc(b)
	if d["quote"] != orig || d["quoteUri"] != orig || d["_misskey_quote"] != orig || d["quoteAuthorization"] != stamp {
		t.Fatalf("bob's Note: %v", d)
	}
	if !strings.Contains(string(mustJSON(t, asContext)), "w3id.org/fep/044f#quote") {
		t.Fatal("the context does not define quote")
	}
}
