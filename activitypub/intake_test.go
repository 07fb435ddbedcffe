package activitypub

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// A remote actor who may not see a post may not Like, Announce or answer
// it (issue 12): the one visibility rule, with the actor as viewer.
func TestInteractionsNeedSightOfThePost(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	lu := ti.createUser("lu")
	c := ti.caller(lu)
	secret, err := ti.svc.PostStatus(ctx, c, core.PostParams{Text: "for my followers", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}
	open, err := ti.svc.PostStatus(ctx, c, core.PostParams{Text: "for everyone", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, friend, blocked := newFakePeer(t), newFakePeer(t), newFakePeer(t)

	// friend follows lu (accepted at once: lu is not locked).
	friendAcc, err := ti.fed.accountByURI(ctx, friend.actor)
	if err != nil {
		t.Fatal(err)
	}
	follow := mustJSON(t, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": friend.actor + "#follow/1",
		"type": "Follow", "actor": friend.actor, "object": lu.URI})
	if status, msg := friend.signedPost(ti.url+"/inbox", follow, nil); status != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", status, msg)
	}
	testutil.Eventually(t, 10*time.Second, "friend follows lu", func() bool {
		r, err := ti.svc.Relationship(ctx, lu.ID, friendAcc.ID)
		return err == nil && r.FollowedBy
	})
	// lu blocks blocked.
	blockedAcc, err := ti.fed.accountByURI(ctx, blocked.actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.Block(ctx, c, blockedAcc.ID); err != nil {
		t.Fatal(err)
	}

	send := func(p *fakePeer, v map[string]any) {
		t.Helper()
		v["@context"] = "https://www.w3.org/ns/activitystreams"
		v["actor"] = p.actor
		if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, v), nil); status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", v["type"], status, msg)
		}
	}
	replyURI := stranger.url + "/users/alice/statuses/reply"
	send(stranger, map[string]any{"id": stranger.actor + "#like/1", "type": "Like", "object": secret.URI})
	send(stranger, map[string]any{"id": stranger.actor + "#announce/1", "type": "Announce", "object": secret.URI,
		"to": []string{Public}})
	send(stranger, map[string]any{"id": replyURI + "/activity", "type": "Create", "object": map[string]any{
		"id": replyURI, "type": "Note", "attributedTo": stranger.actor, "inReplyTo": secret.URI,
		"to": []string{lu.URI}, "content": "<p>I saw it anyway</p>",
		"tag": []any{map[string]any{"type": "Mention", "href": lu.URI}},
	}})
	send(blocked, map[string]any{"id": blocked.actor + "#like/1", "type": "Like", "object": open.URI})
	send(friend, map[string]any{"id": friend.actor + "#like/1", "type": "Like", "object": secret.URI})
	friendReply := friend.url + "/users/alice/statuses/reply"
	send(friend, map[string]any{"id": friendReply + "/activity", "type": "Create", "object": map[string]any{
		"id": friendReply, "type": "Note", "attributedTo": friend.actor, "inReplyTo": secret.URI,
		"to": []string{lu.URI}, "content": "<p>nice</p>",
		"tag": []any{map[string]any{"type": "Mention", "href": lu.URI}},
	}})
	ti.waitInboxEmpty()

	if ids, _, err := ti.store.FavouritedBy(ctx, secret.ID, model.Page{Limit: 10}); err != nil || len(ids) != 1 || ids[0] != friendAcc.ID {
		t.Fatalf("favourites of the followers-only post: %v %v (friend %d)", ids, err, friendAcc.ID)
	}
	if ids, _, err := ti.store.FavouritedBy(ctx, open.ID, model.Page{Limit: 10}); err != nil || len(ids) != 0 {
		t.Fatalf("favourites of the public post by a blocked actor: %v %v", ids, err)
	}
	if ids, _, err := ti.store.RebloggedBy(ctx, secret.ID, model.Page{Limit: 10}); err != nil || len(ids) != 0 {
		t.Fatalf("boosts of the followers-only post: %v %v", ids, err)
	}
	if _, err := ti.store.StatusByURI(ctx, replyURI); err == nil {
		t.Fatal("a reply by an actor who may not see the post was stored")
	}
	if st, err := ti.store.StatusByURI(ctx, friendReply); err != nil || st.InReplyToID != secret.ID {
		t.Fatalf("the follower's reply: %+v %v", st, err)
	}
	ns, err := ti.store.Notifications(ctx, lu.ID, storage.NotificationFilter{}, model.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.FromAccountID != friendAcc.ID {
			t.Fatalf("notification %s from %d, only friend's expected", n.Type, n.FromAccountID)
		}
	}
	if len(ns) != 3 {
		t.Fatalf("notifications: %d, want friend's follow, favourite and mention", len(ns))
	}
}

