package storetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// upload stores an unattached local upload of owner with a file key.
func (e *env) upload(owner *model.Account) *model.MediaAttachment {
	e.t.Helper()
	n := e.next()
	m := &model.MediaAttachment{AccountID: owner.ID, Type: "image", ContentType: "image/png",
		FileKey: fmt.Sprintf("media/%d/original.png", n), PreviewKey: fmt.Sprintf("media/%d/small.webp", n),
		FileSize: 100, Description: "alt", Meta: model.MediaMeta{Original: &model.MediaSize{Width: 10, Height: 20}}}
	e.ok(e.s.CreateMedia(e.ctx, m))
	if m.ID == 0 {
		e.t.Fatal("CreateMedia set no id")
	}
	return m
}

// later is a time past MediaGarbageGrace: garbage made now is due then.
func later() time.Time { return time.Now().Add(storage.MediaGarbageGrace + time.Minute) }

func mediaArea() area {
	return area{"Media", []testCase{
		{"CreateReadUpdateDelete", func(e *env) {
			a := e.local("alice")
			m := e.upload(a)
			e.ok(e.s.CreateMedia(e.ctx, &model.MediaAttachment{AccountID: a.ID, Type: "image", Processing: model.MediaProcessing},
				storage.Job{Kind: "media", Payload: `{}`}))
			n, err := e.s.CountJobs(e.ctx, "media", 0, time.Now().Add(time.Hour))
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("media jobs = %d", n)
			}
			got, err := e.s.MediaByID(e.ctx, m.ID)
			e.ok(err)
			if got.FileKey != m.FileKey || got.Description != "alt" || got.Meta.Original == nil || got.Meta.Original.Height != 20 || got.StatusID != 0 {
				e.t.Fatalf("media = %+v", got)
			}
			got.Description = "new alt"
			got.FocusX = 0.5
			e.ok(e.s.UpdateMedia(e.ctx, got))
			again, _ := e.s.MediaByID(e.ctx, m.ID)
			if again.Description != "new alt" || again.FocusX != 0.5 {
				e.t.Fatalf("updated media = %+v", again)
			}
			e.ok(e.s.DeleteMedia(e.ctx, m.ID))
			_, err = e.s.MediaByID(e.ctx, m.ID)
			e.is(err, storage.ErrNotFound, "deleted media")
			e.is(e.s.DeleteMedia(e.ctx, m.ID), storage.ErrNotFound, "deleting twice")
		}},
		{"AttachWithStatus", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			m1, m2 := e.upload(a), e.upload(a)
			st := e.post(a, post{media: []int64{m2.ID, m1.ID}})
			got, err := e.s.MediaOfStatuses(e.ctx, []int64{st.ID})
			e.ok(err)
			if ms := got[st.ID]; len(ms) != 2 || ms[0].ID != m2.ID || ms[1].ID != m1.ID || ms[0].StatusID != st.ID {
				e.t.Fatalf("status media = %+v", got[st.ID])
			}
			// Attached already, or someone else's: not attachable.
			_, _, err = e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), MediaIDs: []int64{m1.ID}})
			e.is(err, storage.ErrMediaNotAttachable, "attaching media of another status")
			bm := e.upload(b)
			_, _, err = e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), MediaIDs: []int64{bm.ID}})
			e.is(err, storage.ErrMediaNotAttachable, "attaching someone else's media")
			var many []int64
			for i := 0; i <= storage.MaxStatusMedia; i++ {
				many = append(many, e.upload(a).ID)
			}
			_, _, err = e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), MediaIDs: many})
			e.is(err, storage.ErrMediaNotAttachable, "too many attachments")
			if n := e.account(a.ID).StatusesCount; n != 1 {
				e.t.Fatalf("a refused post was counted: %d", n)
			}
			pm, err := e.s.PublicMediaTimeline(e.ctx, false, false, model.Page{Limit: 10})
			e.ok(err)
			e.equal("media timeline", ids(pm), sids(st))
			only, err := e.s.AccountStatuses(e.ctx, a.ID, model.Public, storage.AccountStatusFilter{OnlyMedia: true}, model.Page{Limit: 10})
			e.ok(err)
			e.equal("only media", ids(only), sids(st))
		}},
		{"SetStatusMediaReplaces", func(e *env) {
			a := e.local("alice")
			m1, m2, m3 := e.upload(a), e.upload(a), e.upload(a)
			st := e.post(a, post{media: []int64{m1.ID, m2.ID}})
			e.ok(e.s.SetStatusMedia(e.ctx, st.ID, a.ID, []int64{m3.ID, m1.ID}))
			got, _ := e.s.MediaOfStatuses(e.ctx, []int64{st.ID})
			if ms := got[st.ID]; len(ms) != 2 || ms[0].ID != m3.ID || ms[1].ID != m1.ID {
				e.t.Fatalf("media after edit = %+v", ms)
			}
			_, err := e.s.MediaByID(e.ctx, m2.ID)
			e.is(err, storage.ErrNotFound, "dropped attachment")
			other := e.pub(a)
			e.is(e.s.SetStatusMedia(e.ctx, other.ID, a.ID, []int64{m1.ID}), storage.ErrMediaNotAttachable, "moving media between statuses")
		}},
		{"RemoteStatusMediaAndEdits", func(e *env) {
			// A remote status's attachments are written with it; an edit
			// updates them by remote URL (keeping the cached file), inserts
			// new ones and keeps the removed ones for the history; the file
			// caching never writes the alt text back.
			r := e.remote("rm", "media.test")
			st := e.newStatus(r, post{})
			a := &model.MediaAttachment{RemoteURL: "https://media.test/a.png", Type: "image", Description: "a"}
			b := &model.MediaAttachment{RemoteURL: "https://media.test/b.png", Type: "image", Description: "b"}
			_, _, err := e.s.CreateStatus(e.ctx, storage.NewStatus{Status: st, RemoteMedia: []*model.MediaAttachment{a, b}})
			e.ok(err)
			got, _ := e.s.MediaOfStatuses(e.ctx, []int64{st.ID})
			if ms := got[st.ID]; len(ms) != 2 || ms[0].ID != a.ID || ms[1].ID != b.ID || ms[1].Position != 1 || ms[0].AccountID != r.ID {
				e.t.Fatalf("remote media with the status: %+v", ms)
			}
			// a's file is cached; the row read for it is stale by the time
			// the cache writes it back.
			stale, err := e.s.MediaByID(e.ctx, a.ID)
			e.ok(err)
			now := time.Now()
			stale.FileKey, stale.CachedAt, stale.Description = "cache/a.png", &now, "stale alt"
			e.ok(e.s.UpdateMediaFile(e.ctx, stale))
			edit := *st
			edit.Content = "<p>edited</p>"
			a2 := &model.MediaAttachment{RemoteURL: "https://media.test/a.png", Type: "image", Description: "a, edited"}
			c := &model.MediaAttachment{RemoteURL: "https://media.test/c.png", Type: "image", Description: "c"}
			done, err := e.s.EditRemoteStatus(e.ctx, storage.RemoteEdit{Status: &edit, SetMedia: true, Media: []*model.MediaAttachment{c, a2}})
			e.ok(err)
			if a2.ID != a.ID || c.ID == 0 || !slices.Equal(done.Uncached, []int64{c.ID}) {
				e.t.Fatalf("edit: a %d→%d, c %d, uncached %v", a.ID, a2.ID, c.ID, done.Uncached)
			}
			got, _ = e.s.MediaOfStatuses(e.ctx, []int64{st.ID})
			if ms := got[st.ID]; len(ms) != 2 || ms[0].ID != c.ID || ms[1].ID != a.ID || ms[1].Description != "a, edited" ||
				ms[1].FileKey != "cache/a.png" {
				e.t.Fatalf("media after the edit: %+v", ms)
			}
			kept, err := e.s.MediaHistoryOf(e.ctx, st.ID)
			e.ok(err)
			if len(kept) != 1 || kept[0].ID != b.ID || kept[0].StatusID != 0 || kept[0].HistoryStatusID != st.ID {
				e.t.Fatalf("kept for the history: %+v", kept)
			}
			edits, err := e.s.StatusEdits(e.ctx, st.ID)
			e.ok(err)
			if len(edits) != 1 || len(edits[0].Media) != 2 || edits[0].Media[1].ID != b.ID {
				e.t.Fatalf("the earlier version: %+v", edits)
			}
			// Not an unattached upload to prune.
			old, err := e.s.UnattachedMediaBefore(e.ctx, later(), 100)
			e.ok(err)
			if slices.Contains(old, b.ID) {
				e.t.Fatal("an attachment kept for the history is pruned as unattached")
			}
			e.ok(e.s.DeleteStatus(e.ctx, st.ID, nil))
			for _, id := range []int64{a.ID, b.ID, c.ID} {
				_, err := e.s.MediaByID(e.ctx, id)
				e.is(err, storage.ErrNotFound, "media of a deleted remote status")
			}
		}},
		{"DeleteStatusDeletesMedia", func(e *env) {
			a := e.local("alice")
			m := e.upload(a)
			st := e.post(a, post{media: []int64{m.ID}})
			e.ok(e.s.DeleteStatus(e.ctx, st.ID, nil))
			_, err := e.s.MediaByID(e.ctx, m.ID)
			e.is(err, storage.ErrNotFound, "media of a deleted status")
			keys, err := e.s.MediaGarbage(e.ctx, later(), 10)
			e.ok(err)
			if !slices.Contains(keys, m.FileKey) || !slices.Contains(keys, m.PreviewKey) {
				e.t.Fatalf("garbage = %v, want %s and %s", keys, m.FileKey, m.PreviewKey)
			}
		}},
		{"UnattachedAndCachedRemote", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			m := e.upload(a)
			attached := e.upload(a)
			e.post(a, post{media: []int64{attached.ID}})
			old := time.Now().Add(-48 * time.Hour)
			rm := &model.MediaAttachment{AccountID: r.ID, Type: "image", RemoteURL: "https://remote.test/m.png", FileKey: "cache/1",
				CachedAt: &old}
			e.ok(e.s.CreateMedia(e.ctx, rm))
			got, err := e.s.UnattachedMediaBefore(e.ctx, time.Now().Add(time.Minute), 10)
			e.ok(err)
			if !contains(got, m.ID) || contains(got, attached.ID) {
				e.t.Fatalf("unattached = %v (upload %d, attached %d)", got, m.ID, attached.ID)
			}
			got, _ = e.s.UnattachedMediaBefore(e.ctx, time.Now().Add(-time.Hour), 10)
			if contains(got, m.ID) {
				e.t.Fatal("a fresh upload is listed as old")
			}
			cached, err := e.s.CachedRemoteMediaBefore(e.ctx, time.Now().Add(-time.Hour), 10)
			e.ok(err)
			if len(cached) != 1 || cached[0].ID != rm.ID {
				e.t.Fatalf("cached remote = %+v", cached)
			}
		}},
		{"GarbageGraceAndRelease", func(e *env) {
			a := e.local("alice")
			m := e.upload(a)
			e.ok(e.s.DeleteMedia(e.ctx, m.ID))
			keys, err := e.s.MediaGarbage(e.ctx, time.Now(), 10)
			e.ok(err)
			if len(keys) != 0 {
				e.t.Fatalf("garbage within the grace period = %v", keys)
			}
			rel, err := e.s.ReleasedMediaGarbage(e.ctx, []string{m.FileKey, "never-garbage"})
			e.ok(err)
			if !slices.Equal(rel, []string{m.FileKey}) {
				e.t.Fatalf("released = %v", rel)
			}
			keys, _ = e.s.MediaGarbage(e.ctx, later(), 10)
			if !slices.Contains(keys, m.FileKey) {
				e.t.Fatalf("garbage after the grace = %v", keys)
			}
			e.ok(e.s.ForgetMediaGarbage(e.ctx, keys))
			keys, _ = e.s.MediaGarbage(e.ctx, later(), 10)
			if len(keys) != 0 {
				e.t.Fatalf("garbage after forgetting = %v", keys)
			}
		}},
		{"GarbageNamedAgainIsKept", func(e *env) {
			a := e.local("alice")
			m := e.upload(a)
			e.ok(e.s.DeleteMedia(e.ctx, m.ID))
			// A row naming the key again (an old copy written back).
			again := &model.MediaAttachment{AccountID: a.ID, Type: "image", FileKey: m.FileKey}
			e.ok(e.s.CreateMedia(e.ctx, again))
			keys, err := e.s.MediaGarbage(e.ctx, later(), 10)
			e.ok(err)
			if slices.Contains(keys, m.FileKey) {
				e.t.Fatal("a key named again is given to the sweep")
			}
			rel, err := e.s.ReleasedMediaGarbage(e.ctx, []string{m.FileKey})
			e.ok(err)
			if len(rel) != 0 {
				e.t.Fatalf("released a named key: %v", rel)
			}
		}},
		{"AccountMedia", func(e *env) {
			a, r := e.local("alice"), e.remote("r", "remote.test")
			_, err := e.s.AccountMedia(e.ctx, a.ID, "avatar")
			e.is(err, storage.ErrNotFound, "no avatar yet")
			e.ok(e.s.SetAccountMedia(e.ctx, &model.AccountMedia{AccountID: a.ID, Kind: "avatar", FileKey: "av/1", ContentType: "image/png"},
				"https://local.test/av/1", []model.OutboxEvent{{Kind: model.EventAccountUpdate, AccountID: a.ID}}))
			if got := e.account(a.ID); got.AvatarURL != "https://local.test/av/1" {
				e.t.Fatalf("avatar url = %q", got.AvatarURL)
			}
			e.federateJobs(1)
			e.ok(e.s.SetAccountMedia(e.ctx, &model.AccountMedia{AccountID: a.ID, Kind: "avatar", FileKey: "av/2"}, "https://local.test/av/2", nil))
			am, err := e.s.AccountMedia(e.ctx, a.ID, "avatar")
			e.ok(err)
			if am.FileKey != "av/2" {
				e.t.Fatalf("avatar = %+v", am)
			}
			keys, _ := e.s.MediaGarbage(e.ctx, later(), 10)
			if !slices.Contains(keys, "av/1") {
				e.t.Fatalf("replaced avatar's key not garbage: %v", keys)
			}
			old := time.Now().Add(-48 * time.Hour)
			e.ok(e.s.SetAccountMedia(e.ctx, &model.AccountMedia{AccountID: r.ID, Kind: "header", RemoteURL: "https://remote.test/h.png",
				FileKey: "hd/1", CachedAt: &old}, "", nil))
			n, err := e.s.UncacheAccountMediaBefore(e.ctx, time.Now().Add(-time.Hour), 10)
			e.ok(err)
			if n != 1 {
				e.t.Fatalf("uncached %d", n)
			}
			_, err = e.s.AccountMedia(e.ctx, r.ID, "header")
			e.is(err, storage.ErrNotFound, "uncached header")
			if _, err := e.s.AccountMedia(e.ctx, a.ID, "avatar"); err != nil {
				e.t.Fatal("a local avatar was uncached:", err)
			}
		}},
		{"Emoji", func(e *env) {
			loc := &model.CustomEmoji{Shortcode: "blob", FileKey: "emoji/blob.png", ContentType: "image/png", VisibleInPicker: true}
			e.ok(e.s.CreateEmoji(e.ctx, loc))
			e.is(e.s.CreateEmoji(e.ctx, &model.CustomEmoji{Shortcode: "blob", FileKey: "emoji/x.png"}), storage.ErrConflict, "a taken shortcode")
			got, err := e.s.EmojiByShortcode(e.ctx, "blob", "")
			e.ok(err)
			if got.ID != loc.ID || !got.VisibleInPicker {
				e.t.Fatalf("emoji = %+v", got)
			}
			rem := &model.CustomEmoji{Shortcode: "blob", Domain: "remote.test", URI: "https://remote.test/emoji/1", ImageRemoteURL: "https://remote.test/b.png"}
			e.ok(e.s.UpsertRemoteEmoji(e.ctx, rem))
			again := &model.CustomEmoji{Shortcode: "blob", Domain: "remote.test", URI: "https://remote.test/emoji/1", ImageRemoteURL: "https://remote.test/b2.png"}
			e.ok(e.s.UpsertRemoteEmoji(e.ctx, again))
			if again.ID != rem.ID {
				e.t.Fatalf("upsert made a second emoji %d (was %d)", again.ID, rem.ID)
			}
			byID, err := e.s.EmojiByID(e.ctx, rem.ID)
			e.ok(err)
			if byID.ImageRemoteURL != "https://remote.test/b2.png" {
				e.t.Fatalf("remote emoji = %+v", byID)
			}
			list, err := e.s.EmojisOfDomain(e.ctx, "")
			e.ok(err)
			if len(list) != 1 || list[0].ID != loc.ID {
				e.t.Fatalf("local emoji = %+v", list)
			}
			loc.Category = "blobs"
			loc.Disabled = true
			e.ok(e.s.UpdateEmoji(e.ctx, loc))
			got, _ = e.s.EmojiByID(e.ctx, loc.ID)
			if got.Category != "blobs" || !got.Disabled {
				e.t.Fatalf("updated emoji = %+v", got)
			}
			e.ok(e.s.DeleteEmoji(e.ctx, loc.ID))
			_, err = e.s.EmojiByID(e.ctx, loc.ID)
			e.is(err, storage.ErrNotFound, "deleted emoji")
			e.is(e.s.DeleteEmoji(e.ctx, loc.ID), storage.ErrNotFound, "deleting twice")
			keys, _ := e.s.MediaGarbage(e.ctx, later(), 10)
			if !slices.Contains(keys, "emoji/blob.png") {
				e.t.Fatalf("deleted emoji's file not garbage: %v", keys)
			}
		}},
		{"UncacheEmojiAndCardImages", func(e *env) {
			old := time.Now().Add(-48 * time.Hour)
			rem := &model.CustomEmoji{Shortcode: "blob", Domain: "remote.test", URI: "https://remote.test/emoji/1", ImageRemoteURL: "https://remote.test/b.png"}
			e.ok(e.s.UpsertRemoteEmoji(e.ctx, rem))
			cached, _ := e.s.EmojiByID(e.ctx, rem.ID)
			cached.FileKey, cached.CachedAt = "emoji/remote/1.png", &old
			e.ok(e.s.UpdateEmoji(e.ctx, cached))
			n, err := e.s.UncacheRemoteEmojisBefore(e.ctx, time.Now().Add(-time.Hour), 10)
			e.ok(err)
			got, _ := e.s.EmojiByID(e.ctx, rem.ID)
			if n != 1 || got.FileKey != "" || got.CachedAt != nil {
				e.t.Fatalf("uncached %d; emoji = %+v", n, got)
			}
			c := &model.PreviewCard{URL: "https://news.test/a", Type: "link", ImageKey: "cards/1", FetchedAt: old}
			e.ok(e.s.UpsertCard(e.ctx, c))
			n, err = e.s.UncacheCardImagesBefore(e.ctx, time.Now().Add(-time.Hour), 10)
			e.ok(err)
			card, _ := e.s.CardByID(e.ctx, c.ID)
			if n != 1 || card.ImageKey != "" {
				e.t.Fatalf("uncached %d; card = %+v", n, card)
			}
			keys, _ := e.s.MediaGarbage(e.ctx, later(), 10)
			if !slices.Contains(keys, "emoji/remote/1.png") || !slices.Contains(keys, "cards/1") {
				e.t.Fatalf("uncached files not garbage: %v", keys)
			}
		}},
		{"Cards", func(e *env) {
			a := e.local("alice")
			st := e.pub(a)
			c := &model.PreviewCard{URL: "https://news.test/a", Title: "A", Type: "link", ImageKey: "cards/1", FetchedAt: time.Now()}
			e.ok(e.s.UpsertCard(e.ctx, c))
			if c.ID == 0 {
				e.t.Fatal("UpsertCard set no id")
			}
			c2 := &model.PreviewCard{URL: "https://news.test/a", Title: "A2", Type: "link", FetchedAt: time.Now()}
			e.ok(e.s.UpsertCard(e.ctx, c2))
			if c2.ID != c.ID {
				e.t.Fatalf("a second card for one URL: %d, %d", c.ID, c2.ID)
			}
			got, err := e.s.CardByURL(e.ctx, c.URL)
			e.ok(err)
			if got.Title != "A2" {
				e.t.Fatalf("card = %+v", got)
			}
			e.ok(e.s.SetStatusCard(e.ctx, st.ID, c.ID))
			cards, err := e.s.CardsOfStatuses(e.ctx, []int64{st.ID})
			e.ok(err)
			if cards[st.ID] == nil || cards[st.ID].ID != c.ID {
				e.t.Fatalf("status cards = %+v", cards)
			}
			_, err = e.s.CardByID(e.ctx, 424242)
			e.is(err, storage.ErrNotFound, "CardByID")
			_, err = e.s.CardByURL(e.ctx, "https://news.test/none")
			e.is(err, storage.ErrNotFound, "CardByURL")
		}},
	}}
}
