package core

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Appeals: the owner of a warned account disputes the warning once, within
// AppealWindow (Mastodon's disputes); a moderator with Manage Appeals
// approves it, which reverses the account action where it can be reversed
// (removed posts do not come back), or rejects it. The owner sees the
// decision with the warning (AccountWarning.appeal) and by mail when mail
// is set up.

// AppealWindow is how long after a warning it can be appealed (Mastodon: 20 days).
const AppealWindow = 20 * 24 * time.Hour

// appealTextLimit is the longest appeal (Mastodon: 2,000 characters).
const appealTextLimit = 2000

// WarningAppeals returns the appeals of warnings, by warning (for
// rendering warnings already authorised).
func (s *AdminService) WarningAppeals(ctx context.Context, warningIDs []int64) (map[int64]*model.Appeal, error) {
	m, err := s.store.AppealsByWarnings(ctx, warningIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return m, nil
}

// CanAppeal reports whether a warning can still be appealed (no appeal yet).
func CanAppeal(w *model.AccountWarning, a *model.Appeal, now time.Time) bool {
	return a == nil && now.Sub(w.CreatedAt) < AppealWindow
}

// Appeal files the caller's appeal of one of their warnings.
func (s *AdminService) Appeal(ctx context.Context, c *Caller, warningID int64, text string) (*model.Appeal, error) {
	w, err := s.AccountWarning(ctx, c, warningID)
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, herr.Unprocessable("Validation failed: Text can't be blank")
	}
	if len([]rune(text)) > appealTextLimit {
		return nil, herr.Unprocessable("Validation failed: Text is too long (maximum is 2000 characters)")
	}
	if time.Since(w.CreatedAt) >= AppealWindow {
		return nil, herr.Unprocessable("Validation failed: this decision can no longer be appealed (20 days have passed)")
	}
	a := &model.Appeal{AccountID: c.Account.ID, WarningID: w.ID, Text: text}
	if err := s.store.CreateAppeal(ctx, a); errors.Is(err, storage.ErrConflict) {
		return nil, herr.Unprocessable("Validation failed: this decision has been appealed already")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return a, nil
}

// AppealItem is an appeal with its warning, for moderators.
type AppealItem struct {
	Appeal  *model.Appeal
	Warning *model.AccountWarning
	Account *model.Account // the warned account
}

// AdminAppeals lists appeals (Manage Appeals), pending ones only when
// pending, of one account when accountID is not 0.
func (s *AdminService) AdminAppeals(ctx context.Context, c *Caller, pending bool, accountID int64, p model.Page) ([]AppealItem, error) {
	if err := s.Authorize(ctx, c, PermManageAppeals); err != nil {
		return nil, err
	}
	as, err := s.store.Appeals(ctx, pending, accountID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return s.appealItems(ctx, as)
}

func (s *AdminService) appealItems(ctx context.Context, as []*model.Appeal) ([]AppealItem, error) {
	var wids, aids []int64
	for _, a := range as {
		wids = append(wids, a.WarningID)
		aids = append(aids, a.AccountID)
	}
	ws, err := s.store.AccountWarningsByIDs(ctx, wids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	accs, err := s.store.AccountsByIDs(ctx, aids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make([]AppealItem, 0, len(as))
	for _, a := range as {
		if ws[a.WarningID] == nil || accs[a.AccountID] == nil {
			continue
		}
		out = append(out, AppealItem{Appeal: a, Warning: ws[a.WarningID], Account: accs[a.AccountID]})
	}
	return out, nil
}

// AdminAppeal returns one appeal (Manage Appeals).
func (s *AdminService) AdminAppeal(ctx context.Context, c *Caller, appealID int64) (*AppealItem, error) {
	if err := s.Authorize(ctx, c, PermManageAppeals); err != nil {
		return nil, err
	}
	a, err := s.store.AppealByID(ctx, appealID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("appeal")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	items, err := s.appealItems(ctx, []*model.Appeal{a})
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, herr.NotFound("appeal")
	}
	return &items[0], nil
}

// reversal is what undoes a warning's action on the account (none for
// warnings and removed posts; posts marked sensitive: unmarkWarned).
var reversal = map[string]string{"disable": "enable", "sensitive": "unsensitive", "silence": "unsilence", "suspend": "unsuspend"}

// DecideAppeal approves or rejects a pending appeal (Manage Appeals).
// Approving reverses the warning's account action, as Mastodon's does.
func (s *AdminService) DecideAppeal(ctx context.Context, c *Caller, appealID int64, approve bool) (*AppealItem, error) {
	it, err := s.AdminAppeal(ctx, c, appealID)
	if err != nil {
		return nil, err
	}
	if it.Appeal.State() != "pending" {
		return nil, herr.Unprocessable("This appeal has been decided already")
	}
	aa, err := s.adminAccount(ctx, it.Warning.TargetAccountID)
	if err != nil {
		return nil, err
	}
	if err := s.outranks(ctx, c, aa.User); err != nil {
		return nil, err
	}
	if err := s.store.DecideAppeal(ctx, appealID, c.AccountID(), approve); errors.Is(err, storage.ErrConflict) {
		return nil, herr.Unprocessable("This appeal has been decided already")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	verb := "reject_appeal"
	if approve {
		verb = "approve_appeal"
		if op := reversal[it.Warning.Action]; op != "" {
			if err := s.reverseAction(ctx, aa, op); err != nil {
				return nil, err
			}
		}
		if it.Warning.Action == "mark_statuses_as_sensitive" {
			if err := s.unmarkWarned(ctx, it.Warning); err != nil {
				return nil, err
			}
		}
	}
	s.audit(ctx, c, verb, "Appeal", itoa64(appealID), strings.ReplaceAll(verb, "_", " ")+" of @"+aa.Account.Acct())
	if aa.User != nil {
		decision := "rejected: the decision stands"
		if approve {
			decision = "approved: the decision was reversed"
		}
		_ = s.sendMail(ctx, []string{aa.User.Email}, "Your appeal on "+s.siteTitle(),
			"Hello @"+aa.Account.Username+",\n\nYour appeal of a moderation decision was "+decision+".\n\nSee it at "+s.Base()+"/settings/strikes")
	}
	return s.AdminAppeal(ctx, c, appealID)
}

// unmarkWarned lifts the sensitive marks a "marked sensitive" warning
// applied, as Mastodon's appeal approval does; posts that were sensitive
// before the action, and posts deleted since, are left as they are.
// Deleted posts (a "delete_statuses" warning) cannot come back.
func (s *AdminService) unmarkWarned(ctx context.Context, w *model.AccountWarning) error {
	before := map[int64]bool{}
	for _, ws := range w.Statuses {
		before[ws.ID] = ws.Sensitive
	}
	sts, err := s.store.StatusesByIDs(ctx, w.StatusIDs)
	if err != nil {
		return herr.Internal(err)
	}
	for _, id := range w.StatusIDs {
		st := sts[id]
		if st == nil || before[id] {
			continue
		}
		if err := s.setSensitive(ctx, st, false); err != nil && herr.As(err).Status != 404 {
			return err
		}
	}
	return nil
}

// reverseAction undoes an account action (as AccountState's unsuspend,
// unsilence, unsensitive, enable).
func (s *AdminService) reverseAction(ctx context.Context, aa *storage.AdminAccount, op string) error {
	f := false
	var m storage.AccountModeration
	var events []model.OutboxEvent
	switch op {
	case "unsuspend":
		m.Suspended = &f
		if aa.Account.Local() && aa.Account.SuspendedAt != nil {
			events = append(events, model.OutboxEvent{Kind: model.EventAccountUpdate, AccountID: aa.Account.ID, ObjectID: aa.Account.ID})
		}
	case "unsilence":
		m.Silenced = &f
	case "unsensitive":
		m.Sensitive = &f
	case "enable":
		if aa.User == nil {
			return nil
		}
		m.Disabled = &f
	}
	if err := s.store.ModerateAccount(ctx, aa.Account.ID, m, nil, nil, events); err != nil {
		return herr.Internal(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	s.moderationWebhooks(ctx, aa.Account, m, nil)
	return nil
}

// Strike is a warning as its owner's strikes page shows it: the posts
// concerned as they were (or, before snapshots were kept, as they are),
// the rules the report named, and the appeal.
type Strike struct {
	Warning   *model.AccountWarning
	Posts     []model.WarnedStatus
	Rules     []*model.Rule
	Appeal    *model.Appeal
	CanAppeal bool
}

// Strikes lists the caller's warnings for their strikes page.
func (s *AdminService) Strikes(ctx context.Context, c *Caller, p model.Page) ([]Strike, error) {
	ws, err := s.AccountWarnings(ctx, c, p)
	if err != nil {
		return nil, err
	}
	var wids, rids, sids []int64
	for _, w := range ws {
		wids = append(wids, w.ID)
		if w.ReportID != 0 {
			rids = append(rids, w.ReportID)
		}
		if len(w.Statuses) == 0 {
			sids = append(sids, w.StatusIDs...)
		}
	}
	appeals, err := s.store.AppealsByWarnings(ctx, wids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	reports, err := s.store.ReportsByIDs(ctx, rids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	current, err := s.store.StatusesByIDs(ctx, sids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var ruleIDs []int64
	for _, r := range reports {
		ruleIDs = append(ruleIDs, r.RuleIDs...)
	}
	rules, err := s.store.RulesByIDs(ctx, ruleIDs) // deleted ones too: the rule cited then
	if err != nil {
		return nil, herr.Internal(err)
	}
	now := time.Now()
	out := make([]Strike, 0, len(ws))
	for _, w := range ws {
		st := Strike{Warning: w, Posts: w.Statuses, Appeal: appeals[w.ID]}
		st.CanAppeal = CanAppeal(w, st.Appeal, now)
		if len(w.Statuses) == 0 {
			for _, id := range w.StatusIDs {
				// Only the caller's own posts: a warning names no others.
				if cur := current[id]; cur != nil && cur.AccountID == w.TargetAccountID {
					st.Posts = append(st.Posts, model.WarnedStatus{ID: cur.ID, URI: cur.URI, Content: cur.Content,
						SpoilerText: cur.SpoilerText, CreatedAt: cur.CreatedAt})
				}
			}
		}
		if r := reports[w.ReportID]; r != nil {
			for _, id := range r.RuleIDs {
				if rule := rules[id]; rule != nil {
					st.Rules = append(st.Rules, rule)
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// StrikeLabel says in words what a warning's action did.
func StrikeLabel(action string) string { return warningLabel(action) }
