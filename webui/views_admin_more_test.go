package webui_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage"
)

// drain waits until the jobs of kind are done.
func drain(t *testing.T, ts *server.TestServer, kind string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Drained(ctx, kind); err != nil {
		t.Fatal(err)
	}
}

// refreshTrends runs the trends job now and waits for it.
func refreshTrends(t *testing.T, ts *server.TestServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.Srv.Jobs.Enqueue(ctx, storage.Job{Kind: core.JobTrendsRefresh, Key: "test", RunAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	drain(t, ts, core.JobTrendsRefresh)
}

// refusedForm opens the form's page (for its CSRF token), then posts
// the form, which must be refused with its error shown, with the
// on the page.
func (b *browser) refusedForm(formPage, path string, form url.Values) string {
	b.t.Helper()
	b.do("GET", formPage, nil)
	body := b.view("POST", path, form)
	if !strings.Contains(body, "form-error") {
		b.t.Fatalf("POST %s: no error shown: %s", path, body)
	}
	return body
}

var (
	ruleIDRe      = regexp.MustCompile(`action="/admin/rules/update" class="stack"><input type="hidden" name="authenticity_token" value="[^"]*"><input type="hidden" name="id" value="(\d+)"`)
	webhookLinkRe = regexp.MustCompile(`href="/admin/webhooks/(\d+)"`)
	roleLinkRe    = regexp.MustCompile(`href="/admin/roles/(\d+)">Edit`)
)

// TestAdminMoreViews: the console's reports list, settings,
// rules, roles, custom emoji, webhooks, single sign-on and trends pages
// written in Go render empty and filled, with forms
// refused and shown again with what was typed, and for a role that holds
// only some permissions.
func TestAdminMoreViews(t *testing.T) {
	// A page that links share (its card's title has characters to escape)
	// and a webhook endpoint that takes some deliveries and refuses others.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/ok":
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html><head><meta property="og:title" content="News &quot;today&quot; &amp; &lt;more&gt;">`+
				`<meta property="og:description" content="What happened"></head><body>x</body></html>`)
		}
	}))
	t.Cleanup(site.Close)

	// The peer has trends off and a post with custom emoji.
	peer := server.StartTest(t, func(c *config.Config) { c.Instance.Trends = false })
	peer.CreateUser(t, "peerowner", "owner")
	peer.CreateUser(t, "poet", "user")
	pb := newBrowser(t, peer)
	pb.signIn("peerowner")
	pb.view("GET", "/admin/trends", nil)
	pb.do("GET", "/admin/emoji", nil)
	for _, code := range []string{"blobcat", "partyparrot"} {
		if st, _ := pb.upload("/admin/emoji/create", url.Values{"shortcode": {code}, "category": {"Animals"}, "visible_in_picker": {"1"}},
			"image", code+".png", testPNG(t)); st != 200 {
			t.Fatalf("peer upload %s: %d", code, st)
		}
	}
	var post struct{ ID, URI, URL string }
	peer.JSON(t, "POST", "/api/v1/statuses", peer.Token(t, "poet", "write"), map[string]any{"status": "hello :blobcat: and :partyparrot:"}, 200, &post)

	ts := server.StartTest(t)
	ts.CreateUser(t, "owner1", "owner")
	alice := ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	ownerTok := ts.Token(t, "owner1", "admin:read admin:write read write")
	aliceTok, bobTok := ts.Token(t, "alice", "read write"), ts.Token(t, "bob", "read write")
	b := newBrowser(t, ts)
	b.signIn("owner1")

	// Empty lists.
	for _, p := range []string{"/admin/reports", "/admin/reports?resolved=1", "/admin/settings", "/admin/rules", "/admin/roles",
		"/admin/emoji", "/admin/webhooks", "/admin/sso", "/admin/trends"} {
		b.view("GET", p, nil)
	}

	// Reports: open and resolved.
	var rep struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", aliceTok, map[string]any{"account_id": fmt.Sprint(bob.ID), "category": "spam", "comment": "ads"}, 200, &rep)
	ts.JSON(t, "POST", "/api/v1/reports", bobTok, map[string]any{"account_id": fmt.Sprint(alice.ID), "comment": "rude"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/resolve", ownerTok, nil, 200, nil)
	b.view("GET", "/admin/reports", nil)
	b.view("GET", "/admin/reports?resolved=1", nil)

	// Settings: refused with what was typed kept, saved, and a logo.
	b.refusedForm("/admin/settings", "/admin/settings", url.Values{"title": {"Town <square>"}, "registrations_mode": {"approval"}, "require_reason": {"1"},
		"contact_email": {"not an address"}, "description": {"About \"us\"\nand them"}, "terms_of_service": {"Be nice & fair"}})
	b.refusedForm("/admin/settings", "/admin/settings", url.Values{"title": {""}, "registrations_mode": {"sometimes"}, "limited_federation": {"1"}})
	if st, _ := b.do("POST", "/admin/settings", url.Values{"title": {"Town square"}, "registrations_mode": {"invite"}, "show_staff": {"1"},
		"short_description": {"A 'quiet' place"}, "extended_description": {"More"},
		"contact_account": {"owner1"}, "contact_email": {"staff@town.example"}, "registrations_message": {"Ask us"},
		"privacy_policy": {"We keep <little>"}}); st != 200 {
		t.Fatalf("save settings: %d %s", st, b.last)
	}
	b.do("GET", "/admin/settings", nil)
	if st, _ := b.upload("/admin/branding", url.Values{"accent": {"#aa3300"}}, "logo", "logo.png", testPNG(t)); st != 200 {
		t.Fatalf("branding: %d", st)
	}
	b.view("GET", "/admin/settings", nil)

	// Rules: refused, added, one refused on its own form.
	b.refusedForm("/admin/rules", "/admin/rules/create", url.Values{"text": {""}, "hint": {"Typed <hint>"}})
	for _, r := range [][2]string{{"No spam", ""}, {"Be kind & \"fair\"", "Even to 'them'"}} {
		if st, _ := b.do("POST", "/admin/rules/create", url.Values{"text": {r[0]}, "hint": {r[1]}}); st != 200 {
			t.Fatalf("add a rule: %d", st)
		}
	}
	body := b.view("GET", "/admin/rules", nil)
	ids := ruleIDRe.FindAllStringSubmatch(body, -1)
	if len(ids) != 2 {
		t.Fatalf("rules listed: %v", ids)
	}
	b.refusedForm("/admin/rules", "/admin/rules/update", url.Values{"id": {ids[1][1]}, "text": {""}, "hint": {"changed <hint>"}})

	// Roles: the list, a refused new role, a role made, edited wrongly,
	// the owner's and the everyone role.
	b.view("GET", "/admin/roles", nil)
	b.refusedForm("/admin/roles", "/admin/roles", url.Values{"name": {"Press <office>"}, "color": {"red"}, "position": {"50"},
		"permissions": {"manage_reports", "manage_rules"}, "highlighted": {"1"}})
	for _, r := range []url.Values{
		{"name": {"Press office"}, "color": {"#aa3300"}, "position": {"50"}, "permissions": {"manage_reports", "manage_rules"}, "highlighted": {"1"}},
		{"name": {"Helpers"}, "position": {"1"}, "permissions": {"manage_reports"}},
	} {
		if st, _ := b.do("POST", "/admin/roles", r); st != 200 {
			t.Fatalf("make a role: %d", st)
		}
	}
	body = b.view("GET", "/admin/roles", nil)
	roleIDs := roleLinkRe.FindAllStringSubmatch(body, -1)
	if len(roleIDs) < 4 {
		t.Fatalf("roles listed: %v", roleIDs)
	}
	for _, m := range roleIDs {
		b.view("GET", "/admin/roles/"+m[1], nil)
	}
	var roles []struct{ ID, Name string }
	ts.JSON(t, "GET", "/api/v1/admin/roles", ownerTok, nil, 200, &roles)
	var press string
	for _, r := range roles {
		if r.Name == "Press office" {
			press = r.ID
		}
	}
	b.refusedForm("/admin/roles/"+press, "/admin/roles/"+press+"/update", url.Values{"name": {"Comms"}, "color": {""}, "position": {"many"},
		"permissions": {"manage_rules"}})
	b.view("GET", "/admin/roles/3", nil)
	b.view("GET", "/admin/roles/-99", nil)
	b.refusedForm("/admin/roles/-99", "/admin/roles/-99/update", url.Values{"permissions": {"manage_reports"}})

	// A role that holds only some permissions sees the others disabled,
	// and roles at or above its rank fixed.
	giveRole(t, ts, ownerTok, "rolemgr", core.PermManageRoles|core.PermManageReports)
	rm := newBrowser(t, ts)
	rm.signIn("rolemgr")
	if body := rm.view("GET", "/admin/roles", nil); !strings.Contains(body, "(you do not hold it)") || !strings.Contains(body, "ranked at or above yours") {
		t.Fatalf("roles page of a role with some permissions: %s", body)
	}
	rm.refusedForm("/admin/roles", "/admin/roles", url.Values{"name": {"Mine"}, "position": {"2"}, "permissions": {"manage_reports", "manage_rules"}})
	for _, m := range roleIDs {
		rm.view("GET", "/admin/roles/"+m[1], nil)
	}
	rm.view("GET", "/admin/roles/2", nil)
	rm.view("GET", "/admin/roles/-99", nil)
	rm.view("GET", "/admin/reports", nil)

	// Custom emoji: an upload refused, then enough for two pages, one
	// hidden from the picker and one disabled; a batch refused; the
	// remote ones; a post's.
	b.do("GET", "/admin/emoji", nil)
	if st, _ := b.upload("/admin/emoji/create", url.Values{"shortcode": {"x"}, "category": {"Cats & <dogs>"}}, "image", "x.png", testPNG(t)); st != 422 {
		t.Fatalf("bad shortcode: %d", st)
	}
	if !strings.Contains(b.last, "Cats &amp; &lt;dogs&gt;") {
		t.Fatalf("the refused upload lost what was typed: %s", b.last)
	}
	for i := range 52 {
		f := url.Values{"shortcode": {fmt.Sprintf("emo%02d", i)}, "visible_in_picker": {"1"}}
		switch i % 3 {
		case 1:
			f.Set("category", "Faces")
		case 2:
			f.Set("category", "Cats & dogs")
			f.Del("visible_in_picker")
		}
		if st, _ := b.upload("/admin/emoji/create", f, "image", "e.png", testPNG(t)); st != 200 {
			t.Fatalf("upload %d: %d", i, st)
		}
	}
	var emoji []struct{ ID, Shortcode string }
	ts.JSON(t, "GET", "/api/v1/admin/custom_emojis?shortcode=emo00", ownerTok, nil, 200, &emoji)
	for _, e := range emoji {
		if e.Shortcode == "emo00" {
			if st, _ := b.do("POST", "/admin/emoji/batch", url.Values{"action": {"disable"}, "ids": {e.ID}}); st != 200 {
				t.Fatalf("disable: %d", st)
			}
		}
	}
	body = b.view("GET", "/admin/emoji", nil)
	next := regexp.MustCompile(`<a href="([^"]+)">Next page</a>`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page")
	}
	b.view("GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil)
	b.view("GET", "/admin/emoji?category="+url.QueryEscape("Cats & dogs")+"&q=emo", nil)
	b.refusedForm("/admin/emoji", "/admin/emoji/batch", url.Values{"action": {"category"}, "category": {"Typed <cat>"}})
	var found struct{ Statuses []struct{ ID string } }
	ts.JSON(t, "GET", "/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(post.URI), aliceTok, nil, 200, &found)
	if len(found.Statuses) != 1 {
		t.Fatalf("the peer's post was not resolved: %+v", found)
	}
	// The remote emoji's images are cached first: their URLs change then.
	b.do("GET", "/admin/emoji?post="+url.QueryEscape(post.URL), nil)
	drain(t, ts, core.JobMediaEmoji)
	b.view("GET", "/admin/emoji?origin=remote", nil)
	b.view("GET", "/admin/emoji?origin=remote&domain="+url.QueryEscape(peer.Domain), nil)
	b.view("GET", "/admin/emoji?post="+url.QueryEscape(post.URL), nil)
	var plain struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "no emoji here"}, 200, &plain)
	b.view("GET", "/admin/emoji?post="+plain.ID, nil)
	b.view("GET", "/admin/emoji?post=999", nil)
	var bare struct{ URI, URL string }
	peer.JSON(t, "POST", "/api/v1/statuses", peer.Token(t, "poet", "write"), map[string]any{"status": "no emoji at all"}, 200, &bare)
	ts.JSON(t, "GET", "/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(bare.URI), aliceTok, nil, 200, &found)
	if body := b.view("GET", "/admin/emoji?post="+url.QueryEscape(bare.URL), nil); !strings.Contains(body, "uses no custom emoji") {
		t.Fatalf("a post without emoji: %s", body)
	}

	// Webhooks: added, one delivered to and one refused by its endpoint,
	// one disabled.
	// An endpoint that does not answer: its address is free.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	for _, u := range []string{site.URL + "/ok", site.URL + "/gone", closed + "/in"} {
		b.do("GET", "/admin/webhooks", nil)
		if st, _ := b.do("POST", "/admin/webhooks", url.Values{"url": {u}, "events": {"status.created", "account.created"}}); st != 200 {
			t.Fatalf("add a webhook: %d", st)
		}
	}
	body = b.view("GET", "/admin/webhooks", nil)
	hooks := webhookLinkRe.FindAllStringSubmatch(body, -1)
	if len(hooks) != 3 {
		t.Fatalf("webhooks listed: %v", hooks)
	}
	b.view("GET", "/admin/webhooks/"+hooks[0][1], nil)
	ts.JSON(t, "POST", "/api/v1/statuses", bobTok, map[string]any{"status": "hello hooks"}, 200, nil)
	drain(t, ts, storage.JobWebhook)
	var pages string
	for _, h := range hooks {
		pages += b.view("GET", "/admin/webhooks/"+h[1], nil)
	}
	for _, want := range []string{">delivered<", ">failed<", "connection refused", "<td>410</td>"} {
		if !strings.Contains(pages, want) {
			t.Errorf("no webhook page shows %q", want)
		}
	}
	if st, _ := b.do("POST", "/admin/webhooks/"+hooks[1][1]+"/disable", url.Values{}); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	b.view("GET", "/admin/webhooks/"+hooks[1][1], nil)
	b.view("GET", "/admin/webhooks", nil)

	// Trends: hashtags (one not ASCII), a post with interactions and a
	// shared link, pending review; then approved and rejected.
	for _, tok := range []string{aliceTok, bobTok} {
		ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "Hello #café and #console " + site.URL + "/article?id=1&x=y"}, 200, nil)
	}
	var liked struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/statuses", aliceTok, map[string]any{"status": "Read this <please> & share"}, 200, &liked)
	ts.JSON(t, "POST", "/api/v1/statuses/"+liked.ID+"/favourite", bobTok, nil, 200, nil)
	drain(t, ts, core.JobMediaCard)
	refreshTrends(t, ts)
	body = b.view("GET", "/admin/trends", nil)
	if !strings.Contains(body, "Pending review") || !strings.Contains(body, "Allow author") || !strings.Contains(body, "Read this &lt;please&gt;") || !strings.Contains(body, "caf%c3%a9") || !strings.Contains(body, "News &#34;today&#34;") {
		t.Fatalf("trends page lacks the items: %s", body)
	}
	forms := regexp.MustCompile(`action="(/admin/trends/[a-z]+/\d+)/approve"`).FindAllStringSubmatch(body, -1)
	if len(forms) < 3 {
		t.Fatalf("trend forms: %v", forms)
	}
	b.do("POST", forms[0][1]+"/approve", url.Values{})
	b.do("GET", "/admin/trends", nil)
	b.do("POST", forms[len(forms)-1][1]+"/reject", url.Values{})
	b.view("GET", "/admin/trends", nil)
}

