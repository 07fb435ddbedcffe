package httpsig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RFC 9421 HTTP Message Signatures (Signature-Input + Signature headers),
// verified alongside draft-cavage. Fedify 1.6+ signs its first attempt this
// way ("@method" "@target-uri" "@authority" "host" "date", plus
// "content-digest" with a body, alg="rsa-v1_5-sha256", keyid, created);
// bodies are covered by an RFC 9530 Content-Digest header.

// Algorithms accepted in the alg parameter. Without alg, the key decides:
// RSA is rsa-v1_5-sha256 (what the fediverse uses), Ed25519 is ed25519.
const (
	AlgRSAv15SHA256 = "rsa-v1_5-sha256"
	AlgRSAPSSSHA512 = "rsa-pss-sha512"
	AlgEd25519      = "ed25519"
)

// AnyKeyResolver is KeyResolver for any public key type (*rsa.PublicKey or
// ed25519.PublicKey).
type AnyKeyResolver func(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, error)

// sfParams is a structured-field parameter list, kept in order because the
// signature base reserializes it as received.
type sfParams []sfParam

type sfParam struct {
	key string
	val any // int64, string, sfToken, bool or []byte
}

type sfToken string

func (ps sfParams) get(key string) (any, bool) {
	for _, p := range ps {
		if p.key == key {
			return p.val, true
		}
	}
	return nil, false
}

// sigInput is one member of the Signature-Input dictionary.
type sigInput struct {
	label      string
	components []string
	params     sfParams
}

// VerifyRequest verifies req by RFC 9421 when it carries Signature-Input,
// otherwise by draft-cavage (Verify). scheme is the scheme the peer used
// ("https" behind a TLS-terminating proxy), for "@target-uri" and
// "@scheme"; empty means it is taken from req.TLS. The caller maps errors
// as for Verify.
func VerifyRequest(ctx context.Context, req *http.Request, body []byte, resolve KeyResolver, now time.Time, scheme string) (*Verified, error) {
	if req == nil || resolve == nil {
		return nil, failf("nil request or resolver")
	}
	if req.Header.Get("Signature-Input") == "" {
		return Verify(ctx, req, body, resolve, now)
	}
	anyKey := func(ctx context.Context, keyID string, refresh bool) (crypto.PublicKey, error) {
		k, err := resolve(ctx, keyID, refresh)
		if k == nil || err != nil {
			return nil, err
		}
		return k, nil
	}
	return verify9421(ctx, req, body, anyKey, now, scheme, true)
}

// verify9421 checks the first signature of Signature-Input that has a
// keyid. With policy, Herald's rules apply as for draft-cavage: created
// required and within the window, "@method" and the target covered, the
// host bound on GET/HEAD, "content-digest" covered and matching a body.
// Without policy only the cryptography is checked (for the RFC's
// appendix vectors, which cover too little for the policy).
func verify9421(ctx context.Context, req *http.Request, body []byte, resolve AnyKeyResolver, now time.Time, scheme string, policy bool) (*Verified, error) {
	if now.IsZero() {
		now = time.Now()
	}
	inputs, err := parseSignatureInput(strings.Join(req.Header.Values("Signature-Input"), ", "))
	if err != nil {
		return nil, &Error{Reason: "malformed Signature-Input header", Err: err}
	}
	sigs, err := parseSignatureDict(strings.Join(req.Header.Values("Signature"), ", "))
	if err != nil {
		return nil, &Error{Reason: "malformed Signature header", Err: err}
	}
	var in *sigInput
	for i := range inputs {
		if _, ok := inputs[i].params.get("keyid"); ok {
			in = &inputs[i]
			break
		}
	}
	if in == nil {
		return nil, failf("no signature with a keyid in Signature-Input")
	}
	sig, ok := sigs[in.label]
	if !ok {
		return nil, failf("no Signature for label %q", in.label)
	}
	kv, _ := in.params.get("keyid")
	keyID, ok := kv.(string)
	if !ok || keyID == "" {
		return nil, failf("keyid must be a non-empty string")
	}
	alg := ""
	if v, ok := in.params.get("alg"); ok {
		s, ok := v.(string)
		if !ok {
			return nil, failf("alg must be a string")
		}
		alg = s
		if alg != AlgRSAv15SHA256 && alg != AlgRSAPSSSHA512 && alg != AlgEd25519 {
			return nil, failf("unsupported alg %q", alg)
		}
	}
	if policy {
		if err := check9421Policy(req.Method, in, len(body) > 0, now); err != nil {
			return nil, err
		}
	}
	if slices.Contains(in.components, "content-digest") || (policy && len(body) > 0) {
		if err := checkContentDigest(req.Header.Values("Content-Digest"), body); err != nil {
			return nil, err
		}
	}
	base, err := signatureBase(req, in, scheme)
	if err != nil {
		return nil, err
	}
	for _, refresh := range []bool{false, true} {
		key, err := resolve(ctx, keyID, refresh)
		if err != nil {
			return nil, fmt.Errorf("httpsig: resolving key %q: %w", keyID, err)
		}
		if key != nil && verifyBase(key, alg, []byte(base), sig) {
			return &Verified{KeyID: keyID, SignedHeaders: coveredAsHeaders(in.components)}, nil
		}
	}
	return nil, failf("signature does not match key %q", keyID)
}

