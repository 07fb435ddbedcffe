package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// errMediaRejected: the domain's media is rejected by policy.
var errMediaRejected = errors.New("media of this domain is rejected")

// rejectsMedia reports whether media from domain (host[:port]) must not be
// fetched: reject_media, suspension or allow-list mode. Errors refuse.
func (s *MediaService) rejectsMedia(domain string) bool {
	if domain == "" {
		return false
	}
	p, err := s.DomainPolicy(context.Background(), domain)
	return err != nil || p.RejectMedia || p.Suspended()
}

// remoteURLAllowed checks a remote media URL: http(s), a host, and not
// from a domain whose media is rejected.
func (s *MediaService) remoteURLAllowed(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("media: bad remote URL %q", raw)
	}
	if s.rejectsMedia(strings.ToLower(u.Host)) || s.rejectsMedia(u.Hostname()) {
		return nil, errMediaRejected
	}
	return u, nil
}

// fetched is a remote file, sniffed: images in memory, anything else
// already in the file store under Key.
type fetched struct {
	Type media.Type
	Data []byte // images
	Key  string // video and audio
	Size int64
}

// fetchRemote downloads a remote file through the guarded client:
// images up to MaxImageBytes (or maxImage when > 0) into memory, video
// and audio up to MaxVideoBytes streamed into the file store under a key
// of dir. Types are decided by the content.
func (s *MediaService) fetchRemote(ctx context.Context, raw, dir string, maxImage int64, imagesOnly bool) (*fetched, error) {
	u, err := s.remoteURLAllowed(raw)
	if err != nil {
		return nil, err
	}
	if maxImage <= 0 {
		maxImage = s.Cfg.Media.MaxImageBytes
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "image/*, video/*, audio/*;q=0.9, */*;q=0.1")
	resp, err := s.mediaSt().client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("media: %s answered %d", u.Host, resp.StatusCode)
	}
	head := make([]byte, media.SniffLen)
	n, err := io.ReadFull(resp.Body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = head[:n]
	t, err := media.Sniff(head)
	if err != nil {
		return nil, err
	}
	body := io.MultiReader(bytes.NewReader(head), resp.Body)
	if t.Kind == "image" {
		if resp.ContentLength > maxImage {
			return nil, media.ErrTooLarge
		}
		data, err := io.ReadAll(io.LimitReader(body, maxImage+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > maxImage {
			return nil, media.ErrTooLarge
		}
		return &fetched{Type: t, Data: data, Size: int64(len(data))}, nil
	}
	if imagesOnly {
		return nil, media.ErrUnsupported
	}
	limit := s.Cfg.Media.MaxVideoBytes
	if resp.ContentLength > limit {
		return nil, media.ErrTooLarge
	}
	key := media.NewKey(dir, "original"+t.Ext)
	size, err := s.Files().Put(ctx, key, io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if size > limit {
		_ = s.Files().Delete(ctx, key)
		return nil, media.ErrTooLarge
	}
	return &fetched{Type: t, Key: key, Size: size}, nil
}

// RemoteAttachment is a Document (or Image, Video, Audio) attached to a
// remote post, as the federation engine reads it.
type RemoteAttachment struct {
	URL        string
	MediaType  string
	Name       string // alt text
	Blurhash   string
	FocalPoint []float64 // [x, y] in [-1, 1], or nil
	Width      int
	Height     int
}

var blurhashRe = regexp.MustCompile(`^[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]{6,100}$`)

// remoteMediaRows makes the rows of a remote status's attachments as its
// server describes them (no store: they are written with the status or
// its edit, in one transaction): the first four (as Mastodon; a status
// holds no more), each URL once, with their alt text, blurhash, focal
// point and dimensions. With the author's domain's media rejected
// (rejected) they stay links, never fetched.
func (s *MediaService) remoteMediaRows(author *model.Account, createdAt time.Time, atts []RemoteAttachment) (rows []*model.MediaAttachment, rejected bool) {
	rejected = s.rejectsMedia(author.Domain)
	kept := map[string]bool{}
	for _, a := range atts {
		if len(rows) >= remoteAttachmentsLimit {
			break
		}
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || kept[a.URL] {
			continue
		}
		kept[a.URL] = true
		m := &model.MediaAttachment{ID: id.New(), AccountID: author.ID, RemoteURL: a.URL, CreatedAt: createdAt,
			Type: attachmentType(a.MediaType), ContentType: a.MediaType}
		if len(m.ContentType) > 100 {
			m.ContentType = ""
		}
		m.Description = text.PlainText(a.Name)
		if r := []rune(m.Description); len(r) > MaxMediaDescription {
			m.Description = string(r[:MaxMediaDescription])
		}
		if blurhashRe.MatchString(a.Blurhash) {
			m.Blurhash = a.Blurhash
		}
		if len(a.FocalPoint) == 2 && a.FocalPoint[0] >= -1 && a.FocalPoint[0] <= 1 && a.FocalPoint[1] >= -1 && a.FocalPoint[1] <= 1 {
			m.FocusX, m.FocusY = a.FocalPoint[0], a.FocalPoint[1]
		}
		if a.Width > 0 && a.Height > 0 && a.Width <= 1<<16 && a.Height <= 1<<16 {
			m.Meta = model.MediaMeta{Original: sizeOf(a.Width, a.Height)}
		}
		if rejected {
			m.Type = "unknown"
		}
		rows = append(rows, m)
	}
	return rows, rejected
}

// remoteMediaJobs are the fetches that cache the files of a remote
// status's attachments in the background (by id, keyed by their host);
// none when its domain's media is rejected or without a job runtime (the
// files are then fetched when first shown).
func (s *MediaService) remoteMediaJobs(rows []*model.MediaAttachment, rejected bool, ids []int64) []storage.Job {
	if rejected || s.Jobs == nil {
		return nil
	}
	var out []storage.Job
	for _, m := range rows {
		if slices.Contains(ids, m.ID) {
			out = append(out, mediaJob(JobMediaAttachment, m.ID, hostOf(m.RemoteURL)))
		}
	}
	return out
}

func attachmentType(mediaType string) string {
	mt := strings.ToLower(strings.TrimSpace(mediaType))
	switch {
	case strings.HasPrefix(mt, "image/"):
		return "image"
	case strings.HasPrefix(mt, "video/"):
		return "video"
	case strings.HasPrefix(mt, "audio/"):
		return "audio"
	}
	return "unknown"
}

// cacheRemoteMedia fetches (once at a time) a remote attachment's file,
// processes it like an upload (metadata stripped, preview, blurhash) and
// stores it. It returns the attachment as stored.
func (s *MediaService) cacheRemoteMedia(ctx context.Context, mediaID int64) (*model.MediaAttachment, error) {
	err := s.mediaSt().once(ctx, "attachment:"+strconv.FormatInt(mediaID, 10), func(ctx context.Context) error {
		m, err := s.store.MediaByID(ctx, mediaID)
		if err != nil {
			return err
		}
		if !m.Remote() || m.FileKey != "" {
			return nil
		}
		if author, err := s.store.AccountByID(ctx, m.AccountID); err != nil || s.rejectsMedia(author.Domain) {
			return errMediaRejected
		}
		f, err := s.fetchRemote(ctx, m.RemoteURL, "cache/attachments", 0, false)
		if err != nil {
			s.Log.Debug("media: fetch remote attachment", "url", m.RemoteURL, "err", err)
			return err
		}
		now := time.Now().UTC()
		if f.Type.Kind == "image" {
			img, err := s.processImage(ctx, f.Data, s.imageOptions())
			if err != nil {
				return err
			}
			orig, small, err := s.storeImage(ctx, "cache/attachments", img)
			if err != nil {
				return err
			}
			remoteHash := m.Blurhash
			applyImage(m, img, orig, small)
			if remoteHash != "" {
				m.Blurhash = remoteHash // what the other servers show too
			}
		} else {
			m.FileKey, m.PreviewKey, m.FileSize, m.ContentType = f.Key, "", f.Size, f.Type.MIME
			var av media.AV
			if sf, err := s.Files().Open(ctx, f.Key); err == nil {
				if ra, ok := sf.(io.ReaderAt); ok {
					av = media.ProbeAV(ra, sf.Size(), f.Type)
				}
				sf.Close()
			}
			applyAV(m, f.Type, av)
		}
		m.CachedAt, m.Processing = &now, model.MediaReady
		// The file's columns only: m was read before the fetch, and an
		// edit of the post may have changed its alt text since.
		return s.store.UpdateMediaFile(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	return s.store.MediaByID(ctx, mediaID)
}

// imageHash is a short hash of an image URL, put in proxy URLs so that
// they change when the image does.
func imageHash(u string) string {
	h := sha256.Sum256([]byte(u))
	return hex.EncodeToString(h[:6])
}

// AccountImageURL is the avatar ("avatar") or header ("header") URL to
// show for an account: local ones as stored, remote ones through the
// media cache, "" when there is none (or the domain's media is rejected).
func (s *MediaService) AccountImageURL(a *model.Account, kind string) string {
	raw := a.AvatarURL
	if kind == "header" {
		raw = a.HeaderURL
	}
	if raw == "" || a.Local() {
		return raw
	}
	if s.rejectsMedia(a.Domain) {
		return ""
	}
	return s.Base() + MediaProxyPrefix + kind + "s/" + strconv.FormatInt(a.ID, 10) + "/" + imageHash(raw)
}

// AccountImageFile returns the stored file key of an account's avatar or
// header, fetching and caching a remote account's image when needed.
func (s *MediaService) AccountImageFile(ctx context.Context, accountID int64, kind string) (string, error) {
	if kind != "avatar" && kind != "header" {
		return "", herr.NotFound("image")
	}
	a, err := s.store.AccountByID(ctx, accountID)
	if err != nil {
		return "", storeErr(err)
	}
	raw := a.AvatarURL
	if kind == "header" {
		raw = a.HeaderURL
	}
	am, err := s.store.AccountMedia(ctx, accountID, kind)
	if err == nil && am.FileKey != "" && (a.Local() || am.RemoteURL == raw) {
		return am.FileKey, nil
	}
	if a.Local() || raw == "" || s.rejectsMedia(a.Domain) {
		return "", herr.NotFound("image")
	}
	var key string
	err = s.mediaSt().once(ctx, kind+":"+strconv.FormatInt(accountID, 10), func(ctx context.Context) error {
		f, err := s.fetchRemote(ctx, raw, "cache/accounts", 0, true)
		if err != nil {
			return err
		}
		img, err := s.processImage(ctx, f.Data, s.accountImageOptions(kind))
		if err != nil {
			return err
		}
		key = media.NewKey("cache/accounts", kind+img.Original.Type.Ext)
		if _, err := s.Files().Put(ctx, key, bytes.NewReader(img.Original.Data)); err != nil {
			return err
		}
		now := time.Now().UTC()
		return s.store.SetAccountMedia(ctx, &model.AccountMedia{AccountID: accountID, Kind: kind, RemoteURL: raw,
			FileKey: key, ContentType: img.Original.Type.MIME, CachedAt: &now}, "", nil)
	})
	if err != nil {
		s.Log.Debug("media: fetch remote account image", "account", accountID, "kind", kind, "err", err)
		return "", herr.NotFound("image")
	}
	if key == "" { // another caller did the work
		if am, err := s.store.AccountMedia(ctx, accountID, kind); err == nil && am.FileKey != "" {
			return am.FileKey, nil
		}
		return "", herr.NotFound("image")
	}
	return key, nil
}

func (s *MediaService) accountImageOptions(kind string) media.ImageOptions {
	o := media.ImageOptions{MaxBytes: s.Cfg.Media.MaxImageBytes, MaxPixels: s.Cfg.Media.MaxPixels, FitW: avatarSize, FitH: avatarSize}
	if kind == "header" {
		o.FitW, o.FitH = headerWidth, headerHeight
	}
	return o
}

// CacheAccountImages queues the caching of a remote account's avatar and
// header (after the federation engine stored an actor), keyed by its
// domain; it does nothing for local accounts, or without a job runtime
// (the images are fetched when first shown).
func (s *MediaService) CacheAccountImages(accountID int64) {
	if s.Jobs == nil {
		return
	}
	ctx := context.Background()
	a, err := s.store.AccountByID(ctx, accountID)
	if err != nil || a.Local() || (a.AvatarURL == "" && a.HeaderURL == "") {
		return
	}
	if _, err := s.queueJobs(ctx, mediaJob(JobMediaAccountImages, a.ID, a.Domain)); err != nil {
		s.Log.Warn("media: queue account images", "account", a.ID, "err", err)
	}
}

// cacheRemoteEmoji fetches a remote emoji's image into the cache.
func (s *MediaService) cacheRemoteEmoji(ctx context.Context, emojiID int64) (*model.CustomEmoji, error) {
	err := s.mediaSt().once(ctx, "emoji:"+strconv.FormatInt(emojiID, 10), func(ctx context.Context) error {
		e, err := s.store.EmojiByID(ctx, emojiID)
		if err != nil {
			return err
		}
		if e.Domain == "" || e.FileKey != "" {
			return nil
		}
		if s.rejectsMedia(e.Domain) {
			return errMediaRejected
		}
		f, err := s.fetchRemote(ctx, e.ImageRemoteURL, "cache/emojis", maxEmojiBytes, true)
		if err != nil {
			return err
		}
		file, static, ctype, err := s.storeEmojiImage(ctx, f.Data)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		e.FileKey, e.StaticKey, e.ContentType, e.CachedAt = file, static, ctype, &now
		if err := s.store.UpdateEmoji(ctx, e); err != nil {
			return err
		}
		s.forgetEmojis(e.Domain)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.store.EmojiByID(ctx, emojiID)
}

// ProxyNeedsViewer reports whether what a media proxy URL of this kind
// serves depends on who asks (attachments: their status's visibility);
// the other kinds are public, and their responses may be cached by anyone.
func ProxyNeedsViewer(kind string) bool { return kind == "attachments" }

// ProxyFile returns the stored file key behind a media proxy URL
// (/media_proxy/KIND/ID/VARIANT), fetching the remote file into the cache
// first when needed. Kinds: attachments (original, small), avatars and
// headers (any variant: the image hash), emojis (original, static), cards
// (original). c is the caller (nil: anonymous): as Mastodon's media proxy,
// an attachment is served only to who may see its status (CanSee), so
// that of a direct message or a followers-only post is not public; the
// rest is public.
func (s *MediaService) ProxyFile(ctx context.Context, c *Caller, kind string, objectID int64, variant string) (string, error) {
	switch kind {
	case "attachments":
		m, err := s.store.MediaByID(ctx, objectID)
		if err != nil || !m.Remote() || (m.StatusID == 0 && m.HistoryStatusID == 0) {
			return "", herr.NotFound("media")
		}
		statusID := m.StatusID
		if statusID == 0 { // removed by an edit, shown in the edit history
			statusID = m.HistoryStatusID
		}
		// Before any fetch: a hidden attachment costs nothing either.
		if _, _, err := s.visibleStatus(ctx, c.AccountID(), statusID); err != nil {
			return "", err
		}
		if m.FileKey == "" {
			if m, err = s.cacheRemoteMedia(ctx, objectID); err != nil {
				return "", herr.NotFound("media")
			}
		}
		if variant == "small" && m.PreviewKey != "" {
			return m.PreviewKey, nil
		}
		if variant == "small" && m.Type != "image" {
			return "", herr.NotFound("media")
		}
		return m.FileKey, nil
	case "avatars", "headers":
		return s.AccountImageFile(ctx, objectID, strings.TrimSuffix(kind, "s"))
	case "emojis":
		e, err := s.store.EmojiByID(ctx, objectID)
		if err != nil {
			return "", herr.NotFound("emoji")
		}
		if e.FileKey == "" {
			if e, err = s.cacheRemoteEmoji(ctx, objectID); err != nil || e.FileKey == "" {
				return "", herr.NotFound("emoji")
			}
		}
		if variant == "static" && e.StaticKey != "" {
			return e.StaticKey, nil
		}
		return e.FileKey, nil
	case "cards":
		return s.cardImageFile(ctx, objectID)
	}
	return "", herr.NotFound("media")
}

// MediaFileURLs are the URLs an attachment is shown with: url (nil while
// processing), preview_url and remote_url.
type MediaFileURLs struct {
	URL, PreviewURL, RemoteURL string
}

// AttachmentURLs says where an attachment's files are served from: the
// store for local and cached media, the proxy for remote media not cached
// yet, and the remote URL alone when the domain's media is rejected.
func (s *MediaService) AttachmentURLs(m *model.MediaAttachment) MediaFileURLs {
	var u MediaFileURLs
	u.RemoteURL = m.RemoteURL
	switch {
	case m.Processing == model.MediaProcessing:
		u.PreviewURL = s.MediaURL(m.PreviewKey)
	case m.FileKey != "":
		u.URL, u.PreviewURL = s.MediaURL(m.FileKey), s.MediaURL(m.PreviewKey)
	case m.Remote() && m.Type == "unknown":
		u.URL = m.RemoteURL
	case m.Remote():
		u.URL = s.proxyURL("attachments", m.ID, "original")
		if m.Type == "image" {
			u.PreviewURL = s.proxyURL("attachments", m.ID, "small")
		}
	}
	if u.PreviewURL == "" && m.Type == "image" {
		u.PreviewURL = u.URL
	}
	return u
}

// NoteAttachment is an attachment as an outgoing Document.
type NoteAttachment struct {
	Type       string // "Document"
	MediaType  string
	URL        string
	Name       string // alt text ("" for none)
	Blurhash   string
	FocalPoint [2]float64
	Width      int // 0 when unknown
	Height     int
	// FileKey is the stored file's key (media.FileStore), by which an
	// archive carries the file; not part of the Document.
	FileKey string
}

// AttachmentsOf returns the attachments of local statuses as Documents
// for their Notes, by status id, in one query.
func (s *MediaService) AttachmentsOf(ctx context.Context, statusIDs []int64) (map[int64][]NoteAttachment, error) {
	all, err := s.store.MediaOfStatuses(ctx, statusIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make(map[int64][]NoteAttachment, len(all))
	for sid, list := range all {
		for _, m := range list {
			if m.FileKey == "" || m.Processing != model.MediaReady {
				continue
			}
			d := NoteAttachment{Type: "Document", MediaType: m.ContentType, URL: s.MediaURL(m.FileKey), Name: m.Description,
				Blurhash: m.Blurhash, FocalPoint: [2]float64{m.FocusX, m.FocusY}, FileKey: m.FileKey}
			if o := m.Meta.Original; o != nil {
				d.Width, d.Height = o.Width, o.Height
			}
			out[sid] = append(out[sid], d)
		}
	}
	return out, nil
}