// A remote post with more than four attachments keeps the first four, in
// order (as Mastodon); attachments left on no status are swept with their
// files after a grace period (issue 12).
func TestRemoteAttachmentsFirstFourAndOrphansSwept(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	alice, err := ti.fed.accountByURI(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	var atts []any
	for i := 1; i <= 6; i++ {
		atts = append(atts, map[string]any{"type": "Document", "mediaType": "image/png",
			"url": p.url + "/media/" + strconv.Itoa(i) + ".png", "name": "picture " + strconv.Itoa(i)})
	}
	noteURI := p.url + "/users/alice/statuses/six"
	create := mustJSON(t, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": noteURI + "/activity",
		"type": "Create", "actor": p.actor, "object": map[string]any{
			"id": noteURI, "type": "Note", "attributedTo": p.actor, "to": []string{Public}, "cc": []string{bob.URI},
			"content": "<p>six pictures</p>", "attachment": atts,
		}})
	if status, msg := p.signedPost(ti.url+"/inbox", create, nil); status != http.StatusAccepted {
		t.Fatalf("Create: %d %s", status, msg)
	}
	ti.waitInboxEmpty()
	st, err := ti.store.StatusByURI(ctx, noteURI)
	if err != nil {
		t.Fatal(err)
	}
	media, err := ti.store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(media[st.ID]) != 4 {
		t.Fatalf("attachments shown: %d, want the first 4", len(media[st.ID]))
	}
	for i, m := range media[st.ID] {
		if want := p.url + "/media/" + strconv.Itoa(i+1) + ".png"; m.RemoteURL != want {
			t.Fatalf("attachment %d is %s, want %s", i, m.RemoteURL, want)
		}
	}

	// An orphan: a remote attachment on no status (an attach that failed,
	// or left by older versions), with its cached file.
	key := "attachments/orphan/original.png"
	if _, err := ti.svc.Files().Put(ctx, key, strings.NewReader("not really a png")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	orphan := &model.MediaAttachment{AccountID: alice.ID, Type: "image", RemoteURL: p.url + "/media/7.png", FileKey: key, CachedAt: &now}
	if err := ti.store.CreateMedia(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	fileExists := func() bool {
		f, err := ti.svc.Files().Open(ctx, key)
		if err == nil {
			f.Close()
			return true
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return false
	}
	// Within the grace period the daily prune keeps it.
	if _, err := ti.svc.PruneMedia(ctx, 365*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := ti.store.MediaByID(ctx, orphan.ID); err != nil || !fileExists() {
		t.Fatalf("orphan swept within its grace period: %v", err)
	}
	// Past it (a sweep run as if two days later), it goes, file and all.
	if n, err := ti.svc.DeleteUnattachedMedia(ctx, now.Add(48*time.Hour)); err != nil || n != 1 {
		t.Fatalf("sweep: %d deleted, %v", n, err)
	}
	ti.svc.SweepMediaGarbage(ctx)
	if _, err := ti.store.MediaByID(ctx, orphan.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("orphan row after the sweep: %v", err)
	}
	if fileExists() {
		t.Fatal("orphan's file after the sweep")
	}
	if media, _ := ti.store.MediaOfStatuses(ctx, []int64{st.ID}); len(media[st.ID]) != 4 {
		t.Fatalf("attached media after the sweep: %d", len(media[st.ID]))
	}
}

// A remote post's url on another host is not kept (issue 12): like an
// actor's, it would pass the post off as a page of that other server.
func TestRemotePostURLOnItsOwnHostOnly(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	p := newFakePeer(t)
	own := p.serveNote("/users/alice/statuses/own", map[string]any{"url": p.url + "/@alice/own"})
	foreign := p.serveNote("/users/alice/statuses/foreign", map[string]any{"url": "https://victim.example/@boss/1"})
	for uri, want := range map[string]string{own: p.url + "/@alice/own", foreign: foreign} {
		st, err := ti.fed.ResolveStatus(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		if st.URL != want {
			t.Fatalf("url of %s: %q, want %q", uri, st.URL, want)
		}
	}
}

// An attachment's description is read from summary first, then name, as
// Mastodon reads it (issue 15, item 14): GoToSocial sends its alt text as
// summary with a null name, which arrived here as no description at all.
func TestRemoteAttachmentDescriptionFromSummary(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	noteURI := p.url + "/users/alice/statuses/alt"
	create := mustJSON(t, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": noteURI + "/activity",
		"type": "Create", "actor": p.actor, "object": map[string]any{
			"id": noteURI, "type": "Note", "attributedTo": p.actor, "to": []string{Public}, "cc": []string{bob.URI},
			"content": "<p>pictures</p>", "attachment": []any{
				// GoToSocial's shape.
				map[string]any{"type": "Image", "mediaType": "image/png", "url": p.url + "/media/1.png",
					"name": nil, "summary": "a cat on a mat", "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj"},
				// Both: summary wins.
				map[string]any{"type": "Document", "mediaType": "image/png", "url": p.url + "/media/2.png",
					"name": "file name", "summary": "a dog"},
				// Mastodon's shape.
				map[string]any{"type": "Document", "mediaType": "image/png", "url": p.url + "/media/3.png",
					"name": "a bird"},
			},
		}})
	if status, msg := p.signedPost(ti.url+"/inbox", create, nil); status != http.StatusAccepted {
		t.Fatalf("Create: %d %s", status, msg)
	}
	ti.waitInboxEmpty()
	st, err := ti.store.StatusByURI(ctx, noteURI)
	if err != nil {
		t.Fatal(err)
	}
	media, err := ti.store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a cat on a mat", "a dog", "a bird"}
	if len(media[st.ID]) != len(want) {
		t.Fatalf("attachments: %d, want %d", len(media[st.ID]), len(want))
	}
	for i, m := range media[st.ID] {
		if m.Description != want[i] {
			t.Fatalf("attachment %d described as %q, want %q", i, m.Description, want[i])
		}
	}
}
