package activitypub

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
)

// signedPostHeaders is fakePeer.signedPost that also returns the headers.
func (p *fakePeer) signedPostHeaders(url string, body []byte) (int, http.Header) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, p.actor+"#main-key", p.key, body); err != nil {
		p.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestInboxRateLimitPerDomain: a remote domain may deliver at most
// limits.inbox_per_domain_per_minute activities a minute; past it the
// inbox answers 429 with Retry-After and the X-RateLimit headers, while
// another domain is not affected. Unsigned requests spend nobody's budget.
func TestInboxRateLimitPerDomain(t *testing.T) {
	ti := newTestInstance(t, func(c *config.Config) { c.Limits.InboxPerDomainPerMinute = 2 })
	bob := ti.createUser("bob")
	p1, p2 := newFakePeer(t), newFakePeer(t) // two ports: two domains
	// Unsigned posts are refused before the limiter.
	for range 3 {
		resp, err := http.Post(ti.url+"/inbox", "application/activity+json", bytes.NewReader(mustJSON(t, followActivity(p1, "unsigned", bob.URI))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned: %d", resp.StatusCode)
		}
	}
	for i := range 2 {
		status, h := p1.signedPostHeaders(ti.url+"/inbox", mustJSON(t, followActivity(p1, strconv.Itoa(i), bob.URI)))
		if status != http.StatusAccepted {
			t.Fatalf("activity %d: %d", i+1, status)
		}
		if h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(1-i) {
			t.Fatalf("activity %d: headers %v", i+1, h)
		}
	}
	status, h := p1.signedPostHeaders(ti.url+"/users/bob/inbox", mustJSON(t, followActivity(p1, "3", bob.URI)))
	if status != http.StatusTooManyRequests {
		t.Fatalf("3rd activity of the domain: %d, want 429", status)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", h.Get("Retry-After"))
	}
	if h.Get("X-RateLimit-Remaining") != "0" || h.Get("X-RateLimit-Reset") == "" {
		t.Errorf("429 headers: %v", h)
	}
	if status, _ := p2.signedPostHeaders(ti.url+"/inbox", mustJSON(t, followActivity(p2, "other", bob.URI))); status != http.StatusAccepted {
		t.Fatalf("another domain: %d, want 202", status)
	}
}
