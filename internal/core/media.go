package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"

	"github.com/herald-social/herald/activitypub/netguard"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Media rules, as Mastodon's.
const (
	MaxMediaDescription = 1500 // characters of alt text
	// MediaPathPrefix is where the stored files are served ("/system/KEY").
	MediaPathPrefix = "/system/"
	// MediaProxyPrefix serves remote media from the cache, fetching it
	// first when needed ("/media_proxy/KIND/ID/VARIANT").
	MediaProxyPrefix = "/media_proxy/"
	// maxEmojiBytes bounds a custom emoji image (local and remote).
	maxEmojiBytes = 256 << 10
	// Avatars and headers are cropped and scaled to these sizes.
	avatarSize             = 400
	headerWidth            = 1500
	headerHeight           = 500
	unattachedMediaMaxAge  = 24 * time.Hour
	cardImageSize          = 640 // card images fit in 640×640
	emojiSize              = 256 // emoji fit in 256×256
	remoteAttachmentsLimit = storage.MaxStatusMedia
	// A fetch of remote media runs on when the request that started it
	// goes away (others may wait for it), for at most this long.
	mediaFetchTimeout = 5 * time.Minute
	// A failed fetch of remote media is not tried again for this long:
	// requests for it fail at once instead of fetching and decoding again.
	mediaRetryAfter = time.Minute
	// At most this many remote files are fetched (and processed) at once:
	// each holds up to media.max_image_bytes in memory while it waits for
	// the decode budget, which does not count them.
	remoteFetchesAtOnce = 4
)

// mediaHolder lazily builds the media state of a Service.
type mediaHolder struct {
	mu sync.Mutex
	st *mediaState
}

type mediaState struct {
	files  media.FileStore
	client *http.Client
	// decode is the one memory budget of all image processing.
	decode *media.Budget

	flight   singleflight.Group
	fetches  *semaphore.Weighted // remoteFetchesAtOnce
	failedMu sync.Mutex
	failed   map[string]failure

	emojiMu sync.Mutex
	emojis  map[string]emojiCacheEntry
}

// failure is a failed fetch, remembered for mediaRetryAfter.
type failure struct {
	at  time.Time
	err error
}

func (s *MediaService) mediaSt() *mediaState {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	if s.media.st == nil {
		s.media.st = &mediaState{
			files: fileStoreOf(s.Cfg),
			client: netguard.NewClient(netguard.Options{
				AllowPrivate: s.Cfg.Federation.AllowPrivateAddresses,
				Timeout:      max(s.Cfg.Federation.RequestTimeout.Duration, 30*time.Second),
				MaxBody:      max(s.Cfg.Media.MaxImageBytes, s.Cfg.Media.MaxVideoBytes),
				UserAgent:    "Herald (+" + s.Base() + "/)",
			}),
			decode:  media.NewBudget(s.Cfg.Media.DecodeMemoryBudget),
			fetches: semaphore.NewWeighted(remoteFetchesAtOnce),
			failed:  map[string]failure{},
			emojis:  map[string]emojiCacheEntry{},
		}
	}
	return s.media.st
}

// SetFileStore replaces where media files are kept (the default is the
// store [media] backend names); call it before serving.
func (s *MediaService) SetFileStore(fs media.FileStore) { s.mediaSt().files = fs }

// Files is the media file store.
func (s *MediaService) Files() media.FileStore { return s.mediaSt().files }

// MediaURL is the public URL of a stored file ("" for no key).
func (s *MediaService) MediaURL(key string) string {
	if key == "" {
		return ""
	}
	// A store with public URLs (S3 with public_url) is linked directly.
	if u, ok := s.Files().(interface{ URL(string) string }); ok {
		if pu := u.URL(key); pu != "" {
			return pu
		}
	}
	return s.Base() + MediaPathPrefix + key
}

// proxyURL is the URL that serves a remote file through the cache.
func (s *MediaService) proxyURL(kind string, objectID int64, variant string) string {
	return s.Base() + MediaProxyPrefix + kind + "/" + strconv.FormatInt(objectID, 10) + "/" + variant
}