// coveredAsHeaders maps covered components to the draft-cavage names the
// callers check ("host" when the authority is bound).
func coveredAsHeaders(components []string) []string {
	out := slices.Clone(components)
	for _, c := range components {
		if c == "@authority" || c == "@target-uri" {
			if !slices.Contains(out, "host") {
				out = append(out, "host")
			}
		}
	}
	return out
}

func check9421Policy(method string, in *sigInput, hasBody bool, now time.Time) error {
	has := func(c string) bool { return slices.Contains(in.components, c) }
	if !has("@method") {
		return failf("@method must be covered")
	}
	if !has("@target-uri") && !has("@path") && !has("@request-target") {
		return failf("@target-uri or @path must be covered")
	}
	if (method == http.MethodGet || method == http.MethodHead || method == "") &&
		!has("@target-uri") && !has("@authority") && !has("host") {
		return failf("the authority must be covered on %s", method)
	}
	if (method == http.MethodPost || hasBody) && !has("content-digest") {
		return failf("content-digest must be covered when there is a body")
	}
	cv, ok := in.params.get("created")
	if !ok {
		return failf("created parameter is required")
	}
	c, ok := cv.(int64)
	if !ok {
		return failf("created must be an integer")
	}
	created := time.Unix(c, 0)
	expires := created.Add(defaultExpiry)
	if ev, ok := in.params.get("expires"); ok {
		e, ok := ev.(int64)
		if !ok {
			return failf("expires must be an integer")
		}
		expires = time.Unix(e, 0)
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

// checkContentDigest checks an RFC 9530 Content-Digest dictionary: every
// sha-256 / sha-512 entry must match the body, and one must be present.
func checkContentDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return failf("Content-Digest header missing")
	}
	d, err := parseSignatureDict(strings.Join(values, ", "))
	if err != nil {
		return &Error{Reason: "malformed Content-Digest header", Err: err}
	}
	matched := false
	for alg, got := range d {
		var sum []byte
		switch alg {
		case "sha-256":
			s := sha256.Sum256(body)
			sum = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			sum = s[:]
		default:
			continue
		}
		if !bytes.Equal(got, sum) {
			return failf("Content-Digest %s does not match the body", alg)
		}
		matched = true
	}
	if !matched {
		return failf("Content-Digest has no sha-256 or sha-512 entry")
	}
	return nil
}

