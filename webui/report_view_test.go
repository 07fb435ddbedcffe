package webui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// The console shows a reported post as the admin API does (one builder,
// core.ViewReports): whatever its visibility, with its media.
func TestConsoleShowsReportedPostWhole(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "mod", "moderator")
	aliceTok := ts.Token(t, "alice", "read write")
	bobTok := ts.Token(t, "bob", "read write follow")

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
	req.Header.Set("Authorization", "Bearer "+aliceTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var m struct{ ID, URL string }
	if err := json.Unmarshal(body, &m); err != nil || m.URL == "" {
		t.Fatalf("upload answer %s: %v", body, err)
	}

	var post struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "only for followers", "visibility": "private",
		"media_ids": []string{m.ID}}, 200, &post)
	aliceID := fmt.Sprint(alice.ID)
	ts.JSON(t, "POST", "/api/v1/accounts/"+aliceID+"/follow", bobTok, nil, 200, nil)
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", bobTok, map[string]any{"account_id": aliceID, "status_ids": []string{post.ID}}, 200, &rep)

	b := newBrowser(t, ts)
	b.signIn("mod")
	code, page := b.do("GET", "/admin/reports/"+rep.ID, nil)
	if code != 200 || !strings.Contains(page, "only for followers") {
		t.Fatalf("report page: %d, the reported post missing", code)
	}
	if !strings.Contains(page, m.URL) {
		t.Errorf("the reported post's media (%s) is not shown", m.URL)
	}
}
