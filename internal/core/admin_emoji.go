package core

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The console's custom emoji: the list of local and remote emoji, batch
// actions on them (as Mastodon's Form::CustomEmojiBatch), copying a remote
// emoji to this server, and the operator's folder import.

// MaxEmojiBytes bounds an emoji image (as Mastodon's 256 KB).
const MaxEmojiBytes = maxEmojiBytes

// FindEmojis pages through local and remote emoji (Manage Custom Emojis).
func (s *MediaService) FindEmojis(ctx context.Context, c *Caller, f storage.EmojiFilter) ([]*model.CustomEmoji, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, err
	}
	f.Query = strings.Trim(strings.TrimSpace(f.Query), ":")
	f.Domain = NormaliseDomain(f.Domain)
	if len(f.Query) > 64 || len(f.Category) > 64 {
		return nil, herr.Unprocessable("The search is too long")
	}
	list, err := s.store.FindEmojis(ctx, f)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return list, nil
}

// EmojiCategories lists the categories local emoji use.
func (s *MediaService) EmojiCategories(ctx context.Context, c *Caller) ([]string, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, err
	}
	list, err := s.store.EmojiCategories(ctx)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return list, nil
}

// EmojiBatch applies one action to the chosen emoji and returns how many
// changed: enable, disable, delete (local or remote), list and unlist
// (visible in the picker), category (local only; "" clears it) and copy
// (remote only: a local emoji with the same shortcode and image).
func (s *MediaService) EmojiBatch(ctx context.Context, c *Caller, action string, ids []int64, category string) (int, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return 0, err
	}
	switch action {
	case "enable", "disable", "delete", "list", "unlist", "category", "copy":
	default:
		return 0, herr.Unprocessable("Unknown action %q", action)
	}
	if len(ids) == 0 {
		return 0, herr.Unprocessable("No emoji chosen")
	}
	if len(ids) > 200 {
		return 0, herr.Unprocessable("At most 200 emoji at once")
	}
	var list []*model.CustomEmoji
	for _, id := range ids {
		e, err := s.store.EmojiByID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return 0, herr.Internal(err)
		}
		switch {
		case e.Domain != "" && (action == "list" || action == "unlist" || action == "category"):
			return 0, herr.Unprocessable(":%s: of %s is a remote emoji: copy it to this server first", e.Shortcode, e.Domain)
		case e.Domain == "" && action == "copy":
			return 0, herr.Unprocessable(":%s: is already an emoji of this server", e.Shortcode)
		}
		list = append(list, e)
	}
	n := 0
	domains := map[string]bool{}
	for _, e := range list {
		domains[e.Domain] = true
		switch action {
		case "copy":
			if _, err := s.CopyEmoji(ctx, c, e.ID); err != nil {
				return n, err
			}
			n++
			continue
		case "delete":
			if err := s.store.DeleteEmoji(ctx, e.ID); err != nil {
				return n, storeErr(err)
			}
			s.releaseFiles(ctx, e.FileKey, e.StaticKey)
			s.auditEmoji(ctx, c, "destroy_custom_emoji", e, "deleted")
			n++
			continue
		case "enable", "disable":
			e.Disabled = action == "disable"
		case "list", "unlist":
			e.VisibleInPicker = action == "list"
		case "category":
			cat := strings.TrimSpace(category)
			if len(cat) > 64 {
				return n, herr.Unprocessable("Validation failed: Category is too long (at most 64 characters)")
			}
			e.Category = cat
		}
		if err := s.store.UpdateEmoji(ctx, e); err != nil {
			return n, storeErr(err)
		}
		verb := action // enable, disable; the rest change the emoji (Mastodon logs "update")
		if action != "enable" && action != "disable" {
			verb = "update"
		}
		s.auditEmoji(ctx, c, verb+"_custom_emoji", e, emojiActionWords[action])
		n++
	}
	for d := range domains {
		s.forgetEmojis(d)
	}
	return n, nil
}

var emojiActionWords = map[string]string{"enable": "enabled", "disable": "disabled", "list": "showed in the picker",
	"unlist": "hid from the picker", "category": "changed the category of"}

func (s *MediaService) auditEmoji(ctx context.Context, c *Caller, action string, e *model.CustomEmoji, verb string) {
	name := ":" + e.Shortcode + ":"
	if e.Domain != "" {
		name += " of " + e.Domain
	}
	if c == nil {
		return // the operator's CLI: no account to name
	}
	s.Service.AdminService.audit(ctx, c, action, "CustomEmoji", strconv.FormatInt(e.ID, 10), verb+" the emoji "+name)
}

// CopyEmoji makes a local copy of a remote emoji (same shortcode and
// image; the shortcode must be free here), as Mastodon's "copy".
func (s *MediaService) CopyEmoji(ctx context.Context, c *Caller, emojiID int64) (*model.CustomEmoji, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, err
	}
	e, err := s.store.EmojiByID(ctx, emojiID)
	if err != nil {
		return nil, herr.NotFound("emoji")
	}
	if e.Domain == "" {
		return nil, herr.Unprocessable(":%s: is already an emoji of this server", e.Shortcode)
	}
	if _, err := s.store.EmojiByShortcode(ctx, e.Shortcode, ""); err == nil {
		return nil, herr.Unprocessable("Validation failed: Shortcode :%s: has already been taken here", e.Shortcode)
	}
	if e.FileKey == "" {
		if e, err = s.cacheRemoteEmoji(ctx, e.ID); err != nil {
			return nil, herr.Wrap(422, "The emoji's image could not be fetched from its server", err)
		}
	}
	f, err := s.Files().Open(ctx, e.FileKey)
	if err != nil {
		return nil, herr.Internal(err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxEmojiBytes+1))
	f.Close()
	if err != nil {
		return nil, herr.Internal(err)
	}
	code := e.Shortcode
	local, err := s.CreateEmoji(ctx, c, EmojiParams{Shortcode: &code, Image: data, Category: &e.Category})
	if err != nil {
		return nil, err
	}
	s.auditEmoji(ctx, c, "copy_custom_emoji", e, "copied to this server")
	return local, nil
}

