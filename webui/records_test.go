package webui_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// outboxDoc is the part of outbox.json the tests read.
type outboxDoc struct {
	Context      any    `json:"@context"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	TotalItems   int    `json:"totalItems"`
	OrderedItems []struct {
		ID, Type, Actor string
		To, Cc          []string
		Object          struct {
			ID, Type, Content, AttributedTo, Updated string
			Attachment                               []struct{ Type, MediaType, URL string }
		}
	} `json:"orderedItems"`
}

// readZip opens an archive and returns its entries by name.
func readZip(t *testing.T, body string) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP archive (%v): %.200q", err, body)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

func outboxOf(t *testing.T, files map[string][]byte) outboxDoc {
	t.Helper()
	var ob outboxDoc
	if err := json.Unmarshal(files["outbox.json"], &ob); err != nil {
		t.Fatalf("outbox.json: %v: %s", err, files["outbox.json"])
	}
	if ob.Type != "OrderedCollection" || ob.Context == nil || ob.ID != "outbox.json" || len(ob.OrderedItems) != ob.TotalItems {
		t.Fatalf("outbox.json is not an OrderedCollection of its totalItems: %s", files["outbox.json"])
	}
	for _, it := range ob.OrderedItems {
		if it.Type != "Create" || it.Object.Type != "Note" || it.Actor != it.Object.AttributedTo || it.ID != it.Object.ID+"/activity" {
			t.Errorf("outbox item is not the Create of a Note: %+v", it)
		}
	}
	return ob
}

func contents(ob outboxDoc) []string {
	var out []string
	for _, it := range ob.OrderedItems {
		out = append(out, it.Object.Content)
	}
	return out
}

func uploadPNG(t *testing.T, ts *server.TestServer, token string) (id, fileURL string) {
	t.Helper()
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "dot.png")
	_, _ = fw.Write(img.Bytes())
	_ = mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/v2/media", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m struct{ ID, URL string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil || m.URL == "" {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	return m.ID, m.URL
}

// The records export: an account's public and unlisted posts published in
// the period, with their edits and media, as a ZIP archive holding an
// ActivityPub outbox; downloaded by the owner from the settings and by
// staff with Manage Users from the console.
func TestRecordsExport(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "boss", "admin")
	aliceTok := ts.Token(t, "alice", "read write")
	bobTok := ts.Token(t, "bob", "read write")
	post := func(text, vis string, media ...string) string {
		t.Helper()
		var st struct{ ID string }
		ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": text, "visibility": vis, "media_ids": media}, 200, &st)
		return st.ID
	}
	// A millisecond is the store's precision: keep the bounds apart from
	// the posts.
	nextMilli := func() time.Time {
		start := time.Now().UnixMilli()
		var now time.Time
		testutil.Eventually(t, time.Second, "the clock to pass a millisecond", func() bool {
			now = time.Now()
			return now.UnixMilli() > start
		})
		return now
	}
	pause := func() time.Time {
		nextMilli()
		bound := nextMilli()
		nextMilli()
		return bound
	}

	post("before the period", "public")
	from := pause()
	mediaID, fileURL := uploadPNG(t, ts, aliceTok)
	post("with a picture", "public", mediaID)
	edited := post("first words", "unlisted")
	ts.JSON(t, "PUT", "/api/v1/statuses/"+edited, aliceTok, map[string]any{"status": "second words"}, 200, nil)
	ts.JSON(t, "PUT", "/api/v1/statuses/"+edited, aliceTok, map[string]any{"status": "final words"}, 200, nil)
	post("for followers only", "private")
	post("a direct word to @bob", "direct")
	var bobs struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", bobTok, map[string]any{"status": "bob speaks"}, 200, &bobs)
	ts.JSON(t, "POST", "/api/v1/statuses/"+bobs.ID+"/reblog", aliceTok, nil, 200, nil) // a boost: not alice's post
	to := pause()
	post("after the period", "public")
	period := url.Values{"from": {from.UTC().Format(time.RFC3339Nano)}, "to": {to.UTC().Format(time.RFC3339Nano)}}
	with := func(v url.Values, k, val string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		out.Set(k, val)
		return out
	}

	// The owner, from the settings: the public record of the period.
	b := newBrowser(t, ts)
	b.signIn("alice")
	if code, page := b.do("GET", "/settings/export", nil); code != 200 || !strings.Contains(page, `action="/settings/export/archive"`) {
		t.Fatalf("settings export page: %d", code)
	}
	tok := b.csrf()
	code, body := b.do("POST", "/settings/export/archive", with(period, "authenticity_token", tok))
	if code != 200 {
		t.Fatalf("export: %d %.300s", code, body)
	}
	files := readZip(t, body)
	ob := outboxOf(t, files)
	got := contents(ob)
	if ob.TotalItems != 2 || len(got) != 2 || !strings.Contains(got[0], "final words") || !strings.Contains(got[1], "with a picture") {
		t.Fatalf("outbox holds %d posts %q; want the edited one and the one with a picture, newest first", ob.TotalItems, got)
	}
	for _, it := range ob.OrderedItems {
		if !slices.Contains(it.To, "https://www.w3.org/ns/activitystreams#Public") && !slices.Contains(it.Cc, "https://www.w3.org/ns/activitystreams#Public") {
			t.Errorf("a post that is not public record: %+v", it)
		}
	}
	// The picture is in the archive, at the path its attachment names.
	pic := ob.OrderedItems[1].Object.Attachment
	if len(pic) != 1 || !strings.HasPrefix(pic[0].URL, "media_attachments/files/") || pic[0].MediaType != "image/png" {
		t.Fatalf("attachment: %+v", pic)
	}
	served := httpGet(t, fileURL)
	if f, ok := files[pic[0].URL]; !ok || !bytes.Equal(f, served) {
		t.Errorf("the file at %s (%d bytes, present %v) is not the one the server serves (%d bytes)", pic[0].URL, len(f), ok, len(served))
	}
	// The edited post's versions, oldest first, the current one last.
	if ob.OrderedItems[0].Object.Updated == "" {
		t.Error("the edited Note has no updated")
	}
	var edits struct {
		Posts []struct {
			ID       string
			Versions []struct {
				Published, Content string
				Summary            *string
			}
		}
		TotalPosts int `json:"totalPosts"`
	}
	if err := json.Unmarshal(files["edits.json"], &edits); err != nil || edits.TotalPosts != 1 || len(edits.Posts) != 1 {
		t.Fatalf("edits.json (%v): %s", err, files["edits.json"])
	}
	if p := edits.Posts[0]; p.ID != ob.OrderedItems[0].Object.ID || len(p.Versions) != 3 ||
		!strings.Contains(p.Versions[0].Content, "first words") || !strings.Contains(p.Versions[1].Content, "second words") ||
		!strings.Contains(p.Versions[2].Content, "final words") || p.Versions[0].Published > p.Versions[2].Published {
		t.Errorf("edit history: %+v", p)
	}
	var actor struct{ ID, Type, PreferredUsername string }
	if json.Unmarshal(files["actor.json"], &actor); actor.ID != alice.URI || actor.PreferredUsername != "alice" {
		t.Errorf("actor.json: %s", files["actor.json"])
	}
	var man struct {
		Format, From, To string
		Visibility       []string
		Counts           map[string]int
		Account          struct{ ID string }
	}
	if err := json.Unmarshal(files["manifest.json"], &man); err != nil || man.Format != "herald-records/1" || man.Account.ID != alice.URI ||
		man.Counts["posts"] != 2 || man.Counts["edited_posts"] != 1 || man.Counts["versions"] != 3 || man.Counts["media_files"] != 1 ||
		strings.Join(man.Visibility, ",") != "public,unlisted" || man.From == "" || man.To == "" {
		t.Errorf("manifest.json (%v): %s", err, files["manifest.json"])
	}
	if r := string(files["README.txt"]); !strings.Contains(r, "@alice@"+ts.Domain) || !strings.Contains(r, "posts: 2, of which edited: 1") {
		t.Errorf("README.txt: %s", r)
	}

	// The owner may add their followers-only and direct posts.
	b.do("GET", "/settings/export", nil)
	_, body = b.do("POST", "/settings/export/archive", with(period, "include_private", "1"))
	if ob := outboxOf(t, readZip(t, body)); ob.TotalItems != 4 {
		t.Errorf("with private posts: %d posts %q, want 4", ob.TotalItems, contents(ob))
	}
	// No period: every post of the public record.
	b.do("GET", "/settings/export", nil)
	_, body = b.do("POST", "/settings/export/archive", url.Values{})
	if ob := outboxOf(t, readZip(t, body)); ob.TotalItems != 4 {
		t.Errorf("without a period: %d posts %q, want 4", ob.TotalItems, contents(ob))
	}
	// A bad period is refused, with a page saying why.
	for _, bad := range []url.Values{
		{"from": {"2024-02-01"}, "to": {"2024-01-01"}},
		{"from": {"2024-01-01"}, "to": {"2024-01-01"}},
		{"from": {"yesterday"}},
		{"to": {"2024-13-01"}},
		{"from": {time.Now().Add(48 * time.Hour).Format(time.DateOnly)}},
	} {
		b.do("GET", "/settings/export", nil)
		if code, page := b.do("POST", "/settings/export/archive", bad); code != 422 || !strings.Contains(page, "Validation failed") {
			t.Errorf("period %v: %d", bad, code)
		}
	}
	// Without the form's CSRF token: refused.
	if code, _ := b.do("POST", "/settings/export/archive", url.Values{"authenticity_token": {"x"}}); code != 403 {
		t.Errorf("export without the CSRF token: %d", code)
	}

	// Another user may not export alice's record.
	bb := newBrowser(t, ts)
	bb.signIn("bob")
	if code, _ := bb.do("POST", fmt.Sprintf("/admin/accounts/%d/export", alice.ID), url.Values{}); code != 403 {
		t.Errorf("bob exports alice's record: %d", code)
	}
	ctx := context.Background()
	bobCaller, err := ts.Srv.Svc.CallerByToken(ctx, bobTok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Srv.Svc.ExportRecords(ctx, bobCaller, core.RecordsRequest{AccountID: alice.ID}); err == nil || herr.As(err).Status != 403 {
		t.Errorf("core lets bob export alice's record: %v", err)
	}

	// An admin may, from the console: the public record only.
	adm := newBrowser(t, ts)
	adm.signIn("boss")
	accountPage := fmt.Sprintf("/admin/accounts/%d", alice.ID)
	if code, page := adm.do("GET", accountPage, nil); code != 200 || !strings.Contains(page, "Export public record") {
		t.Fatalf("console account page: %d, no export form", code)
	}
	code, body = adm.do("POST", accountPage+"/export", with(period, "include_private", "1"))
	if code != 200 {
		t.Fatalf("admin export: %d %.300s", code, body)
	}
	if ob := outboxOf(t, readZip(t, body)); ob.TotalItems != 2 {
		t.Errorf("admin export: %d posts %q, want 2", ob.TotalItems, contents(ob))
	}
	bossTok := ts.Token(t, "boss", "read")
	bossCaller, _ := ts.Srv.Svc.CallerByToken(ctx, bossTok)
	if _, err := ts.Srv.Svc.ExportRecords(ctx, bossCaller, core.RecordsRequest{AccountID: alice.ID, IncludePrivate: true}); err == nil || herr.As(err).Status != 403 {
		t.Errorf("an admin may export someone else's private posts: %v", err)
	}
	if _, err := ts.Srv.Svc.ExportRecords(ctx, bossCaller, core.RecordsRequest{AccountID: 12345}); err == nil || herr.As(err).Status != 404 {
		t.Errorf("export of no account: %v", err)
	}
	// The console's exports are in the audit log.
	if _, page := adm.do("GET", "/admin/audit", nil); !strings.Contains(page, "Exported an account") || !strings.Contains(page, "public record of @alice") {
		t.Error("the admin's export is not in the audit log")
	}
	adm.do("GET", accountPage, nil)
	if code, _ := adm.do("POST", accountPage+"/export", url.Values{"from": {"soon"}}); code != 422 {
		t.Errorf("console export with a bad period: %d", code)
	}

	// A file gone from the media store is listed as missing; the rest of
	// the archive is whole.
	if err := ts.Srv.Svc.Files().Delete(ctx, strings.TrimPrefix(pic[0].URL, "media_attachments/files/")); err != nil {
		t.Fatal(err)
	}
	b.do("GET", "/settings/export", nil)
	_, body = b.do("POST", "/settings/export/archive", period)
	files = readZip(t, body)
	if _, ok := files[pic[0].URL]; ok || outboxOf(t, files).TotalItems != 2 ||
		!strings.Contains(string(files["manifest.json"]), `"missing_media": [
    "`+pic[0].URL+`"`) || !strings.Contains(string(files["README.txt"]), pic[0].URL) {
		t.Errorf("a missing file: manifest %s", files["manifest.json"])
	}
}

func httpGet(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	return b
}
