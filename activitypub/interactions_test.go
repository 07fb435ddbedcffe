package activitypub

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// waitInboxEmpty waits until every queued inbox activity was processed
// (applied or dropped): processed items leave the queue. It reads the
// database file on its own read-only connection.
func (ti *testInstance) waitInboxEmpty() {
	ti.t.Helper()
	path := filepath.Join(ti.cfg.Storage.DataDir, sqlite.DBFile)
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		ti.t.Fatal(err)
	}
	defer db.Close()
	eventually(ti.t, 10*time.Second, "the inbox queue processed", func() bool {
		var n int
		return db.QueryRow("SELECT count(*) FROM inbox_queue").Scan(&n) == nil && n == 0
	})
}

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
	eventually(t, 10*time.Second, "friend follows lu", func() bool {
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
