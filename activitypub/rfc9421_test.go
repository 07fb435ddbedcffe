package activitypub

import (
	"bytes"
	"crypto/rsa"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// fedifyDo sends a request signed with RFC 9421 exactly as Fedify 1.6+
// does on its first knock, with key under p's key id.
func fedifyDo(t *testing.T, p *fakePeer, method, url string, body []byte, key any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/activity+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/activity+json")
	}
	k := p.key
	if key != nil {
		k = key.(*rsa.PrivateKey)
	}
	if err := httpsig.SignRFC9421(req, p.actor+"#main-key", k, body, time.Time{}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestRFC9421ActorFetch: a peer signing its actor fetch with RFC 9421 (as
// Fedify 2 does first) gets the whole actor, with name and avatar fields;
// a signature that does not verify gets 401 (with Accept-Signature), not
// the minimal document, so the peer knocks again with draft-cavage.
func TestRFC9421ActorFetch(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)

	status, _, b := fedifyDo(t, p, http.MethodGet, bob.URI, nil, nil)
	m := decodeMap(t, b)
	if status != 200 || m["outbox"] != bob.URI+"/outbox" || m["followers"] != bob.URI+"/followers" || m["name"] == nil {
		t.Fatalf("RFC 9421 signed actor fetch: %d %s", status, b)
	}

	// Signed with another key: 401, before the fix a 200 minimal actor.
	other, err := httpsig.GenerateKey(0)
	if err != nil {
		t.Fatal(err)
	}
	status, h, b := fedifyDo(t, p, http.MethodGet, bob.URI, nil, other)
	if status != http.StatusUnauthorized || h.Get("Accept-Signature") == "" {
		t.Fatalf("bad RFC 9421 signature: %d %s (Accept-Signature %q)", status, b, h.Get("Accept-Signature"))
	}
	// The same with draft-cavage.
	req, _ := http.NewRequest(http.MethodGet, bob.URI, nil)
	req.Header.Set("Accept", "application/activity+json")
	if err := httpsig.Sign(req, p.actor+"#main-key", other, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad draft-cavage signature: %d, want 401", resp.StatusCode)
	}
	// Unsigned still gets the minimal document.
	status, _, b = get(t, bob.URI, "application/activity+json", nil)
	if m := decodeMap(t, b); status != 200 || m["publicKey"] == nil || m["outbox"] != nil {
		t.Fatalf("unsigned actor fetch: %d %s", status, b)
	}
}

// TestRFC9421Inbox: an activity POSTed with an RFC 9421 signature and a
// Content-Digest is accepted and processed; a changed body is refused.
func TestRFC9421Inbox(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)

	follow := mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       p.actor + "/follows/1", "type": "Follow", "actor": p.actor, "object": bob.URI,
	})
	status, _, b := fedifyDo(t, p, http.MethodPost, bob.URI+"/inbox", follow, nil)
	if status != http.StatusAccepted {
		t.Fatalf("RFC 9421 signed POST: %d %s", status, b)
	}
	ti.waitInboxEmpty()
	if got, _ := ti.svc.AccountByID(t.Context(), bob.ID); got.FollowersCount != 1 {
		t.Fatalf("followers after RFC 9421 Follow: %d", got.FollowersCount)
	}

	// Content-Digest no longer matching the body.
	req, _ := http.NewRequest(http.MethodPost, ti.url+"/inbox", bytes.NewReader(follow))
	if err := httpsig.SignRFC9421(req, p.actor+"#main-key", p.key, follow, time.Time{}); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(follow, []byte("Follow"), []byte("Block"), 1)
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(tampered)), int64(len(tampered))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Accept-Signature") == "" {
		t.Fatalf("tampered RFC 9421 POST: %d %s (Accept-Signature %q)", resp.StatusCode, msg, resp.Header.Get("Accept-Signature"))
	}
}
