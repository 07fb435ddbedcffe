package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/activitypub/netguard"
	"github.com/herald-social/herald/internal/config"
)

// SSRF: every outgoing fetch of the federation engine (WebFinger, actors,
// objects, the keys of inbox signatures) refuses private, loopback,
// link-local and cloud-metadata addresses, whether a remote name resolves
// to one, a redirect leads to one, or DNS changes its answer between two
// connections, unless federation.allow_private_addresses is set (and even
// then link-local and metadata addresses stay refused).

// ssrfTarget is a server that would answer any fetch, and counts the
// requests that reached it: a refused fetch must never arrive. Its
// documents name the host they were asked for, so that a name mapped to
// it by the test resolver yields consistent ids.
type ssrfTarget struct {
	url  string
	port string
	hits atomic.Int64
	// redirect, when set, answers every request with a 302 to it.
	redirect string
}

func newSSRFTarget(t *testing.T) *ssrfTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := &ssrfTarget{url: "http://" + ln.Addr().String()}
	_, st.port, _ = net.SplitHostPort(ln.Addr().String())
	pub, _ := httpsig.EncodePublicKeyPEM(&peerKey(t).PublicKey)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.hits.Add(1)
		if st.redirect != "" {
			http.Redirect(w, r, st.redirect, http.StatusFound)
			return
		}
		base := "http://" + r.Host
		actor := base + "/users/alice"
		var doc any
		switch {
		case r.URL.Path == "/.well-known/webfinger":
			w.Header().Set("Content-Type", "application/jrd+json")
			doc = map[string]any{"subject": r.URL.Query().Get("resource"),
				"links": []any{map[string]string{"rel": "self", "type": "application/activity+json", "href": actor}}}
		case r.URL.Path == "/users/alice":
			w.Header().Set("Content-Type", "application/activity+json")
			doc = map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": actor, "type": "Person",
				"preferredUsername": "alice", "inbox": actor + "/inbox",
				"publicKey": map[string]string{"id": actor + "#main-key", "owner": actor, "publicKeyPem": pub}}
		case strings.HasPrefix(r.URL.Path, "/notes/"):
			w.Header().Set("Content-Type", "application/activity+json")
			doc = map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": base + r.URL.Path, "type": "Note",
				"attributedTo": actor, "content": "hi", "to": "https://www.w3.org/ns/activitystreams#Public"}
		default:
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(doc)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return st
}

// mapResolver resolves the names of m (without port) and nothing else.
type mapResolver struct {
	mu sync.Mutex
	m  map[string][]netip.Addr
}

func (r *mapResolver) set(host string, ips ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var addrs []netip.Addr
	for _, s := range ips {
		addrs = append(addrs, netip.MustParseAddr(s))
	}
	r.m[host] = addrs
}

func (r *mapResolver) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.m[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func newMapResolver() *mapResolver { return &mapResolver{m: map[string][]netip.Addr{}} }

// forbiddenAnswers are DNS answers that must be refused by default.
var forbiddenAnswers = []string{
	"127.0.0.1",        // loopback
	"10.0.0.1",         // RFC 1918
	"192.168.1.1",      // RFC 1918
	"169.254.169.254",  // cloud metadata (link-local)
	"::1",              // IPv6 loopback
	"::ffff:127.0.0.1", // IPv4-mapped loopback
	"fd00:ec2::254",    // AWS metadata over IPv6
	"0.0.0.0",          // reaches localhost on Linux
}

// ssrfFetches are the federation's outgoing fetches, each naming the remote
// host it contacts.
func ssrfFetches(ti *testInstance) map[string]func(ctx context.Context, host string) error {
	return map[string]func(ctx context.Context, host string) error{
		"resolve account by WebFinger": func(ctx context.Context, host string) error {
			_, err := ti.fed.ResolveAccount(ctx, "alice@"+host)
			return err
		},
		"resolve account by actor URL": func(ctx context.Context, host string) error {
			_, err := ti.fed.ResolveAccount(ctx, "http://"+host+"/users/alice")
			return err
		},
		"fetch object": func(ctx context.Context, host string) error {
			_, err := ti.fed.fetchObject(ctx, "http://"+host+"/notes/1")
			return err
		},
		"resolve status": func(ctx context.Context, host string) error {
			_, err := ti.fed.ResolveStatus(ctx, "http://"+host+"/notes/2")
			return err
		},
		"fetch the key of an inbox signature": func(ctx context.Context, host string) error {
			key := peerKey(ti.t)
			actor := "http://" + host + "/users/alice"
			body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + actor + `#like/1","type":"Like","actor":"` + actor + `","object":"` + ti.url + `/x"}`)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ti.url+"/inbox", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/activity+json")
			if err := httpsig.Sign(req, actor+"#main-key", key, body); err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			return errors.New(resp.Status)
		},
	}
}

