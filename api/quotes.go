package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Quote posts (Mastodon 4.5): the quotes of a status and their
// revocation by its author. Making a quote is POST /api/v1/statuses'
// quoted_status_id; the Status entity carries quote and quotes_count.

func (a *API) registerQuotes(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id/quotes", a.statusQuotes, user("read:statuses"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/quotes/:quoting_status_id/revoke", a.revokeQuote, user("write:statuses"))
}

// statusQuotes is GET /api/v1/statuses/:id/quotes: its accepted quotes,
// newest first.
func (a *API) statusQuotes(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pg, err := page(c, 20, 40)
	if err != nil {
		return err
	}
	v, err := a.svc.Quotes(c.Request().Context(), caller(c), id, pg)
	if err != nil {
		return err
	}
	var newest, oldest int64
	if len(v.Statuses) > 0 {
		newest, oldest = v.Statuses[0].ID, v.Statuses[len(v.Statuses)-1].ID
	}
	setPageLink(c, pg, newest, oldest)
	return c.JSON(http.StatusOK, a.statuses(v))
}

// revokeQuote is POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke:
// the author of :id withdraws their approval of the quote.
func (a *API) revokeQuote(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	quoting, err := pathID(c, "quoting_status_id")
	if err != nil {
		return err
	}
	st, err := a.svc.RevokeQuote(c.Request().Context(), caller(c), id, quoting)
	if err != nil {
		return err
	}
	return a.respondStatus(c, st)
}
