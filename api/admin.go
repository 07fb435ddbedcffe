package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The admin API: Mastodon's /api/v1/admin routes (accounts, reports,
// domain blocks and allows, IP, e-mail domain and canonical e-mail blocks)
// and Herald's own (roles, invites, settings, rules, announcements, the
// audit log, report notes, role assignment). The permission each needs is
// checked once, by the core method it calls (the web console calls the
// same ones).

// adminRoute registers an admin route: a user token with scope.
func (a *API) adminRoute(e *echo.Echo, method, path, scope string, h echo.HandlerFunc) {
	a.handle(e, method, path, h, user(scope))
}

// fail renders the errors that carry more than a message: Mastodon's
// validation details and the existing domain block.
func (a *API) fail(c echo.Context, err error) error {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": ve.Error(), "details": ve.Details})
	}
	var eb *core.ExistingDomainBlockError
	if errors.As(err, &eb) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": eb.Error(), "existing_domain_block": adminDomainBlock(eb.Block)})
	}
	return err
}

func (a *API) registerAdmin(e *echo.Echo) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	const (
		rAcc, wAcc = "admin:read:accounts", "admin:write:accounts"
		rRep, wRep = "admin:read:reports", "admin:write:reports"
		rDB, wDB   = "admin:read:domain_blocks", "admin:write:domain_blocks"
		rDA, wDA   = "admin:read:domain_allows", "admin:write:domain_allows"
		rIP, wIP   = "admin:read:ip_blocks", "admin:write:ip_blocks"
		rED, wED   = "admin:read:email_domain_blocks", "admin:write:email_domain_blocks"
		rCE, wCE   = "admin:read:canonical_email_blocks", "admin:write:canonical_email_blocks"
		rAd, wAd   = "admin:read", "admin:write"
	)

	// Accounts.
	a.adminRoute(e, get, "/api/v1/admin/accounts", rAcc, a.adminAccountsV1)
	a.adminRoute(e, get, "/api/v2/admin/accounts", rAcc, a.adminAccountsV2)
	a.adminRoute(e, get, "/api/v1/admin/accounts/:id", rAcc, a.adminGetAccount)
	a.adminRoute(e, del, "/api/v1/admin/accounts/:id", wAcc, a.adminDeleteAccount)
	a.adminRoute(e, post, "/api/v1/admin/accounts/:id/action", wAcc, a.adminAccountAction)
	// Herald's own: take down posts (delete or mark sensitive), from a
	// report or the account's page; Mastodon does it in its web console.
	a.adminRoute(e, post, "/api/v1/admin/status_actions", wRep, a.adminStatusAction)
	for _, op := range []string{"approve", "reject", "enable", "unsilence", "unsuspend", "unsensitive"} {
		a.adminRoute(e, post, "/api/v1/admin/accounts/:id/"+op, wAcc, a.adminAccountState(op))
	}
	a.adminRoute(e, post, "/api/v1/admin/accounts/:id/role", wAcc, a.adminAssignRole)
	a.adminRoute(e, get, "/api/v1/admin/accounts/:id/warnings", rAcc, a.adminAccountWarnings)

	// Reports.
	a.adminRoute(e, get, "/api/v1/admin/reports", rRep, a.adminReports)
	a.adminRoute(e, get, "/api/v1/admin/reports/:id", rRep, a.adminReport)
	a.adminRoute(e, put, "/api/v1/admin/reports/:id", wRep, a.adminUpdateReport)
	a.adminRoute(e, post, "/api/v1/admin/reports/:id/assign_to_self", wRep, a.adminReportOp("assign"))
	a.adminRoute(e, post, "/api/v1/admin/reports/:id/unassign", wRep, a.adminReportOp("unassign"))
	a.adminRoute(e, post, "/api/v1/admin/reports/:id/resolve", wRep, a.adminReportOp("resolve"))
	a.adminRoute(e, post, "/api/v1/admin/reports/:id/reopen", wRep, a.adminReportOp("reopen"))
	a.adminRoute(e, get, "/api/v1/admin/reports/:id/notes", rRep, a.adminReportNotes)
	a.adminRoute(e, post, "/api/v1/admin/reports/:id/notes", wRep, a.adminAddReportNote)
	a.adminRoute(e, del, "/api/v1/admin/reports/:id/notes/:note_id", wRep, a.adminDeleteReportNote)

	// Federation.
	a.adminRoute(e, get, "/api/v1/admin/domain_blocks", rDB, a.adminDomainBlocks)
	a.adminRoute(e, get, "/api/v1/admin/domain_blocks/:id", rDB, a.adminDomainBlock)
	a.adminRoute(e, post, "/api/v1/admin/domain_blocks", wDB, a.adminCreateDomainBlock)
	a.adminRoute(e, put, "/api/v1/admin/domain_blocks/:id", wDB, a.adminUpdateDomainBlock)
	a.adminRoute(e, del, "/api/v1/admin/domain_blocks/:id", wDB, a.adminDeleteDomainBlock)
	a.adminRoute(e, get, "/api/v1/admin/domain_allows", rDA, a.adminDomainAllows)
	a.adminRoute(e, get, "/api/v1/admin/domain_allows/:id", rDA, a.adminDomainAllow)
	a.adminRoute(e, post, "/api/v1/admin/domain_allows", wDA, a.adminCreateDomainAllow)
	a.adminRoute(e, del, "/api/v1/admin/domain_allows/:id", wDA, a.adminDeleteDomainAllow)

	// Address and e-mail blocks.
	a.adminRoute(e, get, "/api/v1/admin/ip_blocks", rIP, a.adminIPBlocks)
	a.adminRoute(e, get, "/api/v1/admin/ip_blocks/:id", rIP, a.adminIPBlock)
	a.adminRoute(e, post, "/api/v1/admin/ip_blocks", wIP, a.adminCreateIPBlock)
	a.adminRoute(e, put, "/api/v1/admin/ip_blocks/:id", wIP, a.adminUpdateIPBlock)
	a.adminRoute(e, del, "/api/v1/admin/ip_blocks/:id", wIP, a.adminDeleteIPBlock)
	a.adminRoute(e, get, "/api/v1/admin/email_domain_blocks", rED, a.adminEmailDomainBlocks)
	a.adminRoute(e, get, "/api/v1/admin/email_domain_blocks/:id", rED, a.adminEmailDomainBlock)
	a.adminRoute(e, post, "/api/v1/admin/email_domain_blocks", wED, a.adminCreateEmailDomainBlock)
	a.adminRoute(e, del, "/api/v1/admin/email_domain_blocks/:id", wED, a.adminDeleteEmailDomainBlock)
	a.adminRoute(e, get, "/api/v1/admin/canonical_email_blocks", rCE, a.adminCanonicalBlocks)
	a.adminRoute(e, get, "/api/v1/admin/canonical_email_blocks/:id", rCE, a.adminCanonicalBlock)
	a.adminRoute(e, post, "/api/v1/admin/canonical_email_blocks", wCE, a.adminCreateCanonicalBlock)
	a.adminRoute(e, post, "/api/v1/admin/canonical_email_blocks/test", rCE, a.adminTestCanonicalBlock)
	a.adminRoute(e, del, "/api/v1/admin/canonical_email_blocks/:id", wCE, a.adminDeleteCanonicalBlock)

	// Herald's own.
	a.adminRoute(e, get, "/api/v1/admin/audit_log", rAd, a.adminAuditLog)
	a.adminRoute(e, get, "/api/v1/admin/roles", rAd, a.adminRoles)
	a.adminRoute(e, get, "/api/v1/admin/roles/:id", rAd, a.adminRole)
	a.adminRoute(e, post, "/api/v1/admin/roles", wAd, a.adminCreateRole)
	a.adminRoute(e, put, "/api/v1/admin/roles/:id", wAd, a.adminUpdateRole)
	a.adminRoute(e, del, "/api/v1/admin/roles/:id", wAd, a.adminDeleteRole)
	a.adminRoute(e, get, "/api/v1/admin/invites", rAd, a.adminInvites)
	a.adminRoute(e, get, "/api/v1/admin/invites/:id", rAd, a.adminInvite)
	a.adminRoute(e, post, "/api/v1/admin/invites", wAd, a.adminCreateInvite)
	a.adminRoute(e, del, "/api/v1/admin/invites/:id", wAd, a.adminRevokeInvite)
	a.adminRoute(e, get, "/api/v1/admin/settings", rAd, a.adminSettings)
	a.adminRoute(e, put, "/api/v1/admin/settings", wAd, a.adminUpdateSettings)
	a.adminRoute(e, http.MethodPatch, "/api/v1/admin/settings", wAd, a.adminUpdateSettings)
	a.adminRoute(e, get, "/api/v1/admin/rules", rAd, a.adminRules)
	a.adminRoute(e, post, "/api/v1/admin/rules", wAd, a.adminCreateRule)
	a.adminRoute(e, put, "/api/v1/admin/rules/:id", wAd, a.adminUpdateRule)
	a.adminRoute(e, del, "/api/v1/admin/rules/:id", wAd, a.adminDeleteRule)
	a.adminRoute(e, get, "/api/v1/admin/announcements", rAd, a.adminAnnouncements)
	a.adminRoute(e, post, "/api/v1/admin/announcements", wAd, a.adminCreateAnnouncement)
	a.adminRoute(e, put, "/api/v1/admin/announcements/:id", wAd, a.adminUpdateAnnouncement)
	a.adminRoute(e, del, "/api/v1/admin/announcements/:id", wAd, a.adminDeleteAnnouncement)
}

