package netguard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/netguard"
)

// All tests connect only to httptest servers on 127.0.0.1. Forbidden
// addresses are refused before any dial (see guard_internal_test.go).

func TestIsForbidden(t *testing.T) {
	forbidden := []string{
		"127.0.0.1", "127.255.0.9", "::1",
		"10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12:3456::1",
		"169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%eth0",
		"0.0.0.0", "0.1.2.3", "::",
		"224.0.0.1", "239.255.255.250", "ff02::1", "255.255.255.255", "240.0.0.1",
		"100.64.0.1", "100.127.255.254",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", // NAT64 forms of 127.0.0.1 and metadata
		"2002:7f00:1::1", "2002:c0a8:101::1", // 6to4 forms of 127.0.0.1 and 192.168.1.1
		"::7f00:1", // deprecated IPv4-compatible
		"2001::1",  // Teredo
		"192.0.2.1", "2001:db8::1", "198.18.0.1",
		"fd00:ec2::254",
	}
	allowed := []string{
		"93.184.216.34", "1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "169.255.0.1",
		"2606:4700:4700::1111", "2a01:4f8::1", "::ffff:93.184.216.34", "64:ff9b::5db8:d822",
		"2002:5db8:d822::1",
	}
	for _, s := range forbidden {
		if !netguard.IsForbidden(netip.MustParseAddr(s)) {
			t.Errorf("IsForbidden(%s) = false", s)
		}
	}
	for _, s := range allowed {
		if netguard.IsForbidden(netip.MustParseAddr(s)) {
			t.Errorf("IsForbidden(%s) = true", s)
		}
	}
	if !netguard.IsForbidden(netip.Addr{}) {
		t.Error("the zero Addr must be forbidden")
	}
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestLoopback(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

	_, err := netguard.NewClient(netguard.Options{}).Get(srv.URL)
	if !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("AllowPrivate=false: err = %v, want ErrForbiddenAddress", err)
	}

	resp, err := netguard.NewClient(netguard.Options{AllowPrivate: true}).Get(srv.URL)
	if err != nil {
		t.Fatalf("AllowPrivate=true: %v", err)
	}
	defer resp.Body.Close()
	if b, _ := netguard.ReadLimited(resp.Body, 0); string(b) != "ok" {
		t.Fatalf("body = %q", b)
	}
}

// A name is resolved by the guard and the checked IP is dialed; the request
// still carries the name as Host.
func TestLookupIPPinsCheckedAddress(t *testing.T) {
	var host atomic.Value
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { host.Store(r.Host) })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	lookups := 0
	lookup := func(_ context.Context, h string) ([]netip.Addr, error) {
		lookups++
		if h != "peer.test" {
			return nil, fmt.Errorf("unexpected lookup %q", h)
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	u := "http://peer.test:" + strconv.Itoa(port) + "/users/bob"

	if _, err := netguard.NewClient(netguard.Options{LookupIP: lookup}).Get(u); !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("err = %v, want ErrForbiddenAddress", err)
	}
	resp, err := netguard.NewClient(netguard.Options{LookupIP: lookup, AllowPrivate: true}).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := host.Load(); got != "peer.test:"+strconv.Itoa(port) {
		t.Errorf("server saw Host %v", got)
	}
	if lookups != 2 {
		t.Errorf("lookups = %d, want 2", lookups)
	}
}

// The Resolver option is what resolves names when LookupIP is unset. Its
// Dial refuses, so no DNS traffic leaves the test.
func TestResolverOptionIsUsed(t *testing.T) {
	var dials atomic.Int32
	r := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("test resolver: no DNS here")
		},
	}
	_, err := netguard.NewClient(netguard.Options{Resolver: r}).Get("http://herald-netguard-test.invalid/")
	if err == nil || !strings.Contains(err.Error(), "resolve") {
		t.Fatalf("err = %v, want a resolve error", err)
	}
	if dials.Load() == 0 {
		t.Error("custom Resolver was not used")
	}
}

// redirectServer serves /r/N, which redirects to /r/N-1; /r/0 answers 200.
func redirectServer(t *testing.T) *httptest.Server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		if err != nil {
			http.Error(w, "bad path", http.StatusBadRequest)
			return
		}
		if n == 0 {
			fmt.Fprintf(w, "signature=%q", r.Header.Get("Signature"))
			return
		}
		http.Redirect(w, r, "/r/"+strconv.Itoa(n-1), http.StatusFound)
	})
}

