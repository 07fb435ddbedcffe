package server_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/server"
)

// SSRF through the media fetcher (internal/core's guarded client, shared by
// link previews, remote attachments, avatars, headers and emoji): link
// previews of addresses that are private, loopback, link-local or cloud
// metadata are never fetched unless federation.allow_private_addresses is
// set. The media client takes no resolver hook, so names are tested with
// what the system resolver knows (localhost) and the rest with literal
// addresses; the federation client's tests (activitypub/ssrf_test.go)
// cover names resolving to each range.

type countingPage struct {
	port     string
	hits     atomic.Int64
	redirect string
}

func newCountingPage(t *testing.T) *countingPage {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingPage{}
	_, p.port, _ = net.SplitHostPort(ln.Addr().String())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if p.redirect != "" {
			http.Redirect(w, r, p.redirect, http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html><head><title>Internal admin</title><meta property="og:title" content="secret"></head></html>`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

// cardOf posts a status linking to link, fetches its preview card
// synchronously and reports whether a card was made.
func cardOf(t *testing.T, ts *server.TestServer, tok, link string) bool {
	t.Helper()
	var st struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "see " + link}, 200, &st)
	id, _ := strconv.ParseInt(st.ID, 10, 64)
	if err := ts.Srv.Svc.FetchCard(context.Background(), id); err != nil {
		t.Fatalf("FetchCard %s: %v", link, err)
	}
	card, err := ts.Srv.Store.CardByURL(context.Background(), link)
	if err != nil {
		return false
	}
	return !card.Failed
}

func TestSSRFLinkPreviews(t *testing.T) {
	page := newCountingPage(t)
	ts := server.StartTest(t, func(c *config.Config) { c.Federation.AllowPrivateAddresses = false })
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	for _, link := range []string{
		"http://127.0.0.1:" + page.port + "/a",
		"http://localhost:" + page.port + "/b",
		"http://[::1]:" + page.port + "/c",
		"http://[::ffff:127.0.0.1]:" + page.port + "/d",
		"http://0.0.0.0:" + page.port + "/e",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/admin",
		"http://[fd00:ec2::254]/latest/meta-data/",
	} {
		if cardOf(t, ts, tok, link) {
			t.Errorf("a preview card was made for %s", link)
		}
	}
	if n := page.hits.Load(); n != 0 {
		t.Fatalf("the internal page was fetched %d times", n)
	}
}

// TestSSRFLinkPreviewsControl: with allow_private_addresses the same page
// is fetched (so the refusals above are the guard's), but a redirect to
// the metadata address is still refused.
func TestSSRFLinkPreviewsControl(t *testing.T) {
	page := newCountingPage(t)
	ts := server.StartTest(t) // allow_private_addresses = true
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	if !cardOf(t, ts, tok, "http://127.0.0.1:"+page.port+"/ok") {
		t.Fatal("no card for a reachable page with allow_private_addresses")
	}
	page.redirect = "http://169.254.169.254/latest/meta-data/"
	if cardOf(t, ts, tok, "http://127.0.0.1:"+page.port+"/redirected") {
		t.Error("a card was made through a redirect to the metadata address")
	}
}

// A link in a direct message is never fetched for a preview: it may be a
// one-time link, and the fetch would tell its host. The same link in a
// public post is fetched (the control).
func TestNoLinkPreviewForDirectMessages(t *testing.T) {
	page := newCountingPage(t)
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "bob", "user")
	tok := ts.Token(t, "alice", "read write")
	link := "http://127.0.0.1:" + page.port + "/one-time/secret-token"
	var dm struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "@bob your link " + link, "visibility": "direct"}, 200, &dm)
	id, _ := strconv.ParseInt(dm.ID, 10, 64)
	if err := ts.Srv.Svc.FetchCard(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if n := page.hits.Load(); n != 0 {
		t.Fatalf("the link of a direct message was fetched %d times", n)
	}
	if _, err := ts.Srv.Store.CardByURL(context.Background(), link); err == nil {
		t.Fatal("a preview card was made for a direct message's link")
	}
	if !cardOf(t, ts, tok, "http://127.0.0.1:"+page.port+"/public") || page.hits.Load() == 0 {
		t.Fatal("control: the link of a public post was not fetched")
	}
}
