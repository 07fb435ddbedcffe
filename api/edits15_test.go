package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

type editedStatus struct {
	ID    string      `json:"id"`
	Text  *string     `json:"text"`
	Media []mediaJSON `json:"media_attachments"`
	Poll  *struct {
		ID         string `json:"id"`
		Multiple   bool   `json:"multiple"`
		VotesCount int    `json:"votes_count"`
		Voted      bool   `json:"voted"`
		Options    []struct {
			Title      string `json:"title"`
			VotesCount *int   `json:"votes_count"`
		} `json:"options"`
	} `json:"poll"`
	Quote *struct {
		State        string `json:"state"`
		QuotedStatus *struct {
			ID string `json:"id"`
		} `json:"quoted_status"`
	} `json:"quote"`
}

type historyEntry struct {
	Content string      `json:"content"`
	Media   []mediaJSON `json:"media_attachments"`
	Poll    *struct {
		Options []struct {
			Title string `json:"title"`
		} `json:"options"`
	} `json:"poll"`
}

func uploadPhoto(t *testing.T, ts *server.TestServer, tok, alt string) mediaJSON {
	t.Helper()
	var m mediaJSON
	if st := upload(t, ts, "POST", "/api/v2/media", tok, map[string]string{"description": alt},
		map[string]formFile{"file": {"p.jpg", "image/jpeg", gpsJPEG(t, 32, 16)}}, &m); st != 200 {
		t.Fatalf("upload: %d", st)
	}
	return m
}

func descs(ms []mediaJSON) []string {
	out := []string{}
	for _, m := range ms {
		d := ""
		if m.Description != nil {
			d = *m.Description
		}
		out = append(out, d)
	}
	return out
}

// TestEditMediaAttributes: PUT /api/v1/statuses/:id honours
// media_attributes[] (id, description, focus) for the attachments the edit
// keeps, from JSON, a form and masto.js (they were ignored); the history
// shows each version's alt text, as Mastodon's StatusEdit.
func TestEditMediaAttributes(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	tok := ts.Token(t, "ann", "read write")
	m1, m2 := uploadPhoto(t, ts, tok, "first alt"), uploadPhoto(t, ts, tok, "second alt")
	var st editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "two pictures", "media_ids": []string{m1.ID, m2.ID}}, 200, &st)

	// JSON: the first one's alt text and focus change; an entry for an
	// attachment the edit does not keep is ignored.
	stray := uploadPhoto(t, ts, tok, "stray")
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, tok, map[string]any{"status": "two pictures, described", "media_ids": []string{m1.ID, m2.ID},
		"media_attributes": []map[string]any{{"id": m1.ID, "description": "a red bridge", "focus": "0.5,-0.5"}, {"id": stray.ID, "description": "nope"}}}, 200, &st)
	if got := descs(st.Media); len(got) != 2 || got[0] != "a red bridge" || got[1] != "second alt" {
		t.Fatalf("after the JSON edit: %v", got)
	}
	if f := st.Media[0].Meta.Focus; f == nil || f.X != 0.5 || f.Y != -0.5 {
		t.Fatalf("focus after the edit: %+v", st.Media[0].Meta.Focus)
	}
	// A form, as Rails nests it.
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, tok, url.Values{"status": {"two pictures, by form"}, "media_ids[]": {m1.ID, m2.ID},
		"media_attributes[][id]": {m2.ID}, "media_attributes[][description]": {"a blue boat"}}, 200, &st)
	if got := descs(st.Media); got[0] != "a red bridge" || got[1] != "a blue boat" {
		t.Fatalf("after the form edit: %v", got)
	}
	// A bad focus: 422, nothing changed.
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, tok, map[string]any{"status": "broken", "media_ids": []string{m1.ID, m2.ID},
		"media_attributes": []map[string]any{{"id": m1.ID, "focus": "7,7"}}}, 422, nil)

	// masto.js.
	var js struct {
		Alts []string `json:"alts"`
	}
	runMastoJS(t, `
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
const [dir, base, tok, id, m1, m2] = process.argv.slice(2);
const require = createRequire(path.join(dir, "package.json"));
const { createRestAPIClient } = await import(pathToFileURL(require.resolve("masto")).href);
const c = createRestAPIClient({ url: base, accessToken: tok });
const st = await c.v1.statuses.$select(id).update({ status: "two pictures, by masto.js", mediaIds: [m1, m2], mediaAttributes: [{ id: m1, description: "masto.js alt" }] });
console.log(JSON.stringify({ alts: st.mediaAttachments.map((m) => m.description) }));
`, &js, ts.URL, tok, st.ID, m1.ID, m2.ID)
	if len(js.Alts) != 2 || js.Alts[0] != "masto.js alt" || js.Alts[1] != "a blue boat" {
		t.Fatalf("masto.js edit: %+v", js)
	}

	// The history: each version with the alt text it had.
	var hist []historyEntry
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/history", tok, nil, 200, &hist)
	want := [][]string{{"first alt", "second alt"}, {"a red bridge", "second alt"}, {"a red bridge", "a blue boat"}, {"masto.js alt", "a blue boat"}}
	if len(hist) != len(want) {
		t.Fatalf("history: %d versions, want %d", len(hist), len(want))
	}
	for i, w := range want {
		if got := descs(hist[i].Media); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("version %d: %v, want %v", i, got, w)
		}
	}
}

