package core

import (
	"context"
	"errors"
	"slices"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// CanSee is Herald's one visibility rule; every read path goes through it
// (usually via View, which applies it to a whole page at once): the client
// API, the web UI, and the documents served to other servers (the Signer*
// functions below, with the signer of the fetch as the viewer).
//
//   - nobody sees statuses of suspended (or unknown) authors;
//   - the author always sees their own statuses;
//   - a reply waiting for approval (interactions.go) only its author sees;
//   - a block either way hides everything;
//   - public and unlisted: everyone, signed in or not;
//   - private: the author's followers and the accounts mentioned;
//   - direct: the accounts mentioned.
//
// viewerID is 0 for anonymous (and app-only) callers; rel holds the
// viewer's relations to the author (nil when anonymous).
func CanSee(viewerID int64, st *model.Status, author *model.Account, rel *storage.ViewerRelations) bool {
	if st == nil || author == nil || author.ID != st.AccountID || author.SuspendedAt != nil {
		return false
	}
	if viewerID != 0 && viewerID == st.AccountID {
		return true
	}
	if st.PendingApproval {
		return false
	}
	if viewerID != 0 && rel != nil && rel.Blocked[st.AccountID] {
		return false
	}
	switch st.Visibility {
	case model.Public, model.Unlisted:
		return true
	case model.Private:
		if viewerID != 0 && rel != nil && rel.Following[st.AccountID] {
			return true
		}
	}
	return viewerID != 0 && slices.Contains(st.MentionIDs, viewerID)
}

// maxVisibilityFor is the widest visibility of an author's statuses that
// a viewer may list on the author's profile (before mentions are counted).
func maxVisibilityFor(viewerID, authorID int64, rel *storage.ViewerRelations) model.Visibility {
	switch {
	case viewerID != 0 && viewerID == authorID:
		return model.Direct
	case viewerID != 0 && rel != nil && rel.Following[authorID]:
		return model.Private
	}
	return model.Unlisted
}

// visibleStatus loads a status the viewer may see, answering 404 for one
// that does not exist or is hidden from them (as Mastodon: no 403 that
// would reveal it exists).
func (s *Service) visibleStatus(ctx context.Context, viewerID, statusID int64) (*model.Status, *model.Account, error) {
	st, err := s.store.StatusByID(ctx, statusID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, herr.NotFound("status")
	}
	if err != nil {
		return nil, nil, herr.Internal(err)
	}
	author, err := s.store.AccountByID(ctx, st.AccountID)
	if err != nil {
		return nil, nil, herr.NotFound("status")
	}
	ok, err := s.canSee(ctx, viewerID, st, author)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, herr.NotFound("status")
	}
	return st, author, nil
}

// canSee is CanSee with the relations loaded.
func (s *Service) canSee(ctx context.Context, viewerID int64, st *model.Status, author *model.Account) (bool, error) {
	var rel *storage.ViewerRelations
	if viewerID != 0 && viewerID != st.AccountID {
		r, err := s.store.ViewerRelations(ctx, viewerID, []int64{st.AccountID})
		if err != nil {
			return false, herr.Internal(err)
		}
		rel = r
	}
	return CanSee(viewerID, st, author, rel), nil
}

// CanSeeStatus reports whether the viewer (0: anonymous) may see a status;
// for other packages (web UI, ActivityPub fetches).
func (s *Service) CanSeeStatus(ctx context.Context, viewerID int64, st *model.Status) (bool, error) {
	author, err := s.store.AccountByID(ctx, st.AccountID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, herr.Internal(err)
	}
	return s.canSee(ctx, viewerID, st, author)
}

// Fetches by other servers. The federation engine serves local statuses
// and pages of them to the account that signed the GET: a remote account,
// or a local one, or nil when the GET was unsigned or signed by a
// server's instance actor (anonymous). It asks here, so that a signer sees
// exactly what the client API shows the same account (CanSee, with the
// signer as viewer): no statuses of suspended authors, nothing across a
// block, followers-only posts to followers and to the accounts mentioned.

// signerID is the viewer of a fetch: 0 (anonymous) without a signer.
func signerID(signer *model.Account) int64 {
	if signer == nil {
		return 0
	}
	return signer.ID
}

// SignerCanSee reports whether the signer of a fetch may see st; author
// is st's author when the caller loaded it already (nil: loaded here).
func (s *Service) SignerCanSee(ctx context.Context, signer *model.Account, st *model.Status, author *model.Account) (bool, error) {
	if author == nil {
		return s.CanSeeStatus(ctx, signerID(signer), st)
	}
	return s.canSee(ctx, signerID(signer), st, author)
}

// SignerAccountStatuses is AccountStatuses for the signer of a fetch (an
// outbox or featured collection page): the same statuses, with the same
// widest visibility (maxVisibilityFor) and the same rule.
func (s *Service) SignerAccountStatuses(ctx context.Context, signer *model.Account, accountID int64, f storage.AccountStatusFilter, p model.Page) (*Timeline, error) {
	return s.accountStatuses(ctx, signerID(signer), accountID, f, p, ViewOptions{ruleOnly: true})
}

// SignerReplies lists the replies to a status (at most limit, oldest
// first) that a replies collection shows the signer: those the signer may
// see that anyone may see (public and unlisted). As Mastodon's replies
// collection, it lists only what anyone may fetch; followers-only and
// direct replies reach their audience by delivery.
func (s *Service) SignerReplies(ctx context.Context, signer *model.Account, statusID int64, limit int) ([]*model.Status, error) {
	sts, err := s.store.Replies(ctx, statusID, limit)
	if err != nil {
		return nil, herr.Internal(err)
	}
	v, err := s.View(ctx, signerID(signer), sts, ViewOptions{ruleOnly: true})
	if err != nil {
		return nil, err
	}
	out := []*model.Status{}
	for _, st := range v.Statuses {
		if CanSee(0, st, v.Accounts[st.AccountID], nil) {
			out = append(out, st)
		}
	}
	return out, nil
}
