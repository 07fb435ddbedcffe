package core

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// StatusView is a page of statuses ready to render for one viewer: the
// statuses the viewer may see, in order, with everything their entities
// need, loaded in a fixed number of queries whatever the page size.
type StatusView struct {
	ViewerID  int64
	Statuses  []*model.Status
	Originals map[int64]*model.Status  // boosted statuses, by id
	Accounts  map[int64]*model.Account // authors and mentioned accounts
	Flags     map[int64]storage.StatusFlags
	Apps      map[int64]*model.App
	// Media and Cards of the shown statuses and originals (media_view.go).
	Media map[int64][]*model.MediaAttachment
	Cards map[int64]*model.PreviewCard
	// Filtered: the viewer's filters that match a shown status (hiding.go).
	Filtered map[int64][]FilterResult
	// Polls of the shown statuses and originals, and the viewer's votes
	// on them (polls.go); read through PollOf.
	Polls     map[int64]*model.Poll
	PollVotes map[int64][]int
	now       time.Time
	// Quoted holds the statuses the shown ones quote that the viewer may
	// see, by id (one level: a quoted status's own quote is not loaded).
	Quoted map[int64]*model.Status
	// QuoteApproval is, per shown status (and boosted original), whether
	// the viewer may quote it (Mastodon's quote_approval.current_user).
	QuoteApproval map[int64]Approval
}

// ViewOptions tune View.
type ViewOptions struct {
	// HideMuted drops statuses (and boosts) of accounts the viewer mutes
	// or whose domain the viewer blocks (hiddenInLists), as timelines do;
	// a status fetched by id is shown anyway.
	HideMuted bool
	// Context is the filter context of a list ("home", "notifications",
	// "public", "account"): the viewer's "hide" filters of that context
	// drop what they match (applyFilters); "" drops nothing.
	Context string
	// moderator shows every status, whatever its visibility: a
	// moderator's view of reported posts (ViewReports). Unexported, so
	// that no surface can ask for it.
	moderator bool
	// ruleOnly stops once the rule has chosen the statuses: the federation
	// engine renders its documents from the statuses alone, and needs no
	// flags, apps, media or cards (fetches by other servers).
	ruleOnly bool
	// interactee shows the viewer the replies that wait for their
	// approval (their interaction requests); unexported, as moderator.
	interactee bool
}

