package httpsig_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
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

// FuzzCheckDigest: the Digest header parser (separate from Verify's
// signature parsing, and only reached by FuzzVerify behind a valid
// Signature header) never panics, fails only with *Error, and accepts a
// header only if it holds the body's real SHA-256.
func FuzzCheckDigest(f *testing.F) {
	body := []byte(`{"hello": "world"}`)
	sum := sha256.Sum256(body)
	good := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	f.Add(good, "", body)
	f.Add("sha-512=abc, "+strings.ToLower(good), "", body)
	f.Add("SHA-256=", "SHA-256=====", []byte{})
	f.Add("MD5=x,SHA=y", good, body)
	f.Add("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "", []byte("x"))
	f.Fuzz(func(t *testing.T, h1, h2 string, body []byte) {
		var values []string
		for _, h := range []string{h1, h2} {
			if h != "" {
				values = append(values, h)
			}
		}
		err := httpsig.CheckDigest(values, body)
		if err != nil {
			var herr *httpsig.Error
			if !errors.As(err, &herr) {
				t.Fatalf("CheckDigest error %T %v is not an *httpsig.Error", err, err)
			}
			return
		}
		sum := sha256.Sum256(body)
		want := base64.StdEncoding.EncodeToString(sum[:])
		found := false
		for _, part := range strings.Split(strings.Join(values, ","), ",") {
			algo, val, _ := strings.Cut(part, "=")
			if strings.EqualFold(strings.TrimSpace(algo), "sha-256") {
				got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
				found = err == nil && base64.StdEncoding.EncodeToString(got) == want
				break
			}
		}
		if !found {
			t.Fatalf("accepted Digest %q for a body whose SHA-256 is %s", values, want)
		}
	})
}
