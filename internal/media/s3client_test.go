package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/herald-social/herald/internal/testutil"
)

// watchTransport passes requests on to the server, noting each one and
// counting the response bodies not yet closed; with slowDown > 0 it
// answers that many requests itself with a 503 SlowDown, as a busy S3
// does, without passing them on.
type watchTransport struct {
	mu       sync.Mutex
	requests []string // "METHOD path?query"
	open     int
	slowDown int
}

func (w *watchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.requests = append(w.requests, r.Method+" "+r.URL.RequestURI())
	busy := w.slowDown > 0
	if busy {
		w.slowDown--
	}
	w.open++
	w.mu.Unlock()
	var resp *http.Response
	if busy {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		resp = &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"))}
	} else {
		var err error
		if resp, err = http.DefaultTransport.RoundTrip(r); err != nil {
			w.mu.Lock()
			w.open--
			w.mu.Unlock()
			return nil, err
		}
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, w: w}
	return resp, nil
}

func (w *watchTransport) count(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, r := range w.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

type watchedBody struct {
	io.ReadCloser
	w    *watchTransport
	once sync.Once
}

func (b *watchedBody) Close() error {
	b.once.Do(func() {
		b.w.mu.Lock()
		b.w.open--
		b.w.mu.Unlock()
	})
	return b.ReadCloser.Close()
}

func putBytes(t *testing.T, st *S3Store, key string, b []byte) {
	t.Helper()
	if n, err := st.Put(t.Context(), key, bytes.NewReader(b)); err != nil || n != int64(len(b)) {
		t.Fatalf("put %s: %d %v", key, n, err)
	}
}

func readAll(t *testing.T, st *S3Store, key string) []byte {
	t.Helper()
	f, err := st.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// The client against a real S3 server (versitygw): presigned URLs read
// by a plain HTTP client, unsigned payloads, seeks and ranges, If-Match,
// a listing of several pages, retries of a busy server, the errors, and
// every response body closed.
func TestS3ClientAgainstServer(t *testing.T) {
	s3 := testutil.StartS3(t)
	w := &watchTransport{}
	opts := S3Options{Endpoint: s3.Endpoint, Bucket: "client-test", Region: s3.Region,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, PathStyle: true, Transport: w}
	st, err := NewS3Store(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	data := []byte(strings.Repeat("0123456789abcdef", 4096)) // 64 KiB

	t.Run("presigned", func(t *testing.T) {
		key := "attachments/p/clip.mp4"
		putBytes(t, st, key, data)
		u, ttl, err := st.Redirect(t.Context(), key)
		if err != nil || ttl != st.opts.PresignExpiry/2 {
			t.Fatalf("redirect: %s %s %v", u, ttl, err)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || !bytes.Equal(got, data) || h.Get("Content-Type") != "video/mp4" ||
			h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("Content-Disposition") != "inline" {
			t.Errorf("GET of the presigned URL: %d, %d bytes, %v", resp.StatusCode, len(got), h)
		}
		// Another key under the same signature is refused.
		resp, err = http.Get(strings.Replace(u, "/clip.mp4?", "/clap.mp4?", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("a tampered presigned URL: %d", resp.StatusCode)
		}
	})

	t.Run("unsigned payload", func(t *testing.T) {
		st.client.unsignedPut = true
		defer func() { st.client.unsignedPut = false }()
		putBytes(t, st, "attachments/u/a.png", data)
		if !bytes.Equal(readAll(t, st, "attachments/u/a.png"), data) {
			t.Error("unsigned PUT stored other bytes")
		}
		// A body that can be read only once (no ReaderAt) goes unsigned too.
		st.client.unsignedPut = false
		if _, err := st.Put(t.Context(), "attachments/u/b.png", bytes.NewBuffer(data)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(readAll(t, st, "attachments/u/b.png"), data) {
			t.Error("a read-once body stored other bytes")
		}
	})

	t.Run("seeks and ranges", func(t *testing.T) {
		key := "attachments/r/a.bin"
		putBytes(t, st, key, data)
		f, err := st.Open(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		gets := w.count("GET /client-test/" + key)
		b := make([]byte, 50)
		for _, c := range []struct {
			off    int64
			whence int
			at     int
		}{{100, io.SeekStart, 100}, {10, io.SeekCurrent, 160}, {-60, io.SeekEnd, len(data) - 60}, {3, io.SeekStart, 3}} {
			if pos, err := f.Seek(c.off, c.whence); err != nil || pos != int64(c.at) {
				t.Fatalf("seek %+v: %d %v", c, pos, err)
			}
			if _, err := io.ReadFull(f, b); err != nil || !bytes.Equal(b, data[c.at:c.at+50]) {
				t.Errorf("read at %d: %q %v", c.at, b, err)
			}
		}
		// Reads that follow on use the same GET.
		if _, err := io.ReadFull(f, b); err != nil || !bytes.Equal(b, data[53:103]) {
			t.Errorf("read on: %v", err)
		}
		if n := w.count("GET /client-test/"+key) - gets; n != 4 {
			t.Errorf("%d GETs for 4 seeks", n)
		}
		if pos, _ := f.Seek(0, io.SeekEnd); pos != int64(len(data)) {
			t.Errorf("size by seek: %d", pos)
		}
		if n, err := f.Read(b); n != 0 || err != io.EOF {
			t.Errorf("read at the end: %d %v", n, err)
		}
		if _, err := f.Seek(-1, io.SeekStart); err == nil {
			t.Error("seek before the start")
		}
		etag := f.(interface{ ETag() string }).ETag()
		if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
			t.Errorf("ETag %s", etag)
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if _, err := f.Read(b); err == nil {
			t.Error("read after close")
		}
	})

	t.Run("one version per open file", func(t *testing.T) {
		key := "attachments/v/a.bin"
		putBytes(t, st, key, data)
		f, err := st.Open(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		putBytes(t, st, key, []byte("another version"))
		if _, err := f.Read(make([]byte, 10)); s3Code(err) != "PreconditionFailed" {
			t.Errorf("read of a replaced object: %v", err)
		}
	})

	t.Run("listing in pages", func(t *testing.T) {
		st.client.listPage = 3
		defer func() { st.client.listPage = 0 }()
		for _, k := range []string{"z/1.png", "a/2.png", "m/3.png", "b/4.png", "y/5.png", "c/6.png", "x/7.png"} {
			putBytes(t, st, k, []byte(k))
		}
		lists := w.count("GET /client-test/?")
		var keys []string
		sizes := map[string]int64{}
		if err := st.Walk(t.Context(), func(k string, size int64) error {
			keys, sizes[k] = append(keys, k), size
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{"a/2.png", "attachments/p/clip.mp4", "attachments/r/a.bin", "attachments/u/a.png",
			"attachments/u/b.png", "attachments/v/a.bin", "b/4.png", "c/6.png", "m/3.png", "x/7.png", "y/5.png", "z/1.png"}
		if !slices.Equal(keys, want) || sizes["c/6.png"] != 7 || sizes["attachments/r/a.bin"] != int64(len(data)) {
			t.Errorf("walk:\n got %v\nwant %v (%v)", keys, want, sizes)
		}
		if n := w.count("GET /client-test/?") - lists; n != 4 {
			t.Errorf("%d list requests for 12 keys by 3", n)
		}
		// fn's error stops the walk and comes back as it is.
		stop := errors.New("enough")
		seen := 0
		if err := st.Walk(t.Context(), func(string, int64) error { seen++; return stop }); err != stop || seen != 1 {
			t.Errorf("stopped walk: %v after %d", err, seen)
		}
	})

	t.Run("busy server", func(t *testing.T) {
		puts := w.count("PUT ")
		w.mu.Lock()
		w.slowDown = 2
		w.mu.Unlock()
		putBytes(t, st, "attachments/b/a.bin", data)
		if n := w.count("PUT ") - puts; n != 3 {
			t.Errorf("%d PUTs for two SlowDown answers", n)
		}
		if !bytes.Equal(readAll(t, st, "attachments/b/a.bin"), data) {
			t.Error("the retried PUT stored other bytes")
		}
	})

	t.Run("errors", func(t *testing.T) {
		if _, err := st.Open(t.Context(), "attachments/none/a.png"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open of a missing key: %v", err)
		}
		if err := st.Delete(t.Context(), "attachments/none/a.png"); err != nil {
			t.Errorf("delete of a missing key: %v", err)
		}
		o := opts
		o.Bucket = "no-such-bucket"
		gone, _ := NewS3Store(o)
		if err := gone.Walk(t.Context(), func(string, int64) error { return nil }); s3Code(err) != "NoSuchBucket" ||
			!strings.Contains(err.Error(), `media s3: list "no-such-bucket"`) {
			t.Errorf("walk of a missing bucket: %v", err)
		}
		if _, err := gone.Put(t.Context(), "a/b.png", bytes.NewReader(data)); s3Code(err) != "NoSuchBucket" {
			t.Errorf("put into a missing bucket: %v", err)
		}
		if err := gone.Check(t.Context(), false); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("check of a missing bucket: %v", err)
		}
		o = opts
		o.SecretKey = "wrong"
		wrong, _ := NewS3Store(o)
		if err := wrong.Check(t.Context(), true); err == nil || !strings.Contains(err.Error(), "cannot reach bucket") {
			t.Errorf("check with a wrong secret: %v", err)
		}
		var e *s3Error
		if _, err := wrong.Put(t.Context(), "a/b.png", bytes.NewReader(data)); !errors.As(err, &e) || e.Status != 403 || e.Code == "" {
			t.Errorf("put with a wrong secret: %v", err)
		}
		if _, err := wrong.Open(t.Context(), "attachments/r/a.bin"); errors.Is(err, fs.ErrNotExist) || !errors.As(err, &e) || e.Status != 403 {
			t.Errorf("open with a wrong secret: %v", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		f, err := st.Open(ctx, "attachments/r/a.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cancel()
		if _, err := f.Read(make([]byte, 10)); !errors.Is(err, context.Canceled) {
			t.Errorf("read after the context ended: %v", err)
		}
		if _, err := st.Put(ctx, "attachments/c/a.bin", bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
			t.Errorf("put with an ended context: %v", err)
		}
	})

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.open != 0 {
		t.Errorf("%d response bodies left open", w.open)
	}
}
