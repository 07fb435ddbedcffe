package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// Move, featured posts, Undo Like ids and attachments, against a fake peer.

func (ti *testInstance) caller(a *model.Account) *core.Caller {
	ti.t.Helper()
	u, err := ti.store.UserByAccountID(context.Background(), a.ID)
	if err != nil {
		ti.t.Fatal(err)
	}
	return &core.Caller{Token: &model.Token{UserID: u.ID, Scopes: "read write follow push"}, User: u, Account: a}
}

// serveNote makes the peer serve a public Note by alice at path.
func (p *fakePeer) serveNote(path string, extra map[string]any) string {
	uri := p.url + path
	note := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": uri, "type": "Note",
		"attributedTo": p.actor, "to": []string{Public}, "cc": []string{p.actor + "/followers"},
		"content": "<p>a note</p>", "published": time.Now().UTC().Format(time.RFC3339),
	}
	for k, v := range extra {
		note[k] = v
	}
	p.objects.Store(path, mustJSON(p.t, note))
	return uri
}

func (p *fakePeer) sawActivity(typ string, match func(*Object) bool) bool {
	for _, a := range p.receivedActivities() {
		if a.Type.Is(typ) && (match == nil || match(a)) {
			return true
		}
	}
	return false
}

func TestMoveMigratesLocalFollowers(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	alice, err := ti.fed.accountByURI(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	if err := ti.store.Follow(ctx, &model.Follow{ID: id.New(), AccountID: bob.ID, TargetID: alice.ID, URI: ti.url + "/follows/1", ShowReblogs: true}, nil); err != nil {
		t.Fatal(err)
	}
	newURI := p.url + "/users/alice2"
	p.objects.Store("/users/alice2", mustJSON(t, map[string]any{
		"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":       newURI, "type": "Person", "preferredUsername": "alice2", "inbox": p.url + "/inbox",
		"alsoKnownAs": []string{p.actor},
		"publicKey":   map[string]string{"id": newURI + "#main-key", "owner": newURI, "publicKeyPem": p.pubPEM},
	}))
	move := mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": p.actor + "#moves/1", "type": "Move",
		"actor": p.actor, "object": p.actor, "target": newURI,
	})
	if status, msg := p.signedPost(ti.url+"/inbox", move, nil); status != http.StatusAccepted {
		t.Fatalf("Move: %d %s", status, msg)
	}
	var alice2 *model.Account
	testutil.Eventually(t, 10*time.Second, "bob asks to follow the new account, not the old", func() bool {
		a, err := ti.store.AccountByURI(ctx, newURI)
		if err != nil {
			return false
		}
		alice2 = a
		req, _ := ti.store.FollowRequestBetween(ctx, bob.ID, a.ID)
		old, _ := ti.store.FollowBetween(ctx, bob.ID, alice.ID)
		return req != nil && old == nil
	})
	if a, _ := ti.store.AccountByID(ctx, alice.ID); a.MovedToID != alice2.ID {
		t.Fatalf("moved_to = %d, want %d", a.MovedToID, alice2.ID)
	}
	testutil.Eventually(t, 10*time.Second, "the Follow of the new account and the Undo of the old one sent", func() bool {
		return p.sawActivity("Follow", func(o *Object) bool { return o.Object.ID == newURI }) &&
			p.sawActivity("Undo", func(o *Object) bool { return o.Object.Obj != nil && o.Object.Obj.Object.ID == p.actor })
	})
}

func TestMoveWithoutAlias(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	alice, _ := ti.fed.accountByURI(ctx, p.actor)
	_ = ti.store.Follow(ctx, &model.Follow{ID: id.New(), AccountID: bob.ID, TargetID: alice.ID, URI: ti.url + "/follows/2", ShowReblogs: true}, nil)
	newURI := p.url + "/users/mallory"
	p.objects.Store("/users/mallory", mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": newURI, "type": "Person", "preferredUsername": "mallory",
		"inbox": p.url + "/inbox", "publicKey": map[string]string{"id": newURI + "#main-key", "owner": newURI, "publicKeyPem": p.pubPEM},
	}))
	move := mustJSON(t, map[string]any{"id": p.actor + "#moves/2", "type": "Move", "actor": p.actor, "object": p.actor, "target": newURI})
	if status, msg := p.signedPost(ti.url+"/inbox", move, nil); status != http.StatusAccepted {
		t.Fatalf("Move: %d %s", status, msg)
	}
	// Processed: the Move left the queue, and the target was fetched (the
	// check of its alsoKnownAs ran).
	ti.waitInboxEmpty()
	if _, err := ti.store.AccountByURI(ctx, newURI); err != nil {
		t.Fatalf("the Move's target was never fetched: %v", err)
	}
	if fl, _ := ti.store.FollowBetween(ctx, bob.ID, alice.ID); fl == nil {
		t.Fatal("an unconfirmed Move ended the follow")
	}
	if a, _ := ti.store.AccountByID(ctx, alice.ID); a.MovedToID != 0 {
		t.Fatalf("an unconfirmed Move recorded moved_to = %d", a.MovedToID)
	}
}

