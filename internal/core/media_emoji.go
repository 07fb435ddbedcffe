package core

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Shortcodes are letters, digits and underscores, at least two.
var (
	shortcodeRe       = regexp.MustCompile(`^[a-zA-Z0-9_]{2,64}$`)
	shortcodeInTextRe = regexp.MustCompile(`:([a-zA-Z0-9_]{2,64}):`)
)

const emojiCacheTTL = 30 * time.Second

type emojiCacheEntry struct {
	at     time.Time
	byCode map[string]*model.CustomEmoji
}

// emojisOf returns a domain's emoji by shortcode, from a cache renewed
// every emojiCacheTTL and after every change made here or told by another
// process on the same PostgreSQL database (ChangeEmojis; the command line
// tells it too).
func (s *MediaService) emojisOf(ctx context.Context, domain string) map[string]*model.CustomEmoji {
	st := s.mediaSt()
	st.emojiMu.Lock()
	e, ok := st.emojis[domain]
	st.emojiMu.Unlock()
	if ok && time.Since(e.at) < emojiCacheTTL {
		return e.byCode
	}
	list, err := s.store.EmojisOfDomain(ctx, domain)
	if err != nil {
		return e.byCode
	}
	m := make(map[string]*model.CustomEmoji, len(list))
	for _, em := range list {
		m[em.Shortcode] = em
	}
	st.emojiMu.Lock()
	if len(st.emojis) > 4096 {
		clear(st.emojis)
	}
	st.emojis[domain] = emojiCacheEntry{at: time.Now(), byCode: m}
	st.emojiMu.Unlock()
	return m
}

func (s *MediaService) forgetEmojis(domain string) {
	st := s.mediaSt()
	st.emojiMu.Lock()
	delete(st.emojis, domain)
	st.emojiMu.Unlock()
	s.notify(ChangeEmojis, 0, 0) // other processes drop theirs
}

// EmojisIn returns the custom emoji of domain ("" local) whose :shortcode:
// appears in texts, in order of appearance: what a status's or account's
// "emojis" lists. Disabled emoji and those of domains whose media is
// rejected are left out.
func (s *MediaService) EmojisIn(ctx context.Context, domain string, texts ...string) []*model.CustomEmoji {
	var found []*model.CustomEmoji
	var known map[string]*model.CustomEmoji
	seen := map[string]bool{}
	for _, t := range texts {
		if !strings.Contains(t, ":") {
			continue
		}
		for _, m := range shortcodeInTextRe.FindAllStringSubmatch(t, 64) {
			code := m[1]
			if seen[code] {
				continue
			}
			seen[code] = true
			if known == nil {
				if domain != "" && s.rejectsMedia(domain) {
					return nil
				}
				known = s.emojisOf(ctx, domain)
			}
			if e := known[code]; e != nil && !e.Disabled {
				found = append(found, e)
			}
		}
	}
	return found
}

// EmojiURLs are the image URL and still-image URL of an emoji.
func (s *MediaService) EmojiURLs(e *model.CustomEmoji) (string, string) {
	if e.FileKey == "" {
		return s.proxyURL("emojis", e.ID, "original"), s.proxyURL("emojis", e.ID, "static")
	}
	static := e.StaticKey
	if static == "" {
		static = e.FileKey
	}
	return s.MediaURL(e.FileKey), s.MediaURL(static)
}

// CustomEmojis lists the local emoji shown to clients (enabled ones).
func (s *MediaService) CustomEmojis(ctx context.Context) ([]*model.CustomEmoji, error) {
	list, err := s.store.EmojisOfDomain(ctx, "")
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := list[:0]
	for _, e := range list {
		if !e.Disabled {
			out = append(out, e)
		}
	}
	return out, nil
}

// AdminEmojis lists every local emoji, disabled ones included (Manage
// Custom Emojis, as every emoji action).
func (s *MediaService) AdminEmojis(ctx context.Context, c *Caller) ([]*model.CustomEmoji, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, err
	}
	list, err := s.store.EmojisOfDomain(ctx, "")
	if err != nil {
		return nil, herr.Internal(err)
	}
	return list, nil
}

// EmojiParams creates or changes a local emoji; nil fields stay.
type EmojiParams struct {
	Shortcode       *string
	Image           []byte // nil: keep the image
	Category        *string
	VisibleInPicker *bool
	Disabled        *bool
}

