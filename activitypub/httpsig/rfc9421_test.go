package httpsig_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// rfcTestRequest is RFC 9421's test-request (section B.2) as a server
// receives it.
func rfcTestRequest(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	body := []byte(`{"hello": "world"}`)
	req, err := http.NewRequest(http.MethodPost, "http://example.com/foo?param=Value&Pet=dog", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.RequestURI = "/foo?param=Value&Pet=dog"
	req.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	req.Header.Set("Content-Length", "18")
	return req, body
}

func fixedKey(k crypto.PublicKey) httpsig.AnyKeyResolver {
	return func(context.Context, string, bool) (crypto.PublicKey, error) { return k, nil }
}

// TestRFC9421AppendixB26 checks the RFC's ed25519 vector (B.2.6), and the
// Content-Digest of its test request (sha-512).
func TestRFC9421AppendixB26(t *testing.T) {
	block, _ := pem.Decode([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n"))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	req, body := rfcTestRequest(t)
	req.Header.Set("Signature-Input", `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`)
	req.Header.Set("Signature", "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:")
	v, err := httpsig.Verify9421(context.Background(), req, body, fixedKey(pub), time.Unix(1618884473, 0), "https", false)
	if err != nil {
		t.Fatalf("B.2.6: %v", err)
	}
	if v.KeyID != "test-key-ed25519" {
		t.Errorf("keyid %q", v.KeyID)
	}
	// Tampering with a covered header breaks it.
	req.Header.Set("Content-Type", "text/plain")
	if _, err := httpsig.Verify9421(context.Background(), req, body, fixedKey(pub), time.Unix(1618884473, 0), "https", false); err == nil {
		t.Error("tampered content-type verified")
	}
	// The body must match Content-Digest (sha-512 here) when it is checked.
	req, _ = rfcTestRequest(t)
	req.Header.Set("Signature-Input", `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length" "content-digest");created=1618884473;keyid="test-key-ed25519"`)
	req.Header.Set("Signature", "sig-b26=:AAAA:")
	var herr *httpsig.Error
	if _, err := httpsig.Verify9421(context.Background(), req, []byte(`{"hello": "World"}`), fixedKey(pub), time.Unix(1618884473, 0), "https", false); !errors.As(err, &herr) || !strings.Contains(err.Error(), "Content-Digest") {
		t.Errorf("wrong body: %v", err)
	}
}

// signFedify signs a request the way Fedify 1.6+ does (SignRFC9421) and
// returns it as the server sees it.
func signFedify(t *testing.T, method, url string, body []byte, key *rsa.PrivateKey, now time.Time) *http.Request {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, nil)
	if rd != nil {
		req, err = http.NewRequest(method, url, rd)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := httpsig.SignRFC9421(req, "https://peer.example/users/a#main-key", key, body, now); err != nil {
		t.Fatal(err)
	}
	req.RequestURI = req.URL.RequestURI()
	req.Header.Del("Host") // a Go server moves Host out of the header map
	return req
}

func TestRFC9421VerifyRequest(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	resolve := func(context.Context, string, bool) (*rsa.PublicKey, error) { return &key.PublicKey, nil }
	ctx := context.Background()
	body := []byte(`{"type":"Follow"}`)

	t.Run("GET as Fedify", func(t *testing.T) {
		req := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
		if !strings.HasPrefix(req.Header.Get("Signature-Input"), `sig1=("@method" "@target-uri" "@authority" "host" "date");alg="rsa-v1_5-sha256";keyid="https://peer.example/users/a#main-key";created=`) {
			t.Errorf("Signature-Input %q", req.Header.Get("Signature-Input"))
		}
		v, err := httpsig.VerifyRequest(ctx, req, nil, resolve, now, "https")
		if err != nil {
			t.Fatal(err)
		}
		if v.KeyID != "https://peer.example/users/a#main-key" {
			t.Errorf("keyid %q", v.KeyID)
		}
	})
	t.Run("POST as Fedify", func(t *testing.T) {
		req := signFedify(t, http.MethodPost, "https://herald.example/inbox", body, key, now)
		if _, err := httpsig.VerifyRequest(ctx, req, body, resolve, now, "https"); err != nil {
			t.Fatal(err)
		}
	})
	fails := map[string]func() (*http.Request, []byte, time.Time){
		"tampered body": func() (*http.Request, []byte, time.Time) {
			return signFedify(t, http.MethodPost, "https://herald.example/inbox", body, key, now), []byte(`{"type":"Block"}`), now
		},
		"tampered date": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			r.Header.Set("Date", now.Add(time.Second).UTC().Format(http.TimeFormat))
			return r, nil, now
		},
		"other path": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			r.RequestURI = "/users/bob"
			return r, nil, now
		},
		"other host": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			r.Host = "other.example"
			return r, nil, now
		},
		"other scheme": func() (*http.Request, []byte, time.Time) {
			return signFedify(t, http.MethodGet, "http://herald.example/users/alice", nil, key, now), nil, now
		},
		"expired": func() (*http.Request, []byte, time.Time) {
			return signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now), nil, now.Add(httpsig.DefaultExpiry + httpsig.ClockSkewMargin + time.Second)
		},
		"created in the future": func() (*http.Request, []byte, time.Time) {
			return signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now), nil, now.Add(-httpsig.ClockSkewMargin - time.Second)
		},
		"POST without content-digest covered": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodPost, "https://herald.example/inbox", nil, key, now)
			return r, body, now
		},
		"no created": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			in := r.Header.Get("Signature-Input")
			r.Header.Set("Signature-Input", in[:strings.Index(in, ";created=")])
			return r, nil, now
		},
		"label mismatch": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
			return r, nil, now
		},
		"unsupported alg": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), "rsa-v1_5-sha256", "hmac-sha256", 1))
			return r, nil, now
		},
		"garbage": func() (*http.Request, []byte, time.Time) {
			r := signFedify(t, http.MethodGet, "https://herald.example/users/alice", nil, key, now)
			r.Header.Set("Signature-Input", `sig1=("@method" "@target-uri";created=1`)
			return r, nil, now
		},
	}
	for name, mk := range fails {
		t.Run(name, func(t *testing.T) {
			req, b, at := mk()
			_, err := httpsig.VerifyRequest(ctx, req, b, resolve, at, "https")
			var e *httpsig.Error
			if !errors.As(err, &e) {
				t.Fatalf("want *httpsig.Error, got %v", err)
			}
		})
	}
}

