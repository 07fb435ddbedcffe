// Package httpsig owns draft-cavage HTTP Signatures as the fediverse uses
// them: signing Herald's outgoing requests and verifying incoming ones by the
// rules Mastodon enforces (docs/federation-interop.md, sections 2 and 3).
//
// Outgoing requests are always signed with algorithm="rsa-sha256" over
// "(request-target) host date digest" (POST) or "(request-target) host date"
// (GET), which every peer accepts. The RSA signing itself is done by
// github.com/go-fed/httpsig; this package adds what that library lacks for
// interop: an explicit rsa-sha256 algorithm parameter (go-fed always writes
// hs2019, which several peers reject), a (request-target) taken from the
// escaped path as it goes on the wire, and the Host header.
//
// Incoming requests are verified by this package's own code because go-fed's
// verifier is stricter than the fediverse in some places (no whitespace in the
// Signature header) and laxer in others (no time window, no digest or
// signed-header policy).
//
// The package does not fetch keys, talk to the network or know about actors
// and blocked domains: the caller passes a KeyResolver and maps the returned
// errors to HTTP statuses (an *Error is a 401; a resolver's own error, for
// example a blocked domain, is passed through wrapped). VerifyRequest also
// verifies RFC 9421 HTTP Message Signatures (Signature-Input, with an RFC 9530
// Content-Digest for bodies: rsa-v1_5-sha256, rsa-pss-sha512 and ed25519),
// which Fedify 1.6+ sends first; Herald itself keeps signing draft-cavage.
package httpsig
