package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// ReportView is the moderators' view of reports, the one builder behind
// the admin API and the web console: the accounts each report names, its
// posts as they are, and its rules.
type ReportView struct {
	Reports []*model.Report
	// Accounts are the reporters, targets, assignees and the moderators
	// who took action, by id; an account that no longer exists is absent.
	Accounts map[int64]*storage.AdminAccount
	// Posts are the reported posts, whatever their visibility (moderators
	// judge them), with what rendering needs: authors, mentioned accounts,
	// boosted originals, media and cards.
	Posts *StatusView
	// Rules are the instance's rules, by id, for the rules reports cite.
	Rules map[int64]*model.Rule
}

// PostsOf returns the reported posts of r that still exist, in the
// report's order.
func (v *ReportView) PostsOf(r *model.Report) []*model.Status {
	byID := make(map[int64]*model.Status, len(v.Posts.Statuses))
	for _, st := range v.Posts.Statuses {
		byID[st.ID] = st
	}
	var out []*model.Status
	for _, id := range r.StatusIDs {
		if st := byID[id]; st != nil {
			out = append(out, st)
		}
	}
	return out
}

// ViewReports builds the moderators' view of reports (Manage Reports).
func (s *AdminService) ViewReports(ctx context.Context, c *Caller, rs []*model.Report) (*ReportView, error) {
	if err := s.Authorize(ctx, c, PermManageReports); err != nil {
		return nil, err
	}
	return s.viewReports(ctx, c.AccountID(), rs)
}

// viewReports builds the view for viewerID (0: nobody, as a webhook
// delivery renders a report).
func (s *AdminService) viewReports(ctx context.Context, viewerID int64, rs []*model.Report) (*ReportView, error) {
	v := &ReportView{Reports: rs, Accounts: map[int64]*storage.AdminAccount{}, Rules: map[int64]*model.Rule{}}
	var statusIDs []int64
	for _, r := range rs {
		for _, id := range []int64{r.AccountID, r.TargetAccountID, r.AssignedID, r.ActionTakenByID} {
			if _, done := v.Accounts[id]; id == 0 || done {
				continue
			}
			aa, err := s.store.AdminAccount(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, herr.Internal(err)
			}
			v.Accounts[id] = aa
		}
		statusIDs = append(statusIDs, r.StatusIDs...)
	}
	statusIDs = dedupeIDs(statusIDs)
	var sts []*model.Status
	if len(statusIDs) > 0 {
		m, err := s.store.StatusesByIDs(ctx, statusIDs)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for _, id := range statusIDs {
			if st := m[id]; st != nil {
				sts = append(sts, st)
			}
		}
	}
	posts, err := s.View(ctx, viewerID, sts, ViewOptions{moderator: true})
	if err != nil {
		return nil, err
	}
	v.Posts = posts
	var ruleIDs []int64
	for _, r := range rs {
		ruleIDs = append(ruleIDs, r.RuleIDs...)
	}
	if v.Rules, err = s.store.RulesByIDs(ctx, ruleIDs); err != nil {
		return nil, herr.Internal(err)
	}
	return v, nil
}