// signatureBase builds the RFC 9421 section 2.5 signature base.
func signatureBase(req *http.Request, in *sigInput, scheme string) (string, error) {
	target, err := requestTarget(req)
	if err != nil {
		return "", err
	}
	path, query, hasQuery := strings.Cut(target, "?")
	if scheme == "" {
		scheme = "http"
		if req.TLS != nil {
			scheme = "https"
		}
	}
	host := strings.ToLower(req.Host)
	var b strings.Builder
	seen := make(map[string]bool, len(in.components))
	for _, c := range in.components {
		if seen[c] {
			return "", failf("component %q covered twice", c)
		}
		seen[c] = true
		var v string
		switch c {
		case "@method":
			v = req.Method
		case "@target-uri":
			v = scheme + "://" + host + target
		case "@authority":
			v = host
		case "@scheme":
			v = scheme
		case "@request-target":
			v = target
		case "@path":
			v = path
		case "@query":
			v = "?"
			if hasQuery {
				v += query
			}
		case "@signature-params", "@status", "@query-param":
			return "", failf("component %q is not supported", c)
		default:
			if strings.HasPrefix(c, "@") {
				return "", failf("unknown derived component %q", c)
			}
			vals := req.Header.Values(c)
			if len(vals) == 0 && c == "host" && req.Host != "" {
				vals = []string{req.Host}
			}
			if len(vals) == 0 {
				return "", failf("covered header %s missing", c)
			}
			for i := range vals {
				vals[i] = strings.TrimSpace(vals[i])
			}
			v = strings.Join(vals, ", ")
		}
		if strings.ContainsAny(v, "\r\n") {
			return "", failf("component %q has a line break", c)
		}
		b.WriteString(strconv.Quote(c))
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(serializeInput(in))
	return b.String(), nil
}

// serializeInput is the structured-field serialization of an inner list of
// component names with its parameters.
func serializeInput(in *sigInput) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range in.components {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeSFString(&b, c)
	}
	b.WriteByte(')')
	for _, p := range in.params {
		b.WriteByte(';')
		b.WriteString(p.key)
		switch v := p.val.(type) {
		case bool:
			if !v {
				b.WriteString("=?0")
			}
		case int64:
			b.WriteByte('=')
			b.WriteString(strconv.FormatInt(v, 10))
		case string:
			b.WriteByte('=')
			writeSFString(&b, v)
		case sfToken:
			b.WriteByte('=')
			b.WriteString(string(v))
		case []byte:
			b.WriteString("=:")
			b.WriteString(base64.StdEncoding.EncodeToString(v))
			b.WriteByte(':')
		}
	}
	return b.String()
}

func writeSFString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

func verifyBase(key crypto.PublicKey, alg string, base, sig []byte) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "", AlgRSAv15SHA256:
			h := sha256.Sum256(base)
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
		case AlgRSAPSSSHA512:
			h := sha512.Sum512(base)
			return rsa.VerifyPSS(k, crypto.SHA512, h[:], sig, &rsa.PSSOptions{SaltLength: 64}) == nil
		}
	case ed25519.PublicKey:
		if alg == "" || alg == AlgEd25519 {
			return len(k) == ed25519.PublicKeySize && ed25519.Verify(k, base, sig)
		}
	}
	return false
}

