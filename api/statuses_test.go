package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

type statusJSON struct {
	ID               string           `json:"id"`
	URI              string           `json:"uri"`
	URL              *string          `json:"url"`
	Content          string           `json:"content"`
	Text             *string          `json:"text"`
	Visibility       string           `json:"visibility"`
	SpoilerText      *string          `json:"spoiler_text"`
	InReplyToID      *string          `json:"in_reply_to_id"`
	Favourited       *bool            `json:"favourited"`
	Reblogged        *bool            `json:"reblogged"`
	FavouritesCount  int              `json:"favourites_count"`
	ReblogsCount     int              `json:"reblogs_count"`
	Mentions         []map[string]any `json:"mentions"`
	Tags             []map[string]any `json:"tags"`
	MediaAttachments []any            `json:"media_attachments"`
	Emojis           []any            `json:"emojis"`
	Reblog           *statusJSON      `json:"reblog"`
	Account          map[string]any   `json:"account"`
	Application      map[string]any   `json:"application"`
	QuoteApproval    map[string]any   `json:"quote_approval"`
}

func startStatusServer(t *testing.T) *server.TestServer {
	t.Helper()
	ts := server.StartTest(t)
	ts.Srv.API.RegisterStatusAreaForTest(ts.Srv.Echo)
	return ts
}

