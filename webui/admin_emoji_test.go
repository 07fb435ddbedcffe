package webui_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a multipart console form with one file.
func (b *browser) upload(path string, fields url.Values, fileField, fileName string, data []byte) (int, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if fields.Get("authenticity_token") == "" {
		fields.Set("authenticity_token", b.csrf())
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(fileField, fileName)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.ts.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	b.last = string(raw)
	return resp.StatusCode, b.last
}

type adminEmoji struct {
	ID, Shortcode, Domain, Category string
	VisibleInPicker                 bool `json:"visible_in_picker"`
	Disabled                        bool
}

// TestConsoleCustomEmoji: the console uploads an emoji (bad shortcodes,
// JPEG and oversized images refused on the form with the input kept),
// lists local and remote emoji, sets a category, hides from the picker,
// disables, enables and deletes; a remote post's emoji is found by the
// post's address and copied to this server; the admin API lists remote
// emoji and copies; a moderator is refused.
func TestConsoleCustomEmoji(t *testing.T) {
	peer := server.StartTest(t)
	peer.CreateUser(t, "peerowner", "owner")
	peer.CreateUser(t, "poet", "user")
	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	ts.CreateUser(t, "mod1", "moderator")
	ts.CreateUser(t, "reader", "user")

	// The peer has :blobcat: and :partyparrot:, used in a public post.
	pb := newBrowser(t, peer)
	pb.signIn("peerowner")
	pb.do("GET", "/admin/emoji", nil)
	for _, code := range []string{"blobcat", "partyparrot"} {
		if st, body := pb.upload("/admin/emoji/create", url.Values{"shortcode": {code}, "category": {"Animals"}, "visible_in_picker": {"1"}},
			"image", code+".png", testPNG(t)); st != 200 || !strings.Contains(body, ":"+code+": added") {
			t.Fatalf("peer upload %s: %d", code, st)
		}
		pb.do("GET", "/admin/emoji", nil)
	}
	var post struct{ ID, URI, URL string }
	peer.JSON(t, "POST", "/api/v1/statuses", peer.Token(t, "poet", "write"), map[string]any{"status": "hello :blobcat: and :partyparrot:"}, 200, &post)

	// This server learns the post (search with resolve).
	var found struct{ Statuses []struct{ ID string } }
	ts.JSON(t, "GET", "/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(post.URI), ts.Token(t, "reader", "read"), nil, 200, &found)
	if len(found.Statuses) != 1 {
		t.Fatalf("the post was not resolved: %+v", found)
	}

	b := newBrowser(t, ts)
	b.signIn("owner1")
	if _, body := b.do("GET", "/admin", nil); !strings.Contains(body, `href="/admin/emoji"`) {
		t.Fatal("no Custom emoji tab for the owner")
	}
	if _, body := b.do("GET", "/admin/emoji?origin=remote", nil); !strings.Contains(body, ":blobcat:") || !strings.Contains(body, peer.Domain) {
		t.Fatal("the remote list does not show the peer's emoji")
	}
	// Copy from the post, by its address.
	_, body := b.do("GET", "/admin/emoji?post="+url.QueryEscape(post.URL), nil)
	if !strings.Contains(body, "Emoji in this post") || !strings.Contains(body, ":partyparrot:") {
		t.Fatalf("the post's emoji are not offered: %s", body)
	}
	var remote []adminEmoji
	ts.JSON(t, "GET", "/api/v1/admin/custom_emojis?remote=true&shortcode=blob", ts.Token(t, "owner1", "admin:read"), nil, 200, &remote)
	if len(remote) != 1 || remote[0].Domain != peer.Domain {
		t.Fatalf("admin API remote list: %+v", remote)
	}
	var parrotID string
	var all []adminEmoji
	ts.JSON(t, "GET", "/api/v1/admin/custom_emojis?remote=true", ts.Token(t, "owner1", "admin:read"), nil, 200, &all)
	for _, e := range all {
		if e.Shortcode == "partyparrot" {
			parrotID = e.ID
		}
	}
	if st, body := b.do("POST", "/admin/emoji/batch", url.Values{"action": {"copy"}, "ids": {parrotID}}); st != 200 || !strings.Contains(body, "1 emoji copied") {
		t.Fatalf("copy from the post: %d", st)
	}
	// The API copies the other one.
	var copied adminEmoji
	ts.JSON(t, "POST", "/api/v1/admin/custom_emojis/"+remote[0].ID+"/copy", ts.Token(t, "owner1", "admin:write"), nil, 200, &copied)
	if copied.Shortcode != "blobcat" || copied.Domain != "" {
		t.Fatalf("API copy: %+v", copied)
	}
	ts.JSON(t, "POST", "/api/v1/admin/custom_emojis/"+remote[0].ID+"/copy", ts.Token(t, "owner1", "admin:write"), nil, 422, nil)

	// Upload, with refusals shown on the form.
	b.do("GET", "/admin/emoji", nil)
	if st, body := b.upload("/admin/emoji/create", url.Values{"shortcode": {"a b"}, "category": {"Civic"}}, "image", "x.png", testPNG(t)); st != 422 ||
		!strings.Contains(body, "Shortcode must be") || !strings.Contains(body, `value="Civic"`) {
		t.Errorf("a bad shortcode: %d", st)
	}
	var jpg bytes.Buffer
	_ = jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil)
	if st, body := b.upload("/admin/emoji/create", url.Values{"shortcode": {"photo"}}, "image", "x.jpg", jpg.Bytes()); st != 422 || !strings.Contains(body, "PNG, GIF or WebP") {
		t.Errorf("a JPEG: %d", st)
	}
	if st, body := b.upload("/admin/emoji/create", url.Values{"shortcode": {"huge"}}, "image", "x.png", bytes.Repeat([]byte{1}, 300<<10)); st != 422 || !strings.Contains(body, "too large") {
		t.Errorf("an oversized image: %d", st)
	}
	if st, body := b.upload("/admin/emoji/create", url.Values{"shortcode": {"townhall"}, "category": {"Civic"}, "visible_in_picker": {"1"}}, "image", "t.png", testPNG(t)); st != 200 || !strings.Contains(body, ":townhall: added") {
		t.Fatalf("upload: %d", st)
	}
	if st, _ := b.upload("/admin/emoji/create", url.Values{"shortcode": {"townhall"}}, "image", "t.png", testPNG(t)); st != 422 {
		t.Errorf("a taken shortcode: %d", st)
	}

	local := func() map[string]adminEmoji {
		var list []adminEmoji
		ts.JSON(t, "GET", "/api/v1/admin/custom_emojis", ts.Token(t, "owner1", "admin:read"), nil, 200, &list)
		m := map[string]adminEmoji{}
		for _, e := range list {
			m[e.Shortcode] = e
		}
		return m
	}
	m := local()
	if len(m) != 3 || m["townhall"].Category != "Civic" || !m["townhall"].VisibleInPicker {
		t.Fatalf("local emoji: %+v", m)
	}
	if _, body := b.do("GET", "/admin/emoji?category=Civic", nil); !strings.Contains(body, ":townhall:") || strings.Contains(body, ":blobcat:") {
		t.Error("the category filter")
	}
	if _, body := b.do("GET", "/admin/emoji?q=parrot", nil); !strings.Contains(body, ":partyparrot:") || strings.Contains(body, ":townhall:") {
		t.Error("the shortcode search")
	}
	ids := url.Values{"ids": {m["blobcat"].ID, m["partyparrot"].ID}}
	batch := func(action string, extra url.Values) string {
		t.Helper()
		f := url.Values{"action": {action}}
		for k, v := range ids {
			f[k] = v
		}
		for k, v := range extra {
			f[k] = v
		}
		b.do("GET", "/admin/emoji", nil)
		st, body := b.do("POST", "/admin/emoji/batch", f)
		if st != 200 {
			t.Fatalf("%s: %d", action, st)
		}
		return body
	}
	batch("category", url.Values{"category": {"Party"}})
	batch("unlist", nil)
	batch("disable", nil)
	m = local()
	if e := m["blobcat"]; e.Category != "Party" || e.VisibleInPicker || !e.Disabled {
		t.Errorf("after the batch: %+v", e)
	}
	var public []struct{ Shortcode string }
	ts.JSON(t, "GET", "/api/v1/custom_emojis", "", nil, 200, &public)
	if len(public) != 1 || public[0].Shortcode != "townhall" {
		t.Errorf("disabled emoji are public: %+v", public)
	}
	batch("enable", nil)
	batch("delete", nil)
	if m = local(); len(m) != 1 {
		t.Errorf("after delete: %+v", m)
	}
	// Remote emoji cannot get a category.
	b.do("GET", "/admin/emoji", nil)
	if st, body := b.do("POST", "/admin/emoji/batch", url.Values{"action": {"category"}, "category": {"X"}, "ids": {remote[0].ID}}); st != 422 || !strings.Contains(body, "copy it to this server first") {
		t.Errorf("category of a remote emoji: %d", st)
	}
	if _, body := b.do("GET", "/admin/audit", nil); !strings.Contains(body, "custom emoji") {
		t.Error("emoji actions are not in the audit log")
	}

	mod := newBrowser(t, ts)
	mod.signIn("mod1")
	if _, body := mod.do("GET", "/admin", nil); strings.Contains(body, `href="/admin/emoji"`) {
		t.Error("a moderator sees the Custom emoji tab")
	}
	if st, _ := mod.do("GET", "/admin/emoji", nil); st != 403 {
		t.Errorf("a moderator opens the emoji page: %d", st)
	}
}
