package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// searchResults is Mastodon's Search entity.
type searchResults struct {
	Accounts []Account `json:"accounts"`
	Statuses []any     `json:"statuses"`
	Hashtags []Tag     `json:"hashtags"`
}

// search is GET /api/v2/search: accounts by acct or name prefix, hashtags
// by prefix, and an account (or status) resolved from a URL.
func (a *API) search(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cl := caller(c)
	q := strings.TrimSpace(p.String("q"))
	typ := p.String("type")
	resolve := p.BoolOr("resolve", false)
	limit, err := p.Int("limit", 20, 1, 40)
	if err != nil {
		return err
	}
	offset, err := p.Int("offset", 0, 0, 10000)
	if err != nil {
		return err
	}
	if cl.AccountID() == 0 {
		if resolve {
			return herr.Unauthorized("Search queries that resolve remote resources are not supported without authentication")
		}
		if offset > 0 {
			return herr.Unauthorized("Search queries pagination is not supported without authentication")
		}
	}
	out := searchResults{Accounts: []Account{}, Statuses: []any{}, Hashtags: []Tag{}}
	if q == "" {
		return c.JSON(http.StatusOK, out)
	}
	want := func(t string) bool { return typ == "" || typ == t }

	if isHTTPURL(q) {
		if want("accounts") {
			if acc := a.accountByURL(c, q, resolve); acc != nil {
				out.Accounts = append(out.Accounts, a.account(acc))
			}
		}
		if want("statuses") && (len(out.Accounts) == 0 || typ == "statuses") {
			if st := a.statusByURL(c, q, resolve); st != nil {
				if v, err := a.svc.View(ctx, cl.AccountID(), []*model.Status{st}, core.ViewOptions{}); err == nil {
					for _, s := range a.statuses(v) {
						out.Statuses = append(out.Statuses, s)
					}
				}
			}
		}
		return c.JSON(http.StatusOK, out)
	}
	if want("accounts") {
		accs, err := a.svc.SearchAccounts(ctx, cl, q, resolve, p.BoolOr("following", false), limit, offset)
		if err != nil {
			return err
		}
		for _, acc := range accs {
			out.Accounts = append(out.Accounts, a.account(acc))
		}
	}
	if want("hashtags") {
		tags, err := a.svc.SearchHashtags(ctx, q, limit, offset)
		if err != nil {
			return err
		}
		for _, t := range tags {
			out.Hashtags = append(out.Hashtags, a.tag(t))
		}
	}
	return c.JSON(http.StatusOK, out)
}

func isHTTPURL(q string) bool {
	return (strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://")) && !strings.ContainsAny(q, " \t\n")
}

// accountByURL finds an account by actor id or profile URL (the rules
// are core's), resolving it through the federation engine when allowed.
func (a *API) accountByURL(c echo.Context, u string, resolve bool) *model.Account {
	acc, err := a.svc.AccountByURL(c.Request().Context(), u, resolve && caller(c).AccountID() != 0)
	if err != nil {
		return nil
	}
	return acc
}

// statusByURL finds a status by URL as core's StatusByURL does; nil
// when there is none the caller may see.
func (a *API) statusByURL(c echo.Context, u string, resolve bool) *model.Status {
	st, err := a.svc.StatusByURL(c.Request().Context(), caller(c), u, resolve)
	if err != nil {
		return nil
	}
	return st
}

func (a *API) getTag(c echo.Context) error {
	t, err := a.svc.TagState(c.Request().Context(), caller(c), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.tagState(t))
}

func (a *API) directory(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	limit, err := p.Int("limit", 40, 1, 80)
	if err != nil {
		return err
	}
	offset, err := p.Int("offset", 0, 0, 100000)
	if err != nil {
		return err
	}
	accs, err := a.svc.Directory(c.Request().Context(), p.String("order"), limit, offset)
	if err != nil {
		return err
	}
	out := make([]Account, 0, len(accs))
	for _, acc := range accs {
		out = append(out, a.account(acc))
	}
	return c.JSON(http.StatusOK, out)
}
