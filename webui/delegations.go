package webui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Team access (delegation): the members of an account and its activity
// log, managed by the account's owner in the settings and by staff in the
// console, on one page (delegations.html). Core decides who may see and
// change what.

// delegationsPage renders the members and the activity log of accountID;
// base is the page's own path (forms post under it).
func (w *UI) delegationsPage(c echo.Context, accountID int64, base string, admin bool) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	members, err := w.svc.AccountDelegations(ctx, cl, accountID)
	if err != nil {
		return w.fail(c, err)
	}
	var member int64
	if v := c.QueryParam("member_id"); v != "" {
		if member, err = strconv.ParseInt(v, 10, 64); err != nil || member < 0 {
			return w.errorPage(c, http.StatusBadRequest, "Something went wrong", "Invalid member.")
		}
	}
	var maxID int64
	if v := c.QueryParam("max_id"); v != "" {
		if maxID, err = strconv.ParseInt(v, 10, 64); err != nil || maxID < 0 {
			return w.errorPage(c, http.StatusBadRequest, "Something went wrong", "Invalid page.")
		}
	}
	const limit = 40
	log, err := w.svc.DelegationLog(ctx, cl, accountID, member, model.Page{MaxID: maxID, Limit: limit})
	if err != nil {
		return w.fail(c, err)
	}
	var next int64
	if len(log) == limit {
		next = log[len(log)-1].ID
	}
	d := page{"Members": members, "Log": log, "MemberID": member, "Next": next, "Base": base,
		"Permissions": core.DelegationPermissions, "Admin": admin, "AccountID": accountID}
	if admin {
		aa, err := w.svc.AdminAccount(ctx, cl, accountID)
		if err != nil {
			return w.fail(c, err)
		}
		d["Account"] = aa.Account
		d["Title"], d["Tab"] = "Team access of @"+aa.Account.Acct(), "account"
	} else {
		d["Account"] = cl.Account
		d["Title"], d["Tab"] = "Team access", "delegations"
	}
	return w.render(c, http.StatusOK, "delegations", d)
}

// delegationSubmit grants (op "grant": member, permissions) or revokes
// (":member_id/revoke") access to accountID.
func (w *UI) delegationSubmit(c echo.Context, accountID int64, base string) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	if c.Param("member_id") != "" {
		member, err := strconv.ParseInt(c.Param("member_id"), 10, 64)
		if err != nil || member <= 0 {
			return w.errorPage(c, http.StatusNotFound, "Not found", "No such member.")
		}
		if err := w.svc.RevokeDelegation(ctx, cl, accountID, member); err != nil {
			return w.fail(c, err)
		}
		return w.done(c, base, "Access revoked.")
	}
	if err := c.Request().ParseForm(); err != nil {
		return w.errorPage(c, http.StatusBadRequest, "Something went wrong", "Invalid form.")
	}
	if _, err := w.svc.GrantDelegation(ctx, cl, accountID, c.FormValue("member"), c.Request().PostForm["permissions"]); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, base, "Access granted.")
}

func (w *UI) settingsDelegations(c echo.Context) error {
	return w.delegationsPage(c, w.caller(c).AccountID(), "/settings/delegations", false)
}

func (w *UI) settingsDelegationSubmit(c echo.Context) error {
	return w.delegationSubmit(c, w.caller(c).AccountID(), "/settings/delegations")
}

func (w *UI) adminDelegations(c echo.Context) error {
	return w.delegationsPage(c, idParam(c), "/admin/accounts/"+c.Param("id")+"/delegations", true)
}

func (w *UI) adminDelegationSubmit(c echo.Context) error {
	return w.delegationSubmit(c, idParam(c), "/admin/accounts/"+c.Param("id")+"/delegations")
}

// delegationPermText says what a delegation's permission lets a member do.
func delegationPermText(p string) string {
	switch p {
	case core.DelegationPost:
		return "Post and reply"
	case core.DelegationInteract:
		return "Boost, favourite, follow"
	case core.DelegationDirect:
		return "Read and answer direct messages"
	case core.DelegationProfile:
		return "Edit the profile"
	}
	return p
}

// actor is who the web client acts as: the account the user switched to,
// or the user. Settings and the console always act for the user.
func (w *UI) actor(c echo.Context) *core.Caller {
	if s := w.session(c); s != nil {
		if s.acting != nil {
			return s.acting
		}
		return s.caller
	}
	return nil
}

// switcherData adds the account switcher to a page of a member of shared
// accounts: the choices, and the account acted as (shown on every page).
func (w *UI) switcherData(c echo.Context, cl *core.Caller, data page) {
	ds, err := w.svc.MyDelegations(c.Request().Context(), cl)
	if err != nil || len(ds) == 0 {
		return
	}
	data["Switch"], data["Self"] = ds, cl.Account
	if s := w.session(c); s != nil && s.acting != nil {
		data["ActingAs"], data["Me"] = s.acting.Account, s.acting.Account
	}
}

// switchAccount makes the session act for the chosen account (0: the user).
func (w *UI) switchAccount(c echo.Context) error {
	s := w.session(c)
	id, err := strconv.ParseInt(c.FormValue("account_id"), 10, 64)
	if err != nil || id < 0 {
		return w.errorPage(c, http.StatusBadRequest, "Something went wrong", "Choose an account.")
	}
	if err := w.svc.SwitchAccount(c.Request().Context(), s.caller, s.id, id); err != nil {
		return w.fail(c, err)
	}
	msg := "You act as yourself again."
	if id != 0 && id != s.caller.AccountID() {
		msg = "You now act as the account you chose; what you do is logged with your name."
	}
	return w.done(c, "/home", msg)
}

// recordActing logs a write the web client made as a shared account (core
// ignores the user's own).
func (w *UI) recordActing(c echo.Context, cl *core.Caller, objectType string, objectID int64) {
	id := ""
	if objectID != 0 {
		id = strconv.FormatInt(objectID, 10)
	}
	w.svc.RecordDelegatedAction(c.Request().Context(), cl, "web "+c.Request().Method+" "+c.Path(), objectType, id)
}