// TestDeleteAndRedraft: DELETE /api/v1/statuses/:id answers the status as
// it was, with text, media_attachments and poll (the media came back empty,
// the rows gone with the status), and the attachments stay usable for the
// new post, as Mastodon keeps them; delete_media=true deletes them at once.
// Mastodon.py redrafts too.
func TestDeleteAndRedraft(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	tok := ts.Token(t, "ann", "read write")
	m := uploadPhoto(t, ts, tok, "the view")
	var st, gone editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "look #here", "media_ids": []string{m.ID}}, 200, &st)
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+st.ID, tok, nil, 200, &gone)
	if gone.Text == nil || *gone.Text != "look #here" || len(gone.Media) != 1 || gone.Media[0].ID != m.ID || descs(gone.Media)[0] != "the view" {
		t.Fatalf("deleted: %+v", gone)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, tok, nil, 404, nil)
	var again editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": *gone.Text, "media_ids": []string{gone.Media[0].ID}}, 200, &again)
	if len(again.Media) != 1 || again.Media[0].ID != m.ID {
		t.Fatalf("redraft: %+v", again)
	}
	if code, _, _ := ts.Do(t, "GET", *again.Media[0].URL, "", nil); code != 200 {
		t.Fatalf("the redrafted attachment's file: %d", code)
	}
	// delete_media: gone for good.
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+again.ID+"?delete_media=true", tok, nil, 200, &gone)
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "again", "media_ids": []string{m.ID}}, 422, nil)

	// A poll comes back with its options.
	var poll editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "tea or coffee?",
		"poll": map[string]any{"options": []string{"tea", "coffee"}, "expires_in": 3600}}, 200, &poll)
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+poll.ID, tok, nil, 200, &gone)
	if gone.Poll == nil || len(gone.Poll.Options) != 2 || gone.Poll.Options[1].Title != "coffee" {
		t.Fatalf("deleted poll: %+v", gone.Poll)
	}

	// Mastodon.py: delete, then post the returned text and media again.
	m = uploadPhoto(t, ts, tok, "py view")
	ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": "from python", "media_ids": []string{m.ID}}, 200, &st)
	var py struct {
		Text  string   `json:"text"`
		Media []string `json:"media"`
	}
	runMastodonPy(t, `
import json, sys
from mastodon import Mastodon
base, tok, sid = sys.argv[1:4]
m = Mastodon(access_token=tok, api_base_url=base, version_check_mode="none", mastodon_version="4.3.0", request_timeout=15)
d = m.status_delete(sid)
n = m.status_post(d["text"], media_ids=[x["id"] for x in d["media_attachments"]])
print(json.dumps({"text": d["text"], "media": [str(x["id"]) for x in n["media_attachments"]]}))
`, &py, ts.URL, tok, st.ID)
	if py.Text != "from python" || len(py.Media) != 1 || py.Media[0] != m.ID {
		t.Fatalf("Mastodon.py redraft: %+v", py)
	}
}

