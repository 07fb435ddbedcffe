package httpsig

import (
	"crypto/rsa"
	"net/http"
)

// SignAt is Sign with a chosen clock, for deterministic fuzz seeds.
var SignAt = signAt

// SignatureMatches checks only the cryptography of header against req: it
// builds the signing string (with the query in (request-target)) and checks
// the RSA signature, with none of Verify's policy. The Appendix C vectors
// need this because C.1 and C.2 are too weak for Mastodon's rules.
func SignatureMatches(req *http.Request, header string, key *rsa.PublicKey) (string, bool, error) {
	p, err := ParseSignatureHeader(header)
	if err != nil {
		return "", false, err
	}
	headers := p.Headers
	if len(headers) == 0 {
		headers = []string{"date"} // the draft's default for rsa-sha256
	}
	target, err := requestTarget(req)
	if err != nil {
		return "", false, err
	}
	s, err := signingString(req, p, headers, target)
	if err != nil {
		return "", false, err
	}
	sig, err := decodeBase64(p.Signature)
	if err != nil {
		return s, false, err
	}
	hashes, err := signedHashes(req, p, headers)
	if err != nil {
		return s, false, err
	}
	return s, verifyAny(key, hashes, sig), nil
}

// Window exposes the time-window constants to the tests.
const (
	ClockSkewMargin = clockSkewMargin
	DefaultExpiry   = defaultExpiry
)

// CheckDigest is the Digest header parser and check, for its fuzz target.
var CheckDigest = checkDigest

// Verify9421 is the RFC 9421 verifier with any key type; policy=false
// checks only the cryptography (for the RFC's appendix vectors).
var Verify9421 = verify9421