func TestRedirects(t *testing.T) {
	srv := redirectServer(t)
	c := netguard.NewClient(netguard.Options{AllowPrivate: true})

	resp, err := c.Get(srv.URL + "/r/2")
	if err != nil {
		t.Fatalf("2 redirects: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/r/0" {
		t.Fatalf("2 redirects: %d at %s", resp.StatusCode, resp.Request.URL)
	}

	_, err = c.Get(srv.URL + "/r/3")
	if !errors.Is(err, netguard.ErrTooManyRedirects) {
		t.Fatalf("3 redirects: err = %v, want ErrTooManyRedirects", err)
	}

	none := netguard.NewClient(netguard.Options{AllowPrivate: true, MaxRedirects: -1})
	resp, err = none.Get(srv.URL + "/r/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("MaxRedirects=-1: status %d, want 302", resp.StatusCode)
	}
}

func TestRedirectSchemeRefused(t *testing.T) {
	for _, target := range []string{"file:///etc/passwd", "gopher://127.0.0.1/", "ftp://127.0.0.1/x"} {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusFound)
		})
		_, err := netguard.NewClient(netguard.Options{AllowPrivate: true}).Get(srv.URL)
		if err == nil || !strings.Contains(err.Error(), "netguard: redirect to scheme") {
			t.Errorf("redirect to %s: err = %v", target, err)
		}
	}
}

// A redirect to a forbidden address is refused at dial time, like the first hop.
func TestRedirectToForbiddenAddress(t *testing.T) {
	lookup := func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://metadata.test/latest/meta-data/", http.StatusFound)
	})
	_, err := netguard.NewClient(netguard.Options{AllowPrivate: true, LookupIP: lookup}).Get(srv.URL)
	if !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("err = %v, want ErrForbiddenAddress", err)
	}
}

func TestRedirectDropsSignatureAndCallsOnRedirect(t *testing.T) {
	srv := redirectServer(t)
	var hops []string
	c := netguard.NewClient(netguard.Options{
		AllowPrivate: true,
		OnRedirect: func(req *http.Request, via []*http.Request) error {
			if req.Header.Get("Signature") != "" {
				t.Errorf("hop %s still carries the previous Signature", req.URL.Path)
			}
			hops = append(hops, req.URL.Path)
			if req.URL.Path == "/r/0" {
				req.Header.Set("Signature", "re-signed")
			}
			return nil
		},
	})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/r/2", nil)
	req.Header.Set("Signature", "for-the-first-url")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := netguard.ReadLimited(resp.Body, 0)
	if string(b) != `signature="re-signed"` || strings.Join(hops, ",") != "/r/1,/r/0" {
		t.Fatalf("body %q, hops %v", b, hops)
	}
}

func TestBodyLimit(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Write([]byte(strings.Repeat("a", n)))
	})
	c := netguard.NewClient(netguard.Options{AllowPrivate: true})
	get := func(n int) (*http.Response, error) {
		return c.Get(srv.URL + "/?n=" + strconv.Itoa(n))
	}

	resp, err := get(netguard.DefaultMaxBody + 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, netguard.ErrTooLarge) {
		t.Errorf("client cap: io.ReadAll err = %v, want ErrTooLarge", err)
	}
	resp.Body.Close()

	resp, err = get(netguard.DefaultMaxBody)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := netguard.ReadLimited(resp.Body, 0); err != nil || len(b) != netguard.DefaultMaxBody {
		t.Errorf("exactly 1 MiB: %d bytes, %v", len(b), err)
	}
	resp.Body.Close()

	resp, err = get(2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netguard.ReadLimited(resp.Body, 1000); !errors.Is(err, netguard.ErrTooLarge) {
		t.Errorf("ReadLimited(1000) of 2000 bytes: err = %v, want ErrTooLarge", err)
	}
	resp.Body.Close()

	if b, err := netguard.ReadLimited(strings.NewReader("abc"), 3); err != nil || string(b) != "abc" {
		t.Errorf("ReadLimited at the limit: %q, %v", b, err)
	}
	if _, err := netguard.ReadLimited(strings.NewReader("abcd"), 3); !errors.Is(err, netguard.ErrTooLarge) {
		t.Errorf("ReadLimited over the limit: %v", err)
	}
}

func TestUserAgentAndTimeout(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, r.Header.Get("User-Agent"))
	})
	c := netguard.NewClient(netguard.Options{AllowPrivate: true, UserAgent: "Herald/0.1 (+https://herald.example/)", Timeout: 300 * time.Millisecond})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := netguard.ReadLimited(resp.Body, 0)
	resp.Body.Close()
	if string(b) != "Herald/0.1 (+https://herald.example/)" {
		t.Errorf("User-Agent = %q", b)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("User-Agent", "custom")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = netguard.ReadLimited(resp.Body, 0)
	resp.Body.Close()
	if string(b) != "custom" {
		t.Errorf("explicit User-Agent replaced: %q", b)
	}

	start := time.Now()
	_, err = c.Get(srv.URL + "/slow")
	var uerr *url.Error
	if !errors.As(err, &uerr) || !uerr.Timeout() || time.Since(start) > 3*time.Second {
		t.Errorf("slow server: err = %v after %v", err, time.Since(start))
	}
}