// --- accounts ---

func (a *API) renderAdminAccounts(c echo.Context, p model.Page, list []*storage.AdminAccount) error {
	ctx := c.Request().Context()
	out := make([]AdminAccount, 0, len(list))
	for _, aa := range list {
		out = append(out, a.adminAccount(ctx, aa))
	}
	var newest, oldest int64
	if len(list) > 0 {
		newest, oldest = list[0].Account.ID, list[len(list)-1].Account.ID
	}
	setPageLink(c, p, newest, oldest)
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminAccountsV1(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	f := storage.AdminAccountFilter{Username: p.String("username"), DisplayName: p.String("display_name"),
		ByDomain: p.String("by_domain"), Email: p.String("email"), IP: p.String("ip"), Staff: p.BoolOr("staff", false)}
	switch {
	case p.BoolOr("local", false):
		f.Origin = "local"
	case p.BoolOr("remote", false):
		f.Origin = "remote"
	}
	for _, st := range []string{"active", "pending", "disabled", "silenced", "suspended", "sensitized"} {
		if p.BoolOr(st, false) {
			f.Status = st
		}
	}
	pg, err := page(c, 100, 200)
	if err != nil {
		return err
	}
	list, err := a.svc.AdminAccounts(c.Request().Context(), caller(c), f, pg)
	if err != nil {
		return err
	}
	return a.renderAdminAccounts(c, pg, list)
}

func (a *API) adminAccountsV2(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := params(c)
	if err != nil {
		return err
	}
	f := storage.AdminAccountFilter{Username: p.String("username"), DisplayName: p.String("display_name"),
		ByDomain: p.String("by_domain"), Email: p.String("email"), IP: p.String("ip"), Status: p.String("status")}
	switch p.String("origin") {
	case "local", "remote":
		f.Origin = p.String("origin")
	}
	switch f.Status {
	case "", "active", "pending", "disabled", "silenced", "suspended", "sensitized":
	default:
		return herr.Unprocessable("Validation failed: status is not included in the list")
	}
	if p.String("permissions") == "staff" {
		f.Staff = true
	}
	if f.InvitedBy, err = p.ID("invited_by"); err != nil {
		return err
	}
	for _, v := range p.Strings("role_ids") {
		// A malformed id is 0, which no role has: it matches no one.
		rid, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		f.RoleIDs = append(f.RoleIDs, rid)
	}
	pg, err := page(c, 100, 200)
	if err != nil {
		return err
	}
	list, err := a.svc.AdminAccounts(ctx, caller(c), f, pg)
	if err != nil {
		return err
	}
	return a.renderAdminAccounts(c, pg, list)
}

func (a *API) adminGetAccount(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	aa, err := a.svc.AdminAccount(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminAccount(c.Request().Context(), aa))
}

func (a *API) adminDeleteAccount(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	aa, err := a.svc.DeleteAccountData(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminAccount(c.Request().Context(), aa))
}

func (a *API) adminAccountAction(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	reportID, err := p.ID("report_id")
	if err != nil {
		return err
	}
	typ := p.String("type")
	if typ == "" {
		typ = "none"
	}
	err = a.svc.AccountAction(c.Request().Context(), caller(c), id, core.AccountActionParams{Type: typ, ReportID: reportID,
		Text: p.String("text"), SendEmail: p.BoolOr("send_email_notification", true)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) adminStatusAction(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	reportID, err := p.ID("report_id")
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range p.Strings("status_ids") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return herr.Unprocessable("Validation failed: status_ids must be post ids")
		}
		ids = append(ids, id)
	}
	w, err := a.svc.StatusAction(c.Request().Context(), caller(c), core.StatusActionParams{Type: p.String("type"), StatusIDs: ids,
		ReportID: reportID, Text: p.String("text"), SendEmail: p.BoolOr("send_email_notification", true)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.warnings(c.Request().Context(), []*model.AccountWarning{w})[0])
}

func (a *API) adminAccountState(op string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		aa, err := a.svc.AccountState(c.Request().Context(), caller(c), id, op)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a.adminAccount(c.Request().Context(), aa))
	}
}

