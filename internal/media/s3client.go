package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// s3Client speaks the few calls of the S3 API the store needs (bucket
// check and creation, PUT, HEAD, ranged GET, DELETE, ListObjectsV2,
// presigned GET) with the standard library: a general S3 SDK brought
// about 2 MB of code to the binary for them.
type s3Client struct {
	scheme   string // http or https
	endpoint string // host[:port]
	bucket   string
	path     bool // path-style addressing: the bucket in the path, not the host
	signer   s3Signer
	http     *http.Client
	now      func() time.Time
	// unsignedPut sends PUT bodies as UNSIGNED-PAYLOAD instead of hashing
	// them first: over TLS (which guards the bytes), or when the body can
	// only be read once.
	unsignedPut bool
	// listPage is the max-keys of a ListObjectsV2 request; 0 leaves the
	// server's default (1000). Tests make it small.
	listPage int
}

// s3MaxPut is the largest object one PUT may carry.
const s3MaxPut = 5 << 30

func newS3Client(o S3Options) (*s3Client, error) {
	if o.Endpoint == "" || strings.ContainsAny(o.Endpoint, "/?#@ ") {
		return nil, fmt.Errorf("the endpoint must be host or host:port without a scheme or path")
	}
	if u, err := url.Parse("//" + o.Endpoint); err != nil || u.Host != o.Endpoint {
		return nil, fmt.Errorf("the endpoint must be host or host:port")
	}
	if o.Bucket == "" || strings.Contains(o.Bucket, "/") {
		return nil, fmt.Errorf("invalid bucket name %q", o.Bucket)
	}
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	tr := o.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Object bodies are passed on as they are: no transparent gzip.
		t.DisableCompression = true
		t.MaxIdleConnsPerHost = 16
		tr = t
	}
	c := &s3Client{
		scheme:   "http",
		endpoint: o.Endpoint,
		bucket:   o.Bucket,
		path:     o.PathStyle,
		signer:   s3Signer{accessKey: o.AccessKey, secretKey: o.SecretKey, region: region},
		// A redirect (to another region or host) would need signing anew:
		// it is answered as the error it is.
		http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		now:         time.Now,
		unsignedPut: o.UseTLS,
	}
	if o.UseTLS {
		c.scheme = "https"
	}
	return c, nil
}

