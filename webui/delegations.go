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
