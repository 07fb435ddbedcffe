package core

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Search and look-ups by name or URL: accounts, hashtags, statuses, and
// the profile directory.

// SearchAccounts is account search: an exact acct match first (fetched
// through the federation engine when resolve is set and the caller is
// signed in), then accounts whose username or display name starts with q.
// With following (and a signed-in caller), only accounts the caller
// follows.
func (s *Service) SearchAccounts(ctx context.Context, c *Caller, q string, resolve, following bool, limit, offset int) ([]*model.Account, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	viewer := c.AccountID()
	var out []*model.Account
	seen := map[int64]bool{}
	if offset == 0 && looksLikeAcct(q) {
		if acc, err := s.LookupAcct(ctx, q, resolve && viewer != 0); err == nil {
			keep := true
			if following {
				rel, err := s.Relationship(ctx, viewer, acc.ID)
				keep = err == nil && rel.Following
			}
			if keep {
				out = append(out, acc)
				seen[acc.ID] = true
			}
		}
	}
	var found []*model.Account
	var err error
	if following && viewer != 0 {
		found, err = s.store.SearchFollowing(ctx, viewer, q, limit, offset)
	} else {
		found, err = s.store.SearchAccounts(ctx, q, false, limit, offset)
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	for _, acc := range found {
		if !seen[acc.ID] && len(out) < limit {
			seen[acc.ID] = true
			out = append(out, acc)
		}
	}
	return out, nil
}

// looksLikeAcct: "user", "@user", "user@domain" or "@user@domain".
func looksLikeAcct(q string) bool {
	q = strings.TrimPrefix(q, "@")
	if q == "" || strings.ContainsAny(q, " /") {
		return false
	}
	// The domain may carry a port (user@localhost:8080); the user may not.
	user, domain, hasDomain := strings.Cut(q, "@")
	return user != "" && !strings.Contains(user, ":") &&
		(!hasDomain || (domain != "" && !strings.Contains(domain, "@")))
}

var tagNameRe = regexp.MustCompile(`^[\p{L}\p{M}\p{N}_]+$`)

// ValidTagName reports a hashtag name (without "#"): letters, marks,
// digits and underscores, not only digits.
func ValidTagName(s string) bool {
	if s == "" || len(s) > 256 || !tagNameRe.MatchString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0
}

// SearchHashtags finds the hashtags whose name starts with q (a "#" in
// front is dropped); none when q is no hashtag name.
func (s *Service) SearchHashtags(ctx context.Context, q string, limit, offset int) ([]storage.HashtagRef, error) {
	name := strings.TrimPrefix(strings.TrimSpace(q), "#")
	if !ValidTagName(name) {
		return nil, nil
	}
	return orInternal(s.store.SearchHashtags(ctx, strings.ToLower(name), limit, offset))
}

// Hashtag returns the hashtag name (without "#"); one never used is
// returned with its normalised name and no id. A name that is no hashtag
// is not found.
func (s *Service) Hashtag(ctx context.Context, name string) (*storage.HashtagRef, error) {
	name = strings.TrimPrefix(name, "#")
	if !ValidTagName(name) {
		return nil, herr.NotFound("tag")
	}
	name = strings.ToLower(name)
	t, err := s.store.HashtagByName(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return &storage.HashtagRef{Name: name}, nil
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return t, nil
}

// StatusByURL finds a known status by its ActivityPub id or, with resolve
// and a signed-in caller, fetches it through the federation engine; only a
// status the caller may see is found.
func (s *Service) StatusByURL(ctx context.Context, c *Caller, u string, resolve bool) (*model.Status, error) {
	viewer := c.AccountID()
	st, err := s.store.StatusByURI(ctx, u)
	switch {
	case err == nil:
	case !errors.Is(err, storage.ErrNotFound):
		return nil, herr.Internal(err)
	case resolve && viewer != 0 && s.Resolver != nil:
		if st, err = s.Resolver.ResolveStatus(ctx, u); err != nil || st == nil {
			return nil, herr.NotFound("status")
		}
	default:
		return nil, herr.NotFound("status")
	}
	if ok, err := s.CanSeeStatus(ctx, viewer, st); err != nil {
		return nil, err
	} else if !ok {
		return nil, herr.NotFound("status")
	}
	return st, nil
}

// Directory lists the local accounts that chose to be discoverable (and
// are not suspended), by order "new" (newest first) or otherwise "active"
// (latest post first).
func (s *Service) Directory(ctx context.Context, order string, limit, offset int) ([]*model.Account, error) {
	if order != "new" {
		order = "active"
	}
	return orInternal(s.store.DirectoryAccounts(ctx, order, true, limit, offset))
}
