package activitypub

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/testutil"
)

func followActivity(p *fakePeer, id, target string) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       p.actor + "#follows/" + id,
		"type":     "Follow",
		"actor":    p.actor,
		"object":   target,
	}
}

func TestInboxVerification(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	shared := ti.url + "/inbox"

	t.Run("unsigned", func(t *testing.T) {
		resp, err := http.Post(shared, "application/activity+json", bytes.NewReader(mustJSON(t, followActivity(p, "u", bob.URI))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned POST: %d, want 401", resp.StatusCode)
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		body := mustJSON(t, followActivity(p, "t", bob.URI))
		status, msg := p.signedPost(shared, body, func(b []byte) []byte { return bytes.Replace(b, []byte("#follows/t"), []byte("#follows/x"), 1) })
		if status != http.StatusUnauthorized {
			t.Fatalf("tampered: %d %s, want 401", status, msg)
		}
	})
	t.Run("wrong actor", func(t *testing.T) {
		act := followActivity(p, "w", bob.URI)
		act["actor"] = "http://127.0.0.1:1/users/mallory"
		status, msg := p.signedPost(shared, mustJSON(t, act), nil)
		if status != http.StatusUnauthorized {
			t.Fatalf("actor != signer: %d %s, want 401", status, msg)
		}
	})
	t.Run("signed for another host", func(t *testing.T) {
		// A signature made for another server, replayed here, is refused.
		body := mustJSON(t, followActivity(p, "h", bob.URI))
		req, _ := http.NewRequest(http.MethodPost, "http://other.example/inbox", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/activity+json")
		if err := httpsig.Sign(req, p.actor+"#main-key", p.key, body); err != nil {
			t.Fatal(err)
		}
		real, _ := url.Parse(shared)
		req.URL.Scheme, req.URL.Host = real.Scheme, real.Host
		req.Host = "other.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("replayed to another host: %d, want 401", resp.StatusCode)
		}
	})
	t.Run("bad json", func(t *testing.T) {
		status, _ := p.signedPost(shared, []byte(`{"type": [`), nil)
		if status != http.StatusBadRequest {
			t.Fatalf("bad JSON: %d, want 400", status)
		}
	})
	t.Run("unknown personal inbox", func(t *testing.T) {
		status, _ := p.signedPost(ti.url+"/users/nobody/inbox", mustJSON(t, followActivity(p, "n", bob.URI)), nil)
		if status != http.StatusNotFound {
			t.Fatalf("unknown inbox: %d, want 404", status)
		}
	})
	t.Run("replay processed once", func(t *testing.T) {
		body := mustJSON(t, followActivity(p, "once", bob.URI))
		for i := 0; i < 3; i++ {
			if status, msg := p.signedPost(bob.URI+"/inbox", body, nil); status != http.StatusAccepted {
				t.Fatalf("follow #%d: %d %s", i, status, msg)
			}
		}
		testutil.Eventually(t, 10*time.Second, "an Accept at the peer", func() bool { return len(p.receivedActivities()) >= 1 })
		// Every queued copy processed and every answer delivered: an Accept
		// for a replay would be at the peer by now.
		ti.waitInboxEmpty()
		testutil.Eventually(t, 10*time.Second, "the deliveries done", func() bool {
			n, err := ti.store.CountDeliveries(context.Background())
			return err == nil && n == 0
		})
		accepts := 0
		for _, a := range p.receivedActivities() {
			if a.Type.Is("Accept") && a.Object.ID == p.actor+"#follows/once" {
				accepts++
			}
		}
		if accepts != 1 {
			t.Fatalf("replayed Follow was answered %d times, want 1", accepts)
		}
		alice, err := ti.store.AccountByURI(context.Background(), p.actor)
		if err != nil {
			t.Fatal(err)
		}
		if fl, err := ti.store.FollowBetween(context.Background(), alice.ID, bob.ID); err != nil || fl == nil {
			t.Fatalf("alice does not follow bob: %v", err)
		}
	})
}

func TestInboxBlockedDomain(t *testing.T) {
	ti := newTestInstance(t, func(c *config.Config) { c.Federation.BlockedDomains = []string{"127.0.0.1"} })
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, followActivity(p, "b", bob.URI)), nil)
	if status != http.StatusForbidden {
		t.Fatalf("blocked domain: %d %s, want 403", status, msg)
	}
	// Allow-list mode without the peer: refused the same way.
	ti2 := newTestInstance(t, func(c *config.Config) {
		c.Federation.AllowlistMode = true
		c.Federation.AllowedDomains = []string{"example.org"}
	})
	carol := ti2.createUser("carol")
	if status, msg := p.signedPost(ti2.url+"/inbox", mustJSON(t, followActivity(p, "c", carol.URI)), nil); status != http.StatusForbidden {
		t.Fatalf("not allow-listed: %d %s, want 403", status, msg)
	}
}

func TestInboxTooLarge(t *testing.T) {
	ti := newTestInstance(t, func(c *config.Config) { c.Limits.MaxInboxBytes = 2048 })
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	act := followActivity(p, "big", bob.URI)
	act["padding"] = strings.Repeat("x", 4096)
	status, _ := p.signedPost(ti.url+"/inbox", mustJSON(t, act), nil)
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: %d, want 413", status)
	}
	// Without Content-Length (chunked) the limit holds too.
	body := mustJSON(t, act)
	req, _ := http.NewRequest(http.MethodPost, ti.url+"/inbox", &chunked{bytes.NewReader(body)})
	req.Header.Set("Content-Type", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunked: %d, want 413", resp.StatusCode)
	}
}

// chunked hides the length of a reader so the request is sent chunked.
type chunked struct{ r *bytes.Reader }

func (c *chunked) Read(p []byte) (int, error) { return c.r.Read(p) }
