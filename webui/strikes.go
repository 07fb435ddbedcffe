package webui

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

// Strikes: a user's moderation warnings with their statement of reasons
// (action, the moderator's text, the posts concerned, the rules broken)
// and the appeal; and the console's list of appeals for staff with
// Manage Appeals. Every rule is core's (appeals.go).

func strikeLabel(action string) string { return core.StrikeLabel(action) }

// strikeTitle is strikeLabel as a heading: its first letter capitalised.
func strikeTitle(action string) string {
	l := strikeLabel(action)
	if l == "" {
		return l
	}
	return strings.ToUpper(l[:1]) + l[1:]
}

func (w *UI) settingsStrikes(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	strikes, err := w.svc.Strikes(c.Request().Context(), w.caller(c), pg)
	if err != nil {
		return w.fail(c, err)
	}
	return w.settingsPage(c, "strikes", "Strikes", page{"Strikes": strikes})
}

func (w *UI) settingsAppealSubmit(c echo.Context) error {
	id := idParam(c)
	if _, err := w.svc.Appeal(c.Request().Context(), w.caller(c), id, c.FormValue("text")); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/settings/strikes#strike-"+strconv.FormatInt(id, 10), "Your appeal was sent to the moderators.")
}

func (w *UI) adminAppeals(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	decided := c.QueryParam("decided") == "1"
	accountID, _ := strconv.ParseInt(c.QueryParam("account_id"), 10, 64)
	items, err := w.svc.AdminAppeals(c.Request().Context(), w.caller(c), !decided, accountID, pg)
	if err != nil {
		return w.fail(c, err)
	}
	return w.admin(c, "appeals", "Appeals", page{"Appeals": items, "Decided": decided})
}

func (w *UI) adminAppealSubmit(c echo.Context) error {
	approve := c.Param("op") == "approve"
	if !approve && c.Param("op") != "reject" {
		return w.fail(c, herr.NotFound("page"))
	}
	if _, err := w.svc.DecideAppeal(c.Request().Context(), w.caller(c), idParam(c), approve); err != nil {
		return w.fail(c, err)
	}
	msg := "Appeal rejected."
	if approve {
		msg = "Appeal approved: the action was reversed where it could be."
	}
	return w.done(c, "/admin/appeals", msg)
}
