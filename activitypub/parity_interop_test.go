package activitypub_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// Issue 15, item 13: between two Heralds on non-default ports, the
// instance actor that signs A's fetches is stored on B under a username
// without ':' (which GoToSocial could not parse, so it answered every
// signed fetch with a 500), and B's WebFinger round trip of that username
// at A's domain finds the same actor, as Mastodon requires.
func TestInstanceActorUsernameAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	if !strings.Contains(A.Domain, ":") {
		t.Fatalf("A's domain %q has no port", A.Domain)
	}
	A.user(t, "ann", false)
	B.user(t, "ben", false)
	// A fetches ben's actor, signed by its instance actor; B (authorized
	// fetch) resolves that actor to check the signature.
	A.resolve(t, "ben@"+B.Domain)
	actorOnB, err := B.Srv.Store.AccountByURI(ctx, A.URL+"/actor")
	if err != nil {
		t.Fatalf("A's instance actor on B: %v", err)
	}
	if actorOnB.Username == "" || strings.ContainsAny(actorOnB.Username, ":@/") {
		t.Fatalf("A's instance actor's username on B: %q", actorOnB.Username)
	}
	again := B.resolve(t, actorOnB.Username+"@"+A.Domain)
	if again.URI != A.URL+"/actor" {
		t.Fatalf("WebFinger of %s@%s found %s", actorOnB.Username, A.Domain, again.URI)
	}
}

// Issue 15, item 14: an attachment's alt text survives the trip from one
// Herald to another.
func TestAltTextAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	followAcross(t, B, ben, A, "ann")

	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	alt := "a red diagonal line"
	m, err := A.svc.UploadMedia(ctx, ann, core.UploadParams{File: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len()), Description: &alt})
	if err != nil {
		t.Fatal(err)
	}
	st := post(t, A, ann, core.PostParams{Text: "a picture", Visibility: "public", MediaIDs: []string{idOf(m.ID)}})
	// The attachments are stored just after the post: wait for both.
	var media map[int64][]*model.MediaAttachment
	var onB *model.Status
	testutil.Eventually(t, 15*time.Second, "ann's picture on B", func() bool {
		if onB = B.byURI(st.URI); onB == nil {
			return false
		}
		media, err = B.Srv.Store.MediaOfStatuses(ctx, []int64{onB.ID})
		return err == nil && len(media[onB.ID]) > 0
	})
	if len(media[onB.ID]) != 1 || media[onB.ID][0].Description != alt {
		t.Fatalf("the picture on B: %+v", media[onB.ID])
	}
}
