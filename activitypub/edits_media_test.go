package activitypub

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// noteWithPictures is a Create of a public Note by the fake peer's alice
// that mentions a local account (so that it is wanted), with one Document
// per url whose alt text (name) is alts[i].
func noteWithPictures(p *fakePeer, path string, to *model.Account, toURI string, urls, alts []string) (map[string]any, string) {
	id := p.url + path
	var atts []any
	for i, u := range urls {
		atts = append(atts, map[string]any{"type": "Document", "mediaType": "image/png", "url": u, "name": alts[i]})
	}
	n := map[string]any{
		"id": id, "type": "Note", "attributedTo": p.actor, "content": "<p>pictures</p>",
		"published": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339),
		"to":        []string{Public}, "cc": []string{p.actor + "/followers", toURI},
		"tag":        []any{map[string]any{"type": "Mention", "href": toURI, "name": "@" + to.Username}},
		"attachment": atts,
	}
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": id + "/activity", "type": "Create", "actor": p.actor, "to": n["to"], "cc": n["cc"], "object": n}, id
}

// asUpdate turns a Create made by noteWithPictures into its author's
// Update, edited at t.
func asUpdate(act map[string]any, n int, t time.Time) map[string]any {
	o := act["object"].(map[string]any)
	o["updated"] = t.UTC().Format(time.RFC3339)
	act["type"], act["id"] = "Update", o["id"].(string)+"#updates/"+string(rune('0'+n))
	return act
}

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(2, 2, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Issue 15: the fetch of a remote attachment's file (started by the
// post's Create) used to write back the whole row it had read before the
// fetch, so an Update that changed the alt text meanwhile was undone: the
// peer kept the old alt text (TestEditsAcrossHeralds failed so under
// load). Here the file's server holds the file until the Update is
// applied, then lets the fetch finish.
func TestRemoteEditNotUndoneByMediaFetch(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	bobURI := ti.svc.LocalActorURI("bob")
	p := newFakePeer(t)
	pic := tinyPNG(t)
	asked, release := make(chan struct{}, 1), make(chan struct{})
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-release
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic)
	}))
	t.Cleanup(files.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	send := func(act map[string]any) {
		t.Helper()
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, act), nil); status != http.StatusAccepted {
			t.Fatalf("inbox: %d %s", status, msg)
		}
		ti.waitInboxEmpty()
	}
	media := func(uri string) []*model.MediaAttachment {
		t.Helper()
		st, err := ti.svc.StatusByURI(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := ti.store.MediaOfStatuses(ctx, []int64{st.ID})
		if err != nil {
			t.Fatal(err)
		}
		return ms[st.ID]
	}

	create, uri := noteWithPictures(p, "/users/alice/statuses/1", bob, bobURI, []string{files.URL + "/a.png"}, []string{"a dot"})
	send(create)
	ms := media(uri)
	if len(ms) != 1 || ms[0].Description != "a dot" || ms[0].FileKey != "" {
		t.Fatalf("the attachment with its post: %+v", ms)
	}
	mid := ms[0].ID

	// The file is fetched (as the job does, or a first view through the
	// proxy), and its server holds it.
	fetched := make(chan error, 1)
	go func() {
		_, err := ti.svc.ProxyFile(context.Background(), nil, "attachments", mid, "original")
		fetched <- err
	}()
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the file was never asked for")
	}

	// Meanwhile alice edits the alt text.
	upd, _ := noteWithPictures(p, "/users/alice/statuses/1", bob, bobURI, []string{files.URL + "/a.png"}, []string{"a red dot"})
	send(asUpdate(upd, 1, time.Now()))
	if ms := media(uri); len(ms) != 1 || ms[0].ID != mid || ms[0].Description != "a red dot" {
		t.Fatalf("after the Update: %+v", ms)
	}

	close(release)
	select {
	case err := <-fetched:
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the fetch never ended")
	}
	ms = media(uri)
	if len(ms) != 1 || ms[0].FileKey == "" || ms[0].Description != "a red dot" {
		t.Fatalf("after the fetch ended: %+v (want the file cached and the edited alt text)", ms[0])
	}
}

// Issue 15: an attachment a remote edit removes stays for the edit
// history (as Mastodon keeps it), detached from the post; one that comes
// back in a later edit is the same attachment; all go with the post.
func TestRemoteEditKeepsRemovedMediaForHistory(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	bobC := ti.caller(bob)
	bobURI := ti.svc.LocalActorURI("bob")
	p := newFakePeer(t)
	send := func(act map[string]any) {
		t.Helper()
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, act), nil); status != http.StatusAccepted {
			t.Fatalf("inbox: %d %s", status, msg)
		}
		ti.waitInboxEmpty()
	}
	a, b := p.url+"/files/a.png", p.url+"/files/b.png"
	create, uri := noteWithPictures(p, "/users/alice/statuses/2", bob, bobURI, []string{a, b}, []string{"first", "second"})
	send(create)
	st, err := ti.svc.StatusByURI(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := ti.store.MediaOfStatuses(ctx, []int64{st.ID})
	if len(cur[st.ID]) != 2 {
		t.Fatalf("attachments: %+v", cur[st.ID])
	}
	first, second := cur[st.ID][0].ID, cur[st.ID][1].ID

	// Edit 1: b is removed, a's alt text changes.
	upd, _ := noteWithPictures(p, "/users/alice/statuses/2", bob, bobURI, []string{a}, []string{"first, edited"})
	send(asUpdate(upd, 1, time.Now().Add(-2*time.Second)))
	cur, _ = ti.store.MediaOfStatuses(ctx, []int64{st.ID})
	if len(cur[st.ID]) != 1 || cur[st.ID][0].ID != first || cur[st.ID][0].Description != "first, edited" {
		t.Fatalf("attachments after the edit: %+v", cur[st.ID])
	}
	h, err := ti.svc.History(ctx, bobC, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Versions) != 2 || len(h.Versions[0].Media) != 2 || h.Versions[0].Media[1].ID != second ||
		h.Versions[0].Media[1].Description != "second" || h.Attachments[second] == nil || len(h.Versions[1].Media) != 1 {
		t.Fatalf("history after the edit: %+v", h)
	}
	if m := h.Attachments[second]; m.StatusID != 0 || m.HistoryStatusID != st.ID {
		t.Fatalf("the removed attachment: %+v", m)
	}

	// Edit 2: b comes back (the same row), a goes.
	upd, _ = noteWithPictures(p, "/users/alice/statuses/2", bob, bobURI, []string{b}, []string{"second again"})
	send(asUpdate(upd, 2, time.Now().Add(-time.Second)))
	cur, _ = ti.store.MediaOfStatuses(ctx, []int64{st.ID})
	if len(cur[st.ID]) != 1 || cur[st.ID][0].ID != second || cur[st.ID][0].Description != "second again" {
		t.Fatalf("attachments after the second edit: %+v", cur[st.ID])
	}
	h, err = ti.svc.History(ctx, bobC, st.ID)
	if err != nil || len(h.Versions) != 3 || h.Attachments[first] == nil || h.Attachments[second] == nil {
		t.Fatalf("history after the second edit: %+v %v", h, err)
	}

	// The post's Delete takes them all.
	del := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": uri + "#delete", "type": "Delete",
		"actor": p.actor, "object": map[string]any{"id": uri, "type": "Tombstone"}, "to": []string{Public}}
	send(del)
	for _, id := range []int64{first, second} {
		if _, err := ti.store.MediaByID(ctx, id); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("attachment %d after the post's deletion: %v", id, err)
		}
	}
}
