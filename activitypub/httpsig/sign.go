package httpsig

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gofed "github.com/go-fed/httpsig"
)

// Algorithm names accepted in the Signature header's algorithm parameter.
const (
	AlgorithmRSASHA256 = "rsa-sha256"
	AlgorithmHS2019    = "hs2019"
)

// Sign signs req in place with algorithm="rsa-sha256". For a request with a
// body (POST), it sets Digest: SHA-256=<b64> over body and signs
// "(request-target) host date digest"; for GET it signs
// "(request-target) host date". Sets Date (http.TimeFormat, UTC) and Host
// header value from req.URL.Host (including a non-default port).
// (request-target) includes the query string.
//
// A POST with no body still gets a Digest (over the empty body) because
// Mastodon requires digest to be signed on every POST. Signing again (for a
// retry) replaces the previous Date, Digest and Signature.
func Sign(req *http.Request, keyID string, key *rsa.PrivateKey, body []byte) error {
	return signAt(req, keyID, key, body, time.Now())
}

func signAt(req *http.Request, keyID string, key *rsa.PrivateKey, body []byte, now time.Time) error {
	if req == nil || req.URL == nil {
		return errors.New("httpsig: sign: request has no URL")
	}
	if key == nil {
		return errors.New("httpsig: sign: nil private key")
	}
	if keyID == "" || strings.ContainsAny(keyID, "\"\\\r\n") {
		return fmt.Errorf("httpsig: sign: invalid keyId %q", keyID)
	}
	if req.URL.Opaque != "" {
		return fmt.Errorf("httpsig: sign: opaque URL %q not supported", req.URL.String())
	}
	host := req.URL.Host
	if host == "" {
		return errors.New("httpsig: sign: URL has no host")
	}
	for i := 0; i < len(host); i++ {
		// net/http would punycode a non-ASCII host on the wire, so the
		// signed value would not match what the peer receives.
		if host[i] >= 0x80 {
			return fmt.Errorf("httpsig: sign: host %q must be ASCII (punycode)", host)
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	// net/http sends req.Host and ignores a Host entry in the header map, but
	// go-fed reads the signed value from the map, so set both to the same.
	req.Host = host
	req.Header.Set("Host", host)
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header.Del("Digest") // go-fed refuses to overwrite an existing Digest
	req.Header.Del("Signature")

	headers := []string{"(request-target)", "host", "date"}
	var digestBody []byte // nil tells go-fed not to add a Digest
	if len(body) > 0 || (method != http.MethodGet && method != http.MethodHead) {
		headers = append(headers, "digest")
		digestBody = body
		if digestBody == nil {
			digestBody = []byte{}
		}
	}

	signer, algo, err := gofed.NewSigner([]gofed.Algorithm{gofed.RSA_SHA256}, gofed.DigestSha256, headers, gofed.Signature, 0)
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	if algo != gofed.RSA_SHA256 { // NewSigner silently falls back to its default
		return fmt.Errorf("httpsig: sign: go-fed chose %q instead of rsa-sha256", algo)
	}

	// go-fed builds (request-target) from URL.Path (the decoded path, empty
	// for "https://host") and RawQuery. Hand it a view whose Path is the
	// escaped path net/http writes on the wire; the header map is shared, so
	// Digest and Signature land on req.
	view := &url.URL{Path: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery}
	if view.Path == "" {
		view.Path = "/"
	}
	if req.URL.ForceQuery && req.URL.RawQuery == "" {
		req.URL.ForceQuery = false // a bare "?" would be sent but not signed
	}
	if err := signer.SignRequest(key, keyID, &http.Request{Method: method, URL: view, Header: req.Header}, digestBody); err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}

	// go-fed always writes algorithm="hs2019". Some peers reject hs2019, and
	// the algorithm parameter is not part of the signing string, so rewrite
	// the header with an explicit rsa-sha256 around the same signature.
	p, err := ParseSignatureHeader(req.Header.Get("Signature"))
	if err != nil {
		return fmt.Errorf("httpsig: sign: unexpected go-fed signature header: %w", err)
	}
	if p.Signature == "" {
		return errors.New("httpsig: sign: go-fed wrote no signature")
	}
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="%s",headers="%s",signature="%s"`,
		keyID, AlgorithmRSASHA256, strings.Join(headers, " "), p.Signature))
	return nil
}