// storeEmojiImage checks and stores an emoji image (PNG, GIF or WebP; an
// animated GIF gets a still PNG beside it).
func (s *MediaService) storeEmojiImage(ctx context.Context, data []byte) (file, static, ctype string, err error) {
	t, _, err := media.CheckImage(data, media.ImageOptions{MaxBytes: maxEmojiBytes, MaxPixels: s.Cfg.Media.MaxPixels})
	if err != nil {
		return "", "", "", mediaError(err)
	}
	if t == media.JPEG {
		return "", "", "", herr.Unprocessable("Validation failed: Image content type must be PNG, GIF or WebP")
	}
	img, err := s.processImage(ctx, data, media.ImageOptions{MaxBytes: maxEmojiBytes, MaxPixels: s.Cfg.Media.MaxPixels,
		BoxW: emojiSize, BoxH: emojiSize})
	if err != nil {
		return "", "", "", mediaError(err)
	}
	file = media.NewKey("emojis", "original"+img.Original.Type.Ext)
	if _, err := s.Files().Put(ctx, file, bytes.NewReader(img.Original.Data)); err != nil {
		return "", "", "", herr.Internal(err)
	}
	if img.Animated {
		still, err := s.processImage(ctx, data, media.ImageOptions{MaxBytes: maxEmojiBytes, MaxPixels: s.Cfg.Media.MaxPixels,
			BoxW: emojiSize, BoxH: emojiSize, Still: true})
		if err == nil && still.Original.Type != media.GIF {
			static = path.Dir(file) + "/static" + still.Original.Type.Ext
			if _, err := s.Files().Put(ctx, static, bytes.NewReader(still.Original.Data)); err != nil {
				static = ""
			}
		}
	}
	return file, static, img.Original.Type.MIME, nil
}

// CreateEmoji adds a local custom emoji.
func (s *MediaService) CreateEmoji(ctx context.Context, c *Caller, p EmojiParams) (*model.CustomEmoji, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, err
	}
	if p.Shortcode == nil || !shortcodeRe.MatchString(*p.Shortcode) {
		return nil, herr.Unprocessable("Validation failed: Shortcode must be at least 2 characters, only letters, digits and underscores")
	}
	if len(p.Image) == 0 {
		return nil, herr.Unprocessable("Validation failed: Image can't be blank")
	}
	if _, err := s.store.EmojiByShortcode(ctx, *p.Shortcode, ""); err == nil {
		return nil, herr.Unprocessable("Validation failed: Shortcode has already been taken")
	}
	file, static, ctype, err := s.storeEmojiImage(ctx, p.Image)
	if err != nil {
		return nil, err
	}
	e := &model.CustomEmoji{Shortcode: *p.Shortcode, FileKey: file, StaticKey: static, ContentType: ctype, VisibleInPicker: true}
	applyEmojiParams(e, p)
	if err := s.store.CreateEmoji(ctx, e); err != nil {
		_ = s.Files().Delete(ctx, file)
		if static != "" {
			_ = s.Files().Delete(ctx, static)
		}
		if errors.Is(err, storage.ErrConflict) {
			return nil, herr.Unprocessable("Validation failed: Shortcode has already been taken")
		}
		return nil, herr.Internal(err)
	}
	s.forgetEmojis("")
	s.auditEmoji(ctx, c, "create_custom_emoji", e, "added")
	return e, nil
}

func applyEmojiParams(e *model.CustomEmoji, p EmojiParams) {
	if p.Category != nil {
		e.Category = strings.TrimSpace(*p.Category)
		if len(e.Category) > 64 {
			e.Category = e.Category[:64]
		}
	}
	if p.VisibleInPicker != nil {
		e.VisibleInPicker = *p.VisibleInPicker
	}
	if p.Disabled != nil {
		e.Disabled = *p.Disabled
	}
}

// Emoji returns a local emoji.
func (s *MediaService) Emoji(ctx context.Context, c *Caller, emojiID int64) (*model.CustomEmoji, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, err
	}
	e, err := s.store.EmojiByID(ctx, emojiID)
	if err != nil || e.Domain != "" {
		return nil, herr.NotFound("emoji")
	}
	return e, nil
}

