package activitypub

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// An export pages through the posts: over several pages, each post of the
// period is in outbox.json once, newest first, and none outside it.
func TestRecordsArchivePages(t *testing.T) {
	ti := newTestInstance(t)
	alice := ti.createUser("alice")
	c := ti.caller(alice)
	ctx := context.Background()
	var posts []*model.Status
	for i := range 2*archivePageSize + 3 {
		vis := []string{"public", "unlisted", "public", "private"}[i%4]
		st, err := ti.svc.PostStatus(ctx, c, core.PostParams{Text: "post", Visibility: vis})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, st)
	}
	// Bounds taken from the posts themselves (several may share their
	// millisecond: the expectation follows created_at, as the export does).
	from, to := posts[30].CreatedAt, posts[len(posts)-20].CreatedAt
	for _, tc := range []struct {
		name     string
		from, to string
		in       func(*model.Status) bool
	}{
		{"all", "", "", func(*model.Status) bool { return true }},
		{"period", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano),
			func(st *model.Status) bool { return !st.CreatedAt.Before(from) && st.CreatedAt.Before(to) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ti.svc.ExportRecords(ctx, ti.caller(alice), core.RecordsRequest{AccountID: alice.ID, From: tc.from, To: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, st := range posts {
				if st.Visibility <= model.Unlisted && tc.in(st) {
					want[st.URI] = true
				}
			}
			var buf bytes.Buffer
			sum, err := ti.fed.WriteRecords(ctx, &buf, e)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			f, err := zr.Open("outbox.json")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(f)
			var ob struct {
				TotalItems   int `json:"totalItems"`
				OrderedItems []struct {
					Object struct{ ID, Published string }
				} `json:"orderedItems"`
			}
			if err := json.Unmarshal(raw, &ob); err != nil {
				t.Fatal(err)
			}
			if ob.TotalItems != len(want) || len(ob.OrderedItems) != len(want) || sum.Posts != len(want) || len(want) <= archivePageSize {
				t.Fatalf("%d posts (summary %d), want %d over more than a page", ob.TotalItems, sum.Posts, len(want))
			}
			seen := map[string]bool{}
			for i, it := range ob.OrderedItems {
				if !want[it.Object.ID] || seen[it.Object.ID] {
					t.Fatalf("item %d: %s is not of the export or twice in it", i, it.Object.ID)
				}
				seen[it.Object.ID] = true
				if i > 0 && it.Object.Published > ob.OrderedItems[i-1].Object.Published {
					t.Fatalf("item %d is newer than the one before it", i)
				}
			}
			// The settings page's outbox holds the same posts.
			var plain bytes.Buffer
			if err := ti.fed.WriteOutbox(ctx, &plain, e); err != nil {
				t.Fatal(err)
			}
			var ob2 struct {
				TotalItems int `json:"totalItems"`
			}
			if err := json.Unmarshal(plain.Bytes(), &ob2); err != nil || ob2.TotalItems != len(want) {
				t.Errorf("outbox JSON: %d posts (%v), want %d", ob2.TotalItems, err, len(want))
			}
		})
	}
}
