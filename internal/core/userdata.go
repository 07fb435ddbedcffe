package core

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// A user's own things: lists, filters (v2, and v1 as keywords of v2
// filters), timeline markers.

// --- lists ---

// ListParams creates or changes a list; nil fields stay as they are.
type ListParams struct {
	Title         *string
	RepliesPolicy *string
	Exclusive     *bool
}

func applyListParams(l *model.List, p ListParams) error {
	if p.Title != nil {
		l.Title = strings.TrimSpace(*p.Title)
	}
	if l.Title == "" {
		return herr.Unprocessable("Validation failed: Title can't be blank")
	}
	if len([]rune(l.Title)) > 256 {
		return herr.Unprocessable("Validation failed: Title is too long (maximum is 256 characters)")
	}
	if p.RepliesPolicy != nil && *p.RepliesPolicy != "" {
		switch *p.RepliesPolicy {
		case "followed", "list", "none":
			l.RepliesPolicy = *p.RepliesPolicy
		default:
			return herr.Unprocessable("Validation failed: Replies policy is not included in the list")
		}
	}
	if l.RepliesPolicy == "" {
		l.RepliesPolicy = "list"
	}
	if p.Exclusive != nil {
		l.Exclusive = *p.Exclusive
	}
	return nil
}

// CreateList makes a list for the caller.
func (s *UserDataService) CreateList(ctx context.Context, c *Caller, p ListParams) (*model.List, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	l := &model.List{AccountID: me.ID}
	if err := applyListParams(l, p); err != nil {
		return nil, err
	}
	if err := s.store.CreateList(ctx, l); err != nil {
		return nil, herr.Internal(err)
	}
	return l, nil
}

// List returns one of the caller's lists.
func (s *UserDataService) List(ctx context.Context, c *Caller, listID int64) (*model.List, error) {
	return own(c, func(me int64) (*model.List, error) { return s.store.ListByID(ctx, me, listID) })
}

// Lists returns the caller's lists.
func (s *UserDataService) Lists(ctx context.Context, c *Caller) ([]model.List, error) {
	return own(c, func(me int64) ([]model.List, error) { return s.store.ListsOf(ctx, me) })
}