// once runs fn for key (fetching one remote file) unless a call for key
// is running, in which case it waits for that one: however many requests
// ask for a file at once, it is fetched and decoded once. fn runs apart
// from the caller's cancellation (the others waiting still want it), for
// at most mediaFetchTimeout, and no more than remoteFetchesAtOnce of them
// at a time; each caller waits until its own ctx ends. A failure is
// remembered for mediaRetryAfter, so that requests for a file that cannot
// be had do not fetch it again and again.
func (st *mediaState) once(ctx context.Context, key string, fn func(ctx context.Context) error) error {
	st.failedMu.Lock()
	f, failed := st.failed[key]
	st.failedMu.Unlock()
	if failed && time.Since(f.at) < mediaRetryAfter {
		return f.err
	}
	ch := st.flight.DoChan(key, func() (_ any, err error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mediaFetchTimeout)
		defer cancel()
		if err := st.fetches.Acquire(fctx, 1); err != nil {
			return nil, err
		}
		func() {
			defer st.fetches.Release(1)
			// fn runs on a goroutine of its own, where a panic would end
			// the process: it fails this fetch instead.
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("media: panic fetching %s: %v", key, r)
				}
			}()
			err = fn(fctx)
		}()
		st.failedMu.Lock()
		defer st.failedMu.Unlock()
		if err != nil {
			st.forgetFailures()
			st.failed[key] = failure{time.Now(), err}
		} else {
			delete(st.failed, key)
		}
		return nil, err
	})
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// forgetFailures drops the failures old enough to be tried again (and all
// of them if there are too many to keep); failedMu is held.
func (st *mediaState) forgetFailures() {
	if len(st.failed) < 1000 {
		return
	}
	for k, f := range st.failed {
		if time.Since(f.at) >= mediaRetryAfter {
			delete(st.failed, k)
		}
	}
	if len(st.failed) >= 10000 {
		clear(st.failed)
	}
}

// DecodeBudget is the memory budget of image processing (for tests and
// metrics).
func (s *MediaService) DecodeBudget() *media.Budget { return s.mediaSt().decode }

// processImage decodes and re-encodes an image within the process's one
// decode memory budget (config media.decode_memory_budget): every image
// Herald decodes goes through here.
func (s *MediaService) processImage(ctx context.Context, data []byte, o media.ImageOptions) (*media.Image, error) {
	return s.mediaSt().decode.ProcessImage(ctx, data, o)
}

// mediaError turns a processing error into Mastodon's 422.
func mediaError(err error) error {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return herr.Wrap(422, "Validation failed: File file size is too large", err)
	case errors.Is(err, media.ErrTooManyPixels):
		return herr.Wrap(422, "Validation failed: File dimensions are too large", err)
	case errors.Is(err, media.ErrUnsupported):
		return herr.Wrap(422, "Validation failed: File content type is invalid, File is invalid", err)
	case errors.Is(err, media.ErrCorrupt):
		return herr.Wrap(422, "Validation failed: File could not be processed, File is invalid", err)
	case errors.Is(err, media.ErrOverBudget):
		return herr.Wrap(422, "Validation failed: File dimensions are too large to process", err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return herr.Wrap(503, "The server is busy processing media, try again later", err)
	}
	return herr.Internal(err)
}

// UploadParams is POST /api/v1/media and /api/v2/media.
type UploadParams struct {
	File        io.ReaderAt
	Size        int64
	Description *string
	Focus       *string
	// Async (v2): video and audio are processed in the background and the
	// attachment is returned while still processing.
	Async bool
}

// imageOptions are the processing options of attachments.
func (s *MediaService) imageOptions() media.ImageOptions {
	return media.ImageOptions{
		MaxBytes:       s.Cfg.Media.MaxImageBytes,
		MaxPixels:      s.Cfg.Media.MaxPixels,
		OriginalPixels: media.DefaultOriginalPixels,
		SmallPixels:    media.DefaultSmallPixels,
		Blurhash:       true,
	}
}

func parseDescription(d *string) (string, error) {
	if d == nil {
		return "", nil
	}
	v := strings.TrimSpace(strings.ToValidUTF8(*d, ""))
	if utf8.RuneCountInString(v) > MaxMediaDescription {
		return "", herr.Unprocessable("Validation failed: Description is too long (maximum is %d characters)", MaxMediaDescription)
	}
	return v, nil
}

// parseFocus reads "x,y" with both in [-1, 1].
func parseFocus(f string) (float64, float64, error) {
	xs, ys, ok := strings.Cut(f, ",")
	x, err1 := strconv.ParseFloat(strings.TrimSpace(xs), 64)
	y, err2 := strconv.ParseFloat(strings.TrimSpace(ys), 64)
	if !ok || err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || x < -1 || x > 1 || y < -1 || y > 1 {
		return 0, 0, herr.Unprocessable("Validation failed: Focus must be two numbers between -1.0 and 1.0, comma separated")
	}
	return x, y, nil
}