// TestAdminMoreViewsPinnedSettings: settings set in the configuration
// are shown read-only, also on a refused
// form; trends without review.
func TestAdminMoreViewsPinnedSettings(t *testing.T) {
	ts := server.StartTest(t, func(c *config.Config) {
		c.Instance.TrendsReview = false
		if c.Sources == nil {
			c.Sources = map[string]string{}
		}
		for _, k := range []string{"instance.title", "instance.short_description", "instance.description", "instance.contact_email"} {
			c.Sources[k] = "config file /etc/herald.toml"
		}
		c.Sources["registration.mode"] = "environment HERALD_REGISTRATION_MODE"
	})
	ts.CreateUser(t, "owner1", "owner")
	b := newBrowser(t, ts)
	b.signIn("owner1")
	if body := b.view("GET", "/admin/settings", nil); !strings.Contains(body, "Set in the config file /etc/herald.toml") {
		t.Fatalf("pinned settings: %s", body)
	}
	b.refusedForm("/admin/settings", "/admin/settings", url.Values{"title": {"Not <mine>"}, "registrations_mode": {"open"}, "extended_description": {"typed"}})
	b.refusedForm("/admin/settings", "/admin/settings", url.Values{"contact_account": {"nobody here"}, "show_staff": {"1"}})
	b.view("GET", "/admin/trends", nil)
}

