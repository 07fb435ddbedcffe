package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage/sqlite"
)

// socialServer serves the routes of this area (accounts, lists, filters,
// misc) over real HTTP on a loopback port, with a real SQLite store. It
// does not depend on the central registration, so it keeps working while
// the other areas change.
type socialServer struct {
	url   string
	svc   *core.Service
	store *sqlite.Store // for setup and checks the API does not offer
}

func startSocialServer(t *testing.T) *socialServer {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Instance.Domain = ln.Addr().String()
	st, err := sqlite.Open(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := core.New(cfg, st, log)
	a := New(svc)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = ErrorHandler(log)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { c.Set(apiKey, a); return next(c) }
	})
	a.registerAccounts(e)
	a.registerLists(e)
	a.registerFilters(e)
	a.registerMisc(e)
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return &socialServer{url: "http://" + ln.Addr().String(), svc: svc, store: st}
}

// user creates a local account and a token with scopes; it returns the
// account id and the token.
func (s *socialServer) user(t *testing.T, name, scopes string) (string, string) {
	t.Helper()
	ctx := context.Background()
	a, _, err := s.svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: name, Email: name + "@example.org",
		Password: "password123", Approved: true, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	return idString(a.ID), s.token(t, name, scopes)
}

func (s *socialServer) token(t *testing.T, name, scopes string) string {
	t.Helper()
	ctx := context.Background()
	a, err := s.svc.LocalAccount(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := core.ParseScopes(scopes)
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := s.svc.IssueToken(ctx, 0, a.ID, sc)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// do sends a request: body nil, url.Values (form), string (JSON) or any
// value (marshalled to JSON). It fails the test unless the status is want,
// and decodes the answer into out when not nil.
func (s *socialServer) do(t *testing.T, method, path, token string, body any, want int, out any) http.Header {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.Header
}

func TestFollowUnfollowOverHTTP(t *testing.T) {
	s := startSocialServer(t)
	aliceID, alice := s.user(t, "alice", "read write follow")
	bobID, bob := s.user(t, "bob", "read write follow")

	var rel map[string]any
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", alice, url.Values{"reblogs": {"false"}}, 200, &rel)
	if rel["id"] != bobID || rel["following"] != true || rel["showing_reblogs"] != false {
		t.Fatalf("follow = %v", rel)
	}
	for _, k := range []string{"following", "showing_reblogs", "notifying", "followed_by", "blocking", "blocked_by", "muting",
		"muting_notifications", "requested", "requested_by", "domain_blocking", "endorsed", "note"} {
		if _, ok := rel[k]; !ok {
			t.Errorf("relationship lacks %s", k)
		}
	}
	var acc Account
	s.do(t, "GET", "/api/v1/accounts/"+bobID, "", nil, 200, &acc)
	if acc.FollowersCount != 1 {
		t.Errorf("followers_count = %d", acc.FollowersCount)
	}
	var followers []Account
	h := s.do(t, "GET", "/api/v1/accounts/"+bobID+"/followers", "", nil, 200, &followers)
	if len(followers) != 1 || followers[0].ID != aliceID || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("followers = %v, Link %q", followers, h.Get("Link"))
	}
	var following []Account
	s.do(t, "GET", "/api/v1/accounts/"+aliceID+"/following", "", nil, 200, &following)
	if len(following) != 1 || following[0].ID != bobID {
		t.Errorf("following = %v", following)
	}

	var rels []map[string]any
	s.do(t, "GET", "/api/v1/accounts/relationships?id[]="+aliceID, bob, nil, 200, &rels)
	if len(rels) != 1 || rels[0]["followed_by"] != true || rels[0]["following"] != false {
		t.Errorf("bob's relationships = %v", rels)
	}
	// Always an array, even for one id given without [] or none at all.
	s.do(t, "GET", "/api/v1/accounts/relationships?id="+aliceID, bob, nil, 200, &rels)
	if len(rels) != 1 {
		t.Errorf("single id = %v", rels)
	}
	var raw json.RawMessage
	s.do(t, "GET", "/api/v1/accounts/relationships", bob, nil, 200, &raw)
	if string(raw) != "[]" {
		t.Errorf("no ids = %s", raw)
	}

	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/unfollow", alice, nil, 200, &rel)
	if rel["following"] != false {
		t.Errorf("unfollow = %v", rel)
	}
	s.do(t, "GET", "/api/v1/accounts/"+bobID, "", nil, 200, &acc)
	if acc.FollowersCount != 0 {
		t.Errorf("followers_count after unfollow = %d", acc.FollowersCount)
	}
	s.do(t, "POST", "/api/v1/accounts/"+aliceID+"/follow", alice, nil, 403, nil)
	s.do(t, "POST", "/api/v1/accounts/123/follow", alice, nil, 404, nil)
}

func TestLockedAccountRequests(t *testing.T) {
	s := startSocialServer(t)
	aliceID, alice := s.user(t, "alice", "read write follow")
	bobID, bob := s.user(t, "bob", "read write follow")
	carolID, carol := s.user(t, "carol", "read write follow")
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", bob, `{"locked": true}`, 200, nil)

	var rel map[string]any
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", alice, nil, 200, &rel)
	if rel["requested"] != true || rel["following"] != false {
		t.Fatalf("follow of locked = %v", rel)
	}
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", carol, nil, 200, nil)
	var me Account
	s.do(t, "GET", "/api/v1/accounts/verify_credentials", bob, nil, 200, &me)
	if me.Source == nil || me.Source.FollowRequestsCount != 2 || !me.Locked {
		t.Errorf("verify_credentials = %+v", me)
	}
	var reqs []Account
	s.do(t, "GET", "/api/v1/follow_requests", bob, nil, 200, &reqs)
	if len(reqs) != 2 {
		t.Fatalf("follow_requests = %v", reqs)
	}
	s.do(t, "POST", "/api/v1/follow_requests/"+aliceID+"/authorize", bob, nil, 200, &rel)
	if rel["followed_by"] != true || rel["requested_by"] != false {
		t.Errorf("authorize = %v", rel)
	}
	s.do(t, "POST", "/api/v1/follow_requests/"+carolID+"/reject", bob, nil, 200, &rel)
	if rel["followed_by"] != false || rel["requested_by"] != false {
		t.Errorf("reject = %v", rel)
	}
	s.do(t, "POST", "/api/v1/follow_requests/"+carolID+"/reject", bob, nil, 404, nil)
	var rels []map[string]any
	s.do(t, "GET", "/api/v1/accounts/relationships?id[]="+bobID, alice, nil, 200, &rels)
	if rels[0]["following"] != true {
		t.Errorf("alice after authorize = %v", rels)
	}
}

func TestBlockAndMuteOverHTTP(t *testing.T) {
	s := startSocialServer(t)
	aliceID, alice := s.user(t, "alice", "read write follow")
	bobID, bob := s.user(t, "bob", "read write follow")
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", alice, nil, 200, nil)
	s.do(t, "POST", "/api/v1/accounts/"+aliceID+"/follow", bob, nil, 200, nil)
	var rel map[string]any
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/block", alice, nil, 200, &rel)
	if rel["blocking"] != true || rel["following"] != false || rel["followed_by"] != false {
		t.Errorf("block = %v", rel)
	}
	var blocks []Account
	s.do(t, "GET", "/api/v1/blocks", alice, nil, 200, &blocks)
	if len(blocks) != 1 || blocks[0].ID != bobID {
		t.Errorf("blocks = %v", blocks)
	}
	s.do(t, "POST", "/api/v1/accounts/"+aliceID+"/follow", bob, nil, 403, nil)
	var followers []Account
	s.do(t, "GET", "/api/v1/accounts/"+aliceID+"/followers", bob, nil, 200, &followers)
	if len(followers) != 0 {
		t.Errorf("blocked viewer sees followers")
	}
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/unblock", alice, nil, 200, &rel)
	if rel["blocking"] != false {
		t.Errorf("unblock = %v", rel)
	}
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/mute", alice, `{"notifications": false, "duration": 3600}`, 200, &rel)
	if rel["muting"] != true || rel["muting_notifications"] != false {
		t.Errorf("mute = %v", rel)
	}
	var mutes []map[string]any
	s.do(t, "GET", "/api/v1/mutes", alice, nil, 200, &mutes)
	if len(mutes) != 1 || mutes[0]["mute_expires_at"] == nil {
		t.Errorf("mutes = %v", mutes)
	}
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/note", alice, url.Values{"comment": {"met at FOSDEM"}}, 200, &rel)
	if rel["note"] != "met at FOSDEM" {
		t.Errorf("note = %v", rel)
	}
	// The block ended the follow: an endorsement needs one (as Mastodon).
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/endorse", alice, nil, 422, nil)
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", alice, nil, 200, nil)
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/endorse", alice, nil, 200, &rel)
	if rel["endorsed"] != true {
		t.Errorf("endorse = %v", rel)
	}
}

func TestUpdateCredentialsJSONAndForm(t *testing.T) {
	s := startSocialServer(t)
	_, alice := s.user(t, "alice", "read write")
	s.user(t, "bob", "read")
	var acc Account
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", alice, map[string]any{
		"display_name": "Alice A.", "note": "Friend of @bob #go", "bot": true,
		"fields_attributes": []map[string]string{{"name": "Site", "value": "https://alice.example"}},
		"source":            map[string]any{"privacy": "unlisted", "sensitive": true, "language": "fr"},
	}, 200, &acc)
	if acc.DisplayName != "Alice A." || !acc.Bot || !strings.Contains(acc.Note, "/@bob") || acc.Source.Note != "Friend of @bob #go" {
		t.Errorf("JSON update = %+v", acc)
	}
	if len(acc.Fields) != 1 || !strings.Contains(acc.Fields[0].Value, `href="https://alice.example"`) || acc.Source.Fields[0].Value != "https://alice.example" {
		t.Errorf("fields = %+v / %+v", acc.Fields, acc.Source.Fields)
	}
	if acc.Source.Privacy != "unlisted" || !acc.Source.Sensitive || acc.Source.Language != "fr" {
		t.Errorf("source = %+v", acc.Source)
	}
	var prefs map[string]any
	s.do(t, "GET", "/api/v1/preferences", alice, nil, 200, &prefs)
	if prefs["posting:default:visibility"] != "unlisted" || prefs["posting:default:language"] != "fr" || prefs["reading:expand:media"] != "default" {
		t.Errorf("preferences = %v", prefs)
	}

	form := url.Values{
		"fields_attributes[0][name]": {"A"}, "fields_attributes[0][value]": {"1"},
		"fields_attributes[1][name]": {"B"}, "fields_attributes[1][value]": {"2"},
		"source[privacy]": {"private"},
	}
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", alice, form, 200, &acc)
	if len(acc.Fields) != 2 || acc.Fields[0].Name != "A" || acc.Fields[1].Value != "2" || acc.Source.Privacy != "private" {
		t.Errorf("form update = %+v", acc.Fields)
	}
	if acc.DisplayName != "Alice A." {
		t.Errorf("display name lost: %q", acc.DisplayName)
	}
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", alice, `{"display_name": "`+strings.Repeat("x", 31)+`"}`, 422, nil)
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", alice, `{"note": "`+strings.Repeat("x", 501)+`"}`, 422, nil)
	five := `{"fields_attributes": [{"name":"1","value":"1"},{"name":"2","value":"2"},{"name":"3","value":"3"},{"name":"4","value":"4"},{"name":"5","value":"5"}]}`
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", alice, five, 422, nil)
}

