package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS Signature Version 4 for S3, as the S3 API reference describes it
// ("Authenticating Requests (AWS Signature Version 4)"): a request is
// signed in its Authorization header, a presigned URL in its query.

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	amzDateLayout   = "20060102T150405Z"
)

// s3Signer holds the static credentials and the region requests are
// signed for.
type s3Signer struct {
	accessKey, secretKey, region string
}

// sign sets X-Amz-Date, X-Amz-Content-Sha256 and Authorization on req.
// Every header already on req is signed (but the few a proxy or the
// transport may change), and Host. payloadHash is the hex SHA-256 of the
// body, or unsignedPayload.
func (s s3Signer) sign(req *http.Request, payloadHash string, now time.Time) {
	now = now.UTC()
	req.Header.Set("X-Amz-Date", now.Format(amzDateLayout))
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signed, canonical := canonicalHeaders(req)
	creq := req.Method + "\n" + canonicalPath(req.URL) + "\n" + canonicalQuery(req.URL.RawQuery) + "\n" +
		canonical + "\n" + signed + "\n" + payloadHash
	scope := s.scope(now)
	sig := s.signature(now, scope, creq)
	req.Header.Set("Authorization", sigV4Algorithm+" Credential="+s.accessKey+"/"+scope+
		", SignedHeaders="+signed+", Signature="+sig)
}

// presign returns u (scheme://host/path, with or without a query) signed
// in its query for method, valid for expires from now; only the host is
// signed, and the payload is not.
func (s s3Signer) presign(method string, u *url.URL, expires time.Duration, now time.Time) string {
	now = now.UTC()
	scope := s.scope(now)
	q := u.RawQuery
	if q != "" {
		q += "&"
	}
	q += "X-Amz-Algorithm=" + sigV4Algorithm +
		"&X-Amz-Credential=" + s3Escape(s.accessKey+"/"+scope, false) +
		"&X-Amz-Date=" + now.Format(amzDateLayout) +
		"&X-Amz-Expires=" + strconv.FormatInt(int64(expires/time.Second), 10) +
		"&X-Amz-SignedHeaders=host"
	query := canonicalQuery(q)
	creq := method + "\n" + canonicalPath(u) + "\n" + query + "\n" +
		"host:" + u.Host + "\n\nhost\n" + unsignedPayload
	return u.Scheme + "://" + u.Host + u.EscapedPath() + "?" + query +
		"&X-Amz-Signature=" + s.signature(now, scope, creq)
}

func (s s3Signer) scope(now time.Time) string {
	return now.Format("20060102") + "/" + s.region + "/s3/aws4_request"
}

// signature signs the canonical request creq with the key of the day.
func (s s3Signer) signature(now time.Time, scope, creq string) string {
	h := sha256.Sum256([]byte(creq))
	toSign := sigV4Algorithm + "\n" + now.Format(amzDateLayout) + "\n" + scope + "\n" + hex.EncodeToString(h[:])
	key := hmacSHA256([]byte("AWS4"+s.secretKey), now.Format("20060102"))
	key = hmacSHA256(key, s.region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// unsignedHeaders are left out of the signature: the transport or a
// proxy on the way may set or change them.
var unsignedHeaders = map[string]bool{"authorization": true, "user-agent": true, "accept-encoding": true,
	"content-length": true, "expect": true, "connection": true}

// canonicalHeaders returns the signed header names (";"-joined) and their
// canonical block: "name:value\n" in name order, values trimmed, inner
// runs of spaces made one, repeated headers joined by ",".
func canonicalHeaders(req *http.Request) (signed, canonical string) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	vals := map[string]string{"host": host}
	names := []string{"host"}
	for k, vs := range req.Header {
		lk := strings.ToLower(k)
		if unsignedHeaders[lk] || lk == "host" {
			continue
		}
		clean := make([]string, len(vs))
		for i, v := range vs {
			clean[i] = strings.Join(strings.Fields(v), " ")
		}
		if _, dup := vals[lk]; !dup {
			names = append(names, lk)
		}
		vals[lk] = strings.Join(clean, ",")
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + vals[n] + "\n")
	}
	return strings.Join(names, ";"), b.String()
}

// canonicalPath is the URI-encoded path, encoded once (S3 does not encode
// it a second time as other services do).
func canonicalPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// canonicalQuery is raw's parameters, each name and value URI-encoded,
// sorted by name then value; a name without "=" gets an empty value.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var pairs [][2]string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		pairs = append(pairs, [2]string{s3Escape(k, false), s3Escape(v, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p[0] + "=" + p[1])
	}
	return b.String()
}

// s3Escape URI-encodes s the way SigV4 wants: every byte but the
// unreserved characters (A-Z a-z 0-9 - _ . ~) as %XX, and '/' too unless
// keepSlash (object names in a path).
func s3Escape(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
