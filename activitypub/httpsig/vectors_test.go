package httpsig_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// Test values from draft-cavage-http-signatures Appendix C ("keyId=Test").
// The draft calls the key 2048-bit; it is really 1024-bit. The keys and the
// C.1/C.2/C.3 signatures are unchanged from draft-09 to draft-12.
const (
	cavagePublicKey = `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
`
	cavagePrivateKey = `-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
`
	cavageDate   = "Sun, 05 Jan 2014 21:31:40 GMT"
	cavageDigest = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
	cavageBody   = `{"hello": "world"}`

	sigC1 = "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
	sigC2 = "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
	sigC3 = "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)

var cavageNow = time.Date(2014, time.January, 5, 21, 31, 40, 0, time.UTC)

func cavageKey(t testing.TB) *rsa.PublicKey {
	t.Helper()
	k, err := httpsig.ParsePublicKeyPEM(cavagePublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// cavageRequest sends the Appendix C request to a real server with the given
// signature headers and returns what the server received.
func cavageRequest(t *testing.T, set map[string]string) received {
	t.Helper()
	cs := newCaptureServer(t)
	req, err := http.NewRequest(http.MethodPost, cs.URL+"/foo?param=value&pet=dog", strings.NewReader(cavageBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "example.com"
	req.Header.Set("Date", cavageDate)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Digest", cavageDigest)
	for k, v := range set {
		req.Header.Set(k, v)
	}
	got := cs.send(t, req)
	if got.req.Header.Get("Content-Length") != "18" {
		t.Fatalf("server saw Content-Length %q, want 18", got.req.Header.Get("Content-Length"))
	}
	return got
}

func TestAppendixCVectors(t *testing.T) {
	key := cavageKey(t)
	tests := []struct {
		name       string
		header     string
		wantString string
		// wantReason is empty when the full Verify must succeed; otherwise
		// the vector is cryptographically valid but too weak for Mastodon.
		wantReason string
	}{
		{
			name:       "C.1 default",
			header:     `keyId="Test",algorithm="rsa-sha256",signature="` + sigC1 + `"`,
			wantString: "date: " + cavageDate,
			wantReason: "(request-target) or digest must be signed",
		},
		{
			name:   "C.2 basic",
			header: `keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="` + sigC2 + `"`,
			wantString: "(request-target): post /foo?param=value&pet=dog\n" +
				"host: example.com\n" +
				"date: " + cavageDate,
			wantReason: "digest must be signed on POST",
		},
		{
			name: "C.3 all headers",
			header: `keyId="Test",algorithm="rsa-sha256",` +
				`headers="(request-target) host date content-type digest content-length",signature="` + sigC3 + `"`,
			wantString: "(request-target): post /foo?param=value&pet=dog\n" +
				"host: example.com\n" +
				"date: " + cavageDate + "\n" +
				"content-type: application/json\n" +
				"digest: " + cavageDigest + "\n" +
				"content-length: 18",
		},
	}
	for _, tt := range tests {
		for _, field := range []string{"Signature", "Authorization"} {
			t.Run(tt.name+"/"+field, func(t *testing.T) {
				value := tt.header
				if field == "Authorization" {
					value = "Signature " + value
				}
				got := cavageRequest(t, map[string]string{field: value})
				if !bytes.Equal(got.body, []byte(cavageBody)) {
					t.Fatalf("body = %q", got.body)
				}

				s, ok, err := httpsig.SignatureMatches(got.req, value[strings.Index(value, "keyId"):], key)
				if err != nil {
					t.Fatal(err)
				}
				if s != tt.wantString {
					t.Errorf("signing string:\n%s\nwant:\n%s", s, tt.wantString)
				}
				if !ok {
					t.Fatal("published signature does not verify")
				}

				res := &staticResolver{key: key}
				v, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, cavageNow)
				if tt.wantReason == "" {
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if v.KeyID != "Test" || len(v.SignedHeaders) != 6 {
						t.Errorf("Verified = %+v", v)
					}
					return
				}
				var herr *httpsig.Error
				if !errors.As(err, &herr) || herr.Reason != tt.wantReason {
					t.Fatalf("Verify error = %v, want reason %q", err, tt.wantReason)
				}
				if res.calls.Load() != 0 {
					t.Error("key resolved for a request that fails local checks")
				}
			})
		}
	}
}

// Draft-12 reprinted the C.3 signature with "(created) (expires)" added to
// the headers list without recomputing it, so that header cannot verify; it
// is also invalid for Mastodon (pseudo-headers with rsa-sha256).
func TestAppendixCDraft12Erratum(t *testing.T) {
	header := `keyId="Test",algorithm="rsa-sha256",created=1402170695, expires=1402170699,` +
		`headers="(request-target) (created) (expires) host date content-type digest content-length",` +
		`signature="` + sigC3 + `"`
	got := cavageRequest(t, map[string]string{"Signature": header})
	res := &staticResolver{key: cavageKey(t)}
	_, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, cavageNow)
	var herr *httpsig.Error
	if !errors.As(err, &herr) || !strings.Contains(herr.Reason, "only valid with hs2019") {
		t.Fatalf("Verify error = %v", err)
	}
}

// Signing the Appendix C request with the Appendix C key reproduces a
// signature that verifies with the published public key.
func TestSignWithAppendixCKey(t *testing.T) {
	priv, err := httpsig.ParsePrivateKeyPEM(cavagePrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cs := newCaptureServer(t)
	req, _ := http.NewRequest(http.MethodPost, cs.URL+"/foo?param=value&pet=dog", strings.NewReader(cavageBody))
	if err := httpsig.SignAt(req, "Test", priv, []byte(cavageBody), cavageNow); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Digest") != cavageDigest || req.Header.Get("Date") != cavageDate {
		t.Fatalf("Digest %q, Date %q", req.Header.Get("Digest"), req.Header.Get("Date"))
	}
	got := cs.send(t, req)
	res := &staticResolver{key: cavageKey(t)}
	if _, err := httpsig.Verify(context.Background(), got.req, got.body, res.resolve, cavageNow); err != nil {
		t.Fatal(err)
	}
}
