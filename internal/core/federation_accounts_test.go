package core_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The rules the federation engine applies through core (they were its
// own before issue 13): refusals are 4xx errors, which it does not retry.

func wantHTTPStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	var he *herr.Error
	if !errors.As(err, &he) || he.Status != status {
		t.Fatalf("%s: %v, want a %d", what, err, status)
	}
}

func (e *socEnv) remotePost(author *model.Account, n int) *model.Status {
	e.t.Helper()
	st, err := e.svc.IngestRemoteStatus(e.ctx, &model.Status{
		URI: author.URI + "/posts/" + strconv.Itoa(n), AccountID: author.ID, Content: "post",
		Visibility: model.Public, CreatedAt: time.Now().Add(-time.Duration(n) * time.Minute),
	}, nil, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func TestRemoteActorsFeatureOnlyTheirOwnPosts(t *testing.T) {
	e := newSocEnv(t)
	ann, ben := e.remote("ann"), e.remote("ben")
	bens := e.remotePost(ben, 0)
	wantHTTPStatus(t, "ann features ben's post", e.svc.RemotePin(e.ctx, ann.ID, bens), 403)
	if err := e.svc.RemotePin(e.ctx, ben.ID, bens); err != nil {
		t.Fatal(err)
	}
	wantHTTPStatus(t, "ann unfeatures ben's post", e.svc.RemoteUnpin(e.ctx, ann.ID, bens.URI), 403)
	if err := e.svc.RemoteUnpin(e.ctx, ben.ID, ben.URI+"/posts/unknown"); err != nil {
		t.Errorf("unfeature an unknown post: %v", err)
	}
	for i := 1; i < storage.MaxPins; i++ {
		if err := e.svc.RemotePin(e.ctx, ben.ID, e.remotePost(ben, i)); err != nil {
			t.Fatal(err)
		}
	}
	wantHTTPStatus(t, "one pin too many", e.svc.RemotePin(e.ctx, ben.ID, e.remotePost(ben, storage.MaxPins)), 422)
	if err := e.svc.RemoteUnpin(e.ctx, ben.ID, bens.URI); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RemotePin(e.ctx, ben.ID, e.remotePost(ben, storage.MaxPins+1)); err != nil {
		t.Errorf("pin after an unpin: %v", err)
	}
}

func TestActivitiesDeleteAndMoveOnlyRemoteAccounts(t *testing.T) {
	e := newSocEnv(t)
	alice := e.local("alice", false)
	ann, ben := e.remote("ann"), e.remote("ben")

	wantHTTPStatus(t, "delete a local account", e.svc.RemoteAccountDeleted(e.ctx, alice.Account.ID), 403)
	if _, err := e.store.AccountByID(e.ctx, alice.Account.ID); err != nil {
		t.Fatalf("alice: %v", err)
	}
	wantHTTPStatus(t, "move a local account", e.svc.RemoteAccountMoved(e.ctx, alice.Account, ann), 403)

	yes := true
	if err := e.store.ModerateAccount(e.ctx, ben.ID, storage.AccountModeration{Suspended: &yes}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	ben, _ = e.store.AccountByID(e.ctx, ben.ID)
	wantHTTPStatus(t, "move to a suspended account", e.svc.RemoteAccountMoved(e.ctx, ann, ben), 422)
	if a, _ := e.store.AccountByID(e.ctx, ann.ID); a.MovedToID != 0 {
		t.Fatalf("ann moved to %d", a.MovedToID)
	}

	if err := e.svc.RemoteAccountDeleted(e.ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AccountByID(e.ctx, ann.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("ann after her Delete: %v", err)
	}
}

// An actor stored from a limited domain gets the domain's policy, as the
// accounts known when the block was made.
func TestStoreRemoteAccountAppliesTheDomainPolicy(t *testing.T) {
	e := newSocEnv(t)
	for _, tc := range []struct {
		pol                 core.DomainPolicy
		silenced, suspended bool
		avatar              string
	}{
		{pol: core.DomainPolicy{}, avatar: "https://a.test/avatar.png"},
		{pol: core.DomainPolicy{RejectMedia: true}},
		{pol: core.DomainPolicy{Severity: "silence"}, silenced: true, avatar: "https://a.test/avatar.png"},
		{pol: core.DomainPolicy{Severity: "suspend", RejectMedia: true}, suspended: true},
	} {
		name := "u" + strconv.Itoa(len(tc.pol.Severity)) + strconv.FormatBool(tc.pol.RejectMedia)
		a := &model.Account{Username: name, Domain: "a.test", URI: "https://a.test/users/" + name,
			InboxURL: "https://a.test/users/" + name + "/inbox", AvatarURL: "https://a.test/avatar.png"}
		got, err := e.svc.StoreRemoteAccount(e.ctx, a, tc.pol)
		if err != nil {
			t.Fatal(err)
		}
		if (got.SilencedAt != nil) != tc.silenced || (got.SuspendedAt != nil) != tc.suspended || got.AvatarURL != tc.avatar {
			t.Errorf("policy %+v: silenced %v, suspended %v, avatar %q", tc.pol, got.SilencedAt != nil, got.SuspendedAt != nil, got.AvatarURL)
		}
	}
}
