package server_test

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

// Memory of image decoding under attack (issue 12): a ~116 KB PNG that
// decodes to 6300×6300 RGB (159 MiB of pixels), uploaded 16 times at once
// by users, or attached to a remote status whose proxy URL is requested 20
// times at once by anonymous callers. Each benchmark reports the process's
// peak resident memory (VmHWM, which cannot be reset), so run each one in
// its own process:
//
//	go test ./internal/server -run '^$' -bench '^BenchmarkMemoryUploads$' -benchtime 1x
//	go test ./internal/server -run '^$' -bench '^BenchmarkMemoryProxyOne$' -benchtime 1x
//	go test ./internal/server -run '^$' -bench '^BenchmarkMemoryProxyMany$' -benchtime 1x
//
// Measured on 2 shared cores: before the decode budget, 3748, 263 and
// 4669 MiB; with it (256 MiB, the default), 275, 263 and 270 MiB.

// bombSide is the side of the decompression-bomb-like PNG: under the
// default max_pixels (40 M), 159 MiB decoded.
const bombSide = 6300

// solidPNG writes a w×h 8-bit RGB PNG of one colour, streaming the rows
// through zlib so that the test itself never holds the pixels.
func solidPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
		copy(hdr[4:], typ)
		out.Write(hdr[:])
		out.Write(data)
		crc := crc32.NewIEEE()
		crc.Write(hdr[4:])
		crc.Write(data)
		_ = binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, 1+3*w)
	for x := 0; x < w; x++ {
		row[1+3*x], row[2+3*x], row[3+3*x] = 200, 120, 40
	}
	for y := 0; y < h; y++ {
		if _, err := zw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// peakRSSMiB is the process's peak resident set (VmHWM), in MiB.
func peakRSSMiB(t testing.TB) float64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status: peak RSS is measured on Linux only")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb / 1024
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// uploadImage posts data to /api/v2/media and returns the status and body.
func uploadImage(t testing.TB, ts *server.TestServer, token, name string, data []byte) (int, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", "image/png")
	w, _ := mw.CreatePart(h)
	_, _ = w.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v2/media", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

// get sends a GET (with a bearer token when token is not "").
func get(t testing.TB, u, token string) (int, []byte) {
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, req)
}

var longClient = &http.Client{Timeout: 5 * time.Minute}

func send(t testing.TB, req *http.Request) (int, []byte) {
	resp, err := longClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// origin is a loopback "remote server" serving one file and counting the
// requests for it.
type origin struct {
	URL  string
	hits atomic.Int64
}

func newOrigin(t testing.TB, data []byte, ctype string) *origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{URL: "http://" + ln.Addr().String() + "/files/image.png"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		w.Header().Set("Content-Type", ctype)
		w.Write(data)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return o
}

// remoteStatusWithAttachment records, on ts, a status by a remote actor
// of the origin's domain with one attachment at fileURL, through the
// path the federation engine takes (IngestRemotePost). It returns the
// attachment's proxy URL.
func remoteStatusWithAttachment(t testing.TB, ts *server.TestServer, fileURL string, vis model.Visibility, mentions []int64) string {
	t.Helper()
	ctx := context.Background()
	host := strings.TrimPrefix(fileURL, "http://")
	host = host[:strings.IndexByte(host, '/')]
	author := &model.Account{Username: "mallory", Domain: host, URI: "http://" + host + "/users/mallory",
		URL: "http://" + host + "/@mallory", InboxURL: "http://" + host + "/users/mallory/inbox", ActorType: "Person"}
	if err := ts.Srv.Store.UpsertRemoteAccount(ctx, author); err != nil {
		t.Fatal(err)
	}
	st, err := ts.Srv.Svc.IngestRemotePost(ctx, core.RemotePost{Status: &model.Status{URI: author.URI + "/statuses/" + strconv.FormatInt(time.Now().UnixNano(), 10),
		AccountID: author.ID, Content: "<p>hello</p>", Visibility: vis, CreatedAt: time.Now()}, MentionIDs: mentions,
		Attachments: []core.RemoteAttachment{{URL: fileURL, MediaType: "image/png"}}})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := ts.Srv.Store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil || len(ms[st.ID]) != 1 {
		t.Fatalf("attachments of the remote status: %v %v", ms, err)
	}
	return ts.URL + "/media_proxy/attachments/" + strconv.FormatInt(ms[st.ID][0].ID, 10) + "/original"
}

// concurrently runs fn(i) for i in [0, n) at once and waits for all.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// BenchmarkMemoryUploads: 16 users' tokens post the 6300×6300 PNG at once.
func BenchmarkMemoryUploads(b *testing.B) {
	ts := server.StartTest(b)
	ts.CreateUser(b, "alice", "user")
	tok := ts.Token(b, "alice", "read write")
	img := solidPNG(b, bombSide, bombSide)
	before := peakRSSMiB(b)
	b.ResetTimer()
	for range b.N {
		var ok atomic.Int64
		concurrently(16, func(int) {
			if status, body := uploadImage(b, ts, tok, "bomb.png", img); status == 200 {
				ok.Add(1)
			} else {
				b.Logf("upload: %d %s", status, body)
			}
		})
		b.Logf("%d of 16 uploads accepted", ok.Load())
	}
	b.StopTimer()
	after := peakRSSMiB(b)
	b.ReportMetric(after, "peak-rss-MiB")
	b.ReportMetric(after-before, "rss-growth-MiB")
	b.ReportMetric(float64(len(img))/1024, "file-KiB")
}

// BenchmarkMemoryProxyOne: 20 anonymous GETs at once of the proxy URL of a
// remote public status's attachment (the 6300×6300 PNG on a loopback
// origin).
func BenchmarkMemoryProxyOne(b *testing.B) {
	ts := server.StartTest(b)
	img := solidPNG(b, bombSide, bombSide)
	o := newOrigin(b, img, "image/png")
	before := peakRSSMiB(b)
	b.ResetTimer()
	for range b.N {
		u := remoteStatusWithAttachment(b, ts, o.URL, model.Public, nil)
		var ok atomic.Int64
		concurrently(20, func(int) {
			if status, body := get(b, u, ""); status == 200 {
				ok.Add(1)
			} else {
				b.Logf("proxy: %d %s", status, body)
			}
		})
		b.Logf("%d of 20 proxy requests served", ok.Load())
	}
	b.StopTimer()
	after := peakRSSMiB(b)
	b.ReportMetric(after, "peak-rss-MiB")
	b.ReportMetric(after-before, "rss-growth-MiB")
	b.ReportMetric(float64(o.hits.Load())/float64(b.N), "origin-fetches/op")
}

// BenchmarkMemoryProxyMany: the same with 20 remote statuses, each with
// its own copy of the PNG (a different URL), and one anonymous GET of each
// attachment's proxy URL, all at once.
func BenchmarkMemoryProxyMany(b *testing.B) {
	ts := server.StartTest(b)
	img := solidPNG(b, bombSide, bombSide)
	o := newOrigin(b, img, "image/png")
	before := peakRSSMiB(b)
	b.ResetTimer()
	for n := range b.N {
		urls := make([]string, 20)
		for i := range urls {
			urls[i] = remoteStatusWithAttachment(b, ts, fmt.Sprintf("%s?op=%d&i=%d", o.URL, n, i), model.Public, nil)
		}
		var ok atomic.Int64
		concurrently(len(urls), func(i int) {
			if status, body := get(b, urls[i], ""); status == 200 {
				ok.Add(1)
			} else {
				b.Logf("proxy: %d %s", status, body)
			}
		})
		b.Logf("%d of %d proxy requests served", ok.Load(), len(urls))
	}
	b.StopTimer()
	after := peakRSSMiB(b)
	b.ReportMetric(after, "peak-rss-MiB")
	b.ReportMetric(after-before, "rss-growth-MiB")
}
