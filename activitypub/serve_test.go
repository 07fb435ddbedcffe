package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func get(t *testing.T, u, accept string, sign *fakePeer) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if sign != nil {
		if err := httpsig.Sign(req, sign.actor+"#main-key", sign.key, nil); err != nil {
			t.Fatal(err)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func TestDiscovery(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	dom := ti.cfg.Instance.Domain

	for _, res := range []string{"acct:bob@" + dom, "bob@" + dom, "acct:BOB@" + dom, bob.URI, ti.url + "/@bob"} {
		status, h, b := get(t, ti.url+"/.well-known/webfinger?resource="+url.QueryEscape(res), "", nil)
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/jrd+json") {
			t.Fatalf("webfinger %s: %d %s", res, status, b)
		}
		m := decodeMap(t, b)
		if m["subject"] != "acct:bob@"+dom {
			t.Fatalf("subject %v", m["subject"])
		}
		found := false
		for _, l := range m["links"].([]any) {
			l := l.(map[string]any)
			if l["rel"] == "self" && l["type"] == "application/activity+json" && l["href"] == bob.URI {
				found = true
			}
		}
		if !found {
			t.Fatalf("no self link: %s", b)
		}
	}
	for res, want := range map[string]int{"acct:nobody@" + dom: 404, "acct:bob@elsewhere.example": 404, "": 400} {
		if status, _, _ := get(t, ti.url+"/.well-known/webfinger?resource="+url.QueryEscape(res), "", nil); status != want {
			t.Errorf("webfinger %q: %d, want %d", res, status, want)
		}
	}
	// The instance actor's preferredUsername has no ':' even where the
	// domain has a port (GoToSocial cannot parse one: issue 15, item 13),
	// and WebFinger resolves it back to the actor, as Mastodon checks (it
	// also answers the whole domain, as older Heralds named the actor).
	if !strings.Contains(dom, ":") {
		t.Fatalf("the test instance's domain %q has no port", dom)
	}
	_, _, b := get(t, ti.url+"/actor", "application/activity+json", nil)
	username, _ := decodeMap(t, b)["preferredUsername"].(string)
	if username == "" || strings.ContainsAny(username, ":@/") {
		t.Fatalf("instance actor's preferredUsername %q", username)
	}
	for _, user := range []string{username, dom} {
		status, _, b := get(t, ti.url+"/.well-known/webfinger?resource="+url.QueryEscape("acct:"+user+"@"+dom), "", nil)
		if status != 200 || !strings.Contains(string(b), ti.url+"/actor") || decodeMap(t, b)["subject"] != "acct:"+username+"@"+dom {
			t.Fatalf("instance actor webfinger (%s): %d %s", user, status, b)
		}
	}

	status, h, b := get(t, ti.url+"/.well-known/host-meta", "", nil)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/xrd+xml") || !strings.Contains(string(b), `template="`+ti.url+`/.well-known/webfinger?resource={uri}"`) {
		t.Fatalf("host-meta: %d %s %s", status, h.Get("Content-Type"), b)
	}
	status, _, b = get(t, ti.url+"/.well-known/host-meta.json", "", nil)
	if status != 200 || !strings.Contains(string(b), `"lrdd"`) {
		t.Fatalf("host-meta.json: %d %s", status, b)
	}

	status, _, b = get(t, ti.url+"/.well-known/nodeinfo", "", nil)
	if status != 200 || !strings.Contains(string(b), ti.url+"/nodeinfo/2.0") || !strings.Contains(string(b), ti.url+"/nodeinfo/2.1") {
		t.Fatalf("nodeinfo links: %d %s", status, b)
	}
	for _, v := range []string{"2.0", "2.1"} {
		status, h, b := get(t, ti.url+"/nodeinfo/"+v, "", nil)
		m := decodeMap(t, b)
		sw := m["software"].(map[string]any)
		users := m["usage"].(map[string]any)["users"].(map[string]any)
		if status != 200 || sw["name"] != "herald" || m["version"] != v || m["openRegistrations"] != false || users["total"] != float64(1) {
			t.Fatalf("nodeinfo %s: %d %s", v, status, b)
		}
		if !strings.Contains(h.Get("Content-Type"), "nodeinfo.diaspora.software/ns/schema/"+v) {
			t.Fatalf("nodeinfo %s content type %q", v, h.Get("Content-Type"))
		}
	}
}