// TestEditPoll: an edit may change a poll as Mastodon's: the same options
// keep the votes, new options (or multiple) reset them; voters hear of the
// edit ("update"); the history shows each version's options. Mastodon.py
// edits a poll.
func TestEditPoll(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "ben", "")
	ann, ben := ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write")
	var st editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "tea or coffee?",
		"poll": map[string]any{"options": []string{"tea", "coffee"}, "expires_in": 3600}}, 200, &st)
	ts.JSON(t, "POST", "/api/v1/polls/"+st.Poll.ID+"/votes", ben, map[string]any{"choices": []string{"1"}}, 200, nil)

	// Same options, a later end: the votes stay.
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, ann, url.Values{"status": {"tea or coffee? (longer)"},
		"poll[options][]": {"tea", "coffee"}, "poll[expires_in]": {"7200"}}, 200, &st)
	if st.Poll == nil || st.Poll.VotesCount != 1 {
		t.Fatalf("after an edit keeping the options: %+v", st.Poll)
	}
	var nts []struct {
		Type   string `json:"type"`
		Status struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=update", ben, nil, 200, &nts)
	if len(nts) != 1 || nts[0].Status.ID != st.ID {
		t.Fatalf("the voter's update notification: %+v", nts)
	}

	// Mastodon.py: new options, the votes reset.
	var py struct {
		Options []string `json:"options"`
		Votes   int      `json:"votes"`
	}
	runMastodonPy(t, `
import json, sys
from mastodon import Mastodon
base, tok, sid = sys.argv[1:4]
m = Mastodon(access_token=tok, api_base_url=base, version_check_mode="none", mastodon_version="4.3.0", request_timeout=15)
s = m.status_update(sid, status="tea, coffee or water?", poll=m.make_poll(["tea", "coffee", "water"], expires_in=3600))
print(json.dumps({"options": [o["title"] for o in s["poll"]["options"]], "votes": s["poll"]["votes_count"]}))
`, &py, ts.URL, ann, st.ID)
	if len(py.Options) != 3 || py.Votes != 0 {
		t.Fatalf("Mastodon.py poll edit: %+v", py)
	}
	var seen editedStatus
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, ben, nil, 200, &seen)
	if seen.Poll == nil || seen.Poll.Voted || seen.Poll.VotesCount != 0 {
		t.Fatalf("ben's view after the reset: %+v", seen.Poll)
	}
	// Media and a poll together: 422.
	m := uploadPhoto(t, ts, ann, "x")
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, ann, map[string]any{"status": "both", "media_ids": []string{m.ID},
		"poll": map[string]any{"options": []string{"a", "b"}, "expires_in": 600}}, 422, nil)
	// The history shows each version's options.
	var hist []historyEntry
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/history", ann, nil, 200, &hist)
	if len(hist) != 3 || hist[0].Poll == nil || len(hist[0].Poll.Options) != 2 || hist[2].Poll == nil || len(hist[2].Poll.Options) != 3 {
		t.Fatalf("history: %+v", hist)
	}
	// An edit without a poll removes it, as Mastodon's.
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, ann, map[string]any{"status": "never mind"}, 200, &st)
	if st.Poll != nil {
		t.Fatalf("the poll after an edit without one: %+v", st.Poll)
	}
}

// TestQuotedUpdateNotification: when a quoted post is edited, the author
// of an accepted quote of it gets "quoted_update" about their own quote
// post (Mastodon 4.5); an edit of the quote post keeps its quote, as
// Mastodon 4.5 does not change quotes in edits.
func TestQuotedUpdateNotification(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "ben", "")
	ann, ben := ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write")
	var orig, q editedStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, map[string]any{"status": "quote me", "quote_approval_policy": "public"}, 200, &orig)
	ts.JSON(t, "POST", "/api/v1/statuses", ben, map[string]any{"status": "she says", "quoted_status_id": orig.ID}, 200, &q)
	if q.Quote == nil || q.Quote.State != "accepted" {
		t.Fatalf("the quote: %+v", q.Quote)
	}
	ts.JSON(t, "PUT", "/api/v1/statuses/"+orig.ID, ann, map[string]any{"status": "quote me (edited)"}, 200, nil)
	var nts []struct {
		Type    string `json:"type"`
		Account struct {
			Username string `json:"username"`
		} `json:"account"`
		Status struct {
			ID string `json:"id"`
		} `json:"status"`
	}
	ts.JSON(t, "GET", "/api/v1/notifications", ben, nil, 200, &nts)
	if len(nts) != 1 || nts[0].Type != "quoted_update" || nts[0].Status.ID != q.ID || nts[0].Account.Username != "ann" {
		t.Fatalf("ben's notifications: %+v", nts)
	}
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=quoted_update", ben, nil, 200, &nts)
	if len(nts) != 1 {
		t.Fatalf("filtered by type: %+v", nts)
	}
	// ben edits his quote post: the quote stays.
	ts.JSON(t, "PUT", "/api/v1/statuses/"+q.ID, ben, map[string]any{"status": "she says, again", "quoted_status_id": nil}, 200, &q)
	if q.Quote == nil || q.Quote.State != "accepted" || q.Quote.QuotedStatus == nil || q.Quote.QuotedStatus.ID != orig.ID {
		t.Fatalf("the quote after its post's edit: %+v", q.Quote)
	}
}
