package core

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// Hiding: what a viewer chose not to see. One rule, applied by View to
// every page (timelines, notifications, streams, statuses by id):
//
//   - in lists (ViewOptions.HideMuted), the posts and boosts of accounts
//     the viewer mutes (a timed mute stops applying when it ends: the
//     store compares its end with now), and of accounts on a domain the
//     viewer blocks unless the viewer follows them (as Mastodon);
//   - the viewer's filters: every active filter that matches a status is
//     attached to it (FilterResult, Mastodon's `filtered`, whatever the
//     context, clients pick by context); in a list whose context a "hide"
//     filter names (v1 irreversible), a matching status is dropped.
//
// Notifications are screened where they are written (storage): not from
// muted accounts (with notifications), blocked domains (unless followed),
// nor about a conversation the recipient muted.

// hiddenInLists reports whether a status the viewer may see stays out of
// the viewer's lists (timelines, notifications, streams).
func hiddenInLists(viewerID int64, st *model.Status, rel *storage.ViewerRelations) bool {
	if viewerID == 0 || st.AccountID == viewerID || rel == nil {
		return false
	}
	if rel.Muted[st.AccountID] {
		return true
	}
	return rel.DomainBlocked[st.AccountID] && !rel.Following[st.AccountID]
}

// FilterResult is a filter that matched a status: the keywords found and
// the statuses named by the filter.
type FilterResult struct {
	Filter         *model.Filter
	KeywordMatches []string
	StatusMatches  []int64
}

