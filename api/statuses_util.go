package api

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/model"
)

type contextT = context.Context

// setPageLink writes the Link header of a page whose cursors run from
// newest to oldest. An empty page still gets one, built from the
// request's own cursor, so that clients polling with min_id (or paging
// with max_id) can go on.
func setPageLink(c echo.Context, p model.Page, newest, oldest int64) {
	if newest == 0 && oldest == 0 {
		cur := p.MinID
		if cur == 0 {
			cur = p.SinceID
		}
		if cur == 0 {
			cur = p.MaxID
		}
		if cur == 0 {
			return
		}
		newest, oldest = cur, cur
	}
	setLink(c, newest, oldest)
}