func TestScopesAndLookup(t *testing.T) {
	s := startSocialServer(t)
	_, _ = s.user(t, "alice", "read write follow")
	bobID, _ := s.user(t, "bob", "read")
	readOnly := s.token(t, "alice", "read")
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", readOnly, nil, 403, nil)
	s.do(t, "POST", "/api/v1/lists", readOnly, url.Values{"title": {"x"}}, 403, nil)
	s.do(t, "PATCH", "/api/v1/accounts/update_credentials", readOnly, `{"bot": true}`, 403, nil)
	s.do(t, "GET", "/api/v1/lists", readOnly, nil, 200, nil)
	profile := s.token(t, "alice", "profile")
	s.do(t, "GET", "/api/v1/accounts/verify_credentials", profile, nil, 200, nil)
	s.do(t, "GET", "/api/v1/preferences", profile, nil, 403, nil)
	s.do(t, "GET", "/api/v1/lists", "", nil, 401, nil)

	var acc Account
	s.do(t, "GET", "/api/v1/accounts/lookup?acct=bob", "", nil, 200, &acc)
	if acc.ID != bobID {
		t.Errorf("lookup = %+v", acc)
	}
	s.do(t, "GET", "/api/v1/accounts/lookup?acct=nobody", "", nil, 404, nil)
	var accs []Account
	s.do(t, "GET", "/api/v1/accounts/search?q=bo", readOnly, nil, 200, &accs)
	if len(accs) != 1 || accs[0].ID != bobID {
		t.Errorf("search = %v", accs)
	}
	s.do(t, "GET", "/api/v1/accounts/search?q=bo&following=true", readOnly, nil, 200, &accs)
	if len(accs) != 0 {
		t.Errorf("search following = %v", accs)
	}
	s.do(t, "GET", "/api/v1/accounts?id[]="+bobID+"&id[]=1", "", nil, 200, &accs)
	if len(accs) != 1 {
		t.Errorf("accounts = %v", accs)
	}
	var res searchResults
	s.do(t, "GET", "/api/v2/search?q=@bob", "", nil, 200, &res)
	if len(res.Accounts) != 1 || res.Hashtags == nil || res.Statuses == nil {
		t.Errorf("v2 search = %+v", res)
	}
	s.do(t, "GET", "/api/v2/search?q=bob&resolve=true", "", nil, 401, nil)
	var tag Tag
	s.do(t, "GET", "/api/v1/tags/Herald", "", nil, 200, &tag)
	if tag.Name != "herald" || tag.History == nil {
		t.Errorf("tag = %+v", tag)
	}
	var dir []Account
	s.do(t, "GET", "/api/v1/directory?order=new", "", nil, 200, &dir)
	if len(dir) != 2 {
		t.Errorf("directory = %d accounts", len(dir))
	}
	for _, p := range []string{"/api/v1/endorsements", "/api/v1/featured_tags", "/api/v1/followed_tags", "/api/v1/domain_blocks", "/api/v2/suggestions"} {
		var raw json.RawMessage
		s.do(t, "GET", p, readOnly, nil, 200, &raw)
		if string(raw) != "[]" {
			t.Errorf("%s = %s", p, raw)
		}
	}
}