// TestRFC9421Algorithms signs bases with Go's crypto in each supported
// algorithm and checks they verify, and that alg cannot be switched.
func TestRFC9421Algorithms(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	epub, epriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	const input = `("@method" "@target-uri" "date");created=1800000000;keyid="k";alg="%s"`
	base := func(alg string) string {
		return "\"@method\": GET\n\"@target-uri\": https://herald.example/users/alice\n\"date\": " +
			now.UTC().Format(http.TimeFormat) + "\n\"@signature-params\": " + strings.Replace(input, "%s", alg, 1)
	}
	sign := map[string]func([]byte) []byte{
		httpsig.AlgRSAv15SHA256: func(b []byte) []byte {
			h := sha256.Sum256(b)
			s, _ := rsa.SignPKCS1v15(nil, rk, crypto.SHA256, h[:])
			return s
		},
		httpsig.AlgRSAPSSSHA512: func(b []byte) []byte {
			h := sha512.Sum512(b)
			s, _ := rsa.SignPSS(rand.Reader, rk, crypto.SHA512, h[:], &rsa.PSSOptions{SaltLength: 64})
			return s
		},
		httpsig.AlgEd25519: func(b []byte) []byte { return ed25519.Sign(epriv, b) },
	}
	keys := map[string]crypto.PublicKey{httpsig.AlgRSAv15SHA256: &rk.PublicKey, httpsig.AlgRSAPSSSHA512: &rk.PublicKey, httpsig.AlgEd25519: epub}
	for alg, s := range sign {
		req, _ := http.NewRequest(http.MethodGet, "https://herald.example/users/alice", nil)
		req.RequestURI = "/users/alice"
		req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
		req.Header.Set("Signature-Input", "sig1="+strings.Replace(input, "%s", alg, 1))
		req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(s([]byte(base(alg))))+":")
		if _, err := httpsig.Verify9421(context.Background(), req, nil, fixedKey(keys[alg]), now, "https", true); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
		// The same signature under another alg does not verify.
		other := httpsig.AlgRSAPSSSHA512
		if alg == other {
			other = httpsig.AlgRSAv15SHA256
		}
		req.Header.Set("Signature-Input", "sig1="+strings.Replace(input, "%s", other, 1))
		if _, err := httpsig.Verify9421(context.Background(), req, nil, fixedKey(keys[alg]), now, "https", true); err == nil {
			t.Errorf("%s verified as %s", alg, other)
		}
	}
}

// FuzzVerifyRFC9421: whatever the Signature-Input, Signature and
// Content-Digest headers hold, VerifyRequest answers an *Error (or, for
// a well-formed request, a resolver call) and never panics.
func FuzzVerifyRFC9421(f *testing.F) {
	f.Add(`sig1=("@method" "@target-uri" "@authority" "host" "date");alg="rsa-v1_5-sha256";keyid="k";created=1800000000`, "sig1=:AAAA:", "sha-256=:AAAA:")
	f.Add(`sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`, "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:", "")
	f.Add(`a=("@query" "@scheme" "@request-target");keyid="k";created=1;expires=?0;x=:AA==:;t=tok/en`, "a=:", "sha-512=:x:, sha-256=:")
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	resolve := func(context.Context, string, bool) (*rsa.PublicKey, error) { return &key.PublicKey, nil }
	f.Fuzz(func(t *testing.T, input, sig, digest string) {
		req, _ := http.NewRequest(http.MethodPost, "https://herald.example/inbox?x=1", nil)
		req.RequestURI = "/inbox?x=1"
		req.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
		req.Header.Set("Signature-Input", input)
		req.Header.Set("Signature", sig)
		req.Header.Set("Content-Digest", digest)
		_, err := httpsig.VerifyRequest(context.Background(), req, []byte("{}"), resolve, time.Unix(1800000000, 0), "https")
		var e *httpsig.Error
		if err == nil || !errors.As(err, &e) {
			t.Fatalf("want an *httpsig.Error, got %v", err)
		}
	})
}