// s3Error is an error answer of the S3 API (its XML <Error> body, or made
// from the status when it has none, as for HEAD).
type s3Error struct {
	Status    int    `xml:"-"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	Resource  string `xml:"Resource"`
	RequestID string `xml:"RequestId"`
}

func (e *s3Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("S3 error %s (HTTP %d)", e.Code, e.Status)
}

// s3Code is the S3 error code in err's chain, "" when there is none.
func s3Code(err error) string {
	var e *s3Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// s3ErrorOf reads the error of a response (its body is closed by the
// caller). key is "" for a request on the bucket.
func s3ErrorOf(resp *http.Response, key string) *s3Error {
	e := &s3Error{Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	body = bytes.TrimSpace(body)
	if len(body) > 0 && xml.Unmarshal(body, e) == nil && e.Code != "" {
		return e
	}
	*e = s3Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Amz-Request-Id")}
	switch resp.StatusCode {
	case http.StatusNotFound:
		if key == "" {
			e.Code, e.Message = "NoSuchBucket", "The bucket does not exist."
		} else {
			e.Code, e.Message = "NoSuchKey", "The object does not exist."
		}
	case http.StatusForbidden:
		e.Code, e.Message = "AccessDenied", "Access denied."
	case http.StatusConflict:
		e.Code, e.Message = "Conflict", "Conflict."
	case http.StatusPreconditionFailed:
		e.Code, e.Message = "PreconditionFailed", "A precondition of the request did not hold."
	default:
		e.Code, e.Message = resp.Status, resp.Status
		if len(body) > 0 {
			e.Message = string(body[:min(len(body), 1024)])
		}
	}
	return e
}

// url is the address of key in the bucket ("" for the bucket itself),
// with rawQuery (already encoded) when not empty.
func (c *s3Client) url(key, rawQuery string) *url.URL {
	u := &url.URL{Scheme: c.scheme, Host: c.endpoint, RawQuery: rawQuery}
	p := "/" + key
	if c.path {
		p = "/" + c.bucket + "/" + key
	} else {
		u.Host = c.bucket + "." + c.endpoint
	}
	// The path goes out exactly as it is signed: S3's encoding.
	u.Path, u.RawPath = p, s3Escape(p, true)
	return u
}

// s3Request is one call: body (nil: none) is read from start for size
// bytes on each attempt, so that an attempt can be repeated.
type s3Request struct {
	method, key, query string
	header             http.Header
	body               io.ReaderAt
	once               io.Reader // a body that can be read only once (no retry)
	size               int64
	payloadHash        string // "" for no body
}

// retryable says whether an answer is worth trying again (the server is
// busy or failed for a while).
func retryable(status int, code string) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, 499, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, 520:
		return true
	}
	switch code {
	case "RequestTimeout", "Throttling", "SlowDown", "InternalError", "RequestLimitExceeded":
		return true
	}
	return false
}

const s3Attempts = 10

// do sends r, trying again with a short backoff on network errors and on
// answers that say to; it returns the response of a 2xx answer (its body
// for the caller to close), else an error (an *s3Error for an S3 answer).
func (c *s3Client) do(ctx context.Context, r s3Request) (*http.Response, error) {
	payload := r.payloadHash
	if payload == "" {
		payload = emptySHA256
	}
	var lastErr error
	for attempt := range s3Attempts {
		if attempt > 0 {
			// 200 ms doubling up to 1 s, less a random part of it.
			d := min(100*time.Millisecond<<attempt, time.Second)
			d -= time.Duration(rand.Int64N(int64(d) / 2))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w (after: %v)", ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		var body io.Reader
		switch {
		case r.body != nil && r.size > 0:
			// A fresh reader each attempt: the transport may still be
			// reading the previous one after giving up on it.
			body = io.NewSectionReader(r.body, 0, r.size)
		case r.once != nil && r.size > 0:
			body = io.LimitReader(r.once, r.size)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, c.url(r.key, r.query).String(), body)
		if err != nil {
			return nil, err
		}
		if body == nil && r.method == http.MethodPut {
			req.Body, req.ContentLength = http.NoBody, 0
		} else if body != nil {
			req.ContentLength = r.size
		}
		for k, vs := range r.header {
			req.Header[k] = vs
		}
		c.signer.sign(req, payload, c.now())
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil || r.once != nil || !retryableNetErr(err) {
				return nil, err
			}
			lastErr = err
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		e := s3ErrorOf(resp, r.key)
		resp.Body.Close()
		if !retryable(e.Status, e.Code) || r.once != nil {
			return nil, e
		}
		lastErr = e
	}
	return nil, lastErr
}

// retryableNetErr: a certificate the client does not trust, or talking
// HTTPS to an HTTP server, will not get better.
func retryableNetErr(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "server gave HTTP response to HTTPS client") {
		return false
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return false
	}
	return !strings.Contains(err.Error(), "x509:") && !strings.Contains(err.Error(), "tls:")
}

// bucketExists is a HEAD of the bucket: false when it is missing.
func (c *s3Client) bucketExists(ctx context.Context) (bool, error) {
	resp, err := c.do(ctx, s3Request{method: http.MethodHead})
	if s3Code(err) == "NoSuchBucket" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	drainClose(resp)
	return true, nil
}

// makeBucket creates the bucket in the region (us-east-1, the default,
// takes no location constraint). A bucket that came to exist meanwhile,
// made by us, is fine.
func (c *s3Client) makeBucket(ctx context.Context) error {
	r := s3Request{method: http.MethodPut}
	if reg := c.signer.region; reg != "us-east-1" {
		var b bytes.Buffer
		b.WriteString(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>`)
		xml.EscapeText(&b, []byte(reg))
		b.WriteString(`</LocationConstraint></CreateBucketConfiguration>`)
		r.body, r.size, r.payloadHash = bytes.NewReader(b.Bytes()), int64(b.Len()), sha256Hex(b.Bytes())
		r.header = http.Header{"Content-Type": {"application/xml"}}
	}
	resp, err := c.do(ctx, r)
	if s3Code(err) == "BucketAlreadyOwnedByYou" {
		return nil
	}
	if err != nil {
		return err
	}
	drainClose(resp)
	return nil
}