// View applies the visibility rule to sts and loads what rendering needs:
// boosted originals, accounts, the viewer's relations and flags, apps.
func (s *Service) View(ctx context.Context, viewerID int64, sts []*model.Status, o ViewOptions) (*StatusView, error) {
	v := &StatusView{ViewerID: viewerID, Originals: map[int64]*model.Status{}, Accounts: map[int64]*model.Account{},
		Flags: map[int64]storage.StatusFlags{}, Apps: map[int64]*model.App{}, Quoted: map[int64]*model.Status{},
		QuoteApproval: map[int64]Approval{}}
	if len(sts) == 0 {
		return v, nil
	}
	// 1. Boosted originals.
	inPage := make(map[int64]*model.Status, len(sts))
	for _, st := range sts {
		inPage[st.ID] = st
	}
	var need []int64
	for _, st := range sts {
		if st.ReblogOfID != 0 {
			if o, ok := inPage[st.ReblogOfID]; ok {
				v.Originals[o.ID] = o
			} else {
				need = append(need, st.ReblogOfID)
			}
		}
	}
	if len(need) > 0 {
		m, err := s.store.StatusesByIDs(ctx, need)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for id, st := range m {
			v.Originals[id] = st
		}
	}
	// 1b. Quoted statuses (of the page and of the originals).
	quoted, err := s.quotedOf(ctx, sts, v.Originals)
	if err != nil {
		return nil, err
	}
	// 2. Accounts: authors and mentions.
	var accIDs, authorIDs []int64
	addStatus := func(st *model.Status) {
		accIDs = append(accIDs, st.AccountID)
		authorIDs = append(authorIDs, st.AccountID)
		accIDs = append(accIDs, st.MentionIDs...)
	}
	for _, st := range sts {
		addStatus(st)
	}
	for _, st := range v.Originals {
		addStatus(st)
	}
	for _, st := range quoted {
		addStatus(st)
	}
	accs, err := s.accountsToShow(ctx, accIDs)
	if err != nil {
		return nil, err
	}
	v.Accounts = accs
	// 3. Relations and the rule.
	rel, err := s.store.ViewerRelations(ctx, viewerID, authorIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	visible := func(st *model.Status) bool {
		if o.moderator {
			return true
		}
		if o.interactee && st.PendingApproval && st.InReplyToAccountID == viewerID && viewerID != 0 {
			held := *st
			held.PendingApproval = false // judged as it will be once approved
			st = &held
		}
		if !CanSee(viewerID, st, accs[st.AccountID], rel) {
			return false
		}
		return !(o.HideMuted && hiddenInLists(viewerID, st, rel))
	}
	var flagIDs []int64
	for _, st := range sts {
		if !visible(st) {
			continue
		}
		if st.ReblogOfID != 0 {
			orig := v.Originals[st.ReblogOfID]
			if orig == nil || !visible(orig) {
				continue
			}
			flagIDs = append(flagIDs, orig.ID)
		}
		v.Statuses = append(v.Statuses, st)
		flagIDs = append(flagIDs, st.ID)
	}
	if o.ruleOnly {
		return v, nil
	}
	for qid, q := range quoted {
		if !q.PendingApproval && CanSee(viewerID, q, accs[q.AccountID], rel) {
			v.Quoted[qid] = q
		}
	}
	// Whether the viewer may quote each: the rule, with the relations
	// loaded (who follows the viewer is not: "following" counts as not).
	if viewerID != 0 {
		for _, st := range v.Statuses {
			for _, x := range []*model.Status{st, v.Originals[st.ReblogOfID]} {
				if x == nil {
					continue
				}
				f := InteractionFacts{ActorID: viewerID, Follows: rel.Following[x.AccountID]}
				if me := accs[viewerID]; me != nil {
					f.ActorURI = me.URI
				}
				v.QuoteApproval[x.ID] = DecideInteraction(model.InteractQuote, x, f).Approval
			}
		}
	}
	// 4. What the viewer did to them; the apps of the viewer's own posts.
	if viewerID != 0 && len(flagIDs) > 0 {
		f, err := s.store.StatusFlags(ctx, viewerID, flagIDs)
		if err != nil {
			return nil, herr.Internal(err)
		}
		v.Flags = f
		for _, st := range v.Statuses {
			for _, x := range []*model.Status{st, v.Originals[st.ReblogOfID]} {
				if x != nil && x.AccountID == viewerID && x.AppID != 0 {
					if _, done := v.Apps[x.AppID]; !done {
						app, err := s.store.AppByID(ctx, x.AppID)
						if err == nil {
							v.Apps[x.AppID] = app
						} else {
							v.Apps[x.AppID] = nil
						}
					}
				}
			}
		}
	}
	// 5. Attachments, cards and polls: first which statuses have any.
	var ex storage.StatusExtras
	if ids := v.extraIDs(); len(ids) > 0 {
		if ex, err = s.store.ExtrasOf(ctx, ids); err != nil {
			return nil, herr.Internal(err)
		}
	}
	if err := s.loadMediaView(ctx, v, ex); err != nil {
		return nil, err
	}
	if err := s.applyFilters(ctx, v, o); err != nil {
		return nil, err
	}
	if err := s.loadPollView(ctx, v, ex); err != nil {
		return nil, err
	}
	return v, nil
}

// quotedOf loads the statuses that sts and the originals quote.
func (s *Service) quotedOf(ctx context.Context, sts []*model.Status, originals map[int64]*model.Status) (map[int64]*model.Status, error) {
	var ids []int64
	for _, st := range sts {
		if st.QuoteOfID != 0 {
			ids = append(ids, st.QuoteOfID)
		}
	}
	for _, st := range originals {
		if st.QuoteOfID != 0 {
			ids = append(ids, st.QuoteOfID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return m, nil
}

// Has reports whether the view shows the status.
func (v *StatusView) Has(statusID int64) bool {
	for _, st := range v.Statuses {
		if st.ID == statusID {
			return true
		}
	}
	return false
}
