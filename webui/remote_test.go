package webui_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// A colleague follows and unfollows another account from its profile.
func TestFollowButtonsOnProfile(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	b := newBrowser(t, ts)
	b.signIn("alice")
	_, body := b.do("GET", "/@bob", nil)
	action := "/accounts/" + strconv.FormatInt(bob.ID, 10)
	if !strings.Contains(body, `action="`+action+`/follow"`) || strings.Contains(body, "Follow from your server") {
		t.Fatalf("profile of another account: no Follow button (or the remote dialog for a signed-in user)")
	}
	if code, body := b.do("POST", action+"/follow", url.Values{"return_to": {"/@bob"}}); code != 200 || !strings.Contains(body, `action="`+action+`/unfollow"`) {
		t.Fatalf("follow: %d", code)
	}
	alice, _ := ts.Srv.Svc.LocalAccount(context.Background(), "alice")
	if rel, err := ts.Srv.Svc.Relationship(context.Background(), alice.ID, bob.ID); err != nil || !rel.Following {
		t.Fatalf("not following after Follow: %+v %v", rel, err)
	}
	if code, body := b.do("POST", action+"/unfollow", url.Values{"return_to": {"/@bob"}}); code != 200 || !strings.Contains(body, `action="`+action+`/follow"`) {
		t.Fatalf("unfollow: %d", code)
	}
	if rel, _ := ts.Srv.Svc.Relationship(context.Background(), alice.ID, bob.ID); rel.Following {
		t.Error("still following after Unfollow")
	}
	// Her own profile has no Follow button; an unknown action is a 404.
	if _, body := b.do("GET", "/@alice", nil); strings.Contains(body, "/follow\"") {
		t.Error("Follow button on one's own profile")
	}
	b.do("GET", "/@bob", nil)
	if code, _ := b.do("POST", action+"/explode", url.Values{}); code != 404 {
		t.Errorf("unknown action: %d", code)
	}
	b.do("GET", "/@bob", nil)
	if code, _ := b.do("POST", "/accounts/999999/follow", url.Values{}); code != 404 {
		t.Errorf("follow of an unknown account: %d", code)
	}
}

// Someone with an account on server A follows bob of server B through
// B's "Follow from your server" dialog: B looks up A's WebFinger subscribe
// template, sends the browser to A's /authorize_interaction, and A follows.
func TestRemoteFollowDialog(t *testing.T) {
	a := server.StartTest(t)
	b := server.StartTest(t)
	a.CreateUser(t, "alice", "user")
	bob := b.CreateUser(t, "bob", "user")
	var st struct{ ID, URI string }
	b.JSON(t, "POST", "/api/v1/statuses", b.Token(t, "bob", "write"), map[string]any{"status": "hello from B", "visibility": "public"}, 200, &st)

	// The visitor on B, not signed in there.
	visitor := newBrowser(t, b)
	visitor.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	_, body := visitor.do("GET", "/@bob", nil)
	if !strings.Contains(body, "Follow from your server") || !strings.Contains(body, `name="uri" value="`+bob.URI+`"`) {
		t.Fatal("public profile: no remote follow dialog with the account's id")
	}
	// Bad addresses are explained, not followed.
	for _, acct := range []string{"", "nobody", "x@", "x@bad/host", "nobody@" + a.Domain, "nobody@" + b.Domain} {
		if code, body := visitor.do("POST", "/remote_interaction", url.Values{"acct": {acct}, "uri": {bob.URI}}); code != 422 || !strings.Contains(body, `class="error"`) {
			t.Errorf("address %q: %d", acct, code)
		}
	}
	visitor.do("GET", "/@bob", nil)
	if code, _ := visitor.do("POST", "/remote_interaction", url.Values{"acct": {"alice@" + a.Domain}, "uri": {"https://elsewhere.example/users/x"}}); code != 404 {
		t.Errorf("a uri not on this server: %d", code)
	}
	visitor.do("GET", "/@bob", nil)
	req := url.Values{"acct": {"@alice@" + a.Domain}, "uri": {bob.URI}, "authenticity_token": {visitor.csrf()}}
	hreq, _ := http.NewRequest("POST", b.URL+"/remote_interaction", strings.NewReader(req.Encode()))
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := visitor.c.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := a.URL + "/authorize_interaction?uri=" + url.QueryEscape(bob.URI)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("remote follow: %d to %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// On A, signed out: sign in first, then back to the same page.
	loc, _ := url.Parse(resp.Header.Get("Location"))
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r2, err := plain.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusSeeOther || r2.Header.Get("Location") != "/auth/sign_in?return_to="+url.QueryEscape(loc.RequestURI()) {
		t.Errorf("signed out: %d %s", r2.StatusCode, r2.Header.Get("Location"))
	}
	ab := newBrowser(t, a)
	ab.signIn("alice")
	_, body = ab.do("GET", loc.RequestURI(), nil)
	m := regexp.MustCompile(`action="(/accounts/\d+/follow)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "bob@"+b.Domain) {
		t.Fatalf("authorize_interaction: no Follow button for bob@%s", b.Domain)
	}
	if code, body := ab.do("POST", m[1], url.Values{"return_to": {loc.RequestURI()}}); code != 200 || !strings.Contains(body, "/unfollow\"") {
		t.Fatalf("follow: %d", code)
	}
	testutil.Eventually(t, 10*time.Second, "bob on B has alice of A as a follower", func() bool {
		acc, err := b.Srv.Svc.LocalAccount(context.Background(), "bob")
		return err == nil && acc.FollowersCount == 1
	})

	// A post goes the same way: shown on A with its actions.
	if _, body := ab.do("GET", "/authorize_interaction?uri="+url.QueryEscape(st.URI), nil); !strings.Contains(body, "hello from B") || !strings.Contains(body, "/favourite\"") {
		t.Errorf("authorize_interaction for a post: %s", body)
	}
	if code, _ := ab.do("GET", "/authorize_interaction?uri="+url.QueryEscape(b.URL+"/users/nobody"), nil); code != 404 {
		t.Errorf("unknown account: %d", code)
	}
	// The post page of B offers the dialog too.
	if _, body := visitor.do("GET", "/@bob/"+st.ID, nil); !strings.Contains(body, `name="uri" value="`+st.URI+`"`) {
		t.Error("public post page: no remote interaction dialog")
	}
}

// The remote-interaction form makes this server look up an address a
// visitor typed: each client address may submit it a few times per
// window, then gets 429 with Retry-After; another address is not held up.
func TestRemoteInteractionRateLimited(t *testing.T) {
	ts := server.StartTest(t)
	bob := ts.CreateUser(t, "bob", "user")
	visitor := newBrowser(t, ts)
	post := func(ip string) (int, http.Header, string) {
		t.Helper()
		visitor.do("GET", "/@bob", nil)
		form := url.Values{"acct": {"nobody@unknown.invalid"}, "uri": {bob.URI}, "authenticity_token": {visitor.csrf()}}
		req, _ := http.NewRequest("POST", ts.URL+"/remote_interaction", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := visitor.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	const ip = "198.51.100.71"
	for i := range 10 {
		if code, _, _ := post(ip); code != http.StatusUnprocessableEntity {
			t.Fatalf("submission %d: %d, want 422 (an unknown address)", i+1, code)
		}
	}
	code, h, body := post(ip)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Fatalf("11th submission: %d, want 429", code)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 300 {
		t.Errorf("Retry-After %q, want 1..300 seconds", h.Get("Retry-After"))
	}
	if code, _, _ := post("198.51.100.72"); code != http.StatusUnprocessableEntity {
		t.Errorf("another address: %d, want 422", code)
	}
}
