package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Reporting a post from the web client: the form of Mastodon's report
// dialog (category, the rules broken, a comment, forwarding to a remote
// author's server); core's CreateReport checks and files it.

var reportCategoryChoices = []struct{ Key, Label string }{
	{"spam", "It is spam"},
	{"legal", "It is illegal"},
	{"violation", "It breaks this server's rules"},
	{"other", "Something else"},
}

// reportTarget is the post reported, seen by the account acted as.
func (w *UI) reportTarget(c echo.Context, cl *core.Caller) (*model.Status, *model.Account, []Item, error) {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := w.svc.Status(ctx, cl, id)
	if err != nil {
		return nil, nil, nil, err
	}
	author, err := w.svc.Account(ctx, st.AccountID)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := w.svc.View(ctx, cl.Account.ID, []*model.Status{st}, core.ViewOptions{})
	if err != nil {
		return nil, nil, nil, err
	}
	return st, author, w.items(v, cl), nil
}

func (w *UI) reportPage(c echo.Context) error {
	return w.renderReport(c, http.StatusOK, page{"Category": "spam"})
}

func (w *UI) renderReport(c echo.Context, status int, d page) error {
	cl := w.actor(c)
	st, author, items, err := w.reportTarget(c, cl)
	if err != nil || len(items) == 0 {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This post does not exist or is not visible to you.")
	}
	rules, _ := w.svc.Rules(c.Request().Context())
	d["Title"] = "Report a post"
	d["Post"] = items[0]
	d["Author"] = author
	d["Remote"] = !author.Local()
	d["Rules"] = rules
	d["Categories"] = reportCategoryChoices
	d["Action"] = "/statuses/" + strconv.FormatInt(st.ID, 10) + "/report"
	return w.render(c, status, "report", d)
}

func (w *UI) reportSubmit(c echo.Context) error {
	cl := w.actor(c)
	st, author, _, err := w.reportTarget(c, cl)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This post does not exist or is not visible to you.")
	}
	form, _ := c.FormParams()
	var rules []int64
	for _, v := range form["rule_ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return w.renderReport(c, http.StatusUnprocessableEntity, page{"Error": "Choose rules from the list.", "Category": c.FormValue("category")})
		}
		rules = append(rules, id)
	}
	category := c.FormValue("category")
	if category != "violation" {
		rules = nil // rules are only asked for a rule violation
	}
	p := core.ReportParams{AccountID: author.ID, StatusIDs: []int64{st.ID}, Comment: strings.TrimSpace(c.FormValue("comment")),
		Category: category, RuleIDs: rules, Forward: c.FormValue("forward") != "" && !author.Local()}
	if _, err := w.svc.CreateReport(c.Request().Context(), cl, p); err != nil {
		if he := asHerr(err); he != nil && he.Status < 500 && he.Status != http.StatusNotFound {
			return w.renderReport(c, he.Status, page{"Error": he.Msg, "Category": category, "Comment": p.Comment})
		}
		return w.fail(c, err)
	}
	return w.done(c, "/home", "Thank you: the report was sent to this server's moderators.")
}
