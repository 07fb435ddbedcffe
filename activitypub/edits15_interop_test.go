package activitypub_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"slices"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// Issue 15, edits between Heralds: ann on A edits the alt text of a
// picture (media_attributes), B gets it in the Update; ann edits her
// poll's options, B gets the Update{Question} with the new options and the
// votes reset; ben on B quoted ann's post, and when ann edits it ben is
// told with quoted_update about his own quote post.
func TestEditsAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	followAcross(t, B, ben, A, "ann")

	// --- alt text ---
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{G: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	alt := "a dot"
	m, err := A.svc.UploadMedia(ctx, ann, core.UploadParams{File: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len()), Description: &alt})
	if err != nil {
		t.Fatal(err)
	}
	pic := post(t, A, ann, core.PostParams{Text: "a picture", Visibility: "public", MediaIDs: []string{idOf(m.ID)}})
	altOnB := func() string {
		st := B.byURI(pic.URI)
		if st == nil {
			return ""
		}
		media, err := B.Srv.Store.MediaOfStatuses(ctx, []int64{st.ID})
		if err != nil || len(media[st.ID]) != 1 {
			return ""
		}
		return media[st.ID][0].Description
	}
	testutil.Eventually(t, 30*time.Second, "the picture on B", func() bool { return altOnB() == alt })
	better := "a green dot on white"
	if _, err := A.svc.EditStatus(ctx, ann, pic.ID, core.EditParams{Text: "a picture", MediaIDs: []string{idOf(m.ID)},
		MediaAttributes: []core.MediaAttributeParams{{ID: idOf(m.ID), Description: &better}}}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the new alt text on B", func() bool { return altOnB() == better })

	// --- poll ---
	poll := post(t, A, ann, core.PostParams{Text: "tea or coffee?", Visibility: "public",
		Poll: &core.PollParams{Options: []string{"tea", "coffee"}, ExpiresIn: time.Hour}})
	var onB *model.Status
	testutil.Eventually(t, 30*time.Second, "the poll on B", func() bool { onB = B.byURI(poll.URI); return onB != nil })
	if _, _, err := B.svc.VotePoll(ctx, ben, onB.ID, []int{1}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "ben's vote on A", func() bool {
		p := A.pollSeen(t, ann, poll.ID)
		return p != nil && p.Poll.VotesCount == 1
	})
	if _, err := A.svc.EditStatus(ctx, ann, poll.ID, core.EditParams{Text: "tea, coffee or water?",
		Poll: &core.PollParams{Options: []string{"tea", "coffee", "water"}, ExpiresIn: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if p := A.pollSeen(t, ann, poll.ID); p == nil || p.Poll.VotesCount != 0 || len(p.Poll.Options) != 3 {
		t.Fatalf("the edited poll on A: %+v", p)
	}
	testutil.Eventually(t, 30*time.Second, "the edited poll on B", func() bool {
		p := B.pollSeen(t, ben, onB.ID)
		return p != nil && slices.Equal(p.Poll.Options, []string{"tea", "coffee", "water"}) && p.Poll.VotesCount == 0
	})

	// --- quoted_update ---
	quoted := post(t, A, ann, core.PostParams{Text: "quote me", Visibility: "public",
		InteractionPolicy: core.PolicyChoice{model.InteractQuote: {Automatic: []string{model.PolicyPublic}}}})
	testutil.Eventually(t, 30*time.Second, "the quoted post on B", func() bool { return B.byURI(quoted.URI) != nil })
	q := post(t, B, ben, core.PostParams{Text: "she says", Visibility: "public", QuoteID: B.byURI(quoted.URI).ID})
	testutil.Eventually(t, 30*time.Second, "ben's quote accepted on B", func() bool {
		return B.byURI(q.URI).QuoteState == model.QuoteAccepted
	})
	if _, err := A.svc.EditStatus(ctx, ann, quoted.ID, core.EditParams{Text: "quote me (edited)"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "ben told of the edit on B", func() bool {
		return B.notifiedOf(t, ben, model.NotifyQuotedUpdate, q.ID)
	})
}
