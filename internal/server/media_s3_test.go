package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// Media on S3: these tests run Herald against a real S3 server (Versity's
// gateway, testutil.StartS3) and look at the bucket with minio-go itself.

const testBucket = "herald-media"

// s3Config points [media] at s3 with the given serve mode.
func s3Config(s3 *testutil.S3Server, serve string) func(*config.Config) {
	return func(c *config.Config) {
		c.Media.Backend = "s3"
		c.Media.S3 = config.MediaS3{Endpoint: s3.Endpoint, Bucket: testBucket, Region: s3.Region,
			AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, UseTLS: false, PathStyle: true,
			Serve: serve, PresignExpiry: config.Duration{Duration: 10 * time.Minute}, CreateBucket: true}
	}
}

// bucketClient reads the bucket directly.
func bucketClient(t *testing.T, s3 *testutil.S3Server) *minio.Client {
	t.Helper()
	c, err := minio.New(s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""),
		Region: s3.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// object returns the bytes of key in the bucket, nil when it is absent.
func object(t *testing.T, c *minio.Client, key string) []byte {
	t.Helper()
	o, err := c.GetObject(context.Background(), testBucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return nil
	}
	if err != nil {
		t.Fatalf("read %s from the bucket: %v", key, err)
	}
	return b
}

// keyOf is the file key in a /system/ URL.
func keyOf(t *testing.T, ts *server.TestServer, u string) string {
	t.Helper()
	k, ok := strings.CutPrefix(u, ts.URL+core.MediaPathPrefix)
	if !ok {
		t.Fatalf("%s is not a media URL of %s", u, ts.URL)
	}
	return k
}

var noRedirects = &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// fetchMedia GETs a media URL as a client does (following redirects) and
// returns the response's status, headers and body; redirected says whether
// Herald answered with a redirect (to the bucket).
func fetchMedia(t *testing.T, u string, hdr map[string]string) (status int, h http.Header, body []byte, redirected string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusFound {
		resp.Body.Close()
		redirected = resp.Header.Get("Location")
		req, _ = http.NewRequest("GET", redirected, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if resp, err = noRedirects.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, redirected
}

func TestS3MediaUploadServeDelete(t *testing.T) {
	s3 := testutil.StartS3(t)
	bc := bucketClient(t, s3)
	for _, serve := range []string{"redirect", "proxy"} {
		t.Run(serve, func(t *testing.T) {
			ts := server.StartTest(t, s3Config(s3, serve))
			ts.CreateUser(t, "alice", "user")
			tok := ts.Token(t, "alice", "read write")

			status, body := uploadImage(t, ts, tok, "cat.png", smallPNG(t, 64, 48))
			if status != 200 {
				t.Fatalf("upload: %d %s", status, body)
			}
			var m struct {
				ID         string `json:"id"`
				URL        string `json:"url"`
				PreviewURL string `json:"preview_url"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			// The API hands out Herald's URLs; the files are in the bucket.
			orig, small := keyOf(t, ts, m.URL), keyOf(t, ts, m.PreviewURL)
			stored := object(t, bc, orig)
			if len(stored) == 0 || object(t, bc, small) == nil {
				t.Fatalf("after the upload the bucket lacks %s or %s", orig, small)
			}
			info, err := bc.StatObject(context.Background(), testBucket, orig, minio.StatObjectOptions{})
			if err != nil || info.ContentType != "image/png" {
				t.Fatalf("the object's type: %q %v", info.ContentType, err)
			}
			// Nothing went to the local media directory.
			if n := countFiles(t, ts.Cfg.MediaDir()); n != 0 {
				t.Errorf("%d files in the local media directory", n)
			}

			// The web UI's pages may show images from where clients are sent.
			resp, err := noRedirects.Get(ts.URL + "/about")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if allowed := strings.Contains(csp, "img-src 'self' data: http://"+s3.Endpoint+";"); allowed != (serve == "redirect") {
				t.Errorf("page CSP in %s mode: %s", serve, csp)
			}

			status, h, got, redirected := fetchMedia(t, m.URL, nil)
			if status != 200 || !bytes.Equal(got, stored) || h.Get("Content-Type") != "image/png" {
				t.Fatalf("GET %s: %d %s, %d bytes (want %d)", m.URL, status, h.Get("Content-Type"), len(got), len(stored))
			}
			switch serve {
			case "redirect":
				if !strings.HasPrefix(redirected, "http://"+s3.Endpoint+"/"+testBucket+"/"+orig+"?") ||
					!strings.Contains(redirected, "X-Amz-Signature=") {
					t.Errorf("redirect mode sent the client to %q, want a presigned URL of the object", redirected)
				}
			case "proxy":
				if redirected != "" {
					t.Errorf("proxy mode redirected to %s", redirected)
				}
				if h.Get("Content-Length") != fmt.Sprint(len(stored)) || h.Get("ETag") == "" ||
					h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("proxied headers: %v", h)
				}
				// A range, and a conditional GET with the ETag.
				status, h, part, _ := fetchMedia(t, m.URL, map[string]string{"Range": "bytes=1-3"})
				if status != 206 || !bytes.Equal(part, stored[1:4]) || h.Get("Content-Range") != fmt.Sprintf("bytes 1-3/%d", len(stored)) {
					t.Errorf("range GET: %d %q %v", status, part, h)
				}
				if status, _, _, _ := fetchMedia(t, m.URL, map[string]string{"If-None-Match": h.Get("ETag")}); status != 304 {
					t.Errorf("conditional GET with the ETag: %d, want 304", status)
				}
			}

			// Deleting the (unattached) upload removes its objects.
			req, _ := http.NewRequest("DELETE", ts.URL+"/api/v1/media/"+m.ID, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if status, body := send(t, req); status != 200 {
				t.Fatalf("delete: %d %s", status, body)
			}
			testutil.Eventually(t, 30*time.Second, "the objects deleted from the bucket", func() bool {
				return object(t, bc, orig) == nil && object(t, bc, small) == nil
			})
			if status, _, _, _ := fetchMedia(t, m.URL, nil); status != 404 && status != 403 {
				t.Errorf("GET of a deleted file: %d", status)
			}
		})
	}
}

// countFiles counts the regular files under dir (0 when it is missing).
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// Avatars and headers go to the bucket, are served from it, and the
// replaced or removed ones are deleted from it.
func TestS3MediaAvatarHeader(t *testing.T) {
	s3 := testutil.StartS3(t)
	bc := bucketClient(t, s3)
	ts := server.StartTest(t, s3Config(s3, "proxy"))
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, field := range []string{"avatar", "header"} {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s.png"`, field, field))
		h.Set("Content-Type", "image/png")
		w, _ := mw.CreatePart(h)
		w.Write(smallPNG(t, 120, 120))
	}
	mw.Close()
	req, _ := http.NewRequest("PATCH", ts.URL+"/api/v1/accounts/update_credentials", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	status, body := send(t, req)
	if status != 200 {
		t.Fatalf("update_credentials: %d %s", status, body)
	}
	var acc struct{ Avatar, Header string }
	json.Unmarshal(body, &acc)
	avatar, header := keyOf(t, ts, acc.Avatar), keyOf(t, ts, acc.Header)
	for _, k := range []string{avatar, header} {
		stored := object(t, bc, k)
		if stored == nil {
			t.Fatalf("%s is not in the bucket", k)
		}
		if status, _, got, _ := fetchMedia(t, ts.URL+core.MediaPathPrefix+k, nil); status != 200 || !bytes.Equal(got, stored) {
			t.Errorf("GET %s: %d, %d bytes", k, status, len(got))
		}
	}

	req, _ = http.NewRequest("DELETE", ts.URL+"/api/v1/profile/avatar", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if status, body := send(t, req); status != 200 {
		t.Fatalf("delete the avatar: %d %s", status, body)
	}
	testutil.Eventually(t, 30*time.Second, "the old avatar deleted from the bucket", func() bool {
		return object(t, bc, avatar) == nil
	})
	if object(t, bc, header) == nil {
		t.Errorf("the header went with the avatar")
	}
}

// Remote media is cached in the bucket and served from it: by redirect,
// after Herald checked who may see it.
func TestS3MediaRemoteCache(t *testing.T) {
	s3 := testutil.StartS3(t)
	bc := bucketClient(t, s3)
	ts := server.StartTest(t, s3Config(s3, "redirect"))
	o := newOrigin(t, smallPNG(t, 40, 30), "image/png")
	u := remoteStatusWithAttachment(t, ts, o.URL, model.Public, nil)

	status, _, got, redirected := fetchMedia(t, u, nil)
	if status != 200 || redirected == "" || len(got) == 0 {
		t.Fatalf("GET %s: %d (redirected to %q), %d bytes", u, status, redirected, len(got))
	}
	var keys []string
	for obj := range bc.ListObjects(context.Background(), testBucket, minio.ListObjectsOptions{Recursive: true, Prefix: "cache/"}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) == 0 || !strings.Contains(redirected, "/"+testBucket+"/cache/") {
		t.Fatalf("cached objects %v; redirected to %s", keys, redirected)
	}
	// A second GET is served from the bucket: the origin is not asked again.
	if status, _, _, _ := fetchMedia(t, u, nil); status != 200 || o.hits.Load() != 1 {
		t.Errorf("second GET: %d, origin asked %d times", status, o.hits.Load())
	}
}

// With public_url the API hands out the public URLs, and Herald's own
// media URLs redirect there.
func TestS3MediaPublicURL(t *testing.T) {
	s3 := testutil.StartS3(t)
	public := "https://media.example.org/files"
	ts := server.StartTest(t, s3Config(s3, "redirect"), func(c *config.Config) { c.Media.S3.PublicURL = public + "/" })
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	status, body := uploadImage(t, ts, tok, "cat.png", smallPNG(t, 20, 20))
	if status != 200 {
		t.Fatalf("upload: %d %s", status, body)
	}
	var m struct{ URL string }
	json.Unmarshal(body, &m)
	key, ok := strings.CutPrefix(m.URL, public+"/")
	if !ok || object(t, bucketClient(t, s3), key) == nil {
		t.Fatalf("url %s: not under public_url, or not in the bucket", m.URL)
	}
	resp, err := noRedirects.Get(ts.URL + core.MediaPathPrefix + key)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || resp.Header.Get("Location") != m.URL ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("Herald's URL: %d %v", resp.StatusCode, resp.Header)
	}
}

// A bucket that does not exist stops Herald at start with a clear error
// (unless create_bucket), and so do wrong credentials.
func TestS3MediaMissingBucket(t *testing.T) {
	s3 := testutil.StartS3(t)
	cfg := config.Default()
	cfg.Instance.Domain, cfg.Instance.Protocol = "herald.test", "http"
	cfg.Storage.DataDir = filepath.Join(t.TempDir(), "data")
	s3Config(s3, "redirect")(&cfg)
	cfg.Media.S3.CreateBucket = false
	_, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), `bucket "herald-media"`) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("start without the bucket: %v", err)
	}

	cfg.Media.S3.CreateBucket = true
	cfg.Media.S3.SecretKey = "wrong"
	if _, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "cannot reach bucket") {
		t.Fatalf("start with a wrong secret: %v", err)
	}
}

// Audio is stored as it came (a streamed Put of a known size) and probed
// by the processing job reading the object back (ranged reads).
func TestS3MediaAudioProcessed(t *testing.T) {
	s3 := testutil.StartS3(t)
	ts := server.StartTest(t, s3Config(s3, "proxy"))
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	wav := testutil.WAV(2)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="tone.wav"`)
	h.Set("Content-Type", "audio/wav")
	w, _ := mw.CreatePart(h)
	w.Write(wav)
	mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v2/media", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	status, body := send(t, req)
	if status != 200 && status != 202 {
		t.Fatalf("upload: %d %s", status, body)
	}
	var m struct {
		ID string `json:"id"`
	}
	json.Unmarshal(body, &m)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Drained(ctx, core.JobMediaProcess); err != nil {
		t.Fatal(err)
	}
	status, body = get(t, ts.URL+"/api/v1/media/"+m.ID, tok)
	var got struct {
		URL  string `json:"url"`
		Meta struct {
			Original struct {
				Duration float64 `json:"duration"`
			} `json:"original"`
		} `json:"meta"`
	}
	json.Unmarshal(body, &got)
	if status != 200 || got.Meta.Original.Duration != 2 {
		t.Fatalf("the processed audio: %d %s", status, body)
	}
	if status, _, b, _ := fetchMedia(t, got.URL, nil); status != 200 || !bytes.Equal(b, wav) {
		t.Errorf("GET %s: %d, %d bytes", got.URL, status, len(b))
	}
}
