package httpsig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Time window constants, as in Mastodon's SignedRequest.
const (
	clockSkewMargin       = time.Hour
	defaultExpiry         = 5 * time.Minute
	expirationWindowLimit = 12 * time.Hour
)

// Error is a signature verification failure; the caller answers it with
// 401. Err is set when the cause is another error (a parse error, say).
// Errors from the KeyResolver are not *Error: Verify wraps them with %w so
// that the caller can map them itself (a blocked domain is a 403).
type Error struct {
	Reason string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "httpsig: " + e.Reason + ": " + e.Err.Error()
	}
	return "httpsig: " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func failf(format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Verified describes a successfully verified request.
type Verified struct {
	KeyID         string
	SignedHeaders []string
}

// KeyResolver fetches the PEM public key for a keyId; refresh=true means the
// cached key failed, refetch it.
type KeyResolver func(ctx context.Context, keyID string, refresh bool) (*rsa.PublicKey, error)

// Verify checks req (body is the raw body bytes already read) against
// Mastodon's rules:
//   - Signature header required (also accept "Authorization: Signature ...");
//     keyId and signature required; algorithm optional (default hs2019); only
//     rsa-sha256 and hs2019 accepted, both verified as RSASSA-PKCS1-v1_5 SHA-256.
//   - headers default: "(created)" for hs2019, "date" for rsa-sha256.
//   - date or (created) must be signed; (request-target) or digest must be
//     signed; GET/HEAD must sign host; POST must sign digest.
//   - (created)/(expires) only with hs2019 and only when created=/expires=
//     params are present.
//   - time window: created = (created) param or Date header; expires =
//     expires param or created+5min, capped at created+12h; reject
//     created > now+1h or now > expires+1h. Date must parse (http.ParseTime).
//   - Digest: when the body is non-empty or digest is signed, the Digest
//     header must have a SHA-256 entry matching base64 sha256 of body.
//   - signing string built from the received headers (duplicate headers
//     joined with ", "), host from req.Host if Host header absent.
//   - (request-target): "<lowercase method> <path>?<query>" tried first, then
//     without the query (older Mastodon signed it without).
//   - key resolution: resolve(ctx, keyID, false); if verification fails,
//     resolve(ctx, keyID, true) once and retry (the key may have rotated).
//
// Two rules are stricter than Mastodon: a non-empty body must have digest
// signed (otherwise the body is not covered by the signature at all), and
// every signed header must be present (Mastodon signs an empty value).
//
// Failures are *Error; an error from resolve is returned wrapped with %w
// instead. All local checks run before resolve is called, so unsigned or
// malformed requests never cause a key fetch. A zero now means time.Now().
func Verify(ctx context.Context, req *http.Request, body []byte, resolve KeyResolver, now time.Time) (*Verified, error) {
	if now.IsZero() {
		now = time.Now()
	}
	if req == nil || resolve == nil {
		return nil, failf("nil request or resolver")
	}
	raw, err := signatureHeaderValue(req.Header)
	if err != nil {
		return nil, err
	}
	p, err := ParseSignatureHeader(raw)
	if err != nil {
		return nil, &Error{Reason: "malformed Signature header", Err: err}
	}
	if p.KeyID == "" || p.Signature == "" {
		return nil, failf("keyId and signature are required")
	}
	alg := p.Algorithm
	if alg == "" {
		alg = AlgorithmHS2019
	}
	if alg != AlgorithmRSASHA256 && alg != AlgorithmHS2019 {
		return nil, failf("unsupported algorithm %q (only rsa-sha256 and hs2019)", p.Algorithm)
	}
	headers := p.Headers
	if len(headers) == 0 {
		if alg == AlgorithmHS2019 {
			headers = []string{"(created)"}
		} else {
			headers = []string{"date"}
		}
	}

	if err := checkStrength(req.Method, headers, p, alg, len(body) > 0); err != nil {
		return nil, err
	}
	if err := checkTimeWindow(req.Header, p, alg, now); err != nil {
		return nil, err
	}
	signed := slices.Contains(headers, "digest")
	if len(body) > 0 || signed {
		if err := checkDigest(req.Header.Values("Digest"), body); err != nil {
			return nil, err
		}
	}

	sig, err := decodeBase64(p.Signature)
	if err != nil {
		return nil, &Error{Reason: "signature is not base64", Err: err}
	}
	candidates, err := signedHashes(req, p, headers)
	if err != nil {
		return nil, err
	}

	for _, refresh := range []bool{false, true} {
		key, err := resolve(ctx, p.KeyID, refresh)
		if err != nil {
			// Not an *Error: the caller decides (a blocked domain is a 403).
			return nil, fmt.Errorf("httpsig: resolving key %q: %w", p.KeyID, err)
		}
		if key != nil && verifyAny(key, candidates, sig) {
			return &Verified{KeyID: p.KeyID, SignedHeaders: headers}, nil
		}
	}
	return nil, failf("signature does not match key %q", p.KeyID)
}

// signatureHeaderValue returns the draft-cavage parameters from the
// Signature header, or from "Authorization: Signature ...".
func signatureHeaderValue(h http.Header) (string, error) {
	if h.Get("Signature-Input") != "" {
		// Reject clearly so RFC 9421 double-knocking peers (Fedify >= 1.7)
		// retry with draft-cavage.
		return "", failf("RFC 9421 signatures are not supported")
	}
	if vs := h.Values("Signature"); len(vs) > 0 {
		if len(vs) > 1 {
			return "", failf("more than one Signature header")
		}
		return vs[0], nil
	}
	for _, a := range h.Values("Authorization") {
		scheme, rest, ok := strings.Cut(strings.TrimSpace(a), " ")
		if ok && strings.EqualFold(scheme, "Signature") {
			return rest, nil
		}
	}
	return "", failf("missing Signature header")
}

func checkStrength(method string, headers []string, p *Parsed, alg string, hasBody bool) error {
	if !slices.Contains(headers, "date") && !slices.Contains(headers, "(created)") {
		return failf("date or (created) must be signed")
	}
	if !slices.Contains(headers, "(request-target)") && !slices.Contains(headers, "digest") {
		return failf("(request-target) or digest must be signed")
	}
	if (method == http.MethodGet || method == http.MethodHead || method == "") && !slices.Contains(headers, "host") {
		return failf("host must be signed on %s", method)
	}
	if method == http.MethodPost && !slices.Contains(headers, "digest") {
		return failf("digest must be signed on POST")
	}
	if hasBody && !slices.Contains(headers, "digest") {
		return failf("digest must be signed when there is a body")
	}
	for _, h := range headers {
		switch h {
		case "(request-target)":
		case "(created)", "(expires)":
			if alg != AlgorithmHS2019 {
				return failf("%s is only valid with hs2019", h)
			}
			if (h == "(created)" && p.createdRaw == "") || (h == "(expires)" && p.expiresRaw == "") {
				return failf("%s signed but its parameter is missing", h)
			}
		default:
			if strings.HasPrefix(h, "(") {
				return failf("unsupported pseudo-header %s", h)
			}
		}
	}
	return nil
}

func checkTimeWindow(h http.Header, p *Parsed, alg string, now time.Time) error {
	var created time.Time
	switch {
	case alg == AlgorithmHS2019 && p.createdRaw != "":
		created = time.Unix(p.Created, 0)
	case h.Get("Date") != "":
		t, err := http.ParseTime(h.Get("Date"))
		if err != nil {
			return &Error{Reason: "invalid Date header", Err: err}
		}
		created = t
	default:
		return failf("no Date header and no created parameter")
	}
	expires := created.Add(defaultExpiry)
	if p.expiresRaw != "" {
		expires = time.Unix(p.Expires, 0)
	}
	if limit := created.Add(expirationWindowLimit); expires.After(limit) {
		expires = limit
	}
	if created.After(now.Add(clockSkewMargin)) {
		return failf("signature created in the future (%s)", created.UTC().Format(time.RFC3339))
	}
	if now.After(expires.Add(clockSkewMargin)) {
		return failf("signature expired (%s)", expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkDigest checks the SHA-256 entry of a Digest header (a comma separated
// list of algo=base64 pairs, algorithm names case-insensitive).
func checkDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return failf("Digest header missing")
	}
	var offered []string
	for _, part := range strings.Split(strings.Join(values, ","), ",") {
		algo, val, _ := strings.Cut(part, "=")
		algo = strings.TrimSpace(algo)
		if !strings.EqualFold(algo, "sha-256") {
			offered = append(offered, algo)
			continue
		}
		got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
		if err != nil {
			return &Error{Reason: "Digest SHA-256 value is not base64", Err: err}
		}
		if len(got) != sha256.Size {
			return failf("Digest SHA-256 value has %d bytes, want %d", len(got), sha256.Size)
		}
		sum := sha256.Sum256(body)
		if !bytes.Equal(got, sum[:]) {
			return failf("Digest does not match the body")
		}
		return nil
	}
	return failf("Digest has no SHA-256 entry (offered: %s)", strings.Join(offered, ", "))
}

// signedHashes returns the SHA-256 of the signing string with the query in
// (request-target) and, if there is a query, without it.
func signedHashes(req *http.Request, p *Parsed, headers []string) ([][]byte, error) {
	target, err := requestTarget(req)
	if err != nil {
		return nil, err
	}
	s, err := signingString(req, p, headers, target)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(s))
	out := [][]byte{h[:]}
	if i := strings.IndexByte(target, '?'); i >= 0 && slices.Contains(headers, "(request-target)") {
		s, err := signingString(req, p, headers, target[:i])
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256([]byte(s))
		out = append(out, h[:])
	}
	return out, nil
}

// requestTarget is the path and query as received: RequestURI when it is in
// origin form (so the peer's exact escaping is kept), otherwise rebuilt from
// the URL.
func requestTarget(req *http.Request) (string, error) {
	if strings.HasPrefix(req.RequestURI, "/") {
		return req.RequestURI, nil
	}
	if req.URL == nil {
		return "", failf("request has no URL")
	}
	return req.URL.RequestURI(), nil
}

// signingString builds the draft-cavage signing string for headers.
func signingString(req *http.Request, p *Parsed, headers []string, target string) (string, error) {
	var b strings.Builder
	for i, h := range headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		switch h {
		case "(request-target)":
			b.WriteString(strings.ToLower(req.Method))
			b.WriteByte(' ')
			b.WriteString(target)
		case "(created)":
			b.WriteString(p.createdRaw)
		case "(expires)":
			b.WriteString(p.expiresRaw)
		default:
			vals := req.Header.Values(h)
			if len(vals) == 0 && h == "host" {
				// Go servers move Host out of the header map.
				if req.Host == "" {
					return "", failf("signed header host missing")
				}
				vals = []string{req.Host}
			}
			if len(vals) == 0 {
				return "", failf("signed header %s missing", h)
			}
			b.WriteString(strings.Join(vals, ", "))
		}
	}
	return b.String(), nil
}

func verifyAny(key *rsa.PublicKey, hashes [][]byte, sig []byte) bool {
	for _, h := range hashes {
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, h, sig) == nil {
			return true
		}
	}
	return false
}

// decodeBase64 accepts padded and unpadded standard base64.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
		return b, nil
	}
	return nil, err
}