// SignRFC9421 signs req as Fedify does: components "@method" "@target-uri"
// "@authority" "host" "date" (plus "content-digest" when body is not nil,
// setting Content-Digest), alg="rsa-v1_5-sha256", keyid and created.
// Herald itself signs with draft-cavage, which every peer accepts; this is
// for tests and tools that speak RFC 9421.
func SignRFC9421(req *http.Request, keyID string, key *rsa.PrivateKey, body []byte, now time.Time) error {
	if now.IsZero() {
		now = time.Now()
	}
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	req.Header.Set("Host", req.Host)
	components := []string{"@method", "@target-uri", "@authority", "host", "date"}
	if body != nil {
		sum := sha256.Sum256(body)
		req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
		components = append(components, "content-digest")
	}
	in := &sigInput{label: "sig1", components: components, params: sfParams{
		{"alg", AlgRSAv15SHA256}, {"keyid", keyID}, {"created", now.Unix()},
	}}
	// The base is built as a server will see the request.
	srv := req.Clone(req.Context())
	srv.RequestURI = req.URL.RequestURI()
	base, err := signatureBase(srv, in, req.URL.Scheme)
	if err != nil {
		return err
	}
	h := sha256.Sum256([]byte(base))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	req.Header.Set("Signature-Input", in.label+"="+serializeInput(in))
	req.Header.Set("Signature", in.label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
	return nil
}

// --- Structured fields (RFC 8941), the subset signatures use ---

// parseSignatureInput parses a dictionary whose members are inner lists of
// strings with parameters.
func parseSignatureInput(s string) ([]sigInput, error) {
	p := &sfParser{s: s}
	var out []sigInput
	seen := map[string]bool{}
	err := p.dict(func(label string) error {
		if !p.consume('(') {
			return fmt.Errorf("member %q is not an inner list", label)
		}
		in := sigInput{label: label}
		for {
			p.skipSP()
			if p.consume(')') {
				break
			}
			str, err := p.str()
			if err != nil {
				return fmt.Errorf("member %q: %w", label, err)
			}
			// Components with parameters (;sf, ;key, ;req...) are not
			// supported; refuse rather than build a wrong base.
			if p.peek() == ';' {
				return fmt.Errorf("member %q: component parameters are not supported", label)
			}
			in.components = append(in.components, strings.ToLower(str))
			if c := p.peek(); c != ' ' && c != ')' {
				return fmt.Errorf("member %q: bad inner list", label)
			}
		}
		params, err := p.params()
		if err != nil {
			return fmt.Errorf("member %q: %w", label, err)
		}
		in.params = params
		if seen[label] {
			return fmt.Errorf("duplicate label %q", label)
		}
		seen[label] = true
		out = append(out, in)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

// parseSignatureDict parses a dictionary whose members are byte sequences
// (Signature, Content-Digest); parameters are ignored.
func parseSignatureDict(s string) (map[string][]byte, error) {
	p := &sfParser{s: s}
	out := map[string][]byte{}
	err := p.dict(func(label string) error {
		if !p.consume(':') {
			return fmt.Errorf("member %q is not a byte sequence", label)
		}
		end := strings.IndexByte(p.s[p.i:], ':')
		if end < 0 {
			return fmt.Errorf("member %q: unterminated byte sequence", label)
		}
		raw := p.s[p.i : p.i+end]
		p.i += end + 1
		b, err := decodeBase64(raw)
		if err != nil {
			return fmt.Errorf("member %q: %w", label, err)
		}
		if _, err := p.params(); err != nil {
			return fmt.Errorf("member %q: %w", label, err)
		}
		out[label] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("empty")
	}
	return out, nil
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *sfParser) consume(c byte) bool {
	if p.peek() == c && p.i < len(p.s) {
		p.i++
		return true
	}
	return false
}

func (p *sfParser) skipSP() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// dict walks "key=member, key=member"; member parses one value.
func (p *sfParser) dict(member func(key string) error) error {
	for {
		p.skipSP()
		if p.i >= len(p.s) {
			return nil
		}
		key, err := p.key()
		if err != nil {
			return err
		}
		if !p.consume('=') {
			return fmt.Errorf("member %q has no value", key)
		}
		if err := member(key); err != nil {
			return err
		}
		p.skipSP()
		if p.i >= len(p.s) {
			return nil
		}
		if !p.consume(',') {
			return fmt.Errorf("expected ',' at offset %d", p.i)
		}
	}
}

func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !(c >= 'a' && c <= 'z') && c != '*' {
		return "", fmt.Errorf("expected a key at offset %d", p.i)
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strings.IndexByte("_-.*", c) >= 0 {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) str() (string, error) {
	if !p.consume('"') {
		return "", fmt.Errorf("expected a string at offset %d", p.i)
	}
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String(), nil
		case c == '\\':
			if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return "", errors.New("bad escape in string")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c < 0x20 || c > 0x7e:
			return "", errors.New("invalid character in string")
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("unterminated string")
}

func (p *sfParser) params() (sfParams, error) {
	var out sfParams
	for p.consume(';') {
		p.skipSP()
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		var val any = true
		if p.consume('=') {
			val, err = p.bareItem()
			if err != nil {
				return nil, fmt.Errorf("parameter %q: %w", key, err)
			}
		}
		replaced := false
		for i := range out { // RFC 8941: a later duplicate overwrites
			if out[i].key == key {
				out[i].val, replaced = val, true
			}
		}
		if !replaced {
			out = append(out, sfParam{key, val})
		}
	}
	return out, nil
}

func (p *sfParser) bareItem() (any, error) {
	c := p.peek()
	switch {
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		p.i++
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.peek() == '.' {
			return nil, errors.New("decimals are not supported")
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || p.i-start > 16 {
			return nil, fmt.Errorf("bad integer %q", p.s[start:p.i])
		}
		return n, nil
	case c == '?':
		p.i++
		switch {
		case p.consume('1'):
			return true, nil
		case p.consume('0'):
			return false, nil
		}
		return nil, errors.New("bad boolean")
	case c == ':':
		p.i++
		end := strings.IndexByte(p.s[p.i:], ':')
		if end < 0 {
			return nil, errors.New("unterminated byte sequence")
		}
		raw := p.s[p.i : p.i+end]
		p.i += end + 1
		return decodeBase64(raw)
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*':
		start := p.i
		for p.i < len(p.s) && (isTchar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
			p.i++
		}
		return sfToken(p.s[start:p.i]), nil
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", c, p.i)
}