func TestStatusesHTTP(t *testing.T) {
	ts := startStatusServer(t)
	ts.CreateUser(t, "alice", "")
	ts.CreateUser(t, "bob", "")
	alice := ts.Token(t, "alice", "read write follow")
	bob := ts.Token(t, "bob", "read write follow")
	readOnly := ts.Token(t, "alice", "read")

	// Post, with an Idempotency-Key retried.
	var st, again statusJSON
	post := func(token, key string, form url.Values, out any, want int) {
		t.Helper()
		req, _ := http.NewRequest("POST", ts.URL+"/api/v1/statuses", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("post: %d, want %d", resp.StatusCode, want)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content type %s", ct)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	post(alice, "abc", url.Values{"status": {"Hello @bob #Herald"}}, &st, 200)
	post(alice, "abc", url.Values{"status": {"Hello @bob #Herald"}}, &again, 200)
	if st.ID == "" || again.ID != st.ID {
		t.Fatalf("idempotency: %s %s", st.ID, again.ID)
	}
	if len(st.Mentions) != 1 || st.Mentions[0]["acct"] != "bob" || len(st.Tags) != 1 || st.Tags[0]["name"] != "herald" {
		t.Errorf("mentions %v tags %v", st.Mentions, st.Tags)
	}
	if st.MediaAttachments == nil || st.Emojis == nil || st.QuoteApproval == nil || st.Favourited == nil {
		t.Errorf("required fields missing: %+v", st)
	}
	// 422 on too long text; 403 without the scope.
	post(alice, "", url.Values{"status": {strings.Repeat("x", 501)}}, nil, 422)
	post(readOnly, "", url.Values{"status": {"nope"}}, nil, 403)

	// Anonymous get; JSON body.
	var got statusJSON
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, "", nil, 200, &got)
	if got.Favourited != nil || got.Application != nil {
		t.Errorf("anonymous view has viewer fields: %+v", got)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/999999", "", nil, 404, nil)

	// Favourite and reblog by bob.
	var fav statusJSON
	ts.JSON(t, "POST", "/api/v1/statuses/"+st.ID+"/favourite", bob, nil, 200, &fav)
	if fav.Favourited == nil || !*fav.Favourited || fav.FavouritesCount != 1 {
		t.Errorf("favourite: %+v", fav)
	}
	var boost statusJSON
	ts.JSON(t, "POST", "/api/v1/statuses/"+st.ID+"/reblog", bob, nil, 200, &boost)
	if boost.Reblog == nil || boost.Reblog.ID != st.ID || boost.Reblog.ReblogsCount != 1 || !*boost.Reblog.Reblogged {
		t.Errorf("reblog: %+v", boost)
	}
	var accs []map[string]any
	h := ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/favourited_by", "", nil, 200, &accs)
	if len(accs) != 1 || accs[0]["username"] != "bob" || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("favourited_by: %v %s", accs, h.Get("Link"))
	}
	var favs []statusJSON
	h = ts.JSON(t, "GET", "/api/v1/favourites", bob, nil, 200, &favs)
	if len(favs) != 1 || favs[0].ID != st.ID || !strings.Contains(h.Get("Link"), "max_id=") {
		t.Errorf("favourites: %d %s", len(favs), h.Get("Link"))
	}
	if strings.Contains(h.Get("Link"), "max_id="+st.ID) {
		t.Errorf("favourites Link uses status ids: %s", h.Get("Link"))
	}

	// Notifications of alice: reblog and favourite; types[] / exclude_types[].
	var ns []map[string]any
	ts.JSON(t, "GET", "/api/v1/notifications", alice, nil, 200, &ns)
	if len(ns) != 2 || ns[0]["type"] != "reblog" || ns[1]["type"] != "favourite" || ns[0]["status"] == nil ||
		!strings.HasPrefix(ns[0]["group_key"].(string), "reblog-"+st.ID+"-") { // grouped key, as Mastodon
		t.Fatalf("notifications: %v", ns)
	}
	ts.JSON(t, "GET", "/api/v1/notifications?types[]=favourite", alice, nil, 200, &ns)
	if len(ns) != 1 || ns[0]["type"] != "favourite" {
		t.Errorf("types[]: %v", ns)
	}
	ts.JSON(t, "GET", "/api/v1/notifications?exclude_types[]=favourite", alice, nil, 200, &ns)
	if len(ns) != 1 || ns[0]["type"] != "reblog" {
		t.Errorf("exclude_types[]: %v", ns)
	}
	var count map[string]int
	ts.JSON(t, "GET", "/api/v1/notifications/unread_count", alice, nil, 200, &count)
	if count["count"] != 2 {
		t.Errorf("unread_count %v", count)
	}
	nid := ns[0]["id"].(string)
	ts.JSON(t, "GET", "/api/v1/notifications/"+nid, alice, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/notifications/"+nid+"/dismiss", alice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/notifications/"+nid, alice, nil, 404, nil)
	ts.JSON(t, "POST", "/api/v1/notifications/clear", alice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/notifications", alice, nil, 200, &ns)
	if len(ns) != 0 {
		t.Errorf("after clear: %v", ns)
	}
	ts.JSON(t, "GET", "/api/v1/notifications", readOnly, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v2/notifications/policy", alice, nil, 200, nil)

	// Reply and context.
	var reply statusJSON
	ts.JSON(t, "POST", "/api/v1/statuses", bob, map[string]any{"status": "@alice agreed", "in_reply_to_id": st.ID}, 200, &reply)
	if reply.InReplyToID == nil || *reply.InReplyToID != st.ID {
		t.Fatalf("reply: %+v", reply)
	}
	var ctxJSON struct{ Ancestors, Descendants []statusJSON }
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/context", "", nil, 200, &ctxJSON)
	if len(ctxJSON.Ancestors) != 0 || len(ctxJSON.Descendants) != 1 || ctxJSON.Descendants[0].ID != reply.ID {
		t.Errorf("context: %+v", ctxJSON)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+reply.ID+"/context", "", nil, 200, &ctxJSON)
	if len(ctxJSON.Ancestors) != 1 || ctxJSON.Ancestors[0].ID != st.ID || ctxJSON.Descendants == nil {
		t.Errorf("context up: %+v", ctxJSON)
	}

	// Edit, source, history.
	var edited statusJSON
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, alice, map[string]any{"status": "Hello again @bob"}, 200, &edited)
	if !strings.Contains(edited.Content, "again") {
		t.Errorf("edit: %s", edited.Content)
	}
	var src map[string]string
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/source", alice, nil, 200, &src)
	if src["text"] != "Hello again @bob" {
		t.Errorf("source: %v", src)
	}
	// The source is the author's: another account sees the post, not its source.
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/source", bob, nil, 404, nil)
	var hist []map[string]any
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID+"/history", "", nil, 200, &hist)
	if len(hist) != 2 {
		t.Errorf("history: %d versions", len(hist))
	}
	ts.JSON(t, "PUT", "/api/v1/statuses/"+st.ID, bob, map[string]any{"status": "hijack"}, 404, nil)

	// Account statuses, many statuses by id.
	var list []statusJSON
	me, err := ts.Srv.Svc.LocalAccount(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	ts.JSON(t, "GET", fmt.Sprintf("/api/v1/accounts/%d/statuses", me.ID), "", nil, 200, &list)
	if len(list) != 1 || list[0].ID != st.ID {
		t.Errorf("account statuses: %d", len(list))
	}
	ts.JSON(t, "GET", "/api/v1/statuses?id[]="+st.ID+"&id[]="+reply.ID, "", nil, 200, &list)
	if len(list) != 2 {
		t.Errorf("statuses?id[]: %d", len(list))
	}

	// Delete returns the source text; then 404 everywhere.
	var del statusJSON
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+st.ID, bob, nil, 404, nil)
	ts.JSON(t, "DELETE", "/api/v1/statuses/"+st.ID, alice, nil, 200, &del)
	if del.Text == nil || *del.Text != "Hello again @bob" {
		t.Errorf("delete text: %v", del.Text)
	}
	ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, alice, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/home", alice, nil, 200, &list)
	for _, s := range list {
		if s.ID == st.ID {
			t.Error("deleted status still in home")
		}
	}
}

func TestTimelinePaginationHTTP(t *testing.T) {
	ts := startStatusServer(t)
	ts.CreateUser(t, "alice", "")
	alice := ts.Token(t, "alice", "read write")
	var ids []string
	for i := 0; i < 5; i++ {
		var st statusJSON
		ts.JSON(t, "POST", "/api/v1/statuses", alice, map[string]any{"status": fmt.Sprint("post ", i)}, 200, &st)
		ids = append(ids, st.ID)
	}
	var page []statusJSON
	h := ts.JSON(t, "GET", "/api/v1/timelines/home?limit=2", alice, nil, 200, &page)
	if len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
		t.Fatalf("first page: %v", page)
	}
	link := h.Get("Link")
	want := fmt.Sprintf(`<%s/api/v1/timelines/home?limit=2&max_id=%s>; rel="next", <%s/api/v1/timelines/home?limit=2&min_id=%s>; rel="prev"`,
		ts.URL, ids[3], ts.URL, ids[4])
	if link != want {
		t.Errorf("Link\n got %s\nwant %s", link, want)
	}
	ts.JSON(t, "GET", "/api/v1/timelines/home?limit=2&max_id="+ids[3], alice, nil, 200, &page)
	if len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
		t.Errorf("max_id page: %v", page)
	}
	ts.JSON(t, "GET", "/api/v1/timelines/home?limit=2&min_id="+ids[0], alice, nil, 200, &page)
	if len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
		t.Errorf("min_id page: %v", page)
	}
	ts.JSON(t, "GET", "/api/v1/timelines/home?since_id="+ids[2], alice, nil, 200, &page)
	if len(page) != 2 || page[0].ID != ids[4] {
		t.Errorf("since_id page: %v", page)
	}
	// An empty page still links on from the request's cursor.
	h = ts.JSON(t, "GET", "/api/v1/timelines/home?min_id="+ids[4], alice, nil, 200, &page)
	if len(page) != 0 || !strings.Contains(h.Get("Link"), "min_id="+ids[4]) {
		t.Errorf("empty page: %d %q", len(page), h.Get("Link"))
	}
	// Public and local timelines, anonymous; tag timeline.
	ts.JSON(t, "GET", "/api/v1/timelines/public?local=true", "", nil, 200, &page)
	if len(page) != 5 {
		t.Errorf("local timeline: %d", len(page))
	}
	ts.JSON(t, "GET", "/api/v1/timelines/home", "", nil, 401, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/tag/nothing", "", nil, 200, &page)
	ts.JSON(t, "GET", "/api/v1/bookmarks", alice, nil, 200, &page)
	ts.JSON(t, "GET", "/api/v1/conversations", alice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/direct", alice, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/timelines/list/12345", alice, nil, 404, nil)
}
