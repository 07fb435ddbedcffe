package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

type mediaJSON struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	URL         *string `json:"url"`
	PreviewURL  *string `json:"preview_url"`
	RemoteURL   *string `json:"remote_url"`
	Description *string `json:"description"`
	Blurhash    *string `json:"blurhash"`
	Meta        struct {
		Original *struct {
			Width  int     `json:"width"`
			Height int     `json:"height"`
			Size   string  `json:"size"`
			Aspect float64 `json:"aspect"`
		} `json:"original"`
		Small *struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"small"`
		Focus *struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		} `json:"focus"`
		Duration float64 `json:"duration"`
	} `json:"meta"`
}

// gpsMarker is the GPSLatitude seconds rational (2979/100) of gpsJPEG.
var gpsMarker = []byte{0, 0, 0x0B, 0xA3, 0, 0, 0, 0x64}

// gpsJPEG builds a JPEG (w×h, left half red) carrying an Exif APP1 segment
// with Orientation 6 and a GPS IFD (48°51'29.79"N), an XMP segment with a
// location and a comment: all of it must be gone after upload.
func gpsJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.Set(x, y, color.RGBA{220, uint8(y % 256), 30, 255})
			} else {
				img.Set(x, y, color.RGBA{30, uint8(y % 256), 220, 255})
			}
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	be := binary.BigEndian
	w16 := func(v uint16) { _ = binary.Write(&tiff, be, v) }
	w32 := func(v uint32) { _ = binary.Write(&tiff, be, v) }
	tiff.WriteString("MM")
	w16(42)
	w32(8)
	w16(2)                            // IFD0: 2 entries
	w16(0x0112)                       // Orientation
	w16(3)                            // SHORT
	w32(1)                            //
	w16(6)                            // rotate 90° clockwise
	w16(0)                            //
	w16(0x8825)                       // GPSInfo IFD pointer
	w16(4)                            // LONG
	w32(1)                            //
	w32(38)                           // -> GPS IFD
	w32(0)                            // no next IFD
	w16(2)                            // GPS IFD: 2 entries
	w16(1)                            // GPSLatitudeRef
	w16(2)                            // ASCII
	w32(2)                            //
	tiff.WriteString("N\x00\x00\x00") //
	w16(2)                            // GPSLatitude
	w16(5)                            // RATIONAL
	w32(3)                            //
	w32(68)                           // -> values
	w32(0)                            //
	for _, r := range [][2]uint32{{48, 1}, {51, 1}, {2979, 100}} {
		w32(r[0])
		w32(r[1])
	}
	seg := func(marker byte, payload []byte) []byte {
		out := []byte{0xFF, marker, 0, 0}
		binary.BigEndian.PutUint16(out[2:], uint16(len(payload)+2))
		return append(out, payload...)
	}
	raw := enc.Bytes()
	var out bytes.Buffer
	out.Write(raw[:2])
	out.Write(seg(0xE1, append([]byte("Exif\x00\x00"), tiff.Bytes()...)))
	out.Write(seg(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>48,51.49N</exif:GPSLatitude></x:xmpmeta>")))
	out.Write(seg(0xFE, []byte("taken at the ministry")))
	out.Write(raw[2:])
	return out.Bytes()
}

func assertNoGPS(t testing.TB, what string, b []byte) {
	t.Helper()
	for _, bad := range [][]byte{gpsMarker, []byte("Exif"), []byte("xmpmeta"), []byte("GPSLatitude"), []byte("ministry")} {
		if bytes.Contains(b, bad) {
			t.Errorf("%s still contains %q", what, bad)
		}
	}
}

// multipartBody builds a multipart form: files maps field -> (filename,
// content type, data).
type formFile struct {
	name, ctype string
	data        []byte
}

func multipartBody(t testing.TB, fields map[string]string, files map[string]formFile) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for field, f := range files {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, field, f.name))
		h.Set("Content-Type", f.ctype)
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(f.data)
	}
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

// upload posts a multipart form and decodes the answer.
func upload(t testing.TB, ts *server.TestServer, method, path, token string, fields map[string]string, files map[string]formFile, out any) int {
	t.Helper()
	body, ctype := multipartBody(t, fields, files)
	req, _ := http.NewRequest(method, ts.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 && testing.Verbose() {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

func fetch(t testing.TB, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// filesUnder lists the regular files below dir.
func filesUnder(t testing.TB, dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestMediaUploadPostAndServe(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "")
	ts.CreateUser(t, "bob", "")
	alice := ts.Token(t, "alice", "read write")
	bob := ts.Token(t, "bob", "read write")
	photo := gpsJPEG(t, 640, 320)

	// v2 upload of an image: processed at once, 200.
	var m mediaJSON
	if st := upload(t, ts, "POST", "/api/v2/media", alice, map[string]string{"description": "The minister opens the bridge", "focus": "0.5,-0.25"},
		map[string]formFile{"file": {"photo.png", "image/png", photo}}, &m); st != 200 { // a JPEG named .png: sniffed
		t.Fatalf("upload: %d", st)
	}
	if m.Type != "image" || m.URL == nil || m.PreviewURL == nil || m.Blurhash == nil || len(*m.Blurhash) != 36 {
		t.Fatalf("attachment: %+v", m)
	}
	// Orientation 6 applied: 320×640.
	if o := m.Meta.Original; o == nil || o.Width != 320 || o.Height != 640 || o.Size != "320x640" || m.Meta.Small == nil {
		t.Fatalf("meta: %+v", m.Meta)
	}
	if m.Meta.Focus == nil || m.Meta.Focus.X != 0.5 || m.Meta.Focus.Y != -0.25 || m.Description == nil {
		t.Fatalf("focus/description: %+v", m)
	}
	for _, u := range []string{*m.URL, *m.PreviewURL} {
		status, h, b := fetch(t, u)
		if status != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(h.Get("Cache-Control"), "max-age") {
			t.Fatalf("GET %s: %d %v", u, status, h)
		}
		assertNoGPS(t, u, b)
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("served file does not decode: %v", err)
		}
	}
	// The stored files themselves carry no GPS either.
	files := filesUnder(t, ts.Cfg.MediaDir())
	if len(files) != 2 {
		t.Fatalf("stored files: %v", files)
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		assertNoGPS(t, f, b)
	}

	// GET while unattached; PUT alt text; others get 404.
	var got mediaJSON
	ts.JSON(t, "GET", "/api/v1/media/"+m.ID, alice, nil, 200, &got)
	ts.JSON(t, "GET", "/api/v1/media/"+m.ID, bob, nil, 404, nil)
	ts.JSON(t, "PUT", "/api/v1/media/"+m.ID, alice, map[string]any{"description": "The minister opens the new bridge"}, 200, &got)
	if got.Description == nil || *got.Description != "The minister opens the new bridge" {
		t.Fatalf("PUT: %+v", got)
	}
	ts.JSON(t, "PUT", "/api/v1/media/"+m.ID, alice, map[string]any{"focus": "3,0"}, 422, nil)

	// Bob cannot attach Alice's upload; five attachments are refused.
	ts.JSON(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "mine", "media_ids": []string{m.ID}}, 422, nil)
	ids := []string{m.ID}
	for i := 0; i < 4; i++ {
		var x mediaJSON
		upload(t, ts, "POST", "/api/v1/media", alice, nil, map[string]formFile{"file": {"x.jpg", "image/jpeg", gpsJPEG(t, 32, 16)}}, &x)
		ids = append(ids, x.ID)
	}
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "too many", "media_ids": ids}, 422, nil)

	// Post with two attachments (and no text); it renders them in order.
	var st statusWithMedia
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "", "media_ids": ids[:2]}, 200, &st)
	if len(st.MediaAttachments) != 2 || st.MediaAttachments[0].ID != m.ID || *st.MediaAttachments[0].Description != "The minister opens the new bridge" {
		t.Fatalf("status media: %+v", st.MediaAttachments)
	}
	var tl []statusWithMedia
	ts.JSON(t, "GET", "/api/v1/timelines/home", alice, nil, 200, &tl)
	if len(tl) != 1 || len(tl[0].MediaAttachments) != 2 || tl[0].MediaAttachments[0].Blurhash == nil {
		t.Fatalf("home timeline: %+v", tl)
	}
	// Attached: no longer editable through /media, and not attachable again.
	ts.JSON(t, "PUT", "/api/v1/media/"+m.ID, alice, map[string]any{"description": "x"}, 404, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "again", "media_ids": []string{m.ID}}, 422, nil)

	// Deleting the status with delete_media deletes its files at once
	// (without it they are kept a day for a redraft, as Mastodon: see
	// TestDeleteAndRedraft); an unattached upload can be deleted directly.
	before := len(filesUnder(t, ts.Cfg.MediaDir()))
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+st.ID+"?delete_media=true", alice, nil, 200, nil)
	after := len(filesUnder(t, ts.Cfg.MediaDir()))
	if after != before-4 {
		t.Fatalf("files before %d, after delete %d", before, after)
	}
	if status, _, _ := fetch(t, *m.URL); status != 404 {
		t.Fatalf("deleted file still served: %d", status)
	}
	ts.JSON(t, "DELETE", "/api/v1/media/"+ids[2], alice, nil, 200, nil)
	if n := len(filesUnder(t, ts.Cfg.MediaDir())); n != after-2 {
		t.Fatalf("files after DELETE media: %d", n)
	}
}

type statusWithMedia struct {
	ID               string      `json:"id"`
	Content          string      `json:"content"`
	MediaAttachments []mediaJSON `json:"media_attachments"`
	Emojis           []struct {
		Shortcode string `json:"shortcode"`
		URL       string `json:"url"`
	} `json:"emojis"`
	Card *struct {
		URL          string  `json:"url"`
		Title        string  `json:"title"`
		Description  string  `json:"description"`
		Type         string  `json:"type"`
		Image        *string `json:"image"`
		Blurhash     *string `json:"blurhash"`
		Width        int     `json:"width"`
		ProviderName string  `json:"provider_name"`
		Authors      []any   `json:"authors"`
	} `json:"card"`
}

func TestMediaRefusals(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) { c.Media.MaxImageBytes = 200 << 10; c.Media.MaxPixels = 2_000_000 })
	ts.CreateUser(t, "alice", "")
	alice := ts.Token(t, "alice", "read write")
	good := gpsJPEG(t, 64, 64)
	big := make([]byte, 300<<10)
	copy(big, good)
	var bomb bytes.Buffer
	_ = png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 1, 1)))
	bombPNG := bomb.Bytes()
	binary.BigEndian.PutUint32(bombPNG[16:], 50000) // IHDR says 50000×50000
	binary.BigEndian.PutUint32(bombPNG[20:], 50000)
	for name, f := range map[string]formFile{
		"oversized":       {"big.jpg", "image/jpeg", big},
		"truncated":       {"cut.jpg", "image/jpeg", good[:len(good)*2/3]},
		"mislabelled":     {"photo.jpg", "image/jpeg", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
		"svg":             {"logo.png", "image/png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		"pdf":             {"doc.jpg", "image/jpeg", []byte("%PDF-1.7\n...")},
		"too many pixels": {"bomb.png", "image/png", bombPNG},
		"empty":           {"e.jpg", "image/jpeg", nil},
	} {
		for _, path := range []string{"/api/v1/media", "/api/v2/media"} {
			if st := upload(t, ts, "POST", path, alice, nil, map[string]formFile{"file": f}, nil); st != 422 {
				t.Errorf("%s %s: %d, want 422", name, path, st)
			}
		}
	}
	if st := upload(t, ts, "POST", "/api/v2/media", alice, map[string]string{"description": "no file"}, nil, nil); st != 422 {
		t.Errorf("no file: %d", st)
	}
	if files := filesUnder(t, ts.Cfg.MediaDir()); len(files) != 0 {
		t.Errorf("refused uploads left files: %v", files)
	}
}

// minimalMP4 is an ISO BMFF file with a 320×240 video track of 50 frames
// over 2 s (no media data: Herald stores video as it is and only reads
// its boxes).
func minimalMP4() []byte {
	box := func(typ string, body ...[]byte) []byte {
		b := bytes.Join(body, nil)
		out := make([]byte, 8, 8+len(b))
		binary.BigEndian.PutUint32(out, uint32(8+len(b)))
		copy(out[4:], typ)
		return append(out, b...)
	}
	u32 := func(vs ...uint32) []byte {
		out := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.BigEndian.PutUint32(out[4*i:], v)
		}
		return out
	}
	mvhd := box("mvhd", u32(0, 0, 0, 1000, 2000), make([]byte, 80))
	tkhd := box("tkhd", u32(0, 0, 0, 1, 0, 2000, 0, 0), make([]byte, 8+36), u32(320<<16, 240<<16))
	mdhd := box("mdhd", u32(0, 0, 0, 25000, 50000), make([]byte, 4))
	hdlr := box("hdlr", u32(0, 0), []byte("vide"), make([]byte, 13))
	stts := box("stts", u32(0, 1, 50, 1000))
	trak := box("trak", tkhd, box("mdia", mdhd, hdlr, box("minf", box("stbl", stts))))
	return append(box("ftyp", []byte("isom"), u32(512), []byte("isomiso2mp41")), box("moov", mvhd, trak)...)
}

func TestMediaVideoProcessing(t *testing.T) {
	ts := server.StartTest(t)
	acc := ts.CreateUser(t, "alice", "")
	alice := ts.Token(t, "alice", "read write")
	var m mediaJSON
	st := upload(t, ts, "POST", "/api/v2/media", alice, map[string]string{"description": "clip"},
		map[string]formFile{"file": {"clip.mov", "video/quicktime", minimalMP4()}}, &m)
	if st != 202 && st != 200 {
		t.Fatalf("v2 video upload: %d", st)
	}
	if st == 202 && m.URL != nil {
		t.Fatalf("202 with a url: %+v", m)
	}
	testutil.Eventually(t, 10*time.Second, "the video processed", func() bool {
		status, _, b := ts.Do(t, "GET", "/api/v1/media/"+m.ID, alice, nil)
		if status != 200 && status != 206 {
			t.Fatalf("poll: %d %s", status, b)
		}
		return status == 200 && json.Unmarshal(b, &m) == nil
	})
	if m.Type != "video" || m.URL == nil || m.Meta.Original == nil || m.Meta.Original.Width != 320 || m.Meta.Original.Height != 240 || m.Meta.Duration != 2 {
		t.Fatalf("video: %+v %+v", m, m.Meta.Original)
	}
	status, h, _ := fetch(t, *m.URL)
	if status != 200 || h.Get("Content-Type") != "video/mp4" || h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("video file: %d %v", status, h)
	}
	// A video is alone in its status.
	var img mediaJSON
	upload(t, ts, "POST", "/api/v1/media", alice, nil, map[string]formFile{"file": {"a.jpg", "image/jpeg", gpsJPEG(t, 20, 20)}}, &img)
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "mix", "media_ids": []string{m.ID, img.ID}}, 422, nil)

	// An attachment whose processing is pending answers 206, and cannot
	// be posted yet.
	pending := &model.MediaAttachment{AccountID: acc.ID, Type: "video", ContentType: "video/mp4", Processing: model.MediaProcessing}
	if err := ts.Srv.Store.CreateMedia(context.Background(), pending); err != nil {
		t.Fatal(err)
	}
	var pj mediaJSON
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/media/%d", pending.ID), alice, nil, 206, &pj)
	if pj.URL != nil {
		t.Errorf("pending attachment with url %v", *pj.URL)
	}
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "soon", "media_ids": []string{fmt.Sprint(pending.ID)}}, 422, nil)
}

func TestAvatarAndHeader(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "")
	alice := ts.Token(t, "alice", "read write")
	var acc struct {
		Avatar string `json:"avatar"`
		Header string `json:"header"`
		Name   string `json:"display_name"`
	}
	if st := upload(t, ts, "PATCH", "/api/v1/accounts/update_credentials", alice, map[string]string{"display_name": "Alice"},
		map[string]formFile{"avatar": {"me.jpg", "image/jpeg", gpsJPEG(t, 900, 600)}, "header": {"h.jpg", "image/jpeg", gpsJPEG(t, 1000, 3200)}}, &acc); st != 200 {
		t.Fatalf("update_credentials: %d", st)
	}
	if acc.Name != "Alice" || !strings.Contains(acc.Avatar, "/system/accounts/avatars/") || !strings.Contains(acc.Header, "/system/accounts/headers/") {
		t.Fatalf("account: %+v", acc)
	}
	for u, want := range map[string][2]int{acc.Avatar: {400, 400}, acc.Header: {1500, 500}} {
		status, _, b := fetch(t, u)
		if status != 200 {
			t.Fatalf("GET %s: %d", u, status)
		}
		assertNoGPS(t, u, b)
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width != want[0] || cfg.Height != want[1] {
			t.Fatalf("%s: %dx%d %v", u, cfg.Width, cfg.Height, err)
		}
	}
	old := acc.Avatar
	ts.JSON(t, "DELETE", "/api/v1/profile/avatar", alice, nil, 200, &acc)
	if !strings.HasSuffix(acc.Avatar, "/avatars/original/missing.png") {
		t.Fatalf("avatar after delete: %s", acc.Avatar)
	}
	if status, _, _ := fetch(t, old); status != 404 {
		t.Fatalf("old avatar still served: %d", status)
	}
	if st := upload(t, ts, "PATCH", "/api/v1/accounts/update_credentials", alice, nil,
		map[string]formFile{"avatar": {"x.gif", "image/gif", []byte("GIF89a not really")}}, nil); st != 422 {
		t.Fatalf("broken avatar: %d", st)
	}
}

func TestCustomEmoji(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "admin", "admin")
	ts.CreateUser(t, "alice", "")
	admin := ts.Token(t, "admin", "read write admin:read admin:write")
	alice := ts.Token(t, "alice", "read write admin:read admin:write")
	var pngBuf bytes.Buffer
	_ = png.Encode(&pngBuf, image.NewNRGBA(image.Rect(0, 0, 32, 32)))
	emojiFile := map[string]formFile{"image": {"herald.png", "image/png", pngBuf.Bytes()}}
	if st := upload(t, ts, "POST", "/api/v1/admin/custom_emojis", alice, map[string]string{"shortcode": "herald"}, emojiFile, nil); st != 403 {
		t.Fatalf("non-admin create: %d", st)
	}
	var e struct {
		ID, Shortcode, URL string
		Disabled           bool
	}
	if st := upload(t, ts, "POST", "/api/v1/admin/custom_emojis", admin, map[string]string{"shortcode": "herald", "category": "brand"}, emojiFile, &e); st != 200 {
		t.Fatalf("create: %d", st)
	}
	if st := upload(t, ts, "POST", "/api/v1/admin/custom_emojis", admin, map[string]string{"shortcode": "herald"}, emojiFile, nil); st != 422 {
		t.Fatalf("duplicate: %d", st)
	}
	if st := upload(t, ts, "POST", "/api/v1/admin/custom_emojis", admin, map[string]string{"shortcode": "x y"}, emojiFile, nil); st != 422 {
		t.Fatalf("bad shortcode: %d", st)
	}
	var list []struct {
		Shortcode string `json:"shortcode"`
		URL       string `json:"url"`
		StaticURL string `json:"static_url"`
		Category  string `json:"category"`
	}
	ts.JSON(t, "GET", "/api/v1/custom_emojis", "", nil, 200, &list)
	if len(list) != 1 || list[0].Shortcode != "herald" || list[0].Category != "brand" {
		t.Fatalf("custom_emojis: %+v", list)
	}
	// Rendered in posts and display names.
	var st statusWithMedia
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "Hello :herald: and :unknown:"}, 200, &st)
	if len(st.Emojis) != 1 || st.Emojis[0].Shortcode != "herald" {
		t.Fatalf("status emojis: %+v", st.Emojis)
	}
	if status, h, _ := fetch(t, st.Emojis[0].URL); status != 200 || h.Get("Content-Type") != "image/png" {
		t.Fatalf("emoji file: %d %v", status, h)
	}
	var acc struct {
		Emojis []map[string]any `json:"emojis"`
	}
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", alice, map[string]any{"display_name": "Alice :herald:"}, 200, &acc)
	if len(acc.Emojis) != 1 {
		t.Fatalf("account emojis: %+v", acc.Emojis)
	}
	// Disable, then delete: gone from the list and the posts.
	ts.JSON(t, "PATCH", "/api/v1/admin/custom_emojis/"+e.ID, admin, map[string]any{"disabled": true}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/custom_emojis", "", nil, 200, &list)
	if len(list) != 0 {
		t.Fatalf("disabled emoji listed: %+v", list)
	}
	ts.JSON(t, "DELETE", "/api/v1/admin/custom_emojis/"+e.ID, admin, nil, 200, nil)
	if files := filesUnder(t, ts.Cfg.MediaDir()); len(files) != 0 {
		t.Fatalf("emoji files left: %v", files)
	}
	// Outgoing Emoji tags (for the federation engine).
	upload(t, ts, "POST", "/api/v1/admin/custom_emojis", admin, map[string]string{"shortcode": "flag"}, emojiFile, nil)
	tags := ts.Srv.Svc.EmojiTags(context.Background(), "<p>:flag: :nope:</p>")
	if len(tags) != 1 || tags[0].Name != ":flag:" || tags[0].MediaType != "image/png" || !strings.HasPrefix(tags[0].URL, ts.URL) {
		t.Fatalf("emoji tags: %+v", tags)
	}
}

func TestLinkPreviewCard(t *testing.T) {
	var imgBuf bytes.Buffer
	_ = jpeg.Encode(&imgBuf, image.NewRGBA(image.Rect(0, 0, 1200, 630)), nil)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/news/bridge":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html lang="en-GB"><head><title>Fallback</title>
				<meta property="og:title" content="A new bridge &amp; a new park">
				<meta property="og:description" content="The city opens its new bridge.">
				<meta property="og:site_name" content="City News">
				<meta property="og:image" content="/img/bridge.jpg">
				</head><body>...</body></html>`)
		case "/img/bridge.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write(imgBuf.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "")
	alice := ts.Token(t, "alice", "read write")
	var st statusWithMedia
	ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": "#news @nobody read " + site.URL + "/news/bridge and " + site.URL + "/other"}, 200, &st)
	testutil.Eventually(t, 10*time.Second, "the preview card", func() bool {
		ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, alice, nil, 200, &st)
		return st.Card != nil
	})
	c := st.Card
	if c.URL != site.URL+"/news/bridge" || c.Title != "A new bridge & a new park" || c.Description != "The city opens its new bridge." ||
		c.ProviderName != "City News" || c.Type != "link" || c.Image == nil || c.Blurhash == nil || c.Width != 640 || c.Authors == nil {
		t.Fatalf("card: %+v", c)
	}
	if status, _, _ := fetch(t, *c.Image); status != 200 {
		t.Fatalf("card image: %d", status)
	}
	if got := core.FirstLink(`<p><a href="https://x.example/tags/a" class="mention hashtag" rel="tag">#a</a> <a href="https://y.example/p">y</a></p>`); got != "https://y.example/p" {
		t.Fatalf("FirstLink: %q", got)
	}
}