func (a *API) adminAssignRole(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	role := p.String("role_id")
	if role == "" {
		role = p.String("role")
	}
	aa, err := a.svc.AssignRole(c.Request().Context(), caller(c), id, role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminAccount(c.Request().Context(), aa))
}

func (a *API) adminAccountWarnings(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	ws, err := a.svc.AdminAccountWarnings(c.Request().Context(), caller(c), id, pg)
	if err != nil {
		return err
	}
	if len(ws) > 0 {
		setPageLink(c, pg, ws[0].ID, ws[len(ws)-1].ID)
	}
	return c.JSON(http.StatusOK, a.warnings(c.Request().Context(), ws))
}

// --- reports ---

func (a *API) adminReports(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := params(c)
	if err != nil {
		return err
	}
	var f storage.ReportFilter
	if v, ok, err := p.Bool("resolved"); err != nil {
		return err
	} else if ok {
		f.Resolved = &v
	} else {
		open := false
		f.Resolved = &open
	}
	if f.AccountID, err = p.ID("account_id"); err != nil {
		return err
	}
	if f.TargetAccountID, err = p.ID("target_account_id"); err != nil {
		return err
	}
	f.TargetDomain = core.NormaliseDomain(p.String("by_target_domain"))
	pg, err := page(c, 100, 200)
	if err != nil {
		return err
	}
	rs, err := a.svc.AdminReports(ctx, caller(c), f, pg)
	if err != nil {
		return err
	}
	out, err := a.renderAdminReports(ctx, caller(c), rs)
	if err != nil {
		return err
	}
	if len(rs) > 0 {
		setPageLink(c, pg, rs[0].ID, rs[len(rs)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) renderAdminReport(c echo.Context, r *model.Report) error {
	out, err := a.renderAdminReports(c.Request().Context(), caller(c), []*model.Report{r})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out[0])
}

func (a *API) adminReport(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := a.svc.AdminReport(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return a.renderAdminReport(c, r)
}

func (a *API) adminUpdateReport(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	var cat *string
	if p.Has("category") {
		v := p.String("category")
		cat = &v
	}
	var rules *[]int64
	if p.Has("rule_ids") {
		v := splitIDs(p.Strings("rule_ids"))
		rules = &v
	}
	r, err := a.svc.UpdateReport(c.Request().Context(), caller(c), id, cat, rules)
	if err != nil {
		return err
	}
	return a.renderAdminReport(c, r)
}

func (a *API) adminReportOp(op string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var r *model.Report
		switch op {
		case "assign", "unassign":
			r, err = a.svc.AssignReport(ctx, caller(c), id, op == "assign")
		default:
			r, err = a.svc.ResolveReport(ctx, caller(c), id, op == "resolve")
		}
		if err != nil {
			return err
		}
		return a.renderAdminReport(c, r)
	}
}

func (a *API) reportNotes(c echo.Context, ns []*model.ReportNote) []ReportNote {
	var ids []int64
	for _, n := range ns {
		ids = append(ids, n.AccountID)
	}
	accs, _ := a.svc.AccountsByIDs(c.Request().Context(), ids)
	out := make([]ReportNote, 0, len(ns))
	for _, n := range ns {
		e := ReportNote{ID: idString(n.ID), Content: n.Content, CreatedAt: fmtTime(n.CreatedAt)}
		if acc, ok := accs[n.AccountID]; ok {
			x := a.account(acc)
			e.Account = &x
		}
		out = append(out, e)
	}
	return out
}

func (a *API) adminReportNotes(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ns, err := a.svc.ReportNotes(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.reportNotes(c, ns))
}

func (a *API) adminAddReportNote(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	n, err := a.svc.AddReportNote(ctx, caller(c), id, p.String("content"))
	if err != nil {
		return err
	}
	// Mastodon's "resolve with note" / "reopen with note".
	if v, ok, _ := p.Bool("resolve"); ok {
		if _, err := a.svc.ResolveReport(ctx, caller(c), id, v); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, a.reportNotes(c, []*model.ReportNote{n})[0])
}

func (a *API) adminDeleteReportNote(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	noteID, err := pathID(c, "note_id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteReportNote(c.Request().Context(), caller(c), id, noteID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// --- audit log ---

func (a *API) adminAuditLog(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	f := storage.AuditFilter{Action: p.String("action"), TargetType: p.String("target_type"), TargetID: p.String("target_id")}
	if f.AccountID, err = p.ID("account_id"); err != nil {
		return err
	}
	pg, err := page(c, 40, 200)
	if err != nil {
		return err
	}
	es, err := a.svc.AuditLog(c.Request().Context(), caller(c), f, pg)
	if err != nil {
		return err
	}
	if len(es) > 0 {
		setPageLink(c, pg, es[0].ID, es[len(es)-1].ID)
	}
	return c.JSON(http.StatusOK, a.auditEntries(c.Request().Context(), es))
}

// --- roles ---

func roleParams(p *Params) (core.RoleParams, error) {
	var rp core.RoleParams
	str := func(k string) *string {
		if !p.Has(k) {
			return nil
		}
		v := p.String(k)
		return &v
	}
	rp.Name, rp.Color = str("name"), str("color")
	if p.Has("permissions") {
		v, err := strconv.ParseUint(p.String("permissions"), 10, 64)
		if err != nil {
			return rp, herr.Unprocessable("Validation failed: permissions must be a number (a bitmask)")
		}
		rp.Permissions = &v
	}
	if p.Has("position") {
		v, err := strconv.Atoi(p.String("position"))
		if err != nil {
			return rp, herr.Unprocessable("Validation failed: position must be an integer")
		}
		rp.Position = &v
	}
	if v, ok, err := p.Bool("highlighted"); err != nil {
		return rp, err
	} else if ok {
		rp.Highlighted = &v
	}
	return rp, nil
}

func (a *API) adminRoles(c echo.Context) error {
	rs, err := a.svc.Roles(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]AdminRole, 0, len(rs))
	for _, r := range rs {
		out = append(out, adminRole(r))
	}
	return c.JSON(http.StatusOK, out)
}

// rolePathID reads a role id, which may be negative (-99: everyone).
func rolePathID(c echo.Context) (int64, error) {
	v, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || v == 0 {
		return 0, herr.NotFound("role")
	}
	return v, nil
}

func (a *API) adminRole(c echo.Context) error {
	id, err := rolePathID(c)
	if err != nil {
		return err
	}
	r, err := a.svc.Role(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminRole(r))
}

func (a *API) adminCreateRole(c echo.Context) error {
	return createRecord(c, roleParams, a.svc.CreateRole, adminRole)
}

func (a *API) adminUpdateRole(c echo.Context) error {
	id, err := rolePathID(c)
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	rp, err := roleParams(p)
	if err != nil {
		return err
	}
	r, err := a.svc.UpdateRole(c.Request().Context(), caller(c), id, rp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminRole(r))
}

func (a *API) adminDeleteRole(c echo.Context) error {
	id, err := rolePathID(c)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteRole(c.Request().Context(), caller(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// --- invites ---

func (a *API) adminInvites(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	pg, err := page(c, 40, 200)
	if err != nil {
		return err
	}
	list, err := a.svc.Invites(c.Request().Context(), caller(c), p.BoolOr("active", false), pg)
	if err != nil {
		return err
	}
	out := make([]Invite, 0, len(list))
	for _, inv := range list {
		e, err := a.inviteEntity(c.Request().Context(), inv)
		if err != nil {
			return err
		}
		out = append(out, e)
	}
	if len(list) > 0 {
		setPageLink(c, pg, list[0].ID, list[len(list)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminInvite(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	inv, err := a.svc.Invite(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	e, err := a.inviteEntity(c.Request().Context(), inv)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

// parseDuration reads seconds ("86400") or a duration ("7d", "12h").
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 100*365*86400 {
			return 0, herr.Unprocessable("Validation failed: expires_in is out of range")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := parseConfigDuration(s)
	if err != nil || d < 0 {
		return 0, herr.Unprocessable("Validation failed: expires_in must be a number of seconds or a duration such as 7d")
	}
	return d, nil
}

func (a *API) adminCreateInvite(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	maxUses := 0
	if s := p.String("max_uses"); s != "" {
		if maxUses, err = strconv.Atoi(s); err != nil {
			return herr.Unprocessable("Validation failed: max_uses must be an integer")
		}
	}
	exp, err := parseDuration(p.String("expires_in"))
	if err != nil {
		return err
	}
	inv, err := a.svc.CreateInvite(c.Request().Context(), caller(c), core.InviteParams{MaxUses: maxUses, ExpiresIn: exp,
		Role: p.String("role"), Comment: p.String("comment")})
	if err != nil {
		return err
	}
	e, err := a.inviteEntity(c.Request().Context(), inv)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (a *API) adminRevokeInvite(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	inv, err := a.svc.RevokeInvite(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	e, err := a.inviteEntity(c.Request().Context(), inv)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}