// drainClose reads what is left of a short answer before closing it, so
// that its connection can serve the next request.
func drainClose(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// putObject stores size bytes of body under key in one PUT. A body that is
// an io.ReaderAt and io.Seeker is read from its current offset, once per
// attempt (and once more to hash it when the payload is signed); any other
// body is read once, unsigned, without retries.
func (c *s3Client) putObject(ctx context.Context, key string, body io.Reader, size int64, header http.Header) error {
	if size > s3MaxPut {
		return fmt.Errorf("%d bytes is more than one PUT may carry (5 GiB)", size)
	}
	r := s3Request{method: http.MethodPut, key: key, header: header, size: size, payloadHash: unsignedPayload}
	ra, isRA := body.(io.ReaderAt)
	sk, isSeeker := body.(io.Seeker)
	if isRA && isSeeker {
		start, err := sk.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		r.body = io.NewSectionReader(ra, start, size)
		if !c.unsignedPut {
			h := sha256.New()
			if n, err := io.Copy(h, io.NewSectionReader(ra, start, size)); err != nil {
				return err
			} else if n != size {
				return fmt.Errorf("the body has %d bytes, not %d", n, size)
			}
			r.payloadHash = hex.EncodeToString(h.Sum(nil))
		}
	} else {
		r.once = body
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	drainClose(resp)
	return nil
}

// s3ObjectInfo is what a HEAD tells of an object.
type s3ObjectInfo struct {
	Size         int64
	LastModified time.Time
	ETag         string // without quotes
}

// statObject is a HEAD of key.
func (c *s3Client) statObject(ctx context.Context, key string) (s3ObjectInfo, error) {
	resp, err := c.do(ctx, s3Request{method: http.MethodHead, key: key})
	if err != nil {
		return s3ObjectInfo{}, err
	}
	drainClose(resp)
	info := s3ObjectInfo{Size: resp.ContentLength, ETag: strings.Trim(resp.Header.Get("ETag"), `"`)}
	if info.Size < 0 {
		n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return s3ObjectInfo{}, fmt.Errorf("HEAD %s: no valid Content-Length", key)
		}
		info.Size = n
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t, err := http.ParseTime(lm)
		if err != nil {
			return s3ObjectInfo{}, fmt.Errorf("HEAD %s: Last-Modified %q: %w", key, lm, err)
		}
		info.LastModified = t
	}
	return info, nil
}

// getObject reads key from byte start to end included (end < 0: to the
// end of the object); with etag, only while the object still has it.
func (c *s3Client) getObject(ctx context.Context, key string, start, end int64, etag string) (io.ReadCloser, error) {
	h := http.Header{"Accept-Encoding": {"identity"}}
	if start > 0 || end >= 0 {
		rng := "bytes=" + strconv.FormatInt(start, 10) + "-"
		if end >= 0 {
			rng += strconv.FormatInt(end, 10)
		}
		h.Set("Range", rng)
	}
	if etag != "" {
		h.Set("If-Match", `"`+etag+`"`)
	}
	resp, err := c.do(ctx, s3Request{method: http.MethodGet, key: key, header: h})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK && start > 0 {
		// The server sent the whole object (it ignored the range).
		if _, err := io.CopyN(io.Discard, resp.Body, start); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	if resp.StatusCode == http.StatusOK && end >= 0 {
		return struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, end-start+1), resp.Body}, nil
	}
	return resp.Body, nil
}

// removeObject deletes key.
func (c *s3Client) removeObject(ctx context.Context, key string) error {
	resp, err := c.do(ctx, s3Request{method: http.MethodDelete, key: key})
	if err != nil {
		return err
	}
	drainClose(resp)
	return nil
}

// presignGet is a URL that reads key without credentials for expiry. It is
// computed locally.
func (c *s3Client) presignGet(key string, expiry time.Duration) (string, error) {
	if expiry < time.Second || expiry > 7*24*time.Hour {
		return "", fmt.Errorf("a presigned URL is valid for 1 s to 7 days, not %s", expiry)
	}
	return c.signer.presign(http.MethodGet, c.url(key, ""), expiry, c.now()), nil
}

// s3ListPage is a ListObjectsV2 answer, as far as the store reads it.
type s3ListPage struct {
	IsTruncated           bool   `xml:"IsTruncated"`
	NextContinuationToken string `xml:"NextContinuationToken"`
	EncodingType          string `xml:"EncodingType"`
	Contents              []struct {
		Key  string `xml:"Key"`
		Size int64  `xml:"Size"`
	} `xml:"Contents"`
}

// listObjects calls fn with every object of the bucket in key order
// (recursive: no delimiter), a page of ListObjectsV2 at a time. It stops
// at fn's first error.
func (c *s3Client) listObjects(ctx context.Context, fn func(key string, size int64) error) error {
	token := ""
	for {
		// The parameters in canonical (sorted, encoded) order.
		q := ""
		if token != "" {
			q = "continuation-token=" + s3Escape(token, false) + "&"
		}
		q += "encoding-type=url&list-type=2"
		if c.listPage > 0 {
			q += "&max-keys=" + strconv.Itoa(c.listPage)
		}
		resp, err := c.do(ctx, s3Request{method: http.MethodGet, query: q})
		if err != nil {
			return err
		}
		var page s3ListPage
		err = xml.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("reading the listing: %w", err)
		}
		for _, o := range page.Contents {
			key := o.Key
			if page.EncodingType == "url" {
				if key, err = url.QueryUnescape(o.Key); err != nil {
					return fmt.Errorf("listed key %q: %w", o.Key, err)
				}
			}
			if err := fn(key, o.Size); err != nil {
				return err
			}
		}
		if !page.IsTruncated {
			return nil
		}
		if page.NextContinuationToken == "" || page.NextContinuationToken == token {
			return errors.New("the listing is truncated but has no new continuation token")
		}
		token = page.NextContinuationToken
	}
}