func TestSSRFForbiddenDNSAnswers(t *testing.T) {
	target := newSSRFTarget(t)
	res := newMapResolver()
	ti := newTestInstance(t, func(c *config.Config) { c.Federation.AllowPrivateAddresses = false })
	ti.fed.SetLookupIP(res.lookup)
	ctx := context.Background()
	for i, ip := range forbiddenAnswers {
		name := "evil" + string(rune('a'+i)) + ".example"
		res.set(name, ip)
		host := name + ":" + target.port
		for what, fetch := range ssrfFetches(ti) {
			before := target.hits.Load()
			err := fetch(ctx, host)
			if err == nil {
				t.Errorf("%s: %s → %s succeeded", what, name, ip)
			} else if what != "fetch the key of an inbox signature" && !errors.Is(err, netguard.ErrForbiddenAddress) {
				t.Errorf("%s: %s → %s: err = %v, want ErrForbiddenAddress", what, name, ip, err)
			}
			if n := target.hits.Load() - before; n != 0 {
				t.Errorf("%s: %s → %s: the target was reached %d times", what, name, ip, n)
			}
		}
	}
	// A name with one public and one internal answer is refused as a whole.
	res.set("mixed.example", "93.184.216.34", "127.0.0.1")
	if _, err := ti.fed.ResolveAccount(ctx, "http://mixed.example:"+target.port+"/users/alice"); !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Errorf("mixed answers: err = %v, want ErrForbiddenAddress", err)
	}
	// Literal addresses in URLs are checked as well.
	for _, u := range []string{target.url + "/users/alice", "http://[::1]:" + target.port + "/users/alice", "http://169.254.169.254/latest/meta-data/"} {
		if _, err := ti.fed.ResolveAccount(ctx, u); !errors.Is(err, netguard.ErrForbiddenAddress) {
			t.Errorf("literal %s: err = %v, want ErrForbiddenAddress", u, err)
		}
	}
	if n := target.hits.Load(); n != 0 {
		t.Fatalf("the target was reached %d times", n)
	}
}

// TestSSRFControlAllowPrivate: the same fetches succeed against the same
// server when allow_private_addresses is true, so the refusals above are
// the guard's doing and not a broken test server.
func TestSSRFControlAllowPrivate(t *testing.T) {
	target := newSSRFTarget(t)
	res := newMapResolver()
	res.set("peer.example", "127.0.0.1")
	ti := newTestInstance(t) // allow_private_addresses = true
	ti.fed.SetLookupIP(res.lookup)
	ctx := context.Background()
	host := "peer.example:" + target.port
	for what, fetch := range ssrfFetches(ti) {
		if what == "fetch the key of an inbox signature" || what == "resolve status" {
			continue // need more of the remote (a followed actor, a reachable author)
		}
		if err := fetch(ctx, host); err != nil {
			t.Errorf("%s with allow_private_addresses: %v", what, err)
		}
	}
	if target.hits.Load() == 0 {
		t.Fatal("the target was never reached")
	}
	// Link-local and metadata addresses stay refused even then.
	for _, ip := range []string{"169.254.169.254", "fd00:ec2::254", "0.0.0.0", "fe80::1"} {
		res.set("meta.example", ip)
		if _, err := ti.fed.ResolveAccount(ctx, "alice@meta.example:"+target.port); !errors.Is(err, netguard.ErrForbiddenAddress) {
			t.Errorf("%s with allow_private_addresses: err = %v, want ErrForbiddenAddress", ip, err)
		}
	}
}

// TestSSRFRedirects: an allowed host that redirects a fetch to a forbidden
// address is refused at the redirect. The allowed host must be reachable,
// which on a test machine means loopback, so this runs with
// allow_private_addresses = true and redirects to the addresses that stay
// forbidden then (metadata, link-local, "this network"); the hop is checked
// by the same dialer code as the first request, and the first-hop tests
// above cover the private ranges.
func TestSSRFRedirects(t *testing.T) {
	good := newSSRFTarget(t)
	res := newMapResolver()
	res.set("good.example", "127.0.0.1")
	res.set("metadata.example", "169.254.169.254")
	ti := newTestInstance(t)
	ti.fed.SetLookupIP(res.lookup)
	ctx := context.Background()
	host := "good.example:" + good.port
	for _, to := range []string{
		"http://metadata.example/latest/meta-data/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fe80::1]/",
		"http://[fd00:ec2::254]/latest/meta-data/",
		"http://0.0.0.0:" + good.port + "/users/alice",
	} {
		good.redirect = to
		for what, fetch := range ssrfFetches(ti) {
			if what == "fetch the key of an inbox signature" {
				continue
			}
			err := fetch(ctx, host)
			if !errors.Is(err, netguard.ErrForbiddenAddress) {
				t.Errorf("%s redirected to %s: err = %v, want ErrForbiddenAddress", what, to, err)
			}
		}
	}
	if good.hits.Load() == 0 {
		t.Fatal("the redirecting host was never reached")
	}
}

// TestSSRFRebinding: a name whose DNS answer changes from an allowed
// address to a forbidden one between two connections is refused on the
// second: every connection resolves and checks again, and connects to the
// checked address itself.
func TestSSRFRebinding(t *testing.T) {
	target := newSSRFTarget(t)
	res := newMapResolver()
	res.set("rebind.example", "127.0.0.1")
	ti := newTestInstance(t)
	ti.fed.SetLookupIP(res.lookup)
	ctx := context.Background()
	host := "rebind.example:" + target.port
	if _, err := ti.fed.fetchObject(ctx, "http://"+host+"/notes/1"); err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	ti.fed.client.CloseIdleConnections() // the next fetch dials again
	res.set("rebind.example", "169.254.169.254")
	before := target.hits.Load()
	if _, err := ti.fed.fetchObject(ctx, "http://"+host+"/notes/2"); !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("after rebinding: err = %v, want ErrForbiddenAddress", err)
	}
	if target.hits.Load() != before {
		t.Fatal("the fetch after rebinding reached a server")
	}
}
