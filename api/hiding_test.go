package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// Tests of what a user keeps to shape what they see (issue 15, items 4
// to 9), driven by real clients where one covers the call: Mastodon.py
// (domain blocks, endorsements, conversation mutes, featured tags, timed
// mutes) and go-mastodon (followed tags, v1 filters, `filtered`).

// mastodonPy runs a Mastodon.py script (skipping without the module) and
// decodes the JSON of its last line into out.
func mastodonPy(t *testing.T, script string, out any, args ...string) {
	t.Helper()
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import mastodon").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 with the mastodon module is not installed")
	}
	prelude := "import json, sys\nfrom mastodon import Mastodon\n" +
		"api = Mastodon(access_token=sys.argv[2], api_base_url=sys.argv[1], version_check_mode='none', mastodon_version='4.3.0', request_timeout=15)\n"
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, append([]string{"-c", prelude + script}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("Mastodon.py: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
		t.Fatalf("Mastodon.py output %q: %v", stdout.String(), err)
	}
}

// remoteAccount stores a remote account of domain, as federation would.
func remoteAccount(t *testing.T, ts *server.TestServer, name, domain string) *model.Account {
	t.Helper()
	ctx := context.Background()
	uri := "https://" + domain + "/users/" + name
	acc := &model.Account{Username: name, Domain: domain, URI: uri, URL: "https://" + domain + "/@" + name,
		InboxURL: uri + "/inbox", Discoverable: true}
	if err := ts.Srv.Store.UpsertRemoteAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	got, err := ts.Srv.Store.AccountByURI(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// remotePost stores a status of a remote account as if it arrived.
func remotePost(t *testing.T, ts *server.TestServer, author *model.Account, n int, content string, vis model.Visibility, mentions []int64, tags []string) *model.Status {
	t.Helper()
	st, err := ts.Srv.Svc.IngestRemoteStatus(context.Background(), &model.Status{
		URI: fmt.Sprintf("https://%s/notes/%d", author.Domain, n), AccountID: author.ID, Content: content, Visibility: vis}, mentions, tags)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

type idText struct {
	ID      string `json:"id"`
	Content string `json:"content"`
	Type    string `json:"type"`
	Status  *struct {
		ID string `json:"id"`
	} `json:"status"`
	Filtered []struct {
		Filter struct {
			FilterAction string `json:"filter_action"`
		} `json:"filter"`
		KeywordMatches []string `json:"keyword_matches"`
	} `json:"filtered"`
	Muted bool `json:"muted"`
}

func ids(items []idText) string {
	var out []string
	for _, it := range items {
		if it.Status != nil {
			out = append(out, it.Type+":"+it.Status.ID)
		} else {
			out = append(out, it.ID)
		}
	}
	return strings.Join(out, ",")
}

func has(items []idText, id string) bool {
	for _, it := range items {
		if it.ID == id || (it.Status != nil && it.Status.ID == id) {
			return true
		}
	}
	return false
}

// TestUserDomainBlocks: a user's block of a domain (Mastodon.py) hides its
// accounts' posts from the public and home timelines and their
// notifications, except accounts the user follows; it removes the
// followers from that domain; the relationship says domain_blocking.
func TestUserDomainBlocks(t *testing.T) {
	ts := server.StartTest(t)
	ctx := context.Background()
	alice := ts.CreateUser(t, "alice", "user")
	tAlice := ts.Token(t, "alice", "read write follow")
	zed := remoteAccount(t, ts, "zed", "spam.example")
	kim := remoteAccount(t, ts, "kim", "spam.example")
	if _, err := ts.Srv.Svc.RemoteFollow(ctx, zed.ID, alice.ID, "https://spam.example/follows/1"); err != nil {
		t.Fatal(err)
	}
	// alice follows kim (accepted).
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", kim.ID), tAlice, nil, 200, nil)
	if err := ts.Srv.Svc.FollowAccepted(ctx, alice.ID, kim.ID); err != nil {
		t.Fatal(err)
	}

	var out struct {
		Blocks []string `json:"blocks"`
		Rel    []struct {
			DomainBlocking bool `json:"domain_blocking"`
			FollowedBy     bool `json:"followed_by"`
			Following      bool `json:"following"`
		} `json:"rel"`
	}
	mastodonPy(t, `
api.domain_block("Spam.Example")
rel = api.account_relationships([int(sys.argv[3]), int(sys.argv[4])])
print(json.dumps({"blocks": api.domain_blocks(), "rel": [{"domain_blocking": r["domain_blocking"], "followed_by": r["followed_by"], "following": r["following"]} for r in rel]}))
`, &out, ts.URL, tAlice, fmt.Sprint(zed.ID), fmt.Sprint(kim.ID))
	if len(out.Blocks) != 1 || out.Blocks[0] != "spam.example" {
		t.Fatalf("domain_blocks: %v", out.Blocks)
	}
	if len(out.Rel) != 2 || !out.Rel[0].DomainBlocking || out.Rel[0].FollowedBy || !out.Rel[1].DomainBlocking || !out.Rel[1].Following {
		t.Fatalf("relationships after the block: %+v (zed must no longer follow alice)", out.Rel)
	}

	pub := dialWS(t, ts, tAlice, "header", "stream=public")
	if accepted, err := ts.Srv.Svc.RemoteFollow(ctx, zed.ID, alice.ID, "https://spam.example/follows/2"); err != nil || accepted {
		t.Fatalf("a follow from a blocked domain: accepted %v, %v", accepted, err)
	}
	zedPost := remotePost(t, ts, zed, 1, "<p>buy now</p>", model.Public, nil, nil)
	kimPost := remotePost(t, ts, kim, 2, "<p>kim says hi</p>", model.Public, nil, nil)
	// Streams keep their order: once kim's post arrived, zed's would have.
	pub.wait("kim's post on the public stream", 5*time.Second, statusEvent("update", fmt.Sprint(kimPost.ID)))
	pub.mu.Lock()
	for _, e := range pub.events {
		if statusEvent("update", fmt.Sprint(zedPost.ID))(e) {
			t.Errorf("the public stream carried a post of a blocked domain")
		}
	}
	pub.mu.Unlock()
	remotePost(t, ts, zed, 3, "<p>@alice hi</p>", model.Public, []int64{alice.ID}, nil)
	var public, home, notes []idText
	ts.JSON(t, "GET", "/api/v1/timelines/public", tAlice, nil, 200, &public)
	ts.JSON(t, "GET", "/api/v1/timelines/home", tAlice, nil, 200, &home)
	ts.JSON(t, "GET", "/api/v1/notifications", tAlice, nil, 200, &notes)
	if has(public, fmt.Sprint(zedPost.ID)) || !has(public, fmt.Sprint(kimPost.ID)) {
		t.Fatalf("public timeline: %s (zed's post hidden, followed kim's shown)", ids(public))
	}
	if !has(home, fmt.Sprint(kimPost.ID)) {
		t.Fatalf("home timeline lost the followed account's post: %s", ids(home))
	}
	for _, n := range notes {
		if n.Type == "mention" {
			t.Fatalf("a mention from a blocked domain notified: %s", ids(notes))
		}
	}
	// The anonymous public timeline is not the user's.
	ts.JSON(t, "GET", "/api/v1/timelines/public", "", nil, 200, &public)
	if !has(public, fmt.Sprint(zedPost.ID)) {
		t.Fatalf("anonymous public timeline: %s", ids(public))
	}
	// Bad input, then the unblock.
	if code, _, _ := ts.Do(t, "POST", "/api/v1/domain_blocks", tAlice, map[string]any{"domain": ""}); code != 422 {
		t.Fatalf("empty domain: %d", code)
	}
	ts.JSON(t, "DELETE", "/api/v1/domain_blocks", tAlice, map[string]any{"domain": "spam.example"}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/public", tAlice, nil, 200, &public)
	if !has(public, fmt.Sprint(zedPost.ID)) {
		t.Fatalf("after the unblock: %s", ids(public))
	}
	var blocks []string
	ts.JSON(t, "GET", "/api/v1/domain_blocks", tAlice, nil, 200, &blocks)
	if len(blocks) != 0 {
		t.Fatalf("blocks after unblock: %v", blocks)
	}
}

// TestEndorsementsAndConversationMutes: pin/endorse keep the account
// (Mastodon.py account_pin, endorsements), shown on the profile; a muted
// conversation (Mastodon.py status_mute) says muted and stops notifying.
func TestEndorsementsAndConversationMutes(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	tAlice := ts.Token(t, "alice", "read write follow")
	tBob := ts.Token(t, "bob", "read write follow")
	if code, _, body := ts.Do(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/endorse", bob.ID), tAlice, nil); code != 422 {
		t.Fatalf("endorse without following: %d %s", code, body)
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", bob.ID), tAlice, nil, 200, nil)
	var st idText
	ts.JSON(t, "POST", "/api/v1/statuses", tAlice, map[string]any{"status": "a thread", "visibility": "public"}, 200, &st)

	var out struct {
		Endorsed     bool     `json:"endorsed"`
		Endorsements []string `json:"endorsements"`
		Muted        bool     `json:"muted"`
	}
	mastodonPy(t, `
rel = api.account_pin(int(sys.argv[3]))
ends = [str(a["id"]) for a in api.endorsements()]
st = api.status_mute(int(sys.argv[4]))
print(json.dumps({"endorsed": rel["endorsed"], "endorsements": ends, "muted": st["muted"]}))
`, &out, ts.URL, tAlice, fmt.Sprint(bob.ID), st.ID)
	if !out.Endorsed || len(out.Endorsements) != 1 || out.Endorsements[0] != fmt.Sprint(bob.ID) || !out.Muted {
		t.Fatalf("Mastodon.py: %+v", out)
	}
	var profile []struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/endorsements", alice.ID), "", nil, 200, &profile)
	if len(profile) != 1 || profile[0].ID != fmt.Sprint(bob.ID) {
		t.Fatalf("profile endorsements: %+v", profile)
	}
	// A reply deep in the muted thread, a favourite: no notification.
	var reply, reply2 idText
	ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice first", "in_reply_to_id": st.ID}, 200, &reply)
	ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice second", "in_reply_to_id": reply.ID}, 200, &reply2)
	ts.JSON(t, "POST", "/api/v1/statuses/"+st.ID+"/favourite", tBob, nil, 200, nil)
	var notes []idText
	ts.JSON(t, "GET", "/api/v1/notifications", tAlice, nil, 200, &notes)
	if len(notes) != 0 {
		t.Fatalf("notifications from a muted conversation: %s", ids(notes))
	}
	var got idText
	ts.JSON(t, "GET", "/api/v1/statuses/"+reply2.ID, tAlice, nil, 200, &got)
	if !got.Muted {
		t.Fatalf("a reply in the muted thread says muted:false")
	}
	ts.JSON(t, "POST", "/api/v1/statuses/"+st.ID+"/unmute", tAlice, nil, 200, &got)
	if got.Muted {
		t.Fatalf("unmute: still muted")
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice third", "in_reply_to_id": reply2.ID}, 200, nil)
	ts.JSON(t, "GET", "/api/v1/notifications", tAlice, nil, 200, &notes)
	if len(notes) != 1 || notes[0].Type != "mention" {
		t.Fatalf("after unmute: %s", ids(notes))
	}
	var rel struct {
		Endorsed bool `json:"endorsed"`
	}
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/unpin", bob.ID), tAlice, nil, 200, &rel)
	ts.JSON(t, "GET", "/api/v1/endorsements", tAlice, nil, 200, &profile)
	if rel.Endorsed || len(profile) != 0 {
		t.Fatalf("after unpin: %+v %+v", rel, profile)
	}
}

// goMastodon signs users in with go-mastodon.
func goMastodon(t *testing.T, ts *server.TestServer, emails ...string) []*mastodon.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Server: ts.URL, ClientName: "go-mastodon test",
		Scopes: "read write follow push", RedirectURIs: "urn:ietf:wg:oauth:2.0:oob"})
	if err != nil {
		t.Fatalf("register app: %v", err)
	}
	var out []*mastodon.Client
	for _, e := range emails {
		c := mastodon.NewClient(&mastodon.Config{Server: ts.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
		if err := c.Authenticate(ctx, e, server.TestPassword); err != nil {
			t.Fatalf("authenticate %s: %v", e, err)
		}
		out = append(out, c)
	}
	return out
}

func homeHas(t *testing.T, c *mastodon.Client, id mastodon.ID) *mastodon.Status {
	t.Helper()
	home, err := c.GetTimelineHome(context.Background(), &mastodon.Pagination{Limit: 40})
	if err != nil {
		t.Fatalf("home: %v", err)
	}
	for _, st := range home {
		if st.ID == id {
			return st
		}
	}
	return nil
}

// TestFollowedAndFeaturedTags: a followed tag (go-mastodon TagFollow)
// brings public posts with it, local and remote, into the home timeline;
// unlisted ones and posts of muted accounts stay out, as after the
// unfollow. Featured tags: create, list, suggestions, delete (Mastodon.py)
// and tags/:name/feature.
func TestFollowedAndFeaturedTags(t *testing.T) {
	ts := server.StartTest(t)
	ctx := context.Background()
	alice := ts.CreateUser(t, "alice", "user")
	ts.CreateUser(t, "carol", "user")
	dan := ts.CreateUser(t, "dan", "user")
	tAlice := ts.Token(t, "alice", "read write follow")
	cs := goMastodon(t, ts, "alice@example.org", "carol@example.org", "dan@example.org")
	ann, carol, danC := cs[0], cs[1], cs[2]
	tag, err := ann.TagFollow(ctx, "Herald")
	if err != nil || !tag.Following || tag.Name != "herald" {
		t.Fatalf("follow tag: %v %+v", err, tag)
	}
	if _, err := ann.AccountMute(ctx, mastodon.ID(fmt.Sprint(dan.ID))); err != nil {
		t.Fatal(err)
	}
	pub, err := carol.PostStatus(ctx, &mastodon.Toot{Status: "news about #herald", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	unl, _ := carol.PostStatus(ctx, &mastodon.Toot{Status: "quiet #herald", Visibility: "unlisted"})
	muted, _ := danC.PostStatus(ctx, &mastodon.Toot{Status: "muted #herald", Visibility: "public"})
	zed := remoteAccount(t, ts, "zed", "remote.example")
	remote := remotePost(t, ts, zed, 1, "<p>remote #herald</p>", model.Public, nil, []string{"herald"})
	if homeHas(t, ann, pub.ID) == nil || homeHas(t, ann, mastodon.ID(fmt.Sprint(remote.ID))) == nil {
		t.Fatalf("posts with a followed tag are not in home")
	}
	if homeHas(t, ann, unl.ID) != nil || homeHas(t, ann, muted.ID) != nil {
		t.Fatalf("an unlisted post or a muted account's post entered home by a followed tag")
	}
	followed, err := ann.TagsFollowed(ctx, nil)
	if err != nil || len(followed) != 1 || followed[0].Name != "herald" {
		t.Fatalf("followed tags: %v %+v", err, followed)
	}
	info, err := ann.TagInfo(ctx, "herald")
	if err != nil || !info.Following {
		t.Fatalf("tag info: %v %+v", err, info)
	}
	if _, err := ann.TagUnfollow(ctx, "herald"); err != nil {
		t.Fatal(err)
	}
	later, _ := carol.PostStatus(ctx, &mastodon.Toot{Status: "more #herald", Visibility: "public"})
	if homeHas(t, ann, later.ID) != nil {
		t.Fatalf("a post entered home after the unfollow")
	}
	if code, _, _ := ts.Do(t, "POST", "/api/v1/tags/no%20tag/follow", tAlice, nil); code != 404 {
		t.Fatalf("follow of no hashtag: %d", code)
	}

	// Featured tags.
	ts.JSON(t, "POST", "/api/v1/statuses", tAlice, map[string]any{"status": "I like #golang and #golang and #sqlite", "visibility": "public"}, 200, nil)
	var out struct {
		Created     map[string]any   `json:"created"`
		List        []map[string]any `json:"list"`
		Suggestions []string         `json:"suggestions"`
	}
	mastodonPy(t, `
ft = api.featured_tag_create("golang")
sug = [t["name"] for t in api.featured_tag_suggestions()]
lst = api.featured_tags()
api.featured_tag_delete(ft["id"])
print(json.dumps({"created": {"id": str(ft["id"]), "name": ft["name"], "statuses_count": ft["statuses_count"]}, "list": [{"name": x["name"]} for x in lst], "suggestions": sug}, default=str))
`, &out, ts.URL, tAlice)
	if out.Created["name"] != "golang" || fmt.Sprint(out.Created["statuses_count"]) != "1" || len(out.List) != 1 {
		t.Fatalf("featured tag: %+v", out)
	}
	if len(out.Suggestions) != 1 || out.Suggestions[0] != "sqlite" {
		t.Fatalf("suggestions (most used, not featured): %v", out.Suggestions)
	}
	var tg struct {
		Name      string `json:"name"`
		Featuring bool   `json:"featuring"`
	}
	ts.JSON(t, "POST", "/api/v1/tags/sqlite/feature", tAlice, nil, 200, &tg)
	if !tg.Featuring {
		t.Fatalf("feature: %+v", tg)
	}
	var profile []map[string]any
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/featured_tags", alice.ID), "", nil, 200, &profile)
	if len(profile) != 1 || profile[0]["name"] != "sqlite" {
		t.Fatalf("profile featured tags: %+v", profile)
	}
	for i := 0; i < 9; i++ {
		ts.JSON(t, "POST", "/api/v1/featured_tags", tAlice, map[string]any{"name": fmt.Sprintf("t%d", i)}, 200, nil)
	}
	if code, _, _ := ts.Do(t, "POST", "/api/v1/featured_tags", tAlice, map[string]any{"name": "eleventh"}); code != 422 {
		t.Fatalf("an eleventh featured tag: %d", code)
	}
	if code, _, _ := ts.Do(t, "POST", "/api/v1/featured_tags", tAlice, map[string]any{"name": "#!"}); code != 422 {
		t.Fatalf("an invalid tag: %d", code)
	}
	ts.JSON(t, "POST", "/api/v1/tags/sqlite/unfeature", tAlice, nil, 200, &tg)
	if tg.Featuring {
		t.Fatalf("unfeature: %+v", tg)
	}
	if code, _, _ := ts.Do(t, "DELETE", "/api/v1/featured_tags/12345", tAlice, nil); code != 404 {
		t.Fatalf("delete of no featured tag: %d", code)
	}
}

// mastoJS runs a masto.js script (skipping without node and the masto
// package installed by the shared clients) with client bound to base and
// token, and decodes the JSON of its last line into out.
func mastoJS(t *testing.T, script string, out any, base, token string, args ...string) {
	t.Helper()
	node, err := exec.LookPath("node")
	dir := os.Getenv("HERALD_CLIENTS_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "herald-clients")
	}
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "masto", "package.json")); err != nil || statErr != nil {
		t.Skip("node with masto.js is not installed")
	}
	prelude := `import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
const require = createRequire(process.env.MASTO_DIR + "/package.json");
const { createRestAPIClient } = await import(pathToFileURL(require.resolve("masto")).href);
const client = createRestAPIClient({ url: process.argv[1], accessToken: process.argv[2] });
const args = process.argv.slice(3);
`
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, append([]string{"--input-type=module", "-e", prelude + script, "--", base, token}, args...)...)
	cmd.Env = append(os.Environ(), "MASTO_DIR="+dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("masto.js: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
		t.Fatalf("masto.js output %q: %v\n%s", stdout.String(), err, stderr.String())
	}
}

// TestAllowedMentions: a post (masto.js, allowedMentions) mentioning an
// account not allowed is refused with 422 and the accounts, nothing
// stored; with the mention allowed it is posted.
func TestAllowedMentions(t *testing.T) {
	ts := server.StartTest(t)
	alice := ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	tAlice := ts.Token(t, "alice", "read write")
	var out struct {
		Code       int      `json:"code"`
		Error      string   `json:"error"`
		Unexpected []string `json:"unexpected"`
		Posted     string   `json:"posted"`
	}
	mastoJS(t, `
const out = {};
try {
  await client.v1.statuses.create({ status: "@bob secret", visibility: "direct", allowedMentions: [args[0]] });
} catch (e) {
  out.code = e.statusCode;
  out.error = e.message;
  out.unexpected = (e.additionalProperties?.unexpectedAccounts ?? e.additionalProperties?.unexpected_accounts ?? []).map((a) => a.id);
}
const st = await client.v1.statuses.create({ status: "@bob hello", allowedMentions: [args[1]] });
out.posted = st.id;
console.log(JSON.stringify(out));
`, &out, ts.URL, tAlice, fmt.Sprint(alice.ID), fmt.Sprint(bob.ID))
	if out.Code != 422 || out.Error == "" || out.Posted == "" || len(out.Unexpected) != 1 || out.Unexpected[0] != fmt.Sprint(bob.ID) {
		t.Fatalf("masto.js: %+v", out)
	}
	// The answer as Mastodon gives it.
	var refused struct {
		Unexpected []struct {
			ID string `json:"id"`
		} `json:"unexpected_accounts"`
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tAlice, map[string]any{"status": "@bob again",
		"allowed_mentions": []string{fmt.Sprint(alice.ID)}}, 422, &refused)
	if len(refused.Unexpected) != 1 || refused.Unexpected[0].ID != fmt.Sprint(bob.ID) {
		t.Fatalf("422 body: %+v", refused)
	}
	var mine []idText
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/statuses", alice.ID), tAlice, nil, 200, &mine)
	if len(mine) != 1 || mine[0].ID != out.Posted {
		t.Fatalf("a refused post was stored: %s", ids(mine))
	}
	ts.JSON(t, "POST", "/api/v1/statuses", tAlice, map[string]any{"status": "hi", "allowed_mentions": []string{"x"}}, 422, nil)
}

// TestServerSideFilters: a v1 irreversible filter (go-mastodon
// CreateFilter) drops matching posts from home and notifications; v2
// warn and blur filters attach `filtered` (read by go-mastodon); the user
// stream drops what "hide" matches and carries `filtered` otherwise.
func TestServerSideFilters(t *testing.T) {
	f := startStreaming(t) // bob follows alice
	ctx := context.Background()
	cs := goMastodon(t, f.ts, "bob@example.org")
	bob := cs[0]
	if _, err := bob.CreateFilter(ctx, &mastodon.Filter{Phrase: "spoiler", Context: []string{"home", "notifications"}, Irreversible: true, WholeWord: true}); err != nil {
		t.Fatalf("v1 filter: %v", err)
	}
	f.ts.JSON(t, "POST", "/api/v2/filters", f.tBob, map[string]any{"title": "cats", "context": []string{"home"}, "filter_action": "warn",
		"keywords_attributes": []map[string]any{{"keyword": "cats"}}}, 200, nil)
	f.ts.JSON(t, "POST", "/api/v2/filters", f.tBob, map[string]any{"title": "gore", "context": []string{"public"}, "filter_action": "blur",
		"keywords_attributes": []map[string]any{{"keyword": "gore"}}}, 200, nil)
	ws := dialWS(t, f.ts, f.tBob, "header", "stream=user")

	hidden := f.post(t, f.tAlice, "Big SPOILER ahead", "public")
	notWord := f.post(t, f.tAlice, "spoilers are not the word", "public")
	warned := f.post(t, f.tAlice, "I love Cats", "public")
	blurred := f.post(t, f.tAlice, "some gore", "public")
	mention := f.post(t, f.tAlice, "@bob spoiler for you", "public")
	f.barrier(t, ws)

	if homeHas(t, bob, mastodon.ID(hidden)) != nil || homeHas(t, bob, mastodon.ID(mention)) != nil {
		t.Fatalf("an irreversible filter's match is in home")
	}
	if homeHas(t, bob, mastodon.ID(notWord)) == nil {
		t.Fatalf("a whole-word filter matched inside a word")
	}
	w := homeHas(t, bob, mastodon.ID(warned))
	if w == nil || len(w.Filtered) != 1 || w.Filtered[0].Filter.FilterAction != "warn" || len(w.Filtered[0].KeywordMatches) != 1 {
		t.Fatalf("warned status: %+v", w)
	}
	b := homeHas(t, bob, mastodon.ID(blurred))
	if b == nil || len(b.Filtered) != 1 || b.Filtered[0].Filter.FilterAction != "blur" {
		t.Fatalf("blurred status (filtered whatever the context, as Mastodon): %+v", b)
	}
	var notes []idText
	f.ts.JSON(t, "GET", "/api/v1/notifications", f.tBob, nil, 200, &notes)
	if has(notes, mention) {
		t.Fatalf("an irreversible filter's match notified: %s", ids(notes))
	}
	// The stream: nothing of the hidden ones, `filtered` on the warned one.
	ws.mu.Lock()
	defer ws.mu.Unlock()
	sawWarned := false
	for _, e := range ws.events {
		if e.Event != "update" && e.Event != "notification" {
			continue
		}
		var st idText
		_ = json.Unmarshal([]byte(e.Payload), &st)
		if st.ID == hidden || st.ID == mention || (st.Status != nil && st.Status.ID == mention) {
			t.Fatalf("streamed a hidden status: %s %s", e.Event, e.Payload)
		}
		if st.ID == warned {
			sawWarned = len(st.Filtered) == 1 && st.Filtered[0].Filter.FilterAction == "warn"
		}
	}
	if !sawWarned {
		t.Fatalf("the warned status was not streamed with filtered")
	}
}

// TestTimedMuteExpires: a mute with a duration (Mastodon.py) stops
// applying when it ends: the account's new posts reach home, its mentions
// notify. Before this fix an ended mute still hid both.
func TestTimedMuteExpires(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	bob := ts.CreateUser(t, "bob", "user")
	tAlice := ts.Token(t, "alice", "read write follow")
	tBob := ts.Token(t, "bob", "read write follow")
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/accounts/%d/follow", bob.ID), tAlice, nil, 200, nil)
	var out struct {
		Muting bool `json:"muting"`
	}
	mastodonPy(t, `
rel = api.account_mute(int(sys.argv[3]), duration=1)
print(json.dumps({"muting": rel["muting"]}))
`, &out, ts.URL, tAlice, fmt.Sprint(bob.ID))
	if !out.Muting {
		t.Fatalf("mute: %+v", out)
	}
	var during idText
	ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "during the mute"}, 200, &during)
	var home []idText
	ts.JSON(t, "GET", "/api/v1/timelines/home", tAlice, nil, 200, &home)
	if has(home, during.ID) {
		t.Fatalf("a muted account's post is in home")
	}
	testutil.Eventually(t, 10*time.Second, "the mute ends", func() bool {
		var rels []struct {
			Muting bool `json:"muting"`
		}
		ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/relationships?id[]=%d", bob.ID), tAlice, nil, 200, &rels)
		return len(rels) == 1 && !rels[0].Muting
	})
	var after idText
	ts.JSON(t, "POST", "/api/v1/statuses", tBob, map[string]any{"status": "@alice after the mute"}, 200, &after)
	ts.JSON(t, "GET", "/api/v1/timelines/home", tAlice, nil, 200, &home)
	if !has(home, after.ID) {
		t.Fatalf("after the mute ended, home: %s", ids(home))
	}
	var notes []idText
	ts.JSON(t, "GET", "/api/v1/notifications", tAlice, nil, 200, &notes)
	if !has(notes, after.ID) {
		t.Fatalf("after the mute ended, notifications: %s", ids(notes))
	}
}
