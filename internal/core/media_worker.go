package core

import (
	"bytes"
	"context"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
)

// Media worker timings.
const (
	mediaSweepEvery = time.Minute
	mediaPruneEvery = 24 * time.Hour
	mediaWorkers    = 2
)

// RunMediaWorker does the background media work until ctx ends: video and
// audio processing, remote media and preview card fetches queued by the
// rest of core, the deletion of files no row names (every minute) and the
// daily pruning of the remote media cache. The server runs one.
func (s *MediaService) RunMediaWorker(ctx context.Context) {
	st := s.mediaSt()
	st.workerMu.Lock()
	st.worker = true
	st.workerMu.Unlock()
	defer func() {
		st.workerMu.Lock()
		st.worker = false
		st.workerMu.Unlock()
	}()
	done := make(chan struct{})
	for i := 0; i < mediaWorkers; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-st.jobs:
					job(ctx)
				}
			}
		}()
	}
	// Uploads left processing by a stopped server.
	if pending, err := s.store.PendingMedia(ctx, 100); err == nil {
		for _, m := range pending {
			mid := m.ID
			s.later(func(ctx context.Context) { s.processAV(ctx, mid) })
		}
	}
	sweep := time.NewTicker(mediaSweepEvery)
	defer sweep.Stop()
	prune := time.NewTimer(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			for i := 0; i < mediaWorkers; i++ {
				<-done
			}
			return
		case <-sweep.C:
			s.SweepMediaGarbage(ctx)
		case <-prune.C:
			if r, err := s.PruneMedia(ctx, s.Cfg.Media.RemoteCacheTTL.Duration); err != nil {
				s.Log.Warn("media: prune", "err", err)
			} else if r.Total() > 0 {
				s.Log.Info("media: pruned", "attachments", r.Attachments, "account_images", r.AccountImages,
					"emojis", r.Emojis, "card_images", r.CardImages, "unattached", r.Unattached, "files", r.Files)
			}
			prune.Reset(mediaPruneEvery)
		}
	}
}

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
// attachments on no status after a day (DeleteUnattachedMedia), then the
// files.
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
			if err := s.store.UpdateMedia(ctx, m); err != nil {
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
	n, err := s.DeleteUnattachedMedia(ctx, time.Now().Add(-unattachedMediaMaxAge))
	r.Unattached = n
	if err != nil {
		return r, err
	}
	r.Files = s.SweepMediaGarbage(ctx)
	return r, nil
}

// DeleteUnattachedMedia deletes the attachments on no status from before
// t: uploads never used, and remote attachments whose attaching failed
// (their files, fetched or not, go with them through the media garbage).
// PruneMedia calls it with a day's grace.
func (s *MediaService) DeleteUnattachedMedia(ctx context.Context, before time.Time) (int, error) {
	n := 0
	for {
		ids, err := s.store.UnattachedMediaBefore(ctx, before, 200)
		if err != nil {
			return n, herr.Internal(err)
		}
		deleted := 0
		for _, mid := range ids {
			if err := s.store.DeleteMedia(ctx, mid); err == nil {
				deleted++
			}
		}
		n += deleted
		// Stop on a short page, or when nothing could be deleted (no loop
		// over the same rows forever).
		if len(ids) < 200 || deleted == 0 {
			return n, nil
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
	s.SweepMediaGarbage(ctx)
	acc, err := s.store.AccountByID(ctx, me.ID)
	if err != nil {
		return nil, storeErr(err)
	}
	return acc, nil
}