func TestListsOverHTTP(t *testing.T) {
	s := startSocialServer(t)
	_, alice := s.user(t, "alice", "read write follow")
	bobID, _ := s.user(t, "bob", "read")
	_, carol := s.user(t, "carol", "read write")

	var l List
	s.do(t, "POST", "/api/v1/lists", alice, url.Values{"title": {"Friends"}}, 200, &l)
	if l.Title != "Friends" || l.RepliesPolicy != "list" || l.Exclusive {
		t.Fatalf("list = %+v", l)
	}
	s.do(t, "POST", "/api/v1/lists", alice, url.Values{"title": {""}}, 422, nil)
	s.do(t, "PUT", "/api/v1/lists/"+l.ID, alice, `{"title": "Pals", "replies_policy": "followed", "exclusive": true}`, 200, &l)
	if l.Title != "Pals" || l.RepliesPolicy != "followed" || !l.Exclusive {
		t.Errorf("updated = %+v", l)
	}
	s.do(t, "GET", "/api/v1/lists/"+l.ID, carol, nil, 404, nil)
	s.do(t, "POST", "/api/v1/lists/"+l.ID+"/accounts", alice, url.Values{"account_ids[]": {bobID}}, 422, nil)
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", alice, nil, 200, nil)
	s.do(t, "POST", "/api/v1/lists/"+l.ID+"/accounts", alice, url.Values{"account_ids[]": {bobID}}, 200, nil)
	var members []Account
	s.do(t, "GET", "/api/v1/lists/"+l.ID+"/accounts", alice, nil, 200, &members)
	if len(members) != 1 || members[0].ID != bobID {
		t.Errorf("members = %v", members)
	}
	var lists []List
	s.do(t, "GET", "/api/v1/accounts/"+bobID+"/lists", alice, nil, 200, &lists)
	if len(lists) != 1 {
		t.Errorf("account lists = %v", lists)
	}
	s.do(t, "DELETE", "/api/v1/lists/"+l.ID+"/accounts?account_ids[]="+bobID, alice, nil, 200, nil)
	s.do(t, "GET", "/api/v1/lists/"+l.ID+"/accounts", alice, nil, 200, &members)
	if len(members) != 0 {
		t.Errorf("members after delete = %v", members)
	}
	s.do(t, "DELETE", "/api/v1/lists/"+l.ID, alice, nil, 200, nil)
	s.do(t, "GET", "/api/v1/lists", alice, nil, 200, &lists)
	if len(lists) != 0 {
		t.Errorf("lists after delete = %v", lists)
	}
}