func TestActorAndAuthorizedFetch(t *testing.T) {
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)

	// The instance actor: unsigned, Application, with a key.
	status, h, b := get(t, ti.url+"/actor", "application/activity+json", nil)
	m := decodeMap(t, b)
	if status != 200 || m["type"] != "Application" || m["publicKey"] == nil || !strings.HasPrefix(h.Get("Content-Type"), "application/activity+json") {
		t.Fatalf("instance actor: %d %s", status, b)
	}

	// Browsers are sent to the profile page.
	status, h, _ = get(t, bob.URI, "text/html", nil)
	if status != http.StatusFound || h.Get("Location") != ti.url+"/@bob" {
		t.Fatalf("HTML request: %d %s", status, h.Get("Location"))
	}
	// Unsigned: the minimal document only.
	status, _, b = get(t, bob.URI, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, nil)
	m = decodeMap(t, b)
	if status != 200 || m["publicKey"] == nil || m["inbox"] != bob.URI+"/inbox" || m["outbox"] != nil || m["followers"] != nil {
		t.Fatalf("unsigned actor fetch: %d %s", status, b)
	}
	// Signed: everything.
	status, h, b = get(t, bob.URI, "application/activity+json", p)
	m = decodeMap(t, b)
	if status != 200 || m["outbox"] != bob.URI+"/outbox" || m["followers"] != bob.URI+"/followers" || h.Get("Vary") != "Accept" {
		t.Fatalf("signed actor fetch: %d %s", status, b)
	}
	if m["endpoints"].(map[string]any)["sharedInbox"] != ti.url+"/inbox" {
		t.Fatalf("sharedInbox: %v", m["endpoints"])
	}

	// A post: 401 unsigned, the Note signed; followers-only only for followers.
	ctx := context.Background()
	c := callerOf(t, ti, bob)
	pub, err := ti.svc.PostStatus(ctx, c, core.PostParams{Text: "public #tag", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ti.svc.PostStatus(ctx, c, core.PostParams{Text: "followers only", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := get(t, pub.URI, "application/activity+json", nil); status != 401 {
		t.Fatalf("unsigned status fetch: %d, want 401", status)
	}
	status, _, b = get(t, pub.URI, "application/activity+json", p)
	m = decodeMap(t, b)
	if status != 200 || m["type"] != "Note" || m["id"] != pub.URI || m["attributedTo"] != bob.URI {
		t.Fatalf("signed status fetch: %d %s", status, b)
	}
	if to := m["to"].([]any); len(to) != 1 || to[0] != Public {
		t.Fatalf("public addressing: %v", m["to"])
	}
	if !strings.Contains(string(b), `"Hashtag"`) || m["replies"] == nil {
		t.Fatalf("tags/replies missing: %s", b)
	}
	status, _, b = get(t, pub.URI+"/activity", "application/activity+json", p)
	if m := decodeMap(t, b); status != 200 || m["type"] != "Create" {
		t.Fatalf("activity: %d %s", status, b)
	}
	if status, _, _ := get(t, priv.URI, "application/activity+json", p); status != 404 {
		t.Fatalf("followers-only post fetched by a non-follower: %d, want 404", status)
	}
	alice, err := ti.store.AccountByURI(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.RemoteFollow(ctx, alice.ID, bob.ID, p.actor+"#f"); err != nil {
		t.Fatal(err)
	}
	status, _, b = get(t, priv.URI, "application/activity+json", p)
	if status != 200 {
		t.Fatalf("followers-only post fetched by a follower: %d %s", status, b)
	}
	if m := decodeMap(t, b); m["cc"] == nil || strings.Contains(string(b), Public) {
		t.Fatalf("followers-only addressing: %s", b)
	}

	// Collections.
	for _, col := range []string{"/outbox", "/followers", "/following", "/collections/featured"} {
		if status, _, _ := get(t, bob.URI+col, "application/activity+json", nil); status != 401 {
			t.Fatalf("unsigned %s: %d, want 401", col, status)
		}
		status, _, b := get(t, bob.URI+col, "application/activity+json", p)
		if m := decodeMap(t, b); status != 200 || m["type"] != "OrderedCollection" {
			t.Fatalf("%s: %d %s", col, status, b)
		}
	}
	status, _, b = get(t, bob.URI+"/outbox?page=true", "application/activity+json", p)
	m = decodeMap(t, b)
	if status != 200 || m["type"] != "OrderedCollectionPage" || len(m["orderedItems"].([]any)) != 2 {
		t.Fatalf("outbox page (public + followers-only for a follower): %d %s", status, b)
	}
	status, _, b = get(t, bob.URI+"/followers?page=true", "application/activity+json", p)
	if status != 200 || !strings.Contains(string(b), p.actor) {
		t.Fatalf("followers page: %d %s", status, b)
	}

	// Deleted: 410 with a Tombstone.
	if _, err := ti.svc.DeleteStatus(ctx, c, pub.ID); err != nil {
		t.Fatal(err)
	}
	status, _, b = get(t, pub.URI, "application/activity+json", p)
	if m := decodeMap(t, b); status != 410 || m["type"] != "Tombstone" {
		t.Fatalf("deleted status: %d %s", status, b)
	}
	if status, _, _ := get(t, ti.url+"/users/nobody", "application/activity+json", nil); status != 404 {
		t.Fatalf("unknown actor: %d", status)
	}
}

func TestAuthorizedFetchOff(t *testing.T) {
	ti := newTestInstance(t, func(c *config.Config) { c.Federation.AuthorizedFetch = false })
	bob := ti.createUser("bob")
	status, _, b := get(t, bob.URI, "application/activity+json", nil)
	if m := decodeMap(t, b); status != 200 || m["outbox"] == nil {
		t.Fatalf("open actor fetch: %d %s", status, b)
	}
	if status, _, _ := get(t, bob.URI+"/outbox", "application/activity+json", nil); status != 200 {
		t.Fatalf("open outbox: %d", status)
	}
}

func callerOf(t *testing.T, ti *testInstance, a *model.Account) *core.Caller {
	t.Helper()
	u, err := ti.store.UserByAccountID(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return &core.Caller{Token: &model.Token{UserID: u.ID, Scopes: "read write follow push"}, User: u, Account: a}
}

// TestEveryRouteSurvivesBadInput: no federation route answers 5xx to odd
// ids, junk bodies or junk signatures.
func TestEveryRouteSurvivesBadInput(t *testing.T) {
	ti := newTestInstance(t)
	ti.createUser("bob")
	if len(ti.fed.Routes()) < 20 {
		t.Fatalf("only %d routes", len(ti.fed.Routes()))
	}
	bodies := [][]byte{nil, []byte(`{"type":`), []byte(`[1,2]`), []byte(`{"type":"Create","actor":{"id":[]},"object":7}`)}
	sigs := []string{"", `keyId="http://127.0.0.1:1/k",signature="AAAA",headers="(request-target) host date digest"`, `garbage`}
	for _, r := range ti.fed.RouteTable() {
		for _, name := range []string{"bob", "nobody", "1", "%00"} {
			for _, id := range []string{"1", "abc", "99999999999999999999", "-1"} {
				path := strings.NewReplacer(":username", name, ":id", id).Replace(r.Path)
				for _, body := range bodies {
					for _, sig := range sigs {
						if r.Method != http.MethodPost && body != nil {
							continue
						}
						req, err := http.NewRequest(r.Method, ti.url+path+"?page=x&max_id=zz&resource=%00", bytes.NewReader(body))
						if err != nil {
							continue
						}
						req.Header.Set("Accept", "application/activity+json")
						if sig != "" {
							req.Header.Set("Signature", sig)
							req.Header.Set("Date", "Mon, 01 Jan 2024 00:00:00 GMT")
						}
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							t.Fatal(err)
						}
						msg, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if resp.StatusCode >= 500 {
							t.Errorf("%s %s (sig %q): %d %s", r.Method, path, sig, resp.StatusCode, msg)
						}
					}
				}
			}
		}
	}
	if pub := ti.fed.PublicRoutes(); len(pub) == 0 || !strings.Contains(strings.Join(pub, " "), "GET /actor") {
		t.Fatalf("public routes: %v", pub)
	}
}

// TestFetchVisibilityRemoteSigner: a remote account signing a GET sees
// what core's rule lets that account see, as the client API would: a
// followers-only post it is mentioned in, followers-only posts once it
// follows, nothing across a block; and nothing of a suspended author
// (410, as the actor).
func TestFetchVisibilityRemoteSigner(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	c := callerOf(t, ti, bob)
	p := newFakePeer(t)
	alice, err := ti.fed.accountByURI(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	post := func(text, vis string) *model.Status {
		t.Helper()
		st, err := ti.svc.PostStatus(ctx, c, core.PostParams{Text: text, Visibility: vis})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	mention := "@alice@" + alice.Domain + " "
	pub := post("public", "public")
	mentionedPriv := post(mention+"followers only, mentions alice", "private")
	mentionedDirect := post(mention+"direct to alice", "direct")
	priv := post("followers only", "private")
	if len(mentionedPriv.MentionIDs) != 1 || mentionedPriv.MentionIDs[0] != alice.ID {
		t.Fatalf("alice not mentioned: %v", mentionedPriv.MentionIDs)
	}
	check := func(when string, want map[*model.Status]int, outbox []*model.Status) {
		t.Helper()
		for st, code := range want {
			if got, _, b := get(t, st.URI, "application/activity+json", p); got != code {
				t.Errorf("%s: %q fetched by alice: %d, want %d (%.200s)", when, st.Text, got, code, b)
			}
		}
		if outbox == nil {
			if got, _, _ := get(t, bob.URI+"/outbox?page=true", "application/activity+json", p); got != http.StatusGone {
				t.Errorf("%s: outbox: %d, want 410", when, got)
			}
			return
		}
		var wantIDs, gotIDs []string
		for _, st := range outbox {
			wantIDs = append(wantIDs, st.URI)
		}
		_, _, b := get(t, bob.URI+"/outbox?page=true", "application/activity+json", p)
		for _, it := range decodeMap(t, b)["orderedItems"].([]any) {
			gotIDs = append(gotIDs, it.(map[string]any)["object"].(map[string]any)["id"].(string))
		}
		slices.Sort(wantIDs)
		slices.Sort(gotIDs)
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("%s: outbox for alice %v, want %v", when, gotIDs, wantIDs)
		}
	}
	// Mentioned, not following: the posts that mention her; the outbox
	// lists what bob's profile lists to her (before mentions count).
	check("mentioned", map[*model.Status]int{pub: 200, mentionedPriv: 200, mentionedDirect: 200, priv: 404}, []*model.Status{pub})
	if _, err := ti.svc.RemoteFollow(ctx, alice.ID, bob.ID, p.actor+"#f"); err != nil {
		t.Fatal(err)
	}
	check("following", map[*model.Status]int{pub: 200, mentionedPriv: 200, mentionedDirect: 200, priv: 200},
		[]*model.Status{pub, mentionedPriv, priv})
	if _, err := ti.svc.Block(ctx, c, alice.ID); err != nil {
		t.Fatal(err)
	}
	check("blocked", map[*model.Status]int{pub: 404, mentionedPriv: 404, mentionedDirect: 404, priv: 404}, []*model.Status{})
	yes := true
	if err := ti.store.ModerateAccount(ctx, bob.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	check("suspended", map[*model.Status]int{pub: 410, mentionedPriv: 410, mentionedDirect: 410, priv: 410}, nil)
}
