package httpsig_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

const testKeyID = "https://herald.example/users/alice#main-key"

var activity = []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow","actor":"https://herald.example/users/alice","object":"https://peer.example/users/bob"}`)

// signedRequest builds a request for cs with path (which may carry a
// query), signs it and returns it ready to send.
func signedRequest(t *testing.T, cs *captureServer, method, path string, body []byte, key *rsa.PrivateKey) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequest(method, cs.URL+path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/activity+json")
	} else {
		req, err = http.NewRequest(method, cs.URL+path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := httpsig.Sign(req, testKeyID, key, body); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return req
}

func TestSignHeaders(t *testing.T) {
	key, _ := testKeys(t)
	req, _ := http.NewRequest(http.MethodPost, "https://peer.example:8443/inbox?x=1", nil)
	before := time.Now().UTC().Truncate(time.Second)
	if err := httpsig.Sign(req, testKeyID, key, activity); err != nil {
		t.Fatal(err)
	}
	if req.Host != "peer.example:8443" || req.Header.Get("Host") != "peer.example:8443" {
		t.Errorf("Host = %q / %q", req.Host, req.Header.Get("Host"))
	}
	date, err := http.ParseTime(req.Header.Get("Date"))
	if err != nil || date.Before(before) || !strings.HasSuffix(req.Header.Get("Date"), " GMT") {
		t.Errorf("Date = %q (%v)", req.Header.Get("Date"), err)
	}
	if got, want := req.Header.Get("Digest"), httpsig.Digest(activity); got != want {
		t.Errorf("Digest = %q, want %q", got, want)
	}
	p, err := httpsig.ParseSignatureHeader(req.Header.Get("Signature"))
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != testKeyID || p.Algorithm != "rsa-sha256" ||
		strings.Join(p.Headers, " ") != "(request-target) host date digest" {
		t.Errorf("Signature = %q", req.Header.Get("Signature"))
	}

	get, _ := http.NewRequest(http.MethodGet, "https://peer.example/users/bob", nil)
	if err := httpsig.Sign(get, testKeyID, key, nil); err != nil {
		t.Fatal(err)
	}
	p, _ = httpsig.ParseSignatureHeader(get.Header.Get("Signature"))
	if strings.Join(p.Headers, " ") != "(request-target) host date" || get.Header.Get("Digest") != "" {
		t.Errorf("GET Signature = %q, Digest = %q", get.Header.Get("Signature"), get.Header.Get("Digest"))
	}

	// Signing again (a retry) replaces rather than duplicates.
	if err := httpsig.Sign(req, testKeyID, key, activity); err != nil {
		t.Fatal(err)
	}
	if n := len(req.Header.Values("Signature")) + len(req.Header.Values("Digest")); n != 2 {
		t.Errorf("after re-signing: %d Signature+Digest values", n)
	}
}

func TestSignRejects(t *testing.T) {
	key, _ := testKeys(t)
	for name, tc := range map[string]struct {
		url, keyID string
		key        *rsa.PrivateKey
	}{
		"nil key":      {"https://peer.example/", testKeyID, nil},
		"empty keyId":  {"https://peer.example/", "", key},
		"quote in key": {"https://peer.example/", `a"b`, key},
		"no host":      {"/relative", testKeyID, key},
		"unicode host": {"https://bücher.example/", testKeyID, key},
	} {
		req, err := http.NewRequest(http.MethodGet, tc.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := httpsig.Sign(req, tc.keyID, tc.key, nil); err == nil {
			t.Errorf("%s: Sign succeeded", name)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	key, _ := testKeys(t)
	tests := []struct {
		name, method, path string
		body               []byte
	}{
		{"GET", http.MethodGet, "/users/bob", nil},
		{"GET with query", http.MethodGet, "/users/bob/outbox?page=true&min_id=0", nil},
		{"GET escaped path", http.MethodGet, "/tags/caf%C3%A9/a%2Fb", nil},
		{"GET empty path", http.MethodGet, "", nil},
		{"POST", http.MethodPost, "/users/bob/inbox", activity},
		{"POST with query", http.MethodPost, "/inbox?shared=1", activity},
		{"POST empty body", http.MethodPost, "/inbox", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := newCaptureServer(t)
			got := cs.send(t, signedRequest(t, cs, tt.method, tt.path, tt.body, key))
			// httptest listens on 127.0.0.1:<port>: the signed Host carries the port.
			u, _ := url.Parse(cs.URL)
			if got.req.Host != u.Host || !strings.Contains(got.req.Host, ":") {
				t.Fatalf("server saw Host %q, want %q", got.req.Host, u.Host)
			}
			res := &staticResolver{key: &key.PublicKey}
			v, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, time.Now())
			if err != nil {
				t.Fatalf("Verify: %v (request-target %s %s)", err, got.req.Method, got.req.RequestURI)
			}
			if v.KeyID != testKeyID || v.SignedHeaders[0] != "(request-target)" {
				t.Errorf("Verified = %+v", v)
			}
			if res.calls.Load() != 1 {
				t.Errorf("resolver called %d times, want 1", res.calls.Load())
			}
		})
	}
}

// A request whose Host the signer had to carry explicitly (a non-default
// port on a named host) verifies against what the server receives.
func TestRoundTripNamedHostWithPort(t *testing.T) {
	key, _ := testKeys(t)
	cs := newCaptureServer(t)
	u, _ := url.Parse(cs.URL)
	req, _ := http.NewRequest(http.MethodGet, "http://localhost:"+u.Port()+"/users/bob", nil)
	if err := httpsig.Sign(req, testKeyID, key, nil); err != nil {
		t.Fatal(err)
	}
	got := cs.send(t, req)
	if got.req.Host != "localhost:"+u.Port() {
		t.Fatalf("Host = %q", got.req.Host)
	}
	res := &staticResolver{key: &key.PublicKey}
	if _, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejects(t *testing.T) {
	key, other := testKeys(t)
	now := time.Now()
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		// mutate changes the signed request before it is sent; it returns
		// the body the server will receive (nil: unchanged).
		mutate func(t *testing.T, r *http.Request) []byte
		key    *rsa.PublicKey
		now    time.Time
		reason string // substring of the *Error reason
	}{
		{
			name: "tampered body", method: http.MethodPost, path: "/inbox", body: activity,
			mutate: func(t *testing.T, r *http.Request) []byte { return []byte(`{"type":"Delete"}`) },
			reason: "Digest does not match",
		},
		{
			name: "body and Digest both changed", method: http.MethodPost, path: "/inbox", body: activity,
			mutate: func(t *testing.T, r *http.Request) []byte {
				b := []byte(`{"type":"Delete"}`)
				r.Header.Set("Digest", httpsig.Digest(b))
				return b
			},
			reason: "signature does not match",
		},
		{
			name: "Digest with bad base64", method: http.MethodPost, path: "/inbox", body: activity,
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Header.Set("Digest", "SHA-256=!!!")
				return nil
			},
			reason: "not base64",
		},
		{
			name: "Digest of wrong length", method: http.MethodPost, path: "/inbox", body: activity,
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Header.Set("Digest", "SHA-256=AAAA")
				return nil
			},
			reason: "has 3 bytes",
		},
		{
			name: "Digest without SHA-256", method: http.MethodPost, path: "/inbox", body: activity,
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Header.Set("Digest", "SHA-512=AAAA")
				return nil
			},
			reason: "no SHA-256 entry",
		},
		{
			name: "wrong key", method: http.MethodPost, path: "/inbox", body: activity,
			key: &other.PublicKey, reason: "signature does not match",
		},
		{
			name: "stale Date (2 h old)", method: http.MethodGet, path: "/users/bob",
			now: now.Add(2 * time.Hour), reason: "expired",
		},
		{
			name: "future Date (2 h ahead)", method: http.MethodGet, path: "/users/bob",
			now: now.Add(-2 * time.Hour), reason: "in the future",
		},
		{
			name: "unparseable Date", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Header.Set("Date", "yesterday")
				return nil
			},
			reason: "invalid Date",
		},
		{
			name: "POST without digest signed", method: http.MethodPost, path: "/inbox", body: activity,
			mutate: func(t *testing.T, r *http.Request) []byte {
				setSignatureParam(t, r, "headers", "(request-target) host date")
				return nil
			},
			reason: "digest must be signed on POST",
		},
		{
			name: "GET without host signed", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				setSignatureParam(t, r, "headers", "(request-target) date")
				return nil
			},
			reason: "host must be signed",
		},
		{
			name: "missing Signature header", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Header.Del("Signature")
				return nil
			},
			reason: "missing Signature header",
		},
		{
			name: "algorithm hmac-sha256", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				setSignatureParam(t, r, "algorithm", "hmac-sha256")
				return nil
			},
			reason: "unsupported algorithm",
		},
		{
			name: "signed header absent", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				setSignatureParam(t, r, "headers", "(request-target) host date accept")
				return nil
			},
			reason: "signed header accept missing",
		},
		{
			name: "(created) with rsa-sha256", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				setSignatureParam(t, r, "headers", "(request-target) host date (created)")
				return nil
			},
			reason: "only valid with hs2019",
		},
		{
			name: "(created) without created param", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				setSignatureParam(t, r, "algorithm", "hs2019")
				setSignatureParam(t, r, "headers", "(request-target) host (created)")
				return nil
			},
			reason: "parameter is missing",
		},
		{
			name: "RFC 9421", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri");created=1`)
				return nil
			},
			reason: "RFC 9421",
		},
		{
			name: "method changed", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.Method = http.MethodHead
				return nil
			},
			reason: "signature does not match",
		},
		{
			name: "path changed", method: http.MethodGet, path: "/users/bob",
			mutate: func(t *testing.T, r *http.Request) []byte {
				r.URL.Path = "/users/carol"
				return nil
			},
			reason: "signature does not match",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := newCaptureServer(t)
			req := signedRequest(t, cs, tt.method, tt.path, tt.body, key)
			if tt.mutate != nil {
				if b := tt.mutate(t, req); b != nil {
					req.Body = nopBody(b)
					req.ContentLength = int64(len(b))
				}
			}
			got := cs.send(t, req)
			pub := &key.PublicKey
			if tt.key != nil {
				pub = tt.key
			}
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			res := &staticResolver{key: pub}
			v, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, at)
			var herr *httpsig.Error
			if !errors.As(err, &herr) {
				t.Fatalf("Verify = %+v, %v; want *httpsig.Error", v, err)
			}
			if !strings.Contains(herr.Reason, tt.reason) {
				t.Fatalf("reason %q, want it to contain %q", herr.Reason, tt.reason)
			}
			if strings.Contains(tt.reason, "signature does not match") && res.refresh.Load() != 1 {
				t.Errorf("refresh called %d times, want 1", res.refresh.Load())
			}
		})
	}
}

