package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/storage"
)

// apGet GETs an ActivityPub document, signed with the key of the local
// account signer (nil: unsigned, the anonymous viewer).
func apGet(t *testing.T, u string, signer *model.Account) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/activity+json")
	if signer != nil {
		key, err := httpsig.ParsePrivateKeyPEM(signer.PrivateKeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		if err := httpsig.Sign(req, signer.KeyID, key, nil); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func idOf(a *model.Account) string { return strconv.FormatInt(a.ID, 10) }

// apItemIDs returns the ids of the objects of a collection page's items
// (the Notes of Creates, or the items themselves).
func apItemIDs(t *testing.T, b []byte) []string {
	t.Helper()
	var page struct {
		OrderedItems []json.RawMessage `json:"orderedItems"`
		Items        []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var ids []string
	for _, raw := range append(page.OrderedItems, page.Items...) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			ids = append(ids, s)
			continue
		}
		var it struct {
			ID     string          `json:"id"`
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := json.Unmarshal(raw, &it); err != nil {
			t.Fatal(err)
		}
		if it.Type == "Create" {
			var obj struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(it.Object, &obj) == nil && obj.ID != "" {
				ids = append(ids, obj.ID)
				continue
			}
			json.Unmarshal(it.Object, &s)
			ids = append(ids, s)
			continue
		}
		ids = append(ids, it.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestVisibilityMatrixHTTP checks Herald's one visibility rule (core.CanSee)
// on every read path a viewer has, for each visibility and each relation
// of the viewer to the author: the client API (the status; the author's
// statuses, pinned ones too) and a signed ActivityPub GET, signed with the
// viewer's own key (the Note, its activity; the outbox, featured and
// replies collections). Both must show the same viewer the same thing;
// once the author is suspended, neither shows anything.
func TestVisibilityMatrixHTTP(t *testing.T) {
	// Without authorized fetch an unsigned GET is the anonymous viewer of
	// both surfaces; signed GETs are verified either way.
	ts := server.StartTest(t, func(c *config.Config) { c.Federation.AuthorizedFetch = false })
	ts.Srv.API.RegisterStatusAreaForTest(ts.Srv.Echo)
	ctx := context.Background()
	names := []string{"author", "follower", "mentioned", "stranger", "blocked"}
	accounts := map[string]*model.Account{}
	tokens := map[string]string{"anon": ""}
	for _, n := range names {
		ts.CreateUser(t, n, "")
		a, err := ts.Srv.Store.AccountByUsername(ctx, n, "") // with its key
		if err != nil {
			t.Fatal(err)
		}
		accounts[n] = a
		tokens[n] = ts.Token(t, n, "read write follow")
	}
	author := accounts["author"]
	ts.JSON(t, "POST", "/api/v1/accounts/"+idOf(author)+"/follow", tokens["follower"], nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/accounts/"+idOf(accounts["blocked"])+"/block", tokens["author"], nil, 200, nil)
	viewers := append(slices.Clone(names), "anon")

	// Who sees a status of each visibility; who finds it listed among the
	// author's statuses (before mentions count, as Herald's profiles).
	everyone := []string{"author", "follower", "mentioned", "stranger", "anon"}
	see := map[string][]string{"public": everyone, "unlisted": everyone,
		"private": {"author", "follower", "mentioned"}, "direct": {"author", "mentioned"}}
	listed := map[string][]string{"public": everyone, "unlisted": everyone,
		"private": {"author", "follower"}, "direct": {"author"}}

	var root statusJSON
	ts.JSON(t, "POST", "/api/v1/statuses", tokens["author"], map[string]any{"status": "root", "visibility": "public"}, 200, &root)
	posted := map[string]statusJSON{}
	for _, vis := range []string{"public", "unlisted", "private", "direct"} {
		var st statusJSON
		ts.JSON(t, "POST", "/api/v1/statuses", tokens["author"], map[string]any{
			"status": "@mentioned " + vis, "visibility": vis, "in_reply_to_id": root.ID}, 200, &st)
		if st.Visibility != vis {
			t.Fatalf("visibility %s, want %s", st.Visibility, vis)
		}
		posted[vis] = st
		if vis != "direct" { // what may be pinned (private too, since Mastodon 3.5)
			ts.JSON(t, "POST", "/api/v1/statuses/"+st.ID+"/pin", tokens["author"], nil, 200, nil)
		} else {
			ts.JSON(t, "POST", "/api/v1/statuses/"+st.ID+"/pin", tokens["author"], nil, 422, nil)
		}
	}

	// uris lists the URIs of the statuses an API page shows.
	uris := func(path, token string) []string {
		t.Helper()
		var page []statusJSON
		ts.JSON(t, "GET", path, token, nil, 200, &page)
		out := []string{}
		for _, st := range page {
			out = append(out, st.URI)
		}
		slices.Sort(out)
		return out
	}
	signer := func(v string) *model.Account { return accounts[v] } // nil for anon
	for _, v := range viewers {
		for vis, st := range posted {
			want := slices.Contains(see[vis], v)
			wantStatus := map[bool]int{true: 200, false: 404}[want]
			if code, _, _ := ts.Do(t, "GET", "/api/v1/statuses/"+st.ID, tokens[v], nil); code != wantStatus {
				t.Errorf("API: %s status by %s: %d, want %d", vis, v, code, wantStatus)
			}
			if code, b := apGet(t, st.URI, signer(v)); code != wantStatus {
				t.Errorf("ActivityPub: %s Note by %s: %d, want %d (%.200s)", vis, v, code, wantStatus, b)
			}
			if code, _ := apGet(t, st.URI+"/activity", signer(v)); code != wantStatus {
				t.Errorf("ActivityPub: %s activity by %s: %d, want %d", vis, v, code, wantStatus)
			}
		}
		// The author's statuses: the profile and the outbox list the same.
		profile := uris("/api/v1/accounts/"+idOf(author)+"/statuses?limit=40", tokens[v])
		wantProfile := []string{}
		if v != "blocked" {
			wantProfile = append(wantProfile, root.URI)
		}
		for vis, st := range posted {
			if slices.Contains(listed[vis], v) {
				wantProfile = append(wantProfile, st.URI)
			}
		}
		slices.Sort(wantProfile)
		if !slices.Equal(profile, wantProfile) {
			t.Errorf("API: the author's statuses for %s: %v, want %v", v, profile, wantProfile)
		}
		code, b := apGet(t, author.URI+"/outbox?page=true", signer(v))
		if outbox := apItemIDs(t, b); code != 200 || !slices.Equal(outbox, profile) {
			t.Errorf("ActivityPub: outbox for %s: %d %v, the API lists %v", v, code, outbox, profile)
		}
		pinned := uris("/api/v1/accounts/"+idOf(author)+"/statuses?pinned=true", tokens[v])
		wantPinned := []string{}
		for vis, st := range posted {
			if vis != "direct" && slices.Contains(listed[vis], v) {
				wantPinned = append(wantPinned, st.URI)
			}
		}
		slices.Sort(wantPinned)
		if !slices.Equal(pinned, wantPinned) {
			t.Errorf("API: the author's pins for %s: %v, want %v", v, pinned, wantPinned)
		}
		code, b = apGet(t, author.URI+"/collections/featured", signer(v))
		if featured := apItemIDs(t, b); code != 200 || !slices.Equal(featured, pinned) {
			t.Errorf("ActivityPub: featured for %s: %d %v, the API pins %v", v, code, featured, pinned)
		}
		// The replies collection lists the replies the viewer may see that
		// anyone may see.
		wantReplies := []string{}
		for _, vis := range []string{"public", "unlisted"} {
			if slices.Contains(see[vis], v) {
				wantReplies = append(wantReplies, posted[vis].URI)
			}
		}
		slices.Sort(wantReplies)
		code, b = apGet(t, root.URI+"/replies?page=true", signer(v))
		if v == "blocked" {
			if code != 404 {
				t.Errorf("ActivityPub: replies for the blocked viewer: %d, want 404", code)
			}
		} else if replies := apItemIDs(t, b); code != 200 || !slices.Equal(replies, wantReplies) {
			t.Errorf("ActivityPub: replies for %s: %d %v, want %v", v, code, replies, wantReplies)
		}
	}

	// The author is suspended: the API does not find their statuses, and
	// to peers they are gone (410), as their actor is.
	suspended := true
	if err := ts.Srv.Store.ModerateAccount(ctx, author.ID, storage.AccountModeration{Suspended: &suspended}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, v := range viewers {
		wantAPI := 404
		if v == "author" {
			wantAPI = 403 // the suspended account's own token is refused
		}
		for vis, st := range posted {
			if code, _, _ := ts.Do(t, "GET", "/api/v1/statuses/"+st.ID, tokens[v], nil); code != wantAPI {
				t.Errorf("API: %s status of a suspended author by %s: %d, want %d", vis, v, code, wantAPI)
			}
			for _, doc := range []string{"", "/activity", "/replies"} {
				if code, b := apGet(t, st.URI+doc, signer(v)); code != http.StatusGone {
					t.Errorf("ActivityPub: %s%s of a suspended author by %s: %d, want 410 (%.200s)", vis, doc, v, code, b)
				}
			}
		}
		for _, col := range []string{"/outbox?page=true", "/collections/featured"} {
			if code, _ := apGet(t, author.URI+col, signer(v)); code != http.StatusGone {
				t.Errorf("ActivityPub: %s of a suspended author by %s: %d, want 410", col, v, code)
			}
		}
	}
	if code, _, _ := ts.Do(t, "GET", "/api/v1/accounts/"+idOf(author)+"/statuses", "", nil); code != 404 {
		t.Errorf("API: a suspended author's statuses: %d, want 404", code)
	}
	if code, _ := apGet(t, author.URI, nil); code != http.StatusGone {
		t.Errorf("ActivityPub: a suspended actor: %d, want 410", code)
	}
}