// activeFilters are the viewer's unexpired filters.
func (s *Service) activeFilters(ctx context.Context, viewerID int64) ([]*model.Filter, error) {
	if viewerID <= 0 {
		return nil, nil
	}
	all, err := s.store.FiltersOf(ctx, viewerID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	now := time.Now()
	out := all[:0]
	for _, f := range all {
		if f.ExpiresAt == nil || f.ExpiresAt.After(now) {
			out = append(out, f)
		}
	}
	return out, nil
}

// keywordPattern is Mastodon's match of a keyword: case-insensitive, and
// for a whole word, bounded by non-word characters where the keyword
// starts or ends with a word character.
func keywordPattern(k model.FilterKeyword) *regexp.Regexp {
	p := regexp.QuoteMeta(k.Keyword)
	if k.WholeWord {
		first, _ := utf8.DecodeRuneInString(k.Keyword)
		last, _ := utf8.DecodeLastRuneInString(k.Keyword)
		if isWordRune(first) {
			p = `(?:^|[^\pL\pN_])` + p
		}
		if isWordRune(last) {
			p += `(?:$|[^\pL\pN_])`
		}
	}
	return regexp.MustCompile(`(?i)` + p)
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// filterText is what keywords are matched against: the content warning,
// the text and the media descriptions.
func filterText(st *model.Status, media []*model.MediaAttachment) string {
	var b strings.Builder
	b.WriteString(st.SpoilerText)
	b.WriteString("\n")
	b.WriteString(text.PlainText(st.Content))
	for _, m := range media {
		b.WriteString("\n")
		b.WriteString(m.Description)
	}
	return b.String()
}

// matchFilters lists the filters that match st (judged by its original
// when it is a boost); patterns holds each keyword's compiled pattern.
func matchFilters(filters []*model.Filter, patterns map[int64]*regexp.Regexp, st *model.Status, txt string) []FilterResult {
	var out []FilterResult
	for _, f := range filters {
		r := FilterResult{Filter: f}
		for _, k := range f.Keywords {
			if patterns[k.ID].MatchString(txt) {
				r.KeywordMatches = append(r.KeywordMatches, k.Keyword)
			}
		}
		for _, fs := range f.Statuses {
			if fs.StatusID == st.ID {
				r.StatusMatches = append(r.StatusMatches, fs.StatusID)
			}
		}
		if len(r.KeywordMatches) > 0 || len(r.StatusMatches) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// applyFilters attaches the viewer's matching filters to the view and, in
// a list context, drops the statuses a "hide" filter of that context
// matches.
func (s *Service) applyFilters(ctx context.Context, v *StatusView, o ViewOptions) error {
	if v.ViewerID <= 0 || len(v.Statuses) == 0 || o.moderator || o.ruleOnly {
		return nil
	}
	filters, err := s.activeFilters(ctx, v.ViewerID)
	if err != nil || len(filters) == 0 {
		return err
	}
	if v.Filtered == nil {
		v.Filtered = map[int64][]FilterResult{}
	}
	patterns := map[int64]*regexp.Regexp{}
	for _, f := range filters {
		for _, k := range f.Keywords {
			patterns[k.ID] = keywordPattern(k)
		}
	}
	kept := v.Statuses[:0]
	for _, st := range v.Statuses {
		proper := st
		if st.ReblogOfID != 0 && v.Originals[st.ReblogOfID] != nil {
			proper = v.Originals[st.ReblogOfID]
		}
		if proper.AccountID == v.ViewerID {
			kept = append(kept, st)
			continue
		}
		res := matchFilters(filters, patterns, proper, filterText(proper, v.Media[proper.ID]))
		hide := false
		for _, r := range res {
			if r.Filter.Action == "hide" && o.Context != "" && slices.Contains(r.Filter.Context, o.Context) {
				hide = true
			}
		}
		if hide {
			continue
		}
		if len(res) > 0 {
			v.Filtered[st.ID] = res
			if proper != st {
				v.Filtered[proper.ID] = res
			}
		}
		kept = append(kept, st)
	}
	v.Statuses = kept
	return nil
}

// FilterStatusFor is the rule for one status streamed to one viewer in a
// context: whether it is dropped, and the filters to attach.
func (s *Service) FilterStatusFor(ctx context.Context, viewerID int64, v *StatusView, context string) (hide bool, res []FilterResult, err error) {
	if viewerID <= 0 || v == nil || len(v.Statuses) == 0 {
		return false, nil, nil
	}
	cp := *v
	cp.ViewerID = viewerID
	cp.Statuses = slices.Clone(v.Statuses)
	cp.Filtered = nil
	if err := s.applyFilters(ctx, &cp, ViewOptions{Context: context}); err != nil {
		return false, nil, err
	}
	if len(cp.Statuses) == 0 {
		return true, nil, nil
	}
	return false, cp.Filtered[cp.Statuses[0].ID], nil
}

// --- user domain blocks ---

// UserDomainBlocks pages through the caller's blocked domains.
func (s *Service) UserDomainBlocks(ctx context.Context, c *Caller, p model.Page) ([]storage.DomainLink, error) {
	return own(c, func(me int64) ([]storage.DomainLink, error) { return s.store.UserDomainBlocks(ctx, me, p) })
}

// BlockDomainForUser hides a domain from the caller: its accounts' posts
// (except those of accounts the caller follows) and notifications, and
// removes the caller's followers from it (each told by a Reject, as
// Mastodon).
func (s *Service) BlockDomainForUser(ctx context.Context, c *Caller, domain string) error {
	me, err := actor(c)
	if err != nil {
		return err
	}
	d := NormaliseDomain(domain)
	if d == "" || len(d) > 253 || strings.ContainsAny(d, " /@?#") {
		return herr.Unprocessable("Validation failed: Domain is invalid")
	}
	if strings.EqualFold(d, s.Cfg.Instance.Domain) {
		return herr.Unprocessable("Validation failed: Domain is your own")
	}
	if err := s.store.BlockDomainForUser(ctx, me.ID, d); err != nil {
		return herr.Internal(err)
	}
	followers, err := s.store.FollowersFromDomain(ctx, me.ID, d)
	if err != nil {
		return herr.Internal(err)
	}
	for _, f := range followers {
		if _, err := s.RemoveFromFollowers(ctx, c, f); err != nil {
			return err
		}
	}
	return nil
}

// UnblockDomainForUser lifts the caller's block of a domain.
func (s *Service) UnblockDomainForUser(ctx context.Context, c *Caller, domain string) error {
	return changeOwn(c, func(me int64) error { return s.store.UnblockDomainForUser(ctx, me, NormaliseDomain(domain)) })
}

// --- endorsements ---

// Endorse features an account the caller follows on the caller's profile.
func (s *Service) Endorse(ctx context.Context, c *Caller, targetID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.FollowBetween(ctx, me.ID, target.ID); errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Unprocessable("Validation failed: You must be already following the person you want to endorse")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if err := s.store.Endorse(ctx, me.ID, target.ID); err != nil {
		return nil, herr.Internal(err)
	}
	return s.Relationship(ctx, me.ID, target.ID)
}

// Unendorse removes an account from the caller's profile.
func (s *Service) Unendorse(ctx context.Context, c *Caller, targetID int64) (*model.Relationship, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	target, err := s.target(ctx, me, targetID)
	if err != nil {
		return nil, err
	}
	if err := s.store.Unendorse(ctx, me.ID, target.ID); err != nil {
		return nil, herr.Internal(err)
	}
	return s.Relationship(ctx, me.ID, target.ID)
}

// Endorsements pages through the accounts an account endorses (anyone may
// read them, as a profile's featured accounts).
func (s *Service) Endorsements(ctx context.Context, accountID int64, p model.Page) (*AccountPage, error) {
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	v, err := s.store.Endorsements(ctx, accountID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.accountPage(ctx, v)
}

// OwnEndorsements pages through the accounts the caller endorses.
func (s *Service) OwnEndorsements(ctx context.Context, c *Caller, p model.Page) (*AccountPage, error) {
	return s.ownList(ctx, c, p, s.store.Endorsements)
}

// --- conversation mutes ---

// MuteConversation stops the caller's notifications about a thread.
func (s *Service) MuteConversation(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	return s.setConversationMute(ctx, c, statusID, true)
}

// UnmuteConversation lets a thread notify the caller again.
func (s *Service) UnmuteConversation(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	return s.setConversationMute(ctx, c, statusID, false)
}

func (s *Service) setConversationMute(ctx context.Context, c *Caller, statusID int64, mute bool) (*model.Status, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	st, _, err := s.visibleStatus(ctx, me.ID, statusID)
	if err != nil {
		return nil, err
	}
	target := st.ID
	if st.ReblogOfID != 0 {
		target = st.ReblogOfID
	}
	root, err := s.store.ThreadRoot(ctx, target)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if mute {
		err = s.store.MuteConversation(ctx, me.ID, root)
	} else {
		err = s.store.UnmuteConversation(ctx, me.ID, root)
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return st, nil
}

// --- followed and featured tags ---

// MaxFeaturedTags is how many tags a profile may feature (Mastodon's 10).
const MaxFeaturedTags = 10

// TagState is a hashtag with what the caller does with it.
type TagState struct {
	Tag                  storage.HashtagRef
	Following, Featuring bool
}

// tagName validates and normalises a hashtag name (404 when no hashtag).
func tagName(name string) (string, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "#")
	if !ValidTagName(name) {
		return "", herr.NotFound("tag")
	}
	return strings.ToLower(name), nil
}

// TagStates adds the caller's following and featuring to tags.
func (s *Service) TagStates(ctx context.Context, c *Caller, tags []storage.HashtagRef) ([]TagState, error) {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	following, featuring, err := s.store.TagStates(ctx, c.AccountID(), names)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make([]TagState, len(tags))
	for i, t := range tags {
		out[i] = TagState{Tag: t, Following: following[t.Name], Featuring: featuring[t.Name]}
	}
	return out, nil
}

func (s *Service) tagState(ctx context.Context, c *Caller, name string) (*TagState, error) {
	t, err := s.Hashtag(ctx, name)
	if err != nil {
		return nil, err
	}
	st, err := s.TagStates(ctx, c, []storage.HashtagRef{*t})
	if err != nil {
		return nil, err
	}
	return &st[0], nil
}

// TagState is a hashtag as the caller sees it.
func (s *Service) TagState(ctx context.Context, c *Caller, name string) (*TagState, error) {
	return s.tagState(ctx, c, name)
}

// FollowTag brings a hashtag's public posts into the caller's home feed.
func (s *Service) FollowTag(ctx context.Context, c *Caller, name string) (*TagState, error) {
	return s.changeTag(ctx, c, name, func(me int64, n string) error { _, err := s.store.FollowTag(ctx, me, n); return err })
}

// UnfollowTag stops a hashtag's posts entering the caller's home feed.
func (s *Service) UnfollowTag(ctx context.Context, c *Caller, name string) (*TagState, error) {
	return s.changeTag(ctx, c, name, func(me int64, n string) error { return s.store.UnfollowTag(ctx, me, n) })
}

// FollowedTags pages through the caller's followed tags.
func (s *Service) FollowedTags(ctx context.Context, c *Caller, p model.Page) ([]storage.TagLink, error) {
	return own(c, func(me int64) ([]storage.TagLink, error) { return s.store.FollowedTags(ctx, me, p) })
}

// FeatureTag features a hashtag on the caller's profile (at most
// MaxFeaturedTags).
func (s *Service) FeatureTag(ctx context.Context, c *Caller, name string) (*storage.FeaturedTag, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	n := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#"))
	if !ValidTagName(n) {
		return nil, herr.Unprocessable("Validation failed: Tag is invalid")
	}
	count, err := s.store.CountFeaturedTags(ctx, me.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	_, featuring, err := s.store.TagStates(ctx, me.ID, []string{n})
	if err != nil {
		return nil, herr.Internal(err)
	}
	if !featuring[n] && count >= MaxFeaturedTags {
		return nil, herr.Unprocessable("Validation failed: You cannot feature more than %d hashtags", MaxFeaturedTags)
	}
	ft, err := s.store.FeatureTag(ctx, me.ID, n)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return ft, nil
}

// UnfeatureTag removes one of the caller's featured tags by id.
func (s *Service) UnfeatureTag(ctx context.Context, c *Caller, featuredID int64) error {
	me, err := actor(c)
	if err != nil {
		return err
	}
	err = s.store.UnfeatureTag(ctx, me.ID, featuredID)
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("featured tag")
	}
	if err != nil {
		return herr.Internal(err)
	}
	return nil
}

// UnfeatureTagByName removes a hashtag from the caller's profile.
func (s *Service) UnfeatureTagByName(ctx context.Context, c *Caller, name string) (*TagState, error) {
	return s.changeTag(ctx, c, name, func(me int64, n string) error { return s.store.UnfeatureTagByName(ctx, me, n) })
}

// FeatureTagByName is FeatureTag answering the tag as the caller sees it
// (POST /api/v1/tags/:name/feature).
func (s *Service) FeatureTagByName(ctx context.Context, c *Caller, name string) (*TagState, error) {
	n, err := tagName(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.FeatureTag(ctx, c, n); err != nil {
		return nil, err
	}
	return s.tagState(ctx, c, n)
}

// FeaturedTags lists an account's featured tags (public).
func (s *Service) FeaturedTags(ctx context.Context, accountID int64) ([]storage.FeaturedTag, error) {
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	v, err := s.store.FeaturedTags(ctx, accountID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return v, nil
}

// TagSuggestions are the caller's most used tags not featured yet.
func (s *Service) TagSuggestions(ctx context.Context, c *Caller) ([]storage.HashtagRef, error) {
	return own(c, func(me int64) ([]storage.HashtagRef, error) { return s.store.TagSuggestions(ctx, me, 10) })
}

// sweepExpiredMutes deletes the mutes that ended (a periodic job); reads
// ignore them already, so this only keeps the table small.
func (s *Service) sweepExpiredMutes(ctx context.Context) error {
	_, err := s.store.DeleteExpiredMutes(ctx, time.Now())
	return err
}

// changeTag applies a change of the caller's relation to a hashtag and
// answers the tag as the caller now sees it.
func (s *Service) changeTag(ctx context.Context, c *Caller, name string, change func(me int64, n string) error) (*TagState, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	n, err := tagName(name)
	if err != nil {
		return nil, err
	}
	if err := change(me.ID, n); err != nil {
		return nil, herr.Internal(err)
	}
	return s.tagState(ctx, c, n)
}
