package httpsig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Parsed is a parsed Signature header.
type Parsed struct {
	KeyID     string
	Algorithm string   // lowercased; empty when the parameter is absent
	Signature string   // base64, as sent
	Headers   []string // lowercased; nil when the parameter is absent
	Created   int64    // unix seconds; 0 when absent
	Expires   int64    // unix seconds; 0 when absent

	// The raw created/expires values go into the signing string verbatim,
	// because the draft allows sub-second decimals that Created drops.
	createdRaw string
	expiresRaw string
}

// buggyPrefix is sent by old node-http-signature (PeerTube 2.1) at the start
// of the Signature header value; Mastodon ignores it, so do we.
const buggyPrefix = "Signature"

// ParseSignatureHeader parses tolerantly: comma separated key="value" pairs
// with optional whitespace around , and =, an optional buggy leading
// "Signature " prefix, unquoted numeric created/expires. Unknown parameters
// are ignored, as the draft requires; a known parameter given twice is an
// error because which one the signer meant is ambiguous.
func ParseSignatureHeader(v string) (*Parsed, error) {
	s := strings.TrimSpace(v)
	s = stripBuggyPrefix(s)
	if s == "" {
		return nil, errors.New("empty signature header")
	}

	p := &Parsed{}
	seen := make(map[string]bool, 6)
	i := 0
	for {
		i = skipWS(s, i)
		if i >= len(s) {
			break
		}
		if s[i] == ',' { // empty list elements are allowed (RFC 7230 #rule)
			i++
			continue
		}
		start := i
		for i < len(s) && isTchar(s[i]) {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("expected a parameter name at offset %d", start)
		}
		key := strings.ToLower(s[start:i])
		i = skipWS(s, i)
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("expected '=' after %q", key)
		}
		i = skipWS(s, i+1)
		var val string
		var err error
		val, i, err = parseValue(s, i)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", key, err)
		}
		if err := p.set(key, val, seen); err != nil {
			return nil, err
		}
		i = skipWS(s, i)
		if i >= len(s) {
			break
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("expected ',' at offset %d", i)
		}
		i++
	}
	if len(seen) == 0 {
		return nil, errors.New("no parameters")
	}
	return p, nil
}

func (p *Parsed) set(key, val string, seen map[string]bool) error {
	switch key {
	case "keyid", "algorithm", "headers", "signature", "created", "expires":
	default:
		return nil
	}
	if seen[key] {
		return fmt.Errorf("duplicate parameter %q", key)
	}
	seen[key] = true
	switch key {
	case "keyid":
		p.KeyID = val
	case "algorithm":
		p.Algorithm = strings.ToLower(val)
	case "headers":
		p.Headers = strings.Fields(strings.ToLower(val))
		if p.Headers == nil {
			p.Headers = []string{}
		}
	case "signature":
		p.Signature = val
	case "created":
		n, err := parseTimestamp(val)
		if err != nil {
			return fmt.Errorf("created: %w", err)
		}
		p.Created, p.createdRaw = n, val
	case "expires":
		n, err := parseTimestamp(val)
		if err != nil {
			return fmt.Errorf("expires: %w", err)
		}
		p.Expires, p.expiresRaw = n, val
	}
	return nil
}

// stripBuggyPrefix removes a leading "Signature " unless it is really the
// signature parameter written with whitespace before '='.
func stripBuggyPrefix(s string) string {
	if len(s) <= len(buggyPrefix) || !strings.EqualFold(s[:len(buggyPrefix)], buggyPrefix) {
		return s
	}
	rest := s[len(buggyPrefix):]
	if rest[0] != ' ' && rest[0] != '\t' {
		return s
	}
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" || rest[0] == '=' {
		return s
	}
	return rest
}

// parseValue reads a token or a quoted-string starting at s[i].
func parseValue(s string, i int) (string, int, error) {
	if i >= len(s) {
		return "", i, errors.New("missing value")
	}
	if s[i] != '"' {
		// Wider than an RFC 7230 token so that an unquoted base64 value
		// (with '/', '+' and '=') still parses.
		start := i
		for i < len(s) && s[i] > ' ' && s[i] != 0x7f && s[i] != ',' && s[i] != '"' {
			i++
		}
		if i == start {
			return "", i, fmt.Errorf("unexpected %q at offset %d", s[i], i)
		}
		return s[start:i], i, nil
	}
	i++
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", i, errors.New("unterminated escape")
			}
			b.WriteByte(s[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", i, errors.New("unterminated quoted string")
}

// parseTimestamp accepts integer seconds and, as the draft allows, a decimal
// fraction, which is dropped.
func parseTimestamp(v string) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	for _, c := range []byte(frac) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid timestamp %q", v)
		}
	}
	if whole == "" || whole[0] < '0' || whole[0] > '9' {
		return 0, fmt.Errorf("invalid timestamp %q", v)
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid timestamp %q: %w", v, err)
	}
	return n, nil
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isTchar reports whether c is an RFC 7230 token character.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