// ListsContaining returns the caller's lists that hold an account.
func (s *UserDataService) ListsContaining(ctx context.Context, c *Caller, accountID int64) ([]model.List, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	ls, err := s.store.ListsContaining(ctx, me.ID, accountID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return ls, nil
}

// UpdateList changes one of the caller's lists.
func (s *UserDataService) UpdateList(ctx context.Context, c *Caller, listID int64, p ListParams) (*model.List, error) {
	l, err := s.List(ctx, c, listID)
	if err != nil {
		return nil, err
	}
	if err := applyListParams(l, p); err != nil {
		return nil, err
	}
	if err := s.store.UpdateList(ctx, l); err != nil {
		return nil, storeErr(err)
	}
	return l, nil
}

// DeleteList removes one of the caller's lists.
func (s *UserDataService) DeleteList(ctx context.Context, c *Caller, listID int64) error {
	return changeOwn(c, func(me int64) error { return s.store.DeleteList(ctx, me, listID) })
}

// ListAccounts pages through the accounts of one of the caller's lists.
func (s *UserDataService) ListAccounts(ctx context.Context, c *Caller, listID int64, p model.Page) ([]int64, error) {
	l, err := s.List(ctx, c, listID)
	if err != nil {
		return nil, err
	}
	ids, err := s.store.ListMembers(ctx, l.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return ids, nil
}

// AddListAccounts adds accounts the caller follows to a list.
func (s *UserDataService) AddListAccounts(ctx context.Context, c *Caller, listID int64, accountIDs []int64) error {
	l, err := s.List(ctx, c, listID)
	if err != nil {
		return err
	}
	found, err := s.store.AccountsByIDs(ctx, accountIDs)
	if err != nil {
		return herr.Internal(err)
	}
	for _, id := range accountIDs {
		if found[id] == nil {
			return herr.NotFound("account")
		}
	}
	err = s.store.AddListMembers(ctx, l.AccountID, l.ID, accountIDs)
	if errors.Is(err, storage.ErrConflict) {
		return herr.Unprocessable("Validation failed: Account must be followed before being added to a list")
	}
	if err != nil {
		return storeErr(err)
	}
	return nil
}

// RemoveListAccounts removes accounts from one of the caller's lists.
func (s *UserDataService) RemoveListAccounts(ctx context.Context, c *Caller, listID int64, accountIDs []int64) error {
	l, err := s.List(ctx, c, listID)
	if err != nil {
		return err
	}
	if err := s.store.RemoveListMembers(ctx, l.AccountID, l.ID, accountIDs); err != nil {
		return storeErr(err)
	}
	return nil
}

// --- filters ---

// FilterContexts are where a filter may apply.
var FilterContexts = []string{"home", "notifications", "public", "thread", "account"}

// KeywordParam is one entry of keywords_attributes.
type KeywordParam struct {
	ID        int64
	Keyword   string
	WholeWord *bool
	Destroy   bool
}

// FilterParams creates or changes a v2 filter; nil fields stay as they are.
type FilterParams struct {
	Title   *string
	Context []string // nil: unchanged
	Action  *string
	// ExpiresIn in seconds; set with SetExpiry (0: never).
	SetExpiry bool
	ExpiresIn int64
	Keywords  []KeywordParam
}

func validContext(ctxs []string) ([]string, error) {
	var out []string
	for _, c := range ctxs {
		if !slices.Contains(FilterContexts, c) {
			return nil, herr.Unprocessable("Validation failed: Context contains invalid values")
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, herr.Unprocessable("Validation failed: Context can't be blank")
	}
	return out, nil
}

func validAction(a string) error {
	switch a {
	case "warn", "hide", "blur":
		return nil
	}
	return herr.Unprocessable("Validation failed: Filter action is not included in the list")
}

func validKeyword(k string) (string, error) {
	k = strings.TrimSpace(k)
	if k == "" {
		return "", herr.Unprocessable("Validation failed: Keyword can't be blank")
	}
	if len([]rune(k)) > 512 {
		return "", herr.Unprocessable("Validation failed: Keyword is too long")
	}
	return k, nil
}

func expiry(seconds int64) *time.Time {
	if seconds <= 0 {
		return nil
	}
	t := time.Now().Add(time.Duration(seconds) * time.Second).UTC()
	return &t
}

// CreateFilter makes a v2 filter with its keywords.
func (s *UserDataService) CreateFilter(ctx context.Context, c *Caller, p FilterParams) (*model.Filter, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	f := &model.Filter{AccountID: me.ID, Action: "warn"}
	if p.Title != nil {
		f.Title = strings.TrimSpace(*p.Title)
	}
	if f.Title == "" {
		return nil, herr.Unprocessable("Validation failed: Title can't be blank")
	}
	if f.Context, err = validContext(p.Context); err != nil {
		return nil, err
	}
	if p.Action != nil && *p.Action != "" {
		if err := validAction(*p.Action); err != nil {
			return nil, err
		}
		f.Action = *p.Action
	}
	if p.SetExpiry {
		f.ExpiresAt = expiry(p.ExpiresIn)
	}
	for _, k := range p.Keywords {
		if k.Destroy {
			continue
		}
		kw, err := validKeyword(k.Keyword)
		if err != nil {
			return nil, err
		}
		f.Keywords = append(f.Keywords, model.FilterKeyword{Keyword: kw, WholeWord: k.WholeWord == nil || *k.WholeWord})
	}
	if err := s.store.CreateFilter(ctx, f); err != nil {
		return nil, herr.Internal(err)
	}
	s.filtersChanged(c)
	return s.Filter(ctx, c, f.ID)
}

// Filter returns one of the caller's filters.
func (s *UserDataService) Filter(ctx context.Context, c *Caller, filterID int64) (*model.Filter, error) {
	return own(c, func(me int64) (*model.Filter, error) { return s.store.FilterByID(ctx, me, filterID) })
}

// Filters returns the caller's filters.
func (s *UserDataService) Filters(ctx context.Context, c *Caller) ([]*model.Filter, error) {
	return own(c, func(me int64) ([]*model.Filter, error) { return s.store.FiltersOf(ctx, me) })
}

// UpdateFilter changes a v2 filter and its keywords (keywords_attributes
// with id update, with _destroy delete, without id add).
func (s *UserDataService) UpdateFilter(ctx context.Context, c *Caller, filterID int64, p FilterParams) (*model.Filter, error) {
	f, err := s.Filter(ctx, c, filterID)
	if err != nil {
		return nil, err
	}
	u := storage.FilterUpdate{SetExpiry: p.SetExpiry, ExpiresAt: expiry(p.ExpiresIn)}
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		if t == "" {
			return nil, herr.Unprocessable("Validation failed: Title can't be blank")
		}
		u.Title = &t
	}
	if p.Context != nil {
		if u.Context, err = validContext(p.Context); err != nil {
			return nil, err
		}
	}
	if p.Action != nil && *p.Action != "" {
		if err := validAction(*p.Action); err != nil {
			return nil, err
		}
		u.Action = p.Action
	}
	existing := map[int64]model.FilterKeyword{}
	for _, k := range f.Keywords {
		existing[k.ID] = k
	}
	for _, k := range p.Keywords {
		switch {
		case k.ID != 0 && k.Destroy:
			if _, ok := existing[k.ID]; !ok {
				return nil, herr.NotFound("keyword")
			}
			u.DeleteKeywords = append(u.DeleteKeywords, k.ID)
		case k.ID != 0:
			old, ok := existing[k.ID]
			if !ok {
				return nil, herr.NotFound("keyword")
			}
			if strings.TrimSpace(k.Keyword) != "" {
				old.Keyword = strings.TrimSpace(k.Keyword)
			}
			if k.WholeWord != nil {
				old.WholeWord = *k.WholeWord
			}
			u.UpdateKeywords = append(u.UpdateKeywords, old)
		case k.Destroy:
		default:
			kw, err := validKeyword(k.Keyword)
			if err != nil {
				return nil, err
			}
			u.AddKeywords = append(u.AddKeywords, model.FilterKeyword{Keyword: kw, WholeWord: k.WholeWord == nil || *k.WholeWord})
		}
	}
	nf, err := s.store.UpdateFilter(ctx, f.AccountID, f.ID, u)
	if err != nil {
		return nil, storeErr(err)
	}
	s.filtersChanged(c)
	return nf, nil
}

// DeleteFilter removes one of the caller's filters.
func (s *UserDataService) DeleteFilter(ctx context.Context, c *Caller, filterID int64) error {
	if err := changeOwn(c, func(me int64) error { return s.store.DeleteFilter(ctx, me, filterID) }); err != nil {
		return err
	}
	s.filtersChanged(c)
	return nil
}

// AddFilterKeyword adds a keyword to one of the caller's filters.
func (s *UserDataService) AddFilterKeyword(ctx context.Context, c *Caller, filterID int64, keyword string, wholeWord bool) (*model.FilterKeyword, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	kw, err := validKeyword(keyword)
	if err != nil {
		return nil, err
	}
	k := &model.FilterKeyword{FilterID: filterID, Keyword: kw, WholeWord: wholeWord}
	if err := s.store.AddFilterKeyword(ctx, me.ID, k); err != nil {
		return nil, storeErr(err)
	}
	s.filtersChanged(c)
	return k, nil
}

// FilterKeyword returns a keyword of one of the caller's filters.
func (s *UserDataService) FilterKeyword(ctx context.Context, c *Caller, keywordID int64) (*model.FilterKeyword, error) {
	return own(c, func(me int64) (*model.FilterKeyword, error) { return s.store.FilterKeywordByID(ctx, me, keywordID) })
}

// UpdateFilterKeyword changes a keyword; nil/empty leaves a part as it is.
func (s *UserDataService) UpdateFilterKeyword(ctx context.Context, c *Caller, keywordID int64, keyword *string, wholeWord *bool) (*model.FilterKeyword, error) {
	k, err := s.FilterKeyword(ctx, c, keywordID)
	if err != nil {
		return nil, err
	}
	if keyword != nil {
		if k.Keyword, err = validKeyword(*keyword); err != nil {
			return nil, err
		}
	}
	if wholeWord != nil {
		k.WholeWord = *wholeWord
	}
	if err := s.store.UpdateFilterKeyword(ctx, c.Account.ID, k); err != nil {
		return nil, storeErr(err)
	}
	s.filtersChanged(c)
	return k, nil
}

// DeleteFilterKeyword removes a keyword from one of the caller's filters.
func (s *UserDataService) DeleteFilterKeyword(ctx context.Context, c *Caller, keywordID int64) error {
	if err := changeOwn(c, func(me int64) error { return s.store.DeleteFilterKeyword(ctx, me, keywordID, false) }); err != nil {
		return err
	}
	s.filtersChanged(c)
	return nil
}

// AddFilterStatus adds a status to one of the caller's filters.
func (s *UserDataService) AddFilterStatus(ctx context.Context, c *Caller, filterID, statusID int64) (*model.FilterStatus, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	if _, err := s.Filter(ctx, c, filterID); err != nil {
		return nil, err
	}
	if _, err := s.store.StatusByID(ctx, statusID); err != nil {
		return nil, storeErr(err)
	}
	fs := &model.FilterStatus{FilterID: filterID, StatusID: statusID}
	err = s.store.AddFilterStatus(ctx, me.ID, fs)
	if errors.Is(err, storage.ErrConflict) {
		return nil, herr.Unprocessable("Validation failed: Status has already been taken")
	}
	if err != nil {
		return nil, storeErr(err)
	}
	s.filtersChanged(c)
	return fs, nil
}

// FilterStatus returns a status filter of one of the caller's filters.
func (s *UserDataService) FilterStatus(ctx context.Context, c *Caller, id int64) (*model.FilterStatus, error) {
	return own(c, func(me int64) (*model.FilterStatus, error) { return s.store.FilterStatusByID(ctx, me, id) })
}

// DeleteFilterStatus removes a status from one of the caller's filters.
func (s *UserDataService) DeleteFilterStatus(ctx context.Context, c *Caller, id int64) error {
	if err := changeOwn(c, func(me int64) error { return s.store.DeleteFilterStatus(ctx, me, id) }); err != nil {
		return err
	}
	s.filtersChanged(c)
	return nil
}

// DeleteFilterKeywordAndEmptyFilter removes a keyword from one of the
// caller's filters, and the filter when nothing else is left in it (the
// v1 API's delete).
func (s *UserDataService) DeleteFilterKeywordAndEmptyFilter(ctx context.Context, c *Caller, keywordID int64) error {
	if err := changeOwn(c, func(me int64) error { return s.store.DeleteFilterKeyword(ctx, me, keywordID, true) }); err != nil {
		return err
	}
	s.filtersChanged(c)
	return nil
}

// --- markers ---

// MarkerTimelines are the timelines that keep a read marker.
var MarkerTimelines = []string{"home", "notifications"}

// Markers returns the caller's markers among timelines (all when empty).
func (s *UserDataService) Markers(ctx context.Context, c *Caller, timelines []string) ([]model.Marker, error) {
	return own(c, func(me int64) ([]model.Marker, error) { return s.store.MarkersOf(ctx, me, timelines) })
}

// SetMarkers saves read positions, timeline → last read id.
func (s *UserDataService) SetMarkers(ctx context.Context, c *Caller, positions map[string]string) ([]model.Marker, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	var out []model.Marker
	for _, tl := range MarkerTimelines {
		last, ok := positions[tl]
		if !ok {
			continue
		}
		last = strings.TrimSpace(last)
		if last == "" {
			return nil, herr.Unprocessable("Validation failed: Last read can't be blank")
		}
		m, err := s.store.SetMarker(ctx, me.ID, tl, last)
		if err != nil {
			return nil, herr.Internal(err)
		}
		out = append(out, *m)
	}
	return out, nil
}

// filtersChanged tells the caller's open streams that their filters changed
// (Mastodon's filters_changed event), after a successful change.
func (s *UserDataService) filtersChanged(c *Caller) { s.notify(ChangeFilters, c.AccountID(), 0) }
