package webui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// accountRow is one account in a list of the web client, with its Follow
// button (the follow_button partial's data).
type accountRow struct {
	Account *model.Account
	Rel     *model.Relationship
	URL     string // where the web client shows it
	CSRF    any
	Back    string
}

// search is the web client's search: accounts (a full address, or a
// profile URL, resolves a remote account through core), hashtags, and a
// post by its URL. Herald has no full-text search of posts.
func (w *UI) search(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 500 {
		q = q[:500]
	}
	back := "/search?q=" + url.QueryEscape(q)
	d := page{"Title": "Search", "Query": q, "ReturnTo": back}
	if q == "" {
		return w.render(c, http.StatusOK, "search", d)
	}
	var accs []*model.Account
	if strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://") {
		if a, st := w.resolveURL(ctx, cl, q); a != nil {
			accs = append(accs, a)
		} else if st != nil {
			if v, err := w.svc.View(ctx, cl.Account.ID, []*model.Status{st}, core.ViewOptions{}); err == nil {
				d["Items"] = w.items(v, cl)
			}
		}
	} else {
		var err error
		if accs, err = w.svc.SearchAccounts(ctx, cl, q, true, false, 20, 0); err != nil {
			return w.fail(c, err)
		}
		tags, err := w.svc.SearchHashtags(ctx, q, 10, 0)
		if err != nil {
			return w.fail(c, err)
		}
		d["Tags"] = tags
	}
	d["Accounts"] = w.accountRows(c, cl, accs, back)
	d["Searched"] = true
	return w.render(c, http.StatusOK, "search", d)
}

// accountRows adds the relationships (one query for the page) and links.
func (w *UI) accountRows(c echo.Context, cl *core.Caller, accs []*model.Account, back string) []accountRow {
	ids := make([]int64, 0, len(accs))
	for _, a := range accs {
		ids = append(ids, a.ID)
	}
	rels := map[int64]*model.Relationship{}
	if len(ids) > 0 {
		if rs, err := w.svc.Relationships(c.Request().Context(), cl.Account.ID, ids); err == nil {
			for i := range rs {
				rels[rs[i].TargetID] = &rs[i]
			}
		}
	}
	csrf := w.csrfToken(c)
	out := make([]accountRow, 0, len(accs))
	for _, a := range accs {
		r := accountRow{Account: a, CSRF: csrf, Back: back, URL: "/@" + a.Username}
		if !a.Local() {
			r.URL = "/authorize_interaction?uri=" + url.QueryEscape(a.URI)
		}
		if a.ID != cl.Account.ID {
			r.Rel = rels[a.ID]
		}
		out = append(out, r)
	}
	return out
}
