package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// NotificationGroup is Mastodon's entity (grouped notifications).
type NotificationGroup struct {
	GroupKey                 string   `json:"group_key"`
	NotificationsCount       int64    `json:"notifications_count"`
	Type                     string   `json:"type"`
	MostRecentNotificationID string   `json:"most_recent_notification_id"`
	PageMinID                string   `json:"page_min_id,omitempty"`
	PageMaxID                string   `json:"page_max_id,omitempty"`
	LatestPageNotificationAt string   `json:"latest_page_notification_at,omitempty"`
	SampleAccountIDs         []string `json:"sample_account_ids"`
	StatusID                 *string  `json:"status_id,omitempty"`
	// Report and ModerationWarning: of admin.report and moderation_warning
	// (never grouped: one notification each).
	Report            *Report         `json:"report,omitempty"`
	ModerationWarning *AccountWarning `json:"moderation_warning,omitempty"`
}

// GroupedNotificationsResults is Mastodon's entity.
type GroupedNotificationsResults struct {
	Accounts           []Account           `json:"accounts"`
	Statuses           []Status            `json:"statuses"`
	NotificationGroups []NotificationGroup `json:"notification_groups"`
}

func (a *API) groupedResults(gp *core.GroupedPage) GroupedNotificationsResults {
	out := GroupedNotificationsResults{Accounts: []Account{}, Statuses: []Status{}, NotificationGroups: []NotificationGroup{}}
	seenAcc, seenSt := map[int64]bool{}, map[int64]bool{}
	byID := map[int64]*model.Notification{}
	for _, n := range gp.Page.Notifications {
		byID[n.ID] = n
	}
	for _, g := range gp.Groups {
		e := NotificationGroup{GroupKey: g.Key, NotificationsCount: g.Count, Type: g.Type,
			MostRecentNotificationID: idString(g.MostRecentID), PageMinID: idString(g.PageMinID), PageMaxID: idString(g.PageMaxID),
			LatestPageNotificationAt: fmtTime(g.LatestAt), SampleAccountIDs: []string{}}
		for _, id := range g.SampleAccountIDs {
			acc := gp.Page.Accounts[id]
			if acc == nil {
				continue
			}
			e.SampleAccountIDs = append(e.SampleAccountIDs, idString(id))
			if !seenAcc[id] {
				seenAcc[id] = true
				out.Accounts = append(out.Accounts, a.account(acc))
			}
		}
		if st := gp.Page.Statuses[g.StatusID]; st != nil {
			if s, ok := a.status(gp.Page.View, st); ok {
				e.StatusID = &s.ID
				if !seenSt[st.ID] {
					seenSt[st.ID] = true
					out.Statuses = append(out.Statuses, s)
				}
			}
		}
		if n := byID[g.MostRecentID]; n != nil && (n.Type == core.NotifyAdminReport || n.Type == core.NotifyModerationWarning) {
			if r := gp.Page.Reports[n.ReportID]; r != nil {
				re := a.reportEntity(r, gp.Page.Accounts[r.TargetAccountID])
				e.Report = &re
			}
			if w := gp.Page.Warnings[n.WarningID]; w != nil {
				we := a.warningEntity(w, gp.Page.Accounts[w.TargetAccountID], gp.Page.Appeals[w.ID])
				e.ModerationWarning = &we
			}
		}
		out.NotificationGroups = append(out.NotificationGroups, e)
	}
	return out
}

func notificationFilter(p *Params) (storage.NotificationFilter, []string, error) {
	f := storage.NotificationFilter{ExcludeTypes: p.Strings("exclude_types")}
	if p.Has("types") {
		f.Types = p.Strings("types")
		if f.Types == nil {
			f.Types = []string{}
		}
	}
	var grouped []string
	if p.Has("grouped_types") {
		grouped = p.Strings("grouped_types")
		if grouped == nil {
			grouped = []string{}
		}
	}
	var err error
	f.FromAccount, err = p.ID("account_id")
	return f, grouped, err
}

func (a *API) groupedNotifications(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	f, grouped, err := notificationFilter(p)
	if err != nil {
		return err
	}
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	gp, err := a.svc.GroupedNotifications(c.Request().Context(), caller(c), f, grouped, pg)
	if err != nil {
		return err
	}
	setPageLink(c, pg, gp.Newest, gp.Oldest)
	return c.JSON(http.StatusOK, a.groupedResults(gp))
}

func (a *API) notificationGroup(c echo.Context) error {
	gp, err := a.svc.NotificationGroupByKey(c.Request().Context(), caller(c), c.Param("group_key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.groupedResults(gp))
}

func (a *API) groupAccounts(c echo.Context) error {
	accs, err := a.svc.NotificationGroupAccounts(c.Request().Context(), caller(c), c.Param("group_key"))
	if err != nil {
		return err
	}
	out := make([]Account, 0, len(accs))
	for _, acc := range accs {
		out = append(out, a.account(acc))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) dismissGroup(c echo.Context) error {
	if err := a.svc.DismissNotificationGroup(c.Request().Context(), caller(c), c.Param("group_key")); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) unreadGroups(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	f, grouped, err := notificationFilter(p)
	if err != nil {
		return err
	}
	limit, err := p.Int("limit", 100, 1, core.MaxUnreadCount)
	if err != nil {
		return err
	}
	n, err := a.svc.UnreadNotificationGroups(c.Request().Context(), caller(c), f, grouped, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"count": n})
}
