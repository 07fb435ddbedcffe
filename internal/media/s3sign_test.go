package media

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The examples of AWS's S3 API reference ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk" and
// "Authenticating Requests: Using Query Parameters"), with their
// published signatures.
var (
	awsSigner = s3Signer{accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1"}
	awsTime   = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
)

func TestSigV4HeaderExamples(t *testing.T) {
	for _, c := range []struct {
		name, method, url string
		header            map[string]string
		payload, signed   string
		want              string
	}{
		{"GET object", "GET", "https://examplebucket.s3.amazonaws.com/test.txt",
			map[string]string{"Range": "bytes=0-9"}, emptySHA256,
			"host;range;x-amz-content-sha256;x-amz-date",
			"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
		{"PUT object", "PUT", "https://examplebucket.s3.amazonaws.com/test%24file.text",
			map[string]string{"Date": "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Storage-Class": "REDUCED_REDUNDANCY"},
			sha256Hex([]byte("Welcome to Amazon S3.")),
			"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			"98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
		{"GET bucket lifecycle", "GET", "https://examplebucket.s3.amazonaws.com/?lifecycle", nil, emptySHA256,
			"host;x-amz-content-sha256;x-amz-date",
			"fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		{"list objects (query out of order)", "GET", "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2", nil, emptySHA256,
			"host;x-amz-content-sha256;x-amz-date",
			"34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			awsSigner.sign(req, c.payload, awsTime)
			want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=" +
				c.signed + ", Signature=" + c.want
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			if req.Header.Get("X-Amz-Date") != "20130524T000000Z" || req.Header.Get("X-Amz-Content-Sha256") != c.payload {
				t.Errorf("headers %v", req.Header)
			}
		})
	}
}

func TestSigV4PresignExample(t *testing.T) {
	u, _ := url.Parse("https://examplebucket.s3.amazonaws.com/test.txt")
	got := awsSigner.presign("GET", u, 24*time.Hour, awsTime)
	want := "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	if got != want {
		t.Errorf("presigned\n got %s\nwant %s", got, want)
	}
}

func TestS3Escape(t *testing.T) {
	for in, want := range map[string]string{
		"a-b_c.d~e/f": "a-b_c.d~e%2Ff",
		"a b+c=d&é":   "a%20b%2Bc%3Dd%26%C3%A9",
	} {
		if got := s3Escape(in, false); got != want {
			t.Errorf("s3Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := s3Escape("dir/a b.png", true); got != "dir/a%20b.png" {
		t.Errorf("in a path: %q", got)
	}
	// Sorted by name, then value, whatever the characters after the name.
	if got := canonicalQuery("a0=1&a=2&b=%2B&a=1&flag"); got != "a=1&a=2&a0=1&b=%2B&flag=" {
		t.Errorf("canonical query %q", got)
	}
}

// The URLs of both addressing styles: the bucket in the path or in the
// host, the key encoded once.
func TestS3Addressing(t *testing.T) {
	for _, path := range []bool{true, false} {
		c, err := newS3Client(S3Options{Endpoint: "s3.example.org:9000", Bucket: "media", Region: "eu-west-1",
			AccessKey: "k", SecretKey: "s", UseTLS: true, PathStyle: path})
		if err != nil {
			t.Fatal(err)
		}
		want := "https://media.s3.example.org:9000/dir/a%20b.png?x=1"
		if path {
			want = "https://s3.example.org:9000/media/dir/a%20b.png?x=1"
		}
		if got := c.url("dir/a b.png", "x=1").String(); got != want {
			t.Errorf("path style %v: %s, want %s", path, got, want)
		}
		p, err := c.presignGet("dir/a.png", time.Hour)
		if err != nil || !strings.HasPrefix(p, strings.TrimSuffix(want, "a%20b.png?x=1")+"a.png?X-Amz-Algorithm=") ||
			!strings.Contains(p, "%2Feu-west-1%2Fs3%2F") || !strings.Contains(p, "X-Amz-Expires=3600&") {
			t.Errorf("presigned: %s %v", p, err)
		}
	}
	for _, bad := range []string{"", "http://s3.example.org", "s3.example.org/path", "user@host"} {
		if _, err := NewS3Store(S3Options{Endpoint: bad, Bucket: "media"}); err == nil {
			t.Errorf("endpoint %q accepted", bad)
		}
	}
	st, _ := NewS3Store(S3Options{Endpoint: "s3.example.org", Bucket: "media"})
	if _, _, err := st.Redirect(t.Context(), "a.png"); err != nil {
		t.Error(err)
	}
	st.opts.PresignExpiry = 8 * 24 * time.Hour
	if _, _, err := st.Redirect(t.Context(), "a.png"); err == nil {
		t.Error("a presigned URL valid for 8 days")
	}
}