func TestFeaturedAddRemoveAndAttachments(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	ti.createUser("bob")
	p := newFakePeer(t)
	alice, err := ti.fed.accountByURI(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	noteURI := p.serveNote("/users/alice/statuses/1", map[string]any{
		"attachment": []any{map[string]any{
			"type": "Document", "mediaType": "image/png", "url": p.url + "/media/cat.png", "name": "a cat",
			"blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj", "focalPoint": []float64{0.5, -0.25}, "width": 640, "height": 480,
		}},
	})
	pinned := func() []*model.Status {
		tl, err := ti.svc.AccountStatuses(ctx, nil, alice.ID, storage.AccountStatusFilter{Pinned: true}, model.Page{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		return tl.View.Statuses
	}
	add := mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": p.actor + "#add/1", "type": "Add",
		"actor": p.actor, "object": noteURI, "target": p.actor + "/collections/featured",
	})
	if status, msg := p.signedPost(ti.url+"/inbox", add, nil); status != http.StatusAccepted {
		t.Fatalf("Add: %d %s", status, msg)
	}
	testutil.Eventually(t, 10*time.Second, "alice's pinned post listed", func() bool {
		sts := pinned()
		return len(sts) == 1 && sts[0].URI == noteURI
	})
	st, _ := ti.store.StatusByURI(ctx, noteURI)
	media, err := ti.store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil {
		t.Fatal(err)
	}
	if m := media[st.ID]; len(m) != 1 || m[0].Description != "a cat" || m[0].RemoteURL != p.url+"/media/cat.png" ||
		m[0].FocusX != 0.5 || m[0].FocusY != -0.25 || m[0].Blurhash == "" {
		t.Fatalf("attachments of the remote post: %+v", m)
	}
	remove := mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": p.actor + "#remove/1", "type": "Remove",
		"actor": p.actor, "object": noteURI, "target": p.actor + "/collections/featured",
	})
	p.signedPost(ti.url+"/inbox", remove, nil)
	testutil.Eventually(t, 10*time.Second, "the pin removed", func() bool { return len(pinned()) == 0 })
}