// Older Mastodon signed (request-target) without the query string while
// sending it: the verifier retries without the query.
func TestVerifyQueryOmittedBySender(t *testing.T) {
	key, _ := testKeys(t)
	cs := newCaptureServer(t)
	req := signedRequest(t, cs, http.MethodGet, "/users/bob/outbox", nil, key)
	req.URL.RawQuery = "page=true" // sent, but not signed
	got := cs.send(t, req)
	if got.req.RequestURI != "/users/bob/outbox?page=true" {
		t.Fatalf("RequestURI = %q", got.req.RequestURI)
	}
	res := &staticResolver{key: &key.PublicKey}
	if _, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, time.Now()); err != nil {
		t.Fatal(err)
	}
	if res.refresh.Load() != 0 {
		t.Error("the query fallback must not need a key refresh")
	}
}

func TestVerifyKeyRotation(t *testing.T) {
	oldKey, newKey := testKeys(t)
	cs := newCaptureServer(t)
	got := cs.send(t, signedRequest(t, cs, http.MethodPost, "/inbox", activity, newKey))

	var plain, refreshes atomic.Int32
	resolve := func(_ context.Context, keyID string, refresh bool) (*rsa.PublicKey, error) {
		if keyID != testKeyID {
			t.Errorf("keyID = %q", keyID)
		}
		if refresh {
			refreshes.Add(1)
			return &newKey.PublicKey, nil
		}
		plain.Add(1)
		return &oldKey.PublicKey, nil // the cached, rotated-away key
	}
	if _, err := httpsig.Verify(context.Background(), got.req, got.body, resolve, time.Now()); err != nil {
		t.Fatal(err)
	}
	if plain.Load() != 1 || refreshes.Load() != 1 {
		t.Errorf("resolve calls: %d plain, %d refresh; want 1 and 1", plain.Load(), refreshes.Load())
	}
}