// PostEmojis returns the remote custom emoji a post uses, found by the
// post's id here, its ActivityPub id or its address: what the console
// offers to copy from a remote post.
func (s *MediaService) PostEmojis(ctx context.Context, c *Caller, ref string) (*model.Status, []*model.CustomEmoji, error) {
	if err := s.Authorize(ctx, c, PermManageCustomEmojis); err != nil {
		return nil, nil, err
	}
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, nil, herr.Unprocessable("Give a post's address")
	}
	var st *model.Status
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		st, err = s.store.StatusByID(ctx, id)
	} else {
		st, err = s.store.StatusByURI(ctx, ref)
		if errors.Is(err, storage.ErrNotFound) && s.Resolver != nil && (strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://")) &&
			!strings.HasPrefix(ref, s.Base()+"/") {
			// A post's page address, or one not known yet: fetched as a
			// search with resolve would (through the SSRF guard).
			if r, rerr := s.Resolver.ResolveStatus(ctx, ref); rerr == nil && r != nil {
				st, err = r, nil
			}
		}
		if errors.Is(err, storage.ErrNotFound) {
			// A local copy of the post's page address (/statuses/ID or
			// /@user/ID on this server).
			if i := strings.LastIndex(ref, "/"); i >= 0 && strings.HasPrefix(ref, s.Base()+"/") {
				if id, perr := strconv.ParseInt(ref[i+1:], 10, 64); perr == nil {
					st, err = s.store.StatusByID(ctx, id)
				}
			}
		}
	}
	if err != nil || st == nil {
		return nil, nil, herr.NotFound("No post known here has that address (search for it first so that this server fetches it)")
	}
	author, err := s.store.AccountByID(ctx, st.AccountID)
	if err != nil {
		return nil, nil, storeErr(err)
	}
	if author.Domain == "" {
		return st, nil, herr.Unprocessable("That post is from this server: its emoji are already here")
	}
	var out []*model.CustomEmoji
	known, err := s.store.EmojisOfDomain(ctx, author.Domain)
	if err != nil {
		return nil, nil, herr.Internal(err)
	}
	byCode := make(map[string]*model.CustomEmoji, len(known))
	for _, e := range known {
		byCode[e.Shortcode] = e
	}
	seen := map[string]bool{}
	for _, t := range []string{st.SpoilerText, st.Content} {
		for _, m := range shortcodeInTextRe.FindAllStringSubmatch(t, 64) {
			if e := byCode[m[1]]; e != nil && !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, e)
			}
		}
	}
	return st, out, nil
}

// EmojiImport is the outcome of importing one image as an emoji.
type EmojiImport struct {
	Shortcode string
	Replaced  bool // an emoji with the shortcode existed and was overwritten
}

// OperatorImportEmoji adds (or, with overwrite, replaces the image of) a
// local emoji for the operator's CLI, which has no account: the same
// checks as the console (shortcode, PNG/GIF/WebP, size).
func (s *MediaService) OperatorImportEmoji(ctx context.Context, shortcode string, data []byte, category string, overwrite bool) (*EmojiImport, error) {
	if !shortcodeRe.MatchString(shortcode) {
		return nil, herr.Unprocessable("the shortcode %q is not valid: at least 2 characters, only letters, digits and underscores", shortcode)
	}
	if len(data) == 0 {
		return nil, herr.Unprocessable("the file is empty")
	}
	var cat *string
	if category != "" {
		cat = &category
	}
	old, err := s.store.EmojiByShortcode(ctx, shortcode, "")
	if err == nil {
		if !overwrite {
			return nil, herr.Unprocessable(":%s: already exists (--overwrite replaces it)", shortcode)
		}
		file, static, ctype, err := s.storeEmojiImage(ctx, data)
		if err != nil {
			return nil, err
		}
		old.FileKey, old.StaticKey, old.ContentType = file, static, ctype
		applyEmojiParams(old, EmojiParams{Category: cat})
		if err := s.store.UpdateEmoji(ctx, old); err != nil {
			return nil, storeErr(err)
		}
		s.forgetEmojis("")
		return &EmojiImport{Shortcode: shortcode, Replaced: true}, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Internal(err)
	}
	file, static, ctype, err := s.storeEmojiImage(ctx, data)
	if err != nil {
		return nil, err
	}
	e := &model.CustomEmoji{Shortcode: shortcode, FileKey: file, StaticKey: static, ContentType: ctype, VisibleInPicker: true}
	applyEmojiParams(e, EmojiParams{Category: cat})
	if err := s.store.CreateEmoji(ctx, e); err != nil {
		s.releaseFiles(ctx, file, static)
		if errors.Is(err, storage.ErrConflict) {
			return nil, herr.Unprocessable(":%s: was created meanwhile", shortcode)
		}
		return nil, herr.Internal(err)
	}
	s.forgetEmojis("")
	return &EmojiImport{Shortcode: shortcode}, nil
}