func TestFiltersV1V2AndMarkers(t *testing.T) {
	s := startSocialServer(t)
	_, alice := s.user(t, "alice", "read write")
	_, bob := s.user(t, "bob", "read write")

	var f Filter
	s.do(t, "POST", "/api/v2/filters", alice, url.Values{
		"title": {"Spoilers"}, "context[]": {"home", "public"}, "filter_action": {"hide"},
		"keywords_attributes[0][keyword]": {"finale"}, "keywords_attributes[1][keyword]": {"ending"},
		"keywords_attributes[1][whole_word]": {"false"}, "expires_in": {"3600"},
	}, 200, &f)
	if f.Title != "Spoilers" || len(f.Context) != 2 || f.FilterAction != "hide" || len(f.Keywords) != 2 || f.ExpiresAt == nil || f.Keywords[1].WholeWord {
		t.Fatalf("filter = %+v", f)
	}
	s.do(t, "POST", "/api/v2/filters", alice, `{"title": "x", "context": ["nowhere"]}`, 422, nil)
	s.do(t, "GET", "/api/v2/filters/"+f.ID, bob, nil, 404, nil)
	body := map[string]any{"title": "Spoilers!", "keywords_attributes": []map[string]any{
		{"id": f.Keywords[0].ID, "_destroy": true}, {"keyword": "twist"}}}
	s.do(t, "PUT", "/api/v2/filters/"+f.ID, alice, body, 200, &f)
	if f.Title != "Spoilers!" || len(f.Keywords) != 2 || f.Keywords[1].Keyword != "twist" {
		t.Errorf("updated = %+v", f)
	}
	var kw FilterKeyword
	s.do(t, "POST", "/api/v2/filters/"+f.ID+"/keywords", alice, url.Values{"keyword": {"plot"}}, 200, &kw)
	if kw.Keyword != "plot" || !kw.WholeWord {
		t.Errorf("keyword = %+v", kw)
	}
	s.do(t, "PUT", "/api/v2/filters/keywords/"+kw.ID, alice, url.Values{"keyword": {"plots"}, "whole_word": {"false"}}, 200, &kw)
	if kw.Keyword != "plots" || kw.WholeWord {
		t.Errorf("updated keyword = %+v", kw)
	}
	var kws []FilterKeyword
	s.do(t, "GET", "/api/v2/filters/"+f.ID+"/keywords", alice, nil, 200, &kws)
	if len(kws) != 3 {
		t.Errorf("keywords = %v", kws)
	}
	s.do(t, "DELETE", "/api/v2/filters/keywords/"+kw.ID, alice, nil, 200, nil)
	s.do(t, "GET", "/api/v2/filters/keywords/"+kw.ID, alice, nil, 404, nil)
	var sts []FilterStatus
	s.do(t, "GET", "/api/v2/filters/"+f.ID+"/statuses", alice, nil, 200, &sts)
	if sts == nil || len(sts) != 0 {
		t.Errorf("statuses = %v", sts)
	}
	s.do(t, "POST", "/api/v2/filters/"+f.ID+"/statuses", alice, url.Values{"status_id": {"12345"}}, 404, nil)

	// v1 sees each keyword as a filter.
	var v1 []V1Filter
	s.do(t, "GET", "/api/v1/filters", alice, nil, 200, &v1)
	if len(v1) != 2 || !v1[0].Irreversible {
		t.Errorf("v1 filters = %+v", v1)
	}
	var one V1Filter
	s.do(t, "POST", "/api/v1/filters", alice, url.Values{"phrase": {"election"}, "context[]": {"home"}, "whole_word": {"true"}}, 200, &one)
	if one.Phrase != "election" || one.Irreversible || !one.WholeWord || len(one.Context) != 1 {
		t.Errorf("v1 create = %+v", one)
	}
	s.do(t, "PUT", "/api/v1/filters/"+one.ID, alice, url.Values{"phrase": {"elections"}, "context[]": {"home", "notifications"}, "irreversible": {"true"}}, 200, &one)
	if one.Phrase != "elections" || !one.Irreversible || len(one.Context) != 2 {
		t.Errorf("v1 update = %+v", one)
	}
	var fs []Filter
	s.do(t, "GET", "/api/v2/filters", alice, nil, 200, &fs)
	if len(fs) != 2 || fs[1].Title != "elections" || fs[1].FilterAction != "hide" {
		t.Errorf("v2 view of v1 filter = %+v", fs)
	}
	// Changing the multi-keyword filter's settings through v1 is refused.
	s.do(t, "PUT", "/api/v1/filters/"+v1[0].ID, alice, url.Values{"context[]": {"thread"}}, 422, nil)
	s.do(t, "DELETE", "/api/v1/filters/"+one.ID, alice, nil, 200, nil)
	s.do(t, "GET", "/api/v2/filters", alice, nil, 200, &fs)
	if len(fs) != 1 {
		t.Errorf("v1 delete left the filter: %+v", fs)
	}
	s.do(t, "DELETE", "/api/v2/filters/"+f.ID, alice, nil, 200, nil)
	s.do(t, "GET", "/api/v2/filters/"+f.ID, alice, nil, 404, nil)

	// Markers.
	var ms map[string]Marker
	s.do(t, "GET", "/api/v1/markers?timeline[]=home", alice, nil, 200, &ms)
	if len(ms) != 0 {
		t.Errorf("markers before = %v", ms)
	}
	s.do(t, "POST", "/api/v1/markers", alice, url.Values{"home[last_read_id]": {"100"}, "notifications[last_read_id]": {"7"}}, 200, &ms)
	if ms["home"].Version != 1 || ms["notifications"].LastReadID != "7" || ms["home"].UpdatedAt == "" {
		t.Errorf("markers = %v", ms)
	}
	s.do(t, "POST", "/api/v1/markers", alice, `{"home": {"last_read_id": "200"}}`, 200, &ms)
	if ms["home"].Version != 2 || ms["home"].LastReadID != "200" {
		t.Errorf("markers after update = %v", ms)
	}
	s.do(t, "GET", "/api/v1/markers?timeline[]=home&timeline[]=notifications", alice, nil, 200, &ms)
	if len(ms) != 2 || ms["home"].LastReadID != "200" {
		t.Errorf("markers read = %v", ms)
	}
}

