package core

import (
	"bytes"
	"context"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
)

// PruneResult counts what PruneMedia removed.
type PruneResult struct {
	Attachments, AccountImages, Emojis, CardImages, Unattached, Files int
}

// Total is the number of records pruned.
func (r PruneResult) Total() int {
	return r.Attachments + r.AccountImages + r.Emojis + r.CardImages + r.Unattached
}

// PruneMedia deletes the cached copies of remote media (attachments,
// avatars and headers, emoji, card images) cached more than olderThan
// ago, keeping their records (they are fetched again when shown), deletes
// attachments on no status after a day (DeleteUnattachedMedia) with their
// files, and sweeps the media garbage. The files of the copies it drops
// are garbage from now: the sweep deletes them once the grace period
// passed (storage.MediaGarbageGrace), for a remote post edited meanwhile
// may write its attachment back as it read it, file and all.
func (s *MediaService) PruneMedia(ctx context.Context, olderThan time.Duration) (PruneResult, error) {
	var r PruneResult
	if olderThan < 0 {
		return r, herr.BadRequest("negative age")
	}
	cutoff := time.Now().Add(-olderThan)
	for {
		list, err := s.store.CachedRemoteMediaBefore(ctx, cutoff, 200)
		if err != nil {
			return r, herr.Internal(err)
		}
		for _, m := range list {
			m.FileKey, m.PreviewKey, m.CachedAt = "", "", nil
			if err := s.store.UpdateMediaFile(ctx, m); err != nil {
				return r, herr.Internal(err)
			}
			r.Attachments++
		}
		if len(list) < 200 {
			break
		}
	}
	for _, step := range []struct {
		n  *int
		fn func(context.Context, time.Time, int) (int, error)
	}{{&r.AccountImages, s.store.UncacheAccountMediaBefore}, {&r.Emojis, s.store.UncacheRemoteEmojisBefore},
		{&r.CardImages, s.store.UncacheCardImagesBefore}} {
		for {
			n, err := step.fn(ctx, cutoff, 500)
			if err != nil {
				return r, herr.Internal(err)
			}
			*step.n += n
			if n < 500 {
				break
			}
		}
	}
	if r.Emojis > 0 {
		s.mediaSt().emojiMu.Lock()
		clear(s.mediaSt().emojis)
		s.mediaSt().emojiMu.Unlock()
	}
	n, files, err := s.deleteUnattachedMedia(ctx, time.Now().Add(-unattachedMediaMaxAge))
	r.Unattached, r.Files = n, files
	if err != nil {
		return r, err
	}
	r.Files += s.SweepMediaGarbage(ctx)
	return r, nil
}

// DeleteUnattachedMedia deletes the attachments on no status from before
// t: uploads never used, and remote attachments whose attaching failed,
// with their files (fetched or not). PruneMedia calls it with a day's
// grace.
func (s *MediaService) DeleteUnattachedMedia(ctx context.Context, before time.Time) (int, error) {
	n, _, err := s.deleteUnattachedMedia(ctx, before)
	return n, err
}

// deleteUnattachedMedia is DeleteUnattachedMedia that also counts the
// files deleted.
func (s *MediaService) deleteUnattachedMedia(ctx context.Context, before time.Time) (n, files int, err error) {
	for {
		ids, err := s.store.UnattachedMediaBefore(ctx, before, 200)
		if err != nil {
			return n, files, herr.Internal(err)
		}
		deleted := 0
		var keys []string
		for _, mid := range ids {
			m, err := s.store.MediaByID(ctx, mid)
			if err != nil {
				continue
			}
			if err := s.store.DeleteMedia(ctx, mid); err == nil {
				deleted++
				keys = append(keys, m.FileKey, m.PreviewKey)
			}
		}
		n += deleted
		files += s.releaseFiles(ctx, keys...)
		// Stop on a short page, or when nothing could be deleted (no loop
		// over the same rows forever).
		if len(ids) < 200 || deleted == 0 {
			return n, files, nil
		}
	}
}

// SetProfileImage stores a new avatar or header of the caller: cropped
// and scaled (avatars 400×400, headers 1500×500), metadata stripped, and
// federates the profile update. An empty data removes the image.
func (s *MediaService) SetProfileImage(ctx context.Context, c *Caller, kind string, data []byte) (*model.Account, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	if kind != "avatar" && kind != "header" {
		return nil, herr.BadRequest("unknown image")
	}
	var oldKey string
	if old, err := s.store.AccountMedia(ctx, me.ID, kind); err == nil {
		oldKey = old.FileKey
	}
	am := &model.AccountMedia{AccountID: me.ID, Kind: kind}
	url := ""
	if len(data) > 0 {
		img, err := s.processImage(ctx, data, s.accountImageOptions(kind))
		if err != nil {
			return nil, mediaError(err)
		}
		am.FileKey = media.NewKey("accounts/"+kind+"s", "original"+img.Original.Type.Ext)
		am.ContentType = img.Original.Type.MIME
		if _, err := s.Files().Put(ctx, am.FileKey, bytes.NewReader(img.Original.Data)); err != nil {
			return nil, herr.Internal(err)
		}
		url = s.MediaURL(am.FileKey)
	}
	ev := model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: me.ID, ObjectID: me.ID}
	if err := s.store.SetAccountMedia(ctx, am, url, []model.OutboxEvent{ev}); err != nil {
		_ = s.Files().Delete(ctx, am.FileKey)
		return nil, storeErr(err)
	}
	s.kick()
	s.webhookEvent(ctx, EventAccountUpdated, me.ID)
	// The image replaced is gone at once: account images are only ever
	// written with new keys, so nothing can name the old one again.
	s.releaseFiles(ctx, oldKey)
	acc, err := s.store.AccountByID(ctx, me.ID)
	if err != nil {
		return nil, storeErr(err)
	}
	return acc, nil
}