func sizeOf(w, h int) *model.MediaSize {
	if w <= 0 || h <= 0 {
		return nil
	}
	return &model.MediaSize{Width: w, Height: h, Size: fmt.Sprintf("%dx%d", w, h), Aspect: float64(w) / float64(h)}
}

// storeImage writes a processed image's files under a fresh directory of
// dir and returns their keys.
func (s *MediaService) storeImage(ctx context.Context, dir string, img *media.Image) (orig, small string, err error) {
	orig = media.NewKey(dir, "original"+img.Original.Type.Ext)
	if _, err := s.Files().Put(ctx, orig, bytes.NewReader(img.Original.Data)); err != nil {
		return "", "", err
	}
	if img.Small != nil {
		small = path.Dir(orig) + "/small" + img.Small.Type.Ext
		if _, err := s.Files().Put(ctx, small, bytes.NewReader(img.Small.Data)); err != nil {
			_ = s.Files().Delete(ctx, orig)
			return "", "", err
		}
	}
	return orig, small, nil
}

// applyImage sets an attachment's files and meta from a processed image.
func applyImage(m *model.MediaAttachment, img *media.Image, orig, small string) {
	m.Type, m.ContentType = "image", img.Original.Type.MIME
	m.FileKey, m.PreviewKey = orig, small
	m.FileSize = int64(len(img.Original.Data))
	m.Meta = model.MediaMeta{Original: sizeOf(img.Original.Width, img.Original.Height), Animated: img.Animated}
	if img.Small != nil {
		m.Meta.Small = sizeOf(img.Small.Width, img.Small.Height)
	}
	if img.Blurhash != "" {
		m.Blurhash = img.Blurhash
	}
}

// UploadMedia stores an upload of the caller. Images are processed at
// once; video and audio are stored as they are and their metadata read
// (in the background when p.Async).
func (s *MediaService) UploadMedia(ctx context.Context, c *Caller, p UploadParams) (*model.MediaAttachment, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	if p.File == nil || p.Size <= 0 {
		return nil, herr.Unprocessable("Validation failed: File can't be blank")
	}
	desc, err := parseDescription(p.Description)
	if err != nil {
		return nil, err
	}
	m := &model.MediaAttachment{ID: id.New(), AccountID: me.ID, Description: desc}
	if p.Focus != nil && strings.TrimSpace(*p.Focus) != "" {
		if m.FocusX, m.FocusY, err = parseFocus(*p.Focus); err != nil {
			return nil, err
		}
	}
	head := make([]byte, media.SniffLen)
	n, _ := p.File.ReadAt(head, 0)
	t, err := media.Sniff(head[:n])
	if err != nil {
		return nil, mediaError(err)
	}
	if t.Kind == "image" {
		if p.Size > s.Cfg.Media.MaxImageBytes {
			return nil, mediaError(media.ErrTooLarge)
		}
		data := make([]byte, p.Size)
		if _, err := p.File.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, herr.BadRequest("Could not read the file")
		}
		img, err := s.processImage(ctx, data, s.imageOptions())
		if err != nil {
			return nil, mediaError(err)
		}
		orig, small, err := s.storeImage(ctx, "attachments", img)
		if err != nil {
			return nil, herr.Internal(err)
		}
		applyImage(m, img, orig, small)
		if err := s.store.CreateMedia(ctx, m); err != nil {
			return nil, herr.Internal(err)
		}
		return m, nil
	}
	// Video and audio: stored as they are.
	if p.Size > s.Cfg.Media.MaxVideoBytes {
		return nil, mediaError(media.ErrTooLarge)
	}
	key := media.NewKey("attachments", "original"+t.Ext)
	size, err := s.Files().Put(ctx, key, io.NewSectionReader(p.File, 0, p.Size))
	if err != nil {
		return nil, herr.Internal(err)
	}
	m.Type, m.ContentType, m.FileKey, m.FileSize = t.Kind, t.MIME, key, size
	m.Processing = model.MediaProcessing
	// Async with a job runtime: the processing job is stored with the
	// attachment, in one transaction, so that an upload that was answered
	// gets processed even if the server stops right after (the job waits
	// in the store for the next start).
	var queued []storage.Job
	if p.Async && s.Jobs != nil {
		queued = append(queued, mediaJob(JobMediaProcess, m.ID, ""))
	}
	if err := s.store.CreateMedia(ctx, m, queued...); err != nil {
		_ = s.Files().Delete(ctx, key)
		return nil, herr.Internal(err)
	}
	if len(queued) > 0 {
		s.Jobs.Wake(JobMediaProcess)
		return m, nil
	}
	if err := s.processAV(ctx, m.ID); err != nil {
		return nil, herr.Internal(err)
	}
	m, err = s.store.MediaByID(ctx, m.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return m, nil
}

