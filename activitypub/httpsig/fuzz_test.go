package httpsig_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/activitypub/httpsig"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; these f.Add seeds only
// cover the shapes that are awkward to keep as files.

func FuzzParseSignatureHeader(f *testing.F) {
	f.Add(`keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="` + sigC2 + `"`)
	f.Add(`Signature keyId = "k" , signature= "s",created=1,expires=2.5`)
	f.Fuzz(func(t *testing.T, v string) {
		p, err := httpsig.ParseSignatureHeader(v)
		if err != nil {
			return
		}
		for _, h := range p.Headers {
			if h == "" || h != strings.ToLower(h) {
				t.Fatalf("header name %q not lowercased/non-empty", h)
			}
		}
		if p.Created < 0 || p.Expires < 0 {
			t.Fatalf("negative timestamps %d/%d", p.Created, p.Expires)
		}
	})
}

func FuzzVerify(f *testing.F) {
	key, err := httpsig.ParsePublicKeyPEM(cavagePublicKey)
	if err != nil {
		f.Fatal(err)
	}
	resolve := func(context.Context, string, bool) (*rsa.PublicKey, error) { return key, nil }
	f.Add("GET", "/", "example.com", `keyId="k",headers="(request-target) host date",signature="AAAA"`, cavageDate, "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target, host, signature, date, digest string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		req := &http.Request{Method: method, URL: u, RequestURI: target, Host: host, Header: http.Header{}}
		for k, v := range map[string]string{"Signature": signature, "Date": date, "Digest": digest} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Length", "18")
		_, err = httpsig.Verify(context.Background(), req, body, resolve, cavageNow)
		var herr *httpsig.Error
		if err != nil && !errors.As(err, &herr) {
			// Callers answer every *Error with 401; anything else would be a 500.
			t.Fatalf("Verify error %T %v is not an *httpsig.Error", err, err)
		}
	})
}