func TestUnfavouriteUndoesTheLikeByID(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	p := newFakePeer(t)
	noteURI := p.serveNote("/users/alice/statuses/9", nil)
	st, err := ti.fed.ResolveStatus(ctx, noteURI)
	if err != nil {
		t.Fatal(err)
	}
	c := ti.caller(bob)
	if _, err := ti.svc.Favourite(ctx, c, st.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.Unfavourite(ctx, c, st.ID); err != nil {
		t.Fatal(err)
	}
	var likeID string
	testutil.Eventually(t, 10*time.Second, "Like and Undo delivered", func() bool {
		for _, a := range p.receivedActivities() {
			if a.Type.Is("Like") {
				likeID = string(a.ID)
			}
		}
		return likeID != "" && p.sawActivity("Undo", func(o *Object) bool {
			return o.Object.Obj != nil && o.Object.Obj.Type.Is("Like") && string(o.Object.Obj.ID) == likeID
		})
	})
}

func TestOutgoingNoteAttachments(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	st, err := ti.svc.PostStatus(ctx, ti.caller(bob), core.PostParams{Text: "look", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	m := &model.MediaAttachment{ID: id.New(), AccountID: bob.ID, Type: "image", ContentType: "image/png", FileKey: "ab/cd.png",
		Description: "a cat", Blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj", FocusX: 0.5, FocusY: -0.25, Processing: model.MediaReady,
		Meta: model.MediaMeta{Original: &model.MediaSize{Width: 640, Height: 480}}, CreatedAt: time.Now()}
	if err := ti.store.CreateMedia(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := ti.store.SetStatusMedia(ctx, st.ID, bob.ID, []int64{m.ID}); err != nil {
		t.Fatal(err)
	}
	b, err := ti.fed.loadStatus(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ti.fed.noteDoc(b))
	o, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Attachment) != 1 {
		t.Fatalf("attachments: %s", raw)
	}
	a := o.Attachment[0]
	if !a.Type.Is("Document") || a.MediaType != "image/png" || a.Name != "a cat" || a.URL.HTML() == "" ||
		a.Blurhash == "" || len(a.FocalPoint) != 2 || a.FocalPoint[0] != 0.5 || a.Width != 640 || a.Height != 480 {
		t.Fatalf("attachment rendered as %s", raw)
	}
}

func TestSuspendedActorBuildsNoDeliveries(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	yes := true
	if err := ti.store.ModerateAccount(ctx, bob.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	p := newFakePeer(t)
	alice, _ := ti.fed.accountByURI(ctx, p.actor)
	_, err := ti.fed.buildDeliveries(ctx, model.OutboxEvent{Kind: model.EventFollow, AccountID: bob.ID, ObjectID: alice.ID,
		Payload: `{"uri":"` + ti.url + `/follows/9"}`})
	if err == nil {
		t.Fatal("a suspended account's Follow was built")
	}
	if _, err := ti.store.FollowBetween(ctx, bob.ID, alice.ID); err == nil {
		t.Fatal("unexpected follow")
	}
	// The account.update announcing the suspension still goes out.
	if err := ti.store.Follow(ctx, &model.Follow{ID: id.New(), AccountID: alice.ID, TargetID: bob.ID, URI: p.actor + "#f/1", ShowReblogs: true}, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := ti.fed.buildDeliveries(ctx, model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: bob.ID, ObjectID: bob.ID})
	if err != nil || len(ds) != 1 {
		t.Fatalf("account.update of a suspended account: %v %v", ds, err)
	}
}

// A deleted local account's Delete is signed with the account's key even
// when the process that queued it is gone before it is delivered: the key
// stays in the database with the account until the Delete's deliveries are
// done, then the account is purged. (The key was kept in memory only: after
// a restart the Delete was dropped for want of a key, and the rest of the
// fediverse kept the account.)
func TestDeleteOfADeletedAccountSignedAfterRestart(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	boss := ti.admin("boss")
	p := newFakePeer(t)
	p.verify = true
	alice, err := ti.fed.accountByURI(ctx, p.actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.RemoteFollow(ctx, alice.ID, bob.ID, p.actor+"#follows/1"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the Accept at the peer", func() bool { return p.sawActivity("Accept", nil) })
	// The peer knows bob's key from now on (his actor answers 410 once
	// he is suspended).
	if _, err := p.resolveKey(ctx, keyIDOf(bob), false); err != nil {
		t.Fatal(err)
	}

	// The process stops before the Delete goes out; the peer fails the
	// Delete's first attempt, so the account must outlive a retry too.
	ti.cancel()
	<-ti.done
	hits := p.hits()
	var failing atomic.Bool
	failing.Store(true)
	p.mu.Lock()
	p.answer = func(int) int {
		if failing.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusAccepted
	}
	p.mu.Unlock()
	if err := ti.svc.AccountAction(ctx, boss, bob.ID, core.AccountActionParams{Type: "suspend"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.DeleteAccountData(ctx, boss, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ti.store.AccountByID(ctx, bob.ID); err != nil {
		t.Fatalf("the account went before its Delete was delivered: %v", err)
	}

	// A new process (a new engine and job runtime on the same database,
	// nothing in memory) makes the first attempt, which fails, and stops;
	// another makes the retry.
	start := func(backoff time.Duration) (stop func()) {
		log := quietLog(t)
		svc := core.New(ti.cfg, ti.store, log)
		runner := jobs.New(ti.store, jobs.Options{Log: log, Poll: 20 * time.Millisecond})
		svc.Jobs = runner
		fed := New(svc, ti.cfg, log)
		fed.Tuning.Backoff = func(int) time.Duration { return backoff }
		svc.Resolver = fed
		fed.Prepare(ctx)
		fed.RegisterJobs(runner)
		rctx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() { runner.Run(rctx); close(stopped) }()
		return func() { cancel(); <-stopped }
	}
	stop := start(time.Minute)
	// The suspension's Update and the Delete are both refused once.
	testutil.Eventually(t, 20*time.Second, "the first attempts", func() bool { return p.hits() >= hits+2 })
	stop()
	failing.Store(false)
	// Time passes: the retries come due.
	if _, err := ti.sqlDB().Exec("UPDATE jobs SET run_at = 0 WHERE kind = 'deliver'"); err != nil {
		t.Fatal(err)
	}
	stop = start(50 * time.Millisecond)
	t.Cleanup(stop)

	testutil.Eventually(t, 20*time.Second, "bob's Delete at the peer, signed with his key", func() bool {
		return p.sawActivity("Delete", func(o *Object) bool { return o.Object.ID == bob.URI })
	})
	testutil.Eventually(t, 20*time.Second, "bob purged once his Delete was delivered", func() bool {
		_, err := ti.store.AccountByID(ctx, bob.ID)
		return errors.Is(err, storage.ErrNotFound)
	})
}