// processAV reads the metadata of a stored video or audio upload and marks
// it ready (or failed, when its file cannot be read). An error is the
// store's: the work can be tried again.
func (s *MediaService) processAV(ctx context.Context, mediaID int64) error {
	m, err := s.store.MediaByID(ctx, mediaID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if m.Processing != model.MediaProcessing {
		return nil
	}
	t, _ := media.TypeByExt(path.Ext(m.FileKey))
	f, err := s.Files().Open(ctx, m.FileKey)
	if err != nil {
		s.Log.Warn("media: open upload to process", "id", m.ID, "err", err)
		m.Processing = model.MediaFailed
		return s.store.UpdateMediaFile(ctx, m)
	}
	var av media.AV
	if ra, ok := f.(io.ReaderAt); ok {
		av = media.ProbeAV(ra, f.Size(), t)
	}
	f.Close()
	applyAV(m, t, av)
	m.Processing = model.MediaReady
	// Not the alt text or focus: its author may set them meanwhile.
	return s.store.UpdateMediaFile(ctx, m)
}

func applyAV(m *model.MediaAttachment, t media.Type, av media.AV) {
	m.Type = t.Kind
	if t.Kind == "video" && !av.HasVideo && av.Duration > 0 && (av.Width == 0 || av.Height == 0) {
		m.Type = "audio" // an MP4 or WebM with sound only
	}
	meta := model.MediaMeta{Duration: round2(av.Duration), FPS: av.FPS}
	if av.Duration > 0 {
		d := av.Duration
		meta.Length = fmt.Sprintf("%d:%02d:%05.2f", int(d)/3600, int(d)/60%60, math.Mod(d, 60))
	}
	if m.Type == "video" && av.Width > 0 && av.Height > 0 {
		meta.Width, meta.Height = av.Width, av.Height
		meta.Size = fmt.Sprintf("%dx%d", av.Width, av.Height)
		meta.Aspect = float64(av.Width) / float64(av.Height)
		meta.Original = sizeOf(av.Width, av.Height)
	}
	if meta.Original == nil && av.Duration > 0 {
		meta.Original = &model.MediaSize{}
	}
	if meta.Original != nil {
		meta.Original.Duration = round2(av.Duration)
		if av.FPS > 0 {
			meta.Original.FrameRate = strconv.FormatFloat(av.FPS, 'f', -1, 64) + "/1"
		}
	}
	m.Meta = meta
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// ownMedia loads one of the caller's attachments, 404 otherwise.
func (s *MediaService) ownMedia(ctx context.Context, c *Caller, mediaID int64) (*model.MediaAttachment, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	m, err := s.store.MediaByID(ctx, mediaID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && m.AccountID != me.ID) {
		return nil, herr.NotFound("media")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return m, nil
}

// Media returns one of the caller's attachments (GET /api/v1/media/:id).
func (s *MediaService) Media(ctx context.Context, c *Caller, mediaID int64) (*model.MediaAttachment, error) {
	m, err := s.ownMedia(ctx, c, mediaID)
	if err != nil {
		return nil, err
	}
	if m.Processing == model.MediaFailed {
		return nil, herr.Unprocessable("Validation failed: File could not be processed, File is invalid")
	}
	return m, nil
}

// MediaUpdate is PUT /api/v1/media/:id; nil fields stay.
type MediaUpdate struct {
	Description *string
	Focus       *string
}

// UpdateMedia changes the alt text or focus of an unattached upload.
func (s *MediaService) UpdateMedia(ctx context.Context, c *Caller, mediaID int64, u MediaUpdate) (*model.MediaAttachment, error) {
	m, err := s.ownMedia(ctx, c, mediaID)
	if err != nil {
		return nil, err
	}
	if m.StatusID != 0 || m.HistoryStatusID != 0 {
		return nil, herr.NotFound("media") // as Mastodon: edit the status instead
	}
	if u.Description != nil {
		if m.Description, err = parseDescription(u.Description); err != nil {
			return nil, err
		}
	}
	if u.Focus != nil {
		if strings.TrimSpace(*u.Focus) == "" {
			m.FocusX, m.FocusY = 0, 0
		} else if m.FocusX, m.FocusY, err = parseFocus(*u.Focus); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateMedia(ctx, m); err != nil {
		return nil, herr.Internal(err)
	}
	return m, nil
}

// DeleteMedia deletes an unattached upload of the caller.
func (s *MediaService) DeleteMedia(ctx context.Context, c *Caller, mediaID int64) error {
	m, err := s.ownMedia(ctx, c, mediaID)
	if err != nil {
		return err
	}
	if m.StatusID != 0 || m.HistoryStatusID != 0 {
		return herr.Unprocessable("Media attachment is currently used by a status")
	}
	if err := s.store.DeleteMedia(ctx, m.ID); err != nil {
		return storeErr(err)
	}
	s.releaseFiles(ctx, m.FileKey, m.PreviewKey)
	return nil
}

// checkStatusMedia validates media ids for a status of the caller: at
// most 4 of their own, processed, not attached elsewhere, and a video or
// audio file alone.
func (s *MediaService) checkStatusMedia(ctx context.Context, c *Caller, ids []string, statusID int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > storage.MaxStatusMedia {
		return nil, herr.Unprocessable("Validation failed: Media attachments can't be more than %d", storage.MaxStatusMedia)
	}
	out := make([]int64, 0, len(ids))
	av := false
	for _, raw := range ids {
		mid, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || mid <= 0 {
			return nil, herr.Unprocessable("Validation failed: Media attachments are invalid")
		}
		m, err := s.store.MediaByID(ctx, mid)
		if err != nil || m.AccountID != c.Account.ID || m.Remote() || (m.StatusID != 0 && m.StatusID != statusID) {
			return nil, herr.Unprocessable("Validation failed: Media attachments are invalid")
		}
		if m.Processing != model.MediaReady {
			return nil, herr.Unprocessable("Cannot attach files that have not finished processing. Try again in a moment!")
		}
		if m.Type == "video" || m.Type == "audio" || m.Type == "gifv" {
			av = true
		}
		for _, o := range out {
			if o == mid {
				return nil, herr.Unprocessable("Validation failed: Media attachments are invalid")
			}
		}
		out = append(out, mid)
	}
	if av && len(out) > 1 {
		return nil, herr.Unprocessable("Validation failed: Cannot attach a video or audio file with other media")
	}
	return out, nil
}

// SweepMediaGarbage deletes the files that no row has named for the grace
// period (storage.MediaGarbageGrace); the media.sweep job runs it every
// minute. It returns how many it deleted.
func (s *MediaService) SweepMediaGarbage(ctx context.Context) int {
	return s.SweepMediaGarbageAt(ctx, time.Now())
}

// SweepMediaGarbageAt is SweepMediaGarbage as of now (tests pass a time
// past the grace period).
func (s *MediaService) SweepMediaGarbageAt(ctx context.Context, now time.Time) int {
	done := 0
	for round := 0; round < 100; round++ {
		keys, err := s.store.MediaGarbage(ctx, now, 200)
		if err != nil {
			s.Log.Warn("media: list garbage", "err", err)
			return done
		}
		if len(keys) == 0 {
			return done
		}
		n, all := s.deleteGarbage(ctx, keys)
		done += n
		if !all {
			return done
		}
	}
	return done
}

// mediaKeys returns the file keys of attachments.
func mediaKeys(list []*model.MediaAttachment) []string {
	var keys []string
	for _, m := range list {
		keys = append(keys, m.FileKey, m.PreviewKey)
	}
	return keys
}

// releaseFiles deletes at once the files of keys that the caller's change
// just stopped naming, when nothing can name them again: rows it deleted
// (a write of an old copy of a deleted row changes nothing), or rows only
// ever written with new keys. Keys still named or not garbage are left
// alone; on an error the sweep deletes them later. It returns how many
// files it deleted.
func (s *MediaService) releaseFiles(ctx context.Context, keys ...string) int {
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "" })
	if len(keys) == 0 {
		return 0
	}
	gone, err := s.store.ReleasedMediaGarbage(ctx, keys)
	if err != nil {
		s.Log.Warn("media: released garbage", "err", err)
		return 0
	}
	n, _ := s.deleteGarbage(ctx, gone)
	return n
}

// deleteGarbage deletes the files of garbage keys and takes the keys off
// the list. It returns how many went, and whether all of them did.
func (s *MediaService) deleteGarbage(ctx context.Context, keys []string) (int, bool) {
	var gone []string
	for _, k := range keys {
		if err := s.Files().Delete(ctx, k); err != nil {
			s.Log.Warn("media: delete file", "key", k, "err", err)
			continue
		}
		gone = append(gone, k)
	}
	if err := s.store.ForgetMediaGarbage(ctx, gone); err != nil {
		s.Log.Warn("media: forget garbage", "err", err)
		return len(gone), false
	}
	return len(gone), len(gone) == len(keys)
}