// TestRemoteMediaCachedThenPruned plays both sides of federation on two
// real servers: a photo posted on A (with its GPS block) is rendered as a
// Document by A, ingested by B as a remote post's attachment with its alt
// text, fetched through B's guarded client into B's cache (no GPS), pruned,
// and fetched again on demand. A third server rejecting A's media never
// fetches it.
func TestRemoteMediaCachedThenPruned(t *testing.T) {
	ctx := context.Background()
	a := server.StartTest(t)
	b := server.StartTest(t)
	a.CreateUser(t, "alice", "")
	b.CreateUser(t, "bob", "")
	aliceTok := a.Token(t, "alice", "read write")
	bobTok := b.Token(t, "bob", "read write")

	var m mediaJSON
	upload(t, a, "POST", "/api/v2/media", aliceTok, map[string]string{"description": "Opening of the bridge", "focus": "0.1,0.2"},
		map[string]formFile{"file": {"p.jpg", "image/jpeg", gpsJPEG(t, 800, 400)}}, &m)
	var posted statusWithMedia
	a.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "The bridge is open", "media_ids": []string{m.ID}}, 200, &posted)
	var sid int64
	fmt.Sscan(posted.ID, &sid)
	docs, err := a.Srv.Svc.AttachmentsOf(ctx, []int64{sid})
	if err != nil || len(docs[sid]) != 1 {
		t.Fatalf("AttachmentsOf: %v %v", docs, err)
	}
	d := docs[sid][0]
	if d.Type != "Document" || d.MediaType != "image/jpeg" || d.Name != "Opening of the bridge" || d.Width != 400 || d.Height != 800 ||
		len(d.Blurhash) != 36 || d.FocalPoint != [2]float64{0.1, 0.2} {
		t.Fatalf("document: %+v", d)
	}

	ingest := func(ts *server.TestServer) (int64, string) {
		t.Helper()
		author := &model.Account{Username: "alice", Domain: a.Domain, URI: a.URL + "/users/alice", URL: a.URL + "/@alice",
			InboxURL: a.URL + "/users/alice/inbox", AvatarURL: m.urlOr(t, a, aliceTok), ActorType: "Person", Discoverable: true}
		if err := ts.Srv.Store.UpsertRemoteAccount(ctx, author); err != nil {
			t.Fatal(err)
		}
		fp := []float64{d.FocalPoint[0], d.FocalPoint[1]}
		st, err := ts.Srv.Svc.IngestRemotePost(ctx, core.RemotePost{Status: &model.Status{URI: a.URL + "/users/alice/statuses/" + posted.ID,
			AccountID: author.ID, Content: "<p>The bridge is open</p>", Visibility: model.Public, CreatedAt: time.Now()},
			Attachments: []core.RemoteAttachment{{URL: d.URL, MediaType: d.MediaType, Name: d.Name, Blurhash: d.Blurhash,
				FocalPoint: fp, Width: d.Width, Height: d.Height}}})
		if err != nil {
			t.Fatal(err)
		}
		return st.ID, fmt.Sprint(st.ID)
	}
	_, bStatus := ingest(b)
	var seen statusWithMedia
	// Cached in the background; the proxy URL works even before.
	testutil.Eventually(t, 10*time.Second, "the attachment cached on B", func() bool {
		b.JSON(t, "GET", "/api/v1/statuses/"+bStatus, bobTok, nil, 200, &seen)
		return len(seen.MediaAttachments) == 1 && strings.Contains(*seen.MediaAttachments[0].URL, "/system/cache/")
	})
	att := seen.MediaAttachments[0]
	if att.Description == nil || *att.Description != "Opening of the bridge" || att.RemoteURL == nil || *att.RemoteURL != d.URL ||
		att.Blurhash == nil || *att.Blurhash != d.Blurhash || att.Meta.Original == nil || att.Meta.Original.Width != 400 {
		t.Fatalf("remote attachment on B: %+v", att)
	}
	if !strings.HasPrefix(*att.URL, b.URL+"/system/cache/attachments/") {
		t.Fatalf("not cached: %s", *att.URL)
	}
	status, _, body := fetch(t, *att.URL)
	if status != 200 {
		t.Fatalf("cached file: %d", status)
	}
	assertNoGPS(t, "B's cached copy", body)
	for _, f := range filesUnder(t, b.Cfg.MediaDir()) {
		raw, _ := os.ReadFile(f)
		assertNoGPS(t, f, raw)
	}

	// Prune everything cached: the proxy fetches again, and the files go
	// once the grace period of garbage passed (the sweep, as of then).
	n := len(filesUnder(t, b.Cfg.MediaDir()))
	r, err := b.Srv.Svc.PruneMedia(ctx, 0)
	if err != nil || r.Attachments != 1 {
		t.Fatalf("prune: %+v %v", r, err)
	}
	swept := b.Srv.Svc.SweepMediaGarbageAt(ctx, time.Now().Add(storage.MediaGarbageGrace+time.Minute))
	if swept < 2 {
		t.Fatalf("sweep after prune: %d files, want the attachment's 2", swept)
	}
	if left := len(filesUnder(t, b.Cfg.MediaDir())); left != n-r.Files-swept {
		t.Fatalf("files after prune: %d (before %d)", left, n)
	}
	b.JSON(t, "GET", "/api/v1/statuses/"+bStatus, bobTok, nil, 200, &seen)
	u := *seen.MediaAttachments[0].URL
	if !strings.HasPrefix(u, b.URL+"/media_proxy/attachments/") {
		t.Fatalf("after prune: %s", u)
	}
	if status, h, body := fetch(t, u); status != 200 || h.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("proxy: %d %v", status, h)
	} else {
		assertNoGPS(t, "proxied copy", body)
	}

	// The remote avatar goes through the cache as well.
	var who map[string]any
	b.JSON(t, "GET", "/api/v1/statuses/"+bStatus, bobTok, nil, 200, &who)
	avatar := who["account"].(map[string]any)["avatar"].(string)
	if !strings.HasPrefix(avatar, b.URL+"/media_proxy/avatars/") {
		t.Fatalf("remote avatar URL: %s", avatar)
	}
	if status, _, body := fetch(t, avatar); status != 200 {
		t.Fatalf("avatar proxy: %d", status)
	} else if cfg, err := jpeg.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 400 || cfg.Height != 400 {
		t.Fatalf("avatar: %+v %v", cfg, err)
	}

	// A server that rejects A's media keeps the attachment as a link.
	c := server.StartTest(t, func(cfg *config.Config) { cfg.Federation.RejectMediaDomains = []string{a.Domain} })
	c.CreateUser(t, "carol", "")
	carol := c.Token(t, "carol", "read")
	_, cStatus := ingest(c)
	var cs statusWithMedia
	c.JSON(t, "GET", "/api/v1/statuses/"+cStatus, carol, nil, 200, &cs)
	if len(cs.MediaAttachments) != 1 || cs.MediaAttachments[0].Type != "unknown" || *cs.MediaAttachments[0].URL != d.URL {
		t.Fatalf("reject_media: %+v", cs.MediaAttachments)
	}
	// Asking C's cache for the file runs the fetch now (or waits for one
	// queued in the background): refused, and nothing is stored.
	if status, _, _ := fetch(t, c.URL+"/media_proxy/attachments/"+cs.MediaAttachments[0].ID+"/original"); status != 404 {
		t.Fatalf("C's media proxy for a rejected domain: %d, want 404", status)
	}
	if files := filesUnder(t, c.Cfg.MediaDir()); len(files) != 0 {
		t.Fatalf("reject_media fetched: %v", files)
	}
}

// urlOr uploads an avatar for the user on ts and returns its URL.
func (m mediaJSON) urlOr(t testing.TB, ts *server.TestServer, token string) string {
	var acc struct {
		Avatar string `json:"avatar"`
	}
	upload(t, ts, "PATCH", "/api/v1/accounts/update_credentials", token, nil,
		map[string]formFile{"avatar": {"a.jpg", "image/jpeg", gpsJPEG(t, 500, 500)}}, &acc)
	return acc.Avatar
}
