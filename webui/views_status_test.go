package webui_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage"
)

// TestStatusViews: the pages that show posts, written in
// Go, render in their main states: the
// status card with media of each kind, polls (to vote, voted, closed,
// open, several choices, totals hidden), quotes (shown, with a content
// warning, unavailable), content warnings, boosts and replies, seen by
// its author, by others and by visitors; empty pages, forms shown again
// with their errors.
func TestStatusViews(t *testing.T) {
	ts := server.StartTest(t)
	ctx := t.Context()
	ts.CreateUser(t, "owner1", "owner")
	ann := ts.CreateUser(t, "ann", "user")
	ben := ts.CreateUser(t, "ben", "user")
	ts.CreateUser(t, "cat", "user")
	dan := ts.CreateUser(t, "dan", "user")
	ownerTok := ts.Token(t, "owner1", "read write follow admin:read admin:write")
	annTok := ts.Token(t, "ann", "read write follow")
	benTok := ts.Token(t, "ben", "read write follow")
	catTok := ts.Token(t, "cat", "read write follow")
	danTok := ts.Token(t, "dan", "read write follow")
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	// seen is every page compared, to check below that the states were
	// reached.
	var seen strings.Builder
	same := func(b *browser, method, path string, form url.Values) {
		t.Helper()
		seen.WriteString(b.view(method, path, form))
	}
	post := func(tok string, body map[string]any) string {
		t.Helper()
		var st struct{ ID string }
		ts.JSON(t, "POST", "/api/v1/statuses", tok, body, 200, &st)
		return st.ID
	}

	// Visitors' pages before anything: the about page with nothing on it.
	anon := newBrowser(t, ts)
	same(anon, "GET", "/about", nil)

	// The instance: its texts, contact, staff, rules, moderated servers
	// and an announcement.
	ts.JSON(t, "PUT", "/api/v1/admin/settings", ownerTok, map[string]any{"description": "A *small* place for <friends> & 'others'",
		"extended_description": "More words about it.", "contact_account": "owner1", "contact_email": "admin@example.com", "show_staff": true,
		"registrations_mode": "open"}, 200, nil)
	var rule1, rule2 struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/rules", ownerTok, map[string]any{"text": "Be kind", "hint": "to \"everyone\""}, 200, &rule1)
	ts.JSON(t, "POST", "/api/v1/admin/rules", ownerTok, map[string]any{"text": "No spam"}, 200, &rule2)
	ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", ownerTok, map[string]any{"domain": "bad.example", "severity": "suspend", "public_comment": "spam <farm>"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/admin/domain_blocks", ownerTok, map[string]any{"domain": "loud.example", "severity": "silence"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/admin/announcements", ownerTok, map[string]any{"text": "Welcome, all!", "published": true}, 200, nil)

	// The accounts: ann with a display name to escape, a note and fields;
	// dan locked and a bot.
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", annTok, map[string]any{"display_name": `Ann "A" <& co>`,
		"note": "I write about <b>tea</b> & 'coffee'.", "fields_attributes": []map[string]string{{"name": "Site", "value": "https://ann.example"}, {"name": "Tea", "value": "green"}}}, 200, nil)
	verified := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := ts.Srv.Store.UpdateProfile(ctx, ann.ID, storage.ProfileUpdate{Fields: &[]model.Field{
		{Name: "Site", Value: `<a href="https://ann.example" rel="me">ann.example</a>`, VerifiedAt: &verified}, {Name: "Tea", Value: "green"}}}, nil); err != nil {
		t.Fatal(err)
	}
	// ben's role is shown as a badge.
	var role struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/admin/roles", ownerTok, map[string]any{"name": "Helper <1>", "permissions": "0", "position": 5,
		"color": "#00aa00", "highlighted": true}, 200, &role)
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+id(ben.ID)+"/role", ownerTok, map[string]any{"role_id": role.ID}, 200, nil)
	ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", danTok, map[string]any{"locked": true, "bot": true}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+id(ann.ID)+"/follow", benTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+id(ben.ID)+"/follow", annTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+id(dan.ID)+"/follow", catTok, nil, 200, nil) // a request: dan is locked

	// A remote account with a post that has media of another kind and
	// polls: one open with its totals hidden, one closed.
	rob := &model.Account{Username: "rob", Domain: "remote.example", URI: "https://remote.example/users/rob",
		URL: "https://remote.example/@rob", InboxURL: "https://remote.example/users/rob/inbox", DisplayName: "Rob"}
	if err := ts.Srv.Store.UpsertRemoteAccount(ctx, rob); err != nil {
		t.Fatal(err)
	}
	remote := func(n int, text string, poll *model.Poll, media ...*model.MediaAttachment) string {
		t.Helper()
		st, _, err := ts.Srv.Store.CreateStatus(ctx, storage.NewStatus{Status: &model.Status{AccountID: rob.ID,
			URI: fmt.Sprintf("https://remote.example/users/rob/statuses/%d", n), URL: fmt.Sprintf("https://remote.example/@rob/%d", n),
			Content: "<p>" + text + "</p>", Text: text, Visibility: model.Public, CreatedAt: time.Now().Add(-time.Hour)}, Poll: poll, RemoteMedia: media})
		if err != nil {
			t.Fatal(err)
		}
		return st.URI
	}
	closed := time.Now().Add(-time.Minute)
	robOpen := remote(1, "remote words", &model.Poll{Options: []string{"yes", "no"}, Counts: []int64{3, 1}, VotesCount: 4, VotersCount: 4, HideTotals: true},
		&model.MediaAttachment{Type: "unknown", RemoteURL: "https://remote.example/files/doc.bin", Description: "a document"},
		&model.MediaAttachment{Type: "image", RemoteURL: "https://remote.example/files/pic.png", Description: "a picture"})
	robClosed := remote(2, "a closed vote", &model.Poll{Options: []string{"left", "right"}, Counts: []int64{1, 2}, VotesCount: 3, VotersCount: 3,
		Multiple: true, ExpiresAt: &closed, ClosedAt: &closed})

	// ann's posts: a hashtag, a content warning, polls, followers only,
	// media of each kind, posts to quote, one whose replies wait for her.
	media := func(typ, desc string) string {
		t.Helper()
		m := &model.MediaAttachment{AccountID: ann.ID, Type: typ, ContentType: "application/octet-stream", FileKey: "test/" + typ + "-" + strconv.Itoa(len(desc)),
			PreviewKey: "", Description: desc, Processing: model.MediaReady}
		if err := ts.Srv.Store.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		return id(m.ID)
	}
	hello := post(annTok, map[string]any{"status": "Hello #herald world, with <b>markup</b> & 'quotes'"})
	cw := post(annTok, map[string]any{"status": "the ending", "spoiler_text": `spoilers "ahead" <here>`})
	poll1 := post(annTok, map[string]any{"status": "tea or coffee?", "poll": map[string]any{"options": []string{"tea", "coffee"}, "expires_in": 3600}})
	poll2 := post(annTok, map[string]any{"status": "which ones?", "poll": map[string]any{"options": []string{"a", "b", "c"}, "expires_in": 7200, "multiple": true}})
	post(annTok, map[string]any{"status": "for my followers", "visibility": "private"})
	post(annTok, map[string]any{"status": "pictures", "media_ids": []string{media("image", `a "quoted" <alt>`), media("image", "second")}})
	post(annTok, map[string]any{"status": "a loop", "media_ids": []string{media("gifv", "moving")}})
	post(annTok, map[string]any{"status": "a clip", "media_ids": []string{media("video", "the clip")}})
	post(annTok, map[string]any{"status": "a song", "media_ids": []string{media("audio", "the song")}})
	orig := post(annTok, map[string]any{"status": "the original words", "quote_approval_policy": "public"})
	origCW := post(annTok, map[string]any{"status": "hidden original", "spoiler_text": "careful", "quote_approval_policy": "public"})
	asked := post(annTok, map[string]any{"status": "ask before replying", "interaction_policy": map[string]any{
		"can_reply": map[string]any{"automatic_approval": []string{"author"}, "manual_approval": []string{"public"}}}})
	ts.JSON(t, "POST", "/api/v1/statuses/"+hello+"/pin", annTok, nil, 200, nil)

	// ben: quotes (shown, with a warning, revoked), a reply and ann's
	// answer, a boost, a favourite, votes.
	post(benTok, map[string]any{"status": "ben quotes", "quoted_status_id": orig})
	post(benTok, map[string]any{"status": "ben quotes a warning", "quoted_status_id": origCW})
	revoked := post(benTok, map[string]any{"status": "ben quotes again", "quoted_status_id": orig})
	ts.JSON(t, "POST", "/api/v1/statuses/"+orig+"/quotes/"+revoked+"/revoke", annTok, nil, 200, nil)
	reply := post(benTok, map[string]any{"status": "@ann nice one", "in_reply_to_id": hello})
	post(annTok, map[string]any{"status": "@ben thanks", "in_reply_to_id": reply})
	ts.JSON(t, "POST", "/api/v1/statuses/"+hello+"/reblog", benTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses/"+hello+"/favourite", benTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/polls/"+poll2+"/votes", benTok, map[string]any{"choices": []string{"0", "2"}}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/statuses", catTok, map[string]any{"status": "@ann may I?", "in_reply_to_id": asked}, 200, nil)

	// Lists: ann's list of ben, and an empty one.
	var friends, empty struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/lists", annTok, map[string]any{"title": "Friends & <family>"}, 200, &friends)
	ts.JSON(t, "POST", "/api/v1/lists/"+friends.ID+"/accounts", annTok, map[string]any{"account_ids": []string{id(ben.ID)}}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/lists", annTok, map[string]any{"title": "Empty one"}, 200, &empty)

	// Reports: ben reports ann's post for a rule; another report is
	// resolved; ann is warned (a moderation notification).
	var rep, rep2 struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", benTok, map[string]any{"account_id": id(ann.ID), "status_ids": []string{hello},
		"category": "violation", "rule_ids": []string{rule1.ID}, "comment": "rude <words> & more"}, 200, &rep)
	ts.JSON(t, "POST", "/api/v1/reports", catTok, map[string]any{"account_id": id(ben.ID), "comment": ""}, 200, &rep2)
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/assign_to_self", ownerTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep.ID+"/notes", ownerTok, map[string]any{"content": "looking <into> it"}, 200, nil)
	ts.JSON(t, "POST", "/api/v1/admin/reports/"+rep2.ID+"/resolve", ownerTok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/admin/accounts/"+id(ann.ID)+"/action", ownerTok, map[string]any{"type": "none", "text": "be nice"}, 200, nil)
	// A report from another server's moderators.
	if err := ts.Srv.Svc.ReceiveFlag(ctx, "remote.example", rob.ID, ben.ID, nil, "from their moderators", "https://remote.example/flags/1"); err != nil {
		t.Fatal(err)
	}
	var fwd struct{ ID string }
	ts.JSON(t, "POST", "/api/v1/reports", benTok, map[string]any{"account_id": id(rob.ID), "forward": true, "comment": "remote spam"}, 200, &fwd)
	var reports []struct {
		ID      string `json:"id"`
		Comment string `json:"comment"`
	}
	ts.JSON(t, "GET", "/api/v1/admin/reports", ownerTok, nil, 200, &reports)
	flagged := ""
	for _, r := range reports {
		if r.Comment == "from their moderators" {
			flagged = r.ID
		}
	}
	if flagged == "" {
		t.Fatalf("the remote report is not listed: %+v", reports)
	}

	// Visitors.
	for _, p := range []string{"/", "/about", "/@ann", "/@ann?replies=1", "/@ann?media=1", "/@ben", "/@ben?media=1", "/@dan",
		"/@ann/" + hello, "/@ann/" + cw, "/@ann/" + poll1, "/@ann/" + poll2, "/@ben/" + reply, "/@ben/" + revoked, "/tags/herald", "/tags/nothing",
		"/remote_interaction?uri=" + url.QueryEscape(ts.URL+"/@ann")} {
		same(anon, "GET", p, nil)
	}
	anon.do("GET", "/@ann", nil)
	same(anon, "POST", "/remote_interaction", url.Values{"uri": {ts.URL + "/@ann"}, "acct": {"not an address"}})

	// ben: a follower, who voted in one poll, boosted and favourited.
	b := newBrowser(t, ts)
	b.signIn("ben")
	for _, p := range []string{"/", "/about", "/home", "/local", "/notifications", "/requests", "/lists", "/search",
		"/search?q=ann", "/search?q=herald", "/search?q=" + url.QueryEscape(ts.URL+"/@ann/"+hello), "/search?q=" + url.QueryEscape(robOpen),
		"/search?q=" + url.QueryEscape(robClosed), "/search?q=zzzz", "/search?q=" + url.QueryEscape("<b>&'\""),
		"/@ann", "/@ann?replies=1", "/@ann?media=1", "/@ben", "/@dan", "/@ann/" + hello, "/@ann/" + cw, "/@ann/" + poll1, "/@ann/" + poll2,
		"/@ben/" + reply, "/@ann/" + orig, "/@ben/" + revoked, "/tags/herald",
		"/statuses/" + hello + "/report", "/authorize_interaction?uri=" + url.QueryEscape(ts.URL+"/@ann"),
		"/authorize_interaction?uri=" + url.QueryEscape(robOpen), "/authorize_interaction?acct=dan",
		"/authorize_interaction?uri=" + url.QueryEscape("https://nowhere.invalid/x")} {
		same(b, "GET", p, nil)
	}
	// The report form of a remote post (forwarding offered), and shown
	// again with its error.
	_, page := b.do("GET", "/search?q="+url.QueryEscape(robOpen), nil)
	i := strings.Index(page, `href="/statuses/`)
	if i < 0 {
		t.Fatalf("no remote post found: %s", page)
	}
	robID := page[i+len(`href="/statuses/`):]
	robID = robID[:strings.Index(robID, "/")]
	same(b, "GET", "/statuses/"+robID+"/report", nil)
	same(b, "POST", "/statuses/"+robID+"/report", url.Values{"category": {"violation"}, "rule_ids": {"x"}, "comment": {"why <not>"}})
	same(b, "POST", "/statuses/"+hello+"/report", url.Values{"category": {"violation"}, "rule_ids": {"999999"}, "comment": {"a <comment>"}})

	// ann: her own posts, her notifications (a warning among them),
	// requests waiting, lists.
	a := newBrowser(t, ts)
	a.signIn("ann")
	for _, p := range []string{"/home", "/local", "/notifications", "/requests", "/lists", "/lists/" + friends.ID, "/lists/" + empty.ID,
		"/@ann", "/@ann?replies=1", "/@ben", "/@ann/" + hello, "/@ann/" + poll1, "/@ann/" + poll2, "/@ben/" + reply, "/@ann/" + asked,
		"/search?q=ben", "/search?q=dan"} {
		same(a, "GET", p, nil)
	}

	// cat: a request to dan waiting, nothing else yet.
	c := newBrowser(t, ts)
	c.signIn("cat")
	for _, p := range []string{"/home", "/notifications", "/requests", "/lists", "/@dan", "/search?q=dan", "/@ann/" + poll1,
		"/authorize_interaction?acct=dan", "/authorize_interaction?uri=" + url.QueryEscape(ts.URL+"/@ann/"+poll1)} {
		same(c, "GET", p, nil)
	}

	// The owner: notifications of reports, the report pages (open,
	// resolved, an action refused with its error).
	o := newBrowser(t, ts)
	o.signIn("owner1")
	for _, p := range []string{"/notifications", "/about", "/@ann", "/admin/reports/" + rep.ID, "/admin/reports/" + rep2.ID, "/admin/reports/" + flagged, "/admin/reports/" + fwd.ID} {
		same(o, "GET", p, nil)
	}
	same(o, "POST", "/admin/reports/"+rep.ID+"/action", url.Values{"type": {"delete_statuses"}, "text": {"you <did> it"}})

	// More than a page of posts: the "older" links.
	for n := range 21 {
		post(danTok, map[string]any{"status": fmt.Sprintf("post %d", n)})
	}
	d := newBrowser(t, ts)
	d.signIn("dan")
	for _, p := range []string{"/@dan", "/home", "/local", "/notifications"} {
		same(d, "GET", p, nil)
	}

	// The annual report's share page.
	year := time.Now().UTC().Year()
	ts.Srv.Svc.SetClock(func() time.Time { return time.Date(year, 12, 15, 12, 0, 0, 0, time.UTC) })
	ts.JSON(t, "POST", fmt.Sprintf("/api/v1/annual_reports/%d/generate", year), annTok, nil, 200, nil)
	ts.Srv.Svc.SetClock(nil)
	var w struct {
		AnnualReports []struct {
			ShareURL *string `json:"share_url"`
		} `json:"annual_reports"`
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/annual_reports/%d", year), annTok, nil, 200, &w)
	if len(w.AnnualReports) != 1 || w.AnnualReports[0].ShareURL == nil {
		t.Fatalf("reports: %+v", w)
	}
	share := strings.TrimPrefix(*w.AnnualReports[0].ShareURL, ts.URL)
	same(anon, "GET", share, nil)
	same(b, "GET", share, nil)

	all := seen.String()
	for _, want := range []string{
		// The status card.
		`<video src=`, `<audio src=`, `>Attachment</a>`, `loading="lazy"`, `<p class="muted boosted">`, `(show more)`, `replies</span>`,
		`type="radio" name="choices"`, `type="checkbox" name="choices"`, `(your vote)`, `Closed</p>`, `Open</p>`, `Ends <time`,
		`style="width: 0%"`, `<span class="poll-pct">`, `<blockquote class="quote">`, `<details class="cw"><summary>careful</summary>`,
		`quote unavailable`, `data-confirm="Delete this post?"`, `/report">Report</a>`, `aria-pressed="true">Unboost`,
		`aria-pressed="true">Unfavourite`, `aria-pressed="false">Boost`,
		// Compose, follow buttons, the remote form.
		`<h2 id="compose-h">Reply</h2>`, `<h2 id="compose-h">New post</h2>`, `name="in_reply_to_id"`, `Default: `,
		`Cancel follow request`, `<button class="secondary">Unfollow</button>`, `<button>Follow</button>`, `class="remote-form"`,
		`<p class="error" role="alert">`,
		// The pages.
		`Announcement · <time`, `note-moderation`, `filed a report on`, `Older posts</a>`, `>Older</a>`, `No notifications yet.`,
		`Nothing waits for your approval.`, `Your post:</p>`, `No lists yet.`, `Nothing in this list's timeline yet.`, `(1 account)`,
		`Nothing found for`, `Hashtags</h2>`, `People</h2>`, `Posts</h2>`, `Edit profile`, `Pinned</h2>`, `class="role-badge" data-color=`,
		`verified-mark`, `No posts with media yet.`, `locked</span>`, ` · bot`, `Open profile`, `Open post`, `<h1>Not found</h1>`,
		`Also send an anonymous copy`, `Rules cited`, `form-error`, `Resolved `, `Unassign`, `Assign to me`, `Reopen`, `Add note and resolve`,
		`Moderated servers`, `Staff</h2>`, `Administered by`, `E-mail:`, `Recent posts`, `Highlighted posts`, `Most used hashtags`,
		`No contact published.`, `Create an account`, `(forwarded)`, `<div class="prose">`, `More about this instance`, `rel="alternate" type="application/atom+xml"`,
		`property="og:title"`, `name="robots"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no page compared has %q", want)
		}
	}
}
