package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
)

// TestMediaProxyFollowsStatusVisibility: the attachment of a remote direct
// message is served through the media proxy to its recipient (by token or
// by the web session) and to nobody else, as the message itself; that of
// a public status to anyone.
func TestMediaProxyFollowsStatusVisibility(t *testing.T) {
	ts := server.StartTest(t)
	bob := ts.CreateUser(t, "bob", "user")
	ts.CreateUser(t, "carol", "user")
	bobTok := ts.Token(t, "bob", "read")
	carolTok := ts.Token(t, "carol", "read")
	o := newOrigin(t, smallPNG(t, 32, 32), "image/png")

	dm := remoteStatusWithAttachment(t, ts, o.URL+"?dm", model.Direct, []int64{bob.ID})
	for _, u := range []string{dm, strings.TrimSuffix(dm, "original") + "small"} {
		if status, _ := get(t, u, ""); status != 404 {
			t.Errorf("anonymous GET %s: %d, want 404", u, status)
		}
		if status, _ := get(t, u, carolTok); status != 404 {
			t.Errorf("GET %s by someone not mentioned: %d, want 404", u, status)
		}
		if status, _ := get(t, u, "not-a-token"); status != 401 {
			t.Errorf("GET %s with a bad token: %d, want 401", u, status)
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+bobTok)
		resp, err := longClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/") ||
			!strings.HasPrefix(resp.Header.Get("Cache-Control"), "private") {
			t.Errorf("GET %s by the recipient: %d %v", u, resp.StatusCode, resp.Header)
		}
	}
	// The message itself answers 404 as well, to anonymous callers.
	if status, _ := get(t, ts.URL+"/api/v1/statuses/"+dmStatusID(t, ts, dm), ""); status != 404 {
		t.Errorf("the direct message: %d", status)
	}

	// The recipient's browser, signed in to the web UI, sends its cookie.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	webSignIn(t, ts, browser, "bob")
	if resp, err := browser.Get(dm); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET by the recipient's browser: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	public := remoteStatusWithAttachment(t, ts, o.URL+"?public", model.Public, nil)
	if status, _ := get(t, public, ""); status != 200 {
		t.Errorf("anonymous GET of a public status's attachment: %d", status)
	}
}

// dmStatusID is the id of the status of the attachment behind a proxy URL.
func dmStatusID(t *testing.T, ts *server.TestServer, proxyURL string) string {
	t.Helper()
	parts := strings.Split(proxyURL, "/")
	mid, _ := strconv.ParseInt(parts[len(parts)-2], 10, 64)
	m, err := ts.Srv.Store.MediaByID(context.Background(), mid)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(m.StatusID, 10)
}

var authenticityRe = regexp.MustCompile(`name="authenticity_token" value="([^"]+)"`)

// webSignIn signs the browser in to the web UI as username.
func webSignIn(t *testing.T, ts *server.TestServer, browser *http.Client, username string) {
	t.Helper()
	resp, err := browser.Get(ts.URL + "/auth/sign_in")
	if err != nil {
		t.Fatal(err)
	}
	page := new(bytes.Buffer)
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	m := authenticityRe.FindStringSubmatch(page.String())
	if m == nil {
		t.Fatalf("no CSRF token on the sign-in page")
	}
	resp, err = browser.PostForm(ts.URL+"/auth/sign_in", url.Values{"username": {username}, "password": {server.TestPassword},
		"authenticity_token": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	page.Reset()
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(page.String(), "Sign out") {
		t.Fatalf("web sign-in as %s: %d", username, resp.StatusCode)
	}
}