// TestAdminMoreViewsSSO: the single sign-on page with a provider that
// answers, with a linked account, and with one that does not answer.
func TestAdminMoreViewsSSO(t *testing.T) {
	s := startSSO(t)
	s.ts.CreateUser(t, "root", "owner")
	if st, _, _ := s.ssoSignIn(t, newBrowser(t, s.ts), "", "bob", "bob-pw"); st != 200 {
		t.Fatalf("sign in: %d", st)
	}
	b := newBrowser(t, s.ts)
	b.signIn("root")
	if body := b.view("GET", "/admin/sso", nil); !strings.Contains(body, "sub-bob") || !strings.Contains(body, `id="sso-reachable">yes`) {
		t.Fatalf("sso page: %s", body)
	}
	s.op.Close()
	if body := b.view("GET", "/admin/sso", nil); !strings.Contains(body, `id="sso-reachable">no: `) {
		t.Fatalf("sso page with the provider down: %s", body)
	}

	all := startSSO(t, func(o *config.OIDC) {
		o.PasswordLogin, o.AllowedEmailDomains, o.RequiredGroups, o.RoleClaim, o.CreateAccounts = "all", nil, nil, "", true
	})
	all.ts.CreateUser(t, "root", "owner")
	b = newBrowser(t, all.ts)
	b.signIn("root")
	b.view("GET", "/admin/sso", nil)
}
