package core_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage/sqlite"
)

type socEnv struct {
	t     *testing.T
	ctx   context.Context
	svc   *core.Service
	store *sqlite.Store
}

func newSocEnv(t *testing.T) *socEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Instance.Domain = "herald.test"
	return &socEnv{t: t, ctx: ctx, svc: core.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))), store: st}
}

func (e *socEnv) local(name string, locked bool) *core.Caller {
	e.t.Helper()
	a, u, err := e.svc.CreateLocalAccount(e.ctx, core.NewAccountParams{Username: name, Email: name + "@herald.test",
		Password: "password123", Approved: true, Confirm: true})
	if err != nil {
		e.t.Fatal(err)
	}
	if locked {
		l := true
		if a, u, err = e.svc.UpdateCredentials(e.ctx, &core.Caller{Token: &model.Token{}, User: u, Account: a}, core.ProfileParams{Locked: &l}); err != nil {
			e.t.Fatal(err)
		}
	}
	return &core.Caller{Token: &model.Token{Scopes: "read write follow"}, User: u, Account: a}
}

func (e *socEnv) remote(name string) *model.Account {
	e.t.Helper()
	a := &model.Account{Username: name, Domain: "remote.test", URI: "https://remote.test/users/" + name,
		InboxURL: "https://remote.test/users/" + name + "/inbox"}
	if err := e.store.UpsertRemoteAccount(e.ctx, a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// events returns the queued outbox events of a kind, with decoded payloads.
func (e *socEnv) events(kind string) []map[string]any {
	e.t.Helper()
	evs, err := e.store.PendingEvents(e.ctx, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	for _, ev := range evs {
		if ev.Kind != kind {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(ev.Payload), &m); err != nil {
			e.t.Fatal(err)
		}
		m["_account"], m["_object"] = ev.AccountID, ev.ObjectID
		out = append(out, m)
	}
	return out
}

func TestFollowRemoteIsPendingUntilAccepted(t *testing.T) {
	e := newSocEnv(t)
	alice := e.local("alice", false)
	bob := e.remote("bob")
	rel, err := e.svc.Follow(e.ctx, alice, bob.ID, core.FollowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Requested || rel.Following {
		t.Fatalf("rel = %+v", rel)
	}
	evs := e.events(model.EventFollow)
	if len(evs) != 1 || evs[0]["_object"] != bob.ID || evs[0]["uri"] == "" {
		t.Fatalf("follow events = %v", evs)
	}
	req, err := e.store.FollowRequestBetween(e.ctx, alice.Account.ID, bob.ID)
	if err != nil || req.URI != evs[0]["uri"] {
		t.Fatalf("request = %+v, %v", req, err)
	}
	if f, err := e.store.FollowByURI(e.ctx, req.URI); err != nil || f.TargetID != bob.ID {
		t.Errorf("FollowByURI = %+v, %v", f, err)
	}
	if err := e.svc.FollowAccepted(e.ctx, alice.Account.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FollowAccepted(e.ctx, alice.Account.ID, bob.ID); err != nil {
		t.Errorf("repeated accept: %v", err)
	}
	rel, _ = e.svc.Relationship(e.ctx, alice.Account.ID, bob.ID)
	if !rel.Following || rel.Requested {
		t.Fatalf("after accept = %+v", rel)
	}
	if _, err := e.svc.Unfollow(e.ctx, alice, bob.ID); err != nil {
		t.Fatal(err)
	}
	un := e.events(model.EventUnfollow)
	if len(un) != 1 || un[0]["uri"] != req.URI || un[0]["target_id"] != float64(bob.ID) {
		t.Errorf("unfollow events = %v", un)
	}
	// A Reject of a pending request withdraws it.
	_, _ = e.svc.Follow(e.ctx, alice, bob.ID, core.FollowOptions{})
	if err := e.svc.FollowRejected(e.ctx, alice.Account.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	rel, _ = e.svc.Relationship(e.ctx, alice.Account.ID, bob.ID)
	if rel.Requested || rel.Following {
		t.Errorf("after reject = %+v", rel)
	}
}

func TestRemoteFollowOfLocal(t *testing.T) {
	e := newSocEnv(t)
	open, locked := e.local("open", false), e.local("locked", true)
	r := e.remote("r")
	ok, err := e.svc.RemoteFollow(e.ctx, r.ID, open.Account.ID, "https://remote.test/follows/1")
	if err != nil || !ok {
		t.Fatalf("RemoteFollow = %v, %v", ok, err)
	}
	ok, err = e.svc.RemoteFollow(e.ctx, r.ID, open.Account.ID, "https://remote.test/follows/2")
	if err != nil || !ok {
		t.Fatalf("repeated RemoteFollow = %v, %v", ok, err)
	}
	acc := e.events(model.EventFollowAccept)
	if len(acc) != 2 || acc[1]["uri"] != "https://remote.test/follows/2" || acc[1]["follower_id"] != float64(r.ID) {
		t.Errorf("accepts = %v", acc)
	}
	a, _ := e.store.AccountByID(e.ctx, open.Account.ID)
	if a.FollowersCount != 1 {
		t.Errorf("followers = %d", a.FollowersCount)
	}
	if inb, _ := e.store.FollowerInboxes(e.ctx, open.Account.ID); len(inb) != 1 {
		t.Errorf("inboxes = %v", inb)
	}

	ok, err = e.svc.RemoteFollow(e.ctx, r.ID, locked.Account.ID, "https://remote.test/follows/3")
	if err != nil || ok {
		t.Fatalf("RemoteFollow locked = %v, %v", ok, err)
	}
	if _, err := e.svc.AuthorizeFollowRequest(e.ctx, locked, r.ID); err != nil {
		t.Fatal(err)
	}
	acc = e.events(model.EventFollowAccept)
	if len(acc) != 3 || acc[2]["uri"] != "https://remote.test/follows/3" || acc[2]["_account"] != locked.Account.ID {
		t.Errorf("accept after authorize = %v", acc)
	}

	// A remote Block severs the follow; a local block of a remote sends a Block.
	if err := e.svc.RemoteBlock(e.ctx, r.ID, open.Account.ID); err != nil {
		t.Fatal(err)
	}
	rel, _ := e.svc.Relationship(e.ctx, open.Account.ID, r.ID)
	if rel.FollowedBy || !rel.BlockedBy {
		t.Errorf("after remote block = %+v", rel)
	}
	if _, err := e.svc.Block(e.ctx, locked, r.ID); err != nil {
		t.Fatal(err)
	}
	if len(e.events(model.EventBlock)) != 1 || len(e.events(model.EventFollowReject)) != 1 {
		t.Errorf("block events: block %v reject %v", e.events(model.EventBlock), e.events(model.EventFollowReject))
	}
	// A follow from a blocked actor is rejected.
	ok, err = e.svc.RemoteFollow(e.ctx, r.ID, locked.Account.ID, "https://remote.test/follows/4")
	if err != nil || ok || len(e.events(model.EventFollowReject)) != 2 {
		t.Errorf("follow while blocked = %v, %v", ok, err)
	}
}

func TestUpdateCredentialsRendersProfile(t *testing.T) {
	e := newSocEnv(t)
	alice := e.local("alice", false)
	e.local("bob", false)
	note := "Hi @bob, see #herald\n\nhttps://example.org"
	name := "Alice"
	priv := "private"
	acc, u, err := e.svc.UpdateCredentials(e.ctx, alice, core.ProfileParams{DisplayName: &name, Note: &note, Privacy: &priv,
		Fields: &[]core.FieldParam{{Name: "Web", Value: "https://alice.example"}, {}}})
	if err != nil {
		t.Fatal(err)
	}
	if acc.DisplayName != "Alice" || acc.NoteSource != note || u.DefaultVisibility != "private" {
		t.Errorf("account = %+v, user = %+v", acc, u)
	}
	for _, want := range []string{`href="http://herald.test/@bob"`, `href="http://herald.test/tags/herald"`, `href="https://example.org"`, "<p>"} {
		if !strings.Contains(acc.Note, want) {
			t.Errorf("note %q lacks %q", acc.Note, want)
		}
	}
	if len(acc.Fields) != 1 || acc.Fields[0].Raw != "https://alice.example" || !strings.Contains(acc.Fields[0].Value, `<a href="https://alice.example"`) || strings.Contains(acc.Fields[0].Value, "<p>") {
		t.Errorf("fields = %+v", acc.Fields)
	}
	long := "0123456789012345678901234567890"
	if _, _, err := e.svc.UpdateCredentials(e.ctx, alice, core.ProfileParams{DisplayName: &long}); err == nil {
		t.Error("31-character display name accepted")
	}
	if evs := e.events(model.EventAccountUpdate); len(evs) != 1 {
		t.Errorf("account update events = %d", len(evs))
	}
}