var errBlocked = errors.New("domain is blocked")

func TestVerifyResolverErrorPassesThrough(t *testing.T) {
	key, _ := testKeys(t)
	cs := newCaptureServer(t)
	got := cs.send(t, signedRequest(t, cs, http.MethodPost, "/inbox", activity, key))
	resolve := func(context.Context, string, bool) (*rsa.PublicKey, error) { return nil, errBlocked }
	_, err := httpsig.Verify(context.Background(), got.req, got.body, resolve, time.Now())
	var herr *httpsig.Error
	if !errors.Is(err, errBlocked) || errors.As(err, &herr) {
		t.Fatalf("err = %v, want errBlocked wrapped, not an *httpsig.Error", err)
	}
}

// hs2019 with (created)/(expires), as Fedify and GoToSocial may send: the
// created parameter sets the time window instead of Date.
func TestVerifyHS2019Created(t *testing.T) {
	key, _ := testKeys(t)
	cs := newCaptureServer(t)
	req := signedRequest(t, cs, http.MethodPost, "/inbox", activity, key)
	created := time.Now().Add(-3 * time.Hour).Unix() // Date alone would be fine; created is not
	setSignatureParam(t, req, "algorithm", "hs2019")
	req.Header.Set("Signature", req.Header.Get("Signature")+`,created=`+itoa(created))
	got := cs.send(t, req)
	res := &staticResolver{key: &key.PublicKey}
	_, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, time.Now())
	var herr *httpsig.Error
	if !errors.As(err, &herr) || !strings.Contains(herr.Reason, "expired") {
		t.Fatalf("err = %v, want expired (created param governs the window)", err)
	}
}