// UpdateEmoji changes a local emoji.
func (s *MediaService) UpdateEmoji(ctx context.Context, c *Caller, emojiID int64, p EmojiParams) (*model.CustomEmoji, error) {
	e, err := s.Emoji(ctx, c, emojiID)
	if err != nil {
		return nil, err
	}
	if p.Shortcode != nil && *p.Shortcode != e.Shortcode {
		if !shortcodeRe.MatchString(*p.Shortcode) {
			return nil, herr.Unprocessable("Validation failed: Shortcode must be at least 2 characters, only letters, digits and underscores")
		}
		e.Shortcode = *p.Shortcode
	}
	if len(p.Image) > 0 {
		file, static, ctype, err := s.storeEmojiImage(ctx, p.Image)
		if err != nil {
			return nil, err
		}
		e.FileKey, e.StaticKey, e.ContentType = file, static, ctype
	}
	applyEmojiParams(e, p)
	if err := s.store.UpdateEmoji(ctx, e); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, herr.Unprocessable("Validation failed: Shortcode has already been taken")
		}
		return nil, storeErr(err)
	}
	s.forgetEmojis("")
	// A replaced image is garbage, deleted by the sweep after the grace
	// period: another admin's save of the emoji as read before may name it
	// again.
	s.auditEmoji(ctx, c, "update_custom_emoji", e, "changed")
	return e, nil
}

// DeleteEmoji deletes a local emoji and its files.
func (s *MediaService) DeleteEmoji(ctx context.Context, c *Caller, emojiID int64) error {
	e, err := s.Emoji(ctx, c, emojiID)
	if err != nil {
		return err
	}
	if err := s.store.DeleteEmoji(ctx, e.ID); err != nil {
		return storeErr(err)
	}
	s.forgetEmojis("")
	s.releaseFiles(ctx, e.FileKey, e.StaticKey)
	s.auditEmoji(ctx, c, "destroy_custom_emoji", e, "deleted")
	return nil
}

// RemoteEmoji is an Emoji tag of a remote object.
type RemoteEmoji struct {
	ID        string // the Emoji's ActivityPub id (may be "")
	Shortcode string // with or without the surrounding colons
	URL       string // icon.url
	Updated   time.Time
}

// IngestRemoteEmojis stores the Emoji tags of an object from domain, so
// that its :shortcodes: render; the images are fetched in the background
// (and on first display). Nothing is stored when the domain's media is
// rejected. At most 64 emoji per object.
func (s *MediaService) IngestRemoteEmojis(ctx context.Context, domain string, emojis []RemoteEmoji) error {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" || domain == s.Cfg.Instance.Domain || s.rejectsMedia(domain) {
		return nil
	}
	changed := false
	var fetch []storage.Job
	for i, re := range emojis {
		if i >= 64 {
			break
		}
		code := strings.Trim(strings.TrimSpace(re.Shortcode), ":")
		u, err := url.Parse(re.URL)
		if !shortcodeRe.MatchString(code) || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			continue
		}
		if s.rejectsMedia(hostOnly(u.Host)) {
			continue
		}
		e := &model.CustomEmoji{Shortcode: code, Domain: domain, URI: re.ID, ImageRemoteURL: re.URL}
		if err := s.store.UpsertRemoteEmoji(ctx, e); err != nil {
			return herr.Internal(err)
		}
		changed = true
		if e.FileKey == "" {
			fetch = append(fetch, mediaJob(JobMediaEmoji, e.ID, hostOf(re.URL)))
		}
	}
	if changed {
		s.forgetEmojis(domain)
	}
	// Images not cached yet are fetched in the background (without a job
	// runtime, when first shown).
	if _, err := s.queueJobs(ctx, fetch...); err != nil {
		s.Log.Warn("media: queue emoji fetches", "domain", domain, "err", err)
	}
	return nil
}

// NoteEmoji is an Emoji tag for an outgoing object.
type NoteEmoji struct {
	ID        string // base/emojis/ID
	Name      string // ":shortcode:"
	URL       string
	MediaType string
	Updated   time.Time
}

// EmojiTags returns the Emoji tags of local text (a status's content and
// spoiler, or a display name and note), for outgoing ActivityPub objects.
func (s *MediaService) EmojiTags(ctx context.Context, texts ...string) []NoteEmoji {
	var out []NoteEmoji
	for _, e := range s.EmojisIn(ctx, "", texts...) {
		u, _ := s.EmojiURLs(e)
		out = append(out, NoteEmoji{ID: s.Base() + "/emojis/" + strconv.FormatInt(e.ID, 10), Name: ":" + e.Shortcode + ":",
			URL: u, MediaType: e.ContentType, Updated: e.UpdatedAt})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// hostOnly drops a port from host.
func hostOnly(host string) string {
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(h, "]") && !strings.HasPrefix(host, "[") {
		return strings.ToLower(h)
	}
	return strings.ToLower(host)
}
