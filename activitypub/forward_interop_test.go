package activitypub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// Issue 15, Mastodon PR #36390: an edit or deletion of a quoted post
// reaches the followers of those who quoted it. ann on A writes a post,
// ben on B quotes it, cat on C follows ben only: C has ann's post through
// ben's quote, and A does not know C. ann's Update and Delete reach B,
// which forwards them to ben's followers; C believes only what A serves
// (it fetches the post from A) and so applies the edit, then the deletion.
func TestQuotedPostEditsReachQuotersFollowers(t *testing.T) {
	ctx := context.Background()
	A, B, C := startHerald(t), startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	cat := C.user(t, "cat", false)
	followAcross(t, B, ben, A, "ann")
	followAcross(t, C, cat, B, "ben")

	quoted := post(t, A, ann, core.PostParams{Text: "quote me", Visibility: "public",
		InteractionPolicy: core.PolicyChoice{model.InteractQuote: {Automatic: []string{model.PolicyPublic}}}})
	testutil.Eventually(t, 30*time.Second, "ann's post on B", func() bool { return B.byURI(quoted.URI) != nil })
	q := post(t, B, ben, core.PostParams{Text: "she says", Visibility: "public", QuoteID: B.byURI(quoted.URI).ID})
	testutil.Eventually(t, 30*time.Second, "ben's quote accepted on B", func() bool {
		return B.byURI(q.URI).QuoteState == model.QuoteAccepted
	})
	testutil.Eventually(t, 30*time.Second, "ben's quote and ann's post on C", func() bool {
		return C.byURI(q.URI) != nil && C.byURI(quoted.URI) != nil
	})
	A.idle(t)
	B.idle(t)

	if _, err := A.svc.EditStatus(ctx, ann, quoted.ID, core.EditParams{Text: "quote me (edited)"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the edit on C", func() bool {
		st := C.byURI(quoted.URI)
		return st != nil && strings.Contains(st.Content, "quote me (edited)") && st.EditedAt != nil
	})

	if _, err := A.svc.DeleteStatus(ctx, ann, quoted.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the deletion on C", func() bool { return C.byURI(quoted.URI) == nil })
	if C.byURI(q.URI) == nil {
		t.Fatal("ben's quote went with the quoted post on C")
	}
}
