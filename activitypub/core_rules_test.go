package activitypub

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// The engine applies what it receives through core's rules, never around
// them (issue 13): here, that a local account is deleted only by its owner
// or the moderators (core.DeleteAccountData: its tokens revoked, its
// Delete federated), not by an activity, even one signed with its own key.
func TestActivityDoesNotDeleteALocalAccount(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	alice := ti.createUser("alice")
	bob := ti.createUser("bob")
	st, err := ti.svc.PostStatus(ctx, ti.caller(bob), core.PostParams{Text: "hello", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := httpsig.ParsePrivateKeyPEM(alice.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	as := &fakePeer{t: t, actor: alice.URI, key: key} // alice's own signature

	del := mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       alice.URI + "#delete", "type": "Delete", "actor": alice.URI, "object": alice.URI,
	})
	if status, body := as.signedPost(ti.url+"/inbox", del, nil); status != http.StatusAccepted {
		t.Fatalf("Delete: %d %s", status, body)
	}
	// One signer's activities are applied in order: once the Like that
	// follows is applied, the Delete was processed.
	like := mustJSON(t, map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       alice.URI + "#likes/test", "type": "Like", "actor": alice.URI, "object": st.URI,
	})
	if status, body := as.signedPost(ti.url+"/inbox", like, nil); status != http.StatusAccepted {
		_, err := ti.store.AccountByID(ctx, alice.ID)
		t.Fatalf("Like: %d %s (alice's account: %v)", status, body, err)
	}
	testutil.Eventually(t, 10*time.Second, "the Like after the Delete applied", func() bool {
		ids, _, err := ti.store.FavouritedBy(ctx, st.ID, model.Page{Limit: 10})
		return err == nil && slices.Contains(ids, alice.ID)
	})
	if a, err := ti.store.AccountByID(ctx, alice.ID); err != nil || a.SuspendedAt != nil {
		t.Fatalf("alice after a Delete of herself by activity: %+v, %v; want her account intact", a, err)
	}
}