func TestSearchStatusByURLAndFeedBackfill(t *testing.T) {
	s := startSocialServer(t)
	_, alice := s.user(t, "alice", "read write follow")
	bobID, _ := s.user(t, "bob", "read write")
	ctx := context.Background()
	bob, _ := s.svc.LocalAccount(ctx, "bob")
	u, _ := s.store.UserByAccountID(ctx, bob.ID)
	st, err := s.svc.PostStatus(ctx, &core.Caller{Token: &model.Token{Scopes: "read write"}, User: u, Account: bob}, core.PostParams{Text: "hello #herald"})
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Accounts []Account        `json:"accounts"`
		Statuses []map[string]any `json:"statuses"`
		Hashtags []Tag            `json:"hashtags"`
	}
	s.do(t, "GET", "/api/v2/search?q="+url.QueryEscape(st.URI), alice, nil, 200, &res)
	if len(res.Statuses) != 1 || res.Statuses[0]["id"] != idString(st.ID) {
		t.Errorf("search by URL = %+v", res)
	}
	s.do(t, "GET", "/api/v2/search?q=%23her&type=hashtags", alice, nil, 200, &res)
	if len(res.Hashtags) != 1 || res.Hashtags[0].Name != "herald" {
		t.Errorf("hashtag search = %+v", res.Hashtags)
	}
	// Following copies bob's recent posts into alice's home feed.
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/follow", alice, nil, 200, nil)
	aliceAcc, _ := s.svc.LocalAccount(ctx, "alice")
	home, err := s.store.HomeTimeline(ctx, aliceAcc.ID, model.Page{Limit: 10})
	if err != nil || len(home) != 1 || home[0].ID != st.ID {
		t.Errorf("home after follow = %v, %v", home, err)
	}
	s.do(t, "POST", "/api/v1/accounts/"+bobID+"/unfollow", alice, nil, 200, nil)
	if home, _ := s.store.HomeTimeline(ctx, aliceAcc.ID, model.Page{Limit: 10}); len(home) != 0 {
		t.Errorf("home after unfollow = %v", home)
	}
}
