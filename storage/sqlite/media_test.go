package sqlite

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// A garbage key goes to the sweep only after the grace period, and never
// while a row names it again, whichever column of which table names it.
func TestMediaGarbageGraceAndNamedAgain(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	alice := mkLocal(t, s, "alice")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	listed := func(now time.Time, key string) bool {
		t.Helper()
		keys, err := s.MediaGarbage(ctx, now, 1000)
		must(err)
		return slices.Contains(keys, key)
	}
	// Each way a row names a key, and drops it again.
	holders := map[string]func(key string) (drop func()){
		"attachment file": func(key string) func() {
			m := &model.MediaAttachment{AccountID: alice.ID, Type: "image", FileKey: key}
			must(s.CreateMedia(ctx, m))
			return func() { must(s.DeleteMedia(ctx, m.ID)) }
		},
		"attachment preview": func(key string) func() {
			m := &model.MediaAttachment{AccountID: alice.ID, Type: "image", FileKey: key + "-orig", PreviewKey: key}
			must(s.CreateMedia(ctx, m))
			return func() { must(s.DeleteMedia(ctx, m.ID)) }
		},
		"account image": func(key string) func() {
			am := &model.AccountMedia{AccountID: alice.ID, Kind: "header", FileKey: key, ContentType: "image/png"}
			must(s.SetAccountMedia(ctx, am, "https://x.test/header.png", nil))
			return func() {
				am.FileKey = ""
				must(s.SetAccountMedia(ctx, am, "", nil))
			}
		},
		"emoji file": func(key string) func() {
			e := &model.CustomEmoji{Shortcode: "e1", FileKey: key, ContentType: "image/png", VisibleInPicker: true}
			must(s.CreateEmoji(ctx, e))
			return func() { must(s.DeleteEmoji(ctx, e.ID)) }
		},
		"emoji still": func(key string) func() {
			e := &model.CustomEmoji{Shortcode: "e2", FileKey: key + "-anim", StaticKey: key, ContentType: "image/gif", VisibleInPicker: true}
			must(s.CreateEmoji(ctx, e))
			return func() { must(s.DeleteEmoji(ctx, e.ID)) }
		},
		"card image": func(key string) func() {
			c := &model.PreviewCard{URL: "https://news.test/" + key, Title: "t", Type: "link", ImageKey: key, FetchedAt: time.Now()}
			must(s.UpsertCard(ctx, c))
			return func() {
				c.ImageKey = ""
				must(s.UpsertCard(ctx, c))
			}
		},
	}
	for name, hold := range holders {
		key := "test/" + name + "/original.png"
		later := time.Now().Add(storage.MediaGarbageGrace + time.Minute)

		// A key some row dropped just now waits for the grace period.
		hold(key)()
		if listed(time.Now(), key) {
			t.Fatalf("%s: listed within the grace period", name)
		}
		if !listed(later, key) {
			t.Fatalf("%s: not listed after the grace period", name)
		}
		// Named again (a row written back from an old copy): never listed,
		// and off the list.
		drop := hold(key)
		if listed(later, key) {
			t.Fatalf("%s: listed while a row names it", name)
		}
		if got, err := s.ReleasedMediaGarbage(ctx, []string{key}); err != nil || len(got) != 0 {
			t.Fatalf("%s: released while a row names it: %v %v", name, got, err)
		}
		// Dropped again: garbage anew, with a grace period of its own.
		drop()
		if listed(time.Now(), key) || !listed(later, key) {
			t.Fatalf("%s: dropped again, not listed anew", name)
		}
		if got, err := s.ReleasedMediaGarbage(ctx, []string{key, "not/garbage.png"}); err != nil || !slices.Equal(got, []string{key}) {
			t.Fatalf("%s: released: %v %v", name, got, err)
		}
		must(s.ForgetMediaGarbage(ctx, []string{key}))
	}
}
