package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// page reads max_id / since_id / min_id / limit from the query string by
// core's one rule (ParsePage): a malformed or negative cursor is a 400.
func page(c echo.Context, def, max int) (model.Page, error) {
	q := c.Request().URL.Query()
	return core.ParsePage(core.PageParams{MaxID: q.Get("max_id"), SinceID: q.Get("since_id"), MinID: q.Get("min_id"),
		Limit: q.Get("limit")}, def, max)
}

// setLink writes Mastodon's Link header for a page whose items have the
// cursors newest..oldest (first and last). "next" (older) comes first:
// toot reads only a header that starts with it. An empty page still gets
// a Link, pointing back where it came from, so clients can keep polling.
func setLink(c echo.Context, newest, oldest int64) {
	r := c.Request()
	base := absoluteURL(c)
	q := r.URL.Query()
	for _, k := range []string{"max_id", "since_id", "min_id", "access_token"} {
		q.Del(k)
	}
	var parts []string
	if oldest != 0 {
		nq := cloneValues(q)
		nq.Set("max_id", strconv.FormatInt(oldest, 10))
		parts = append(parts, "<"+base+"?"+nq.Encode()+`>; rel="next"`)
	}
	if newest != 0 {
		pq := cloneValues(q)
		pq.Set("min_id", strconv.FormatInt(newest, 10))
		parts = append(parts, "<"+base+"?"+pq.Encode()+`>; rel="prev"`)
	}
	if len(parts) > 0 {
		c.Response().Header().Set("Link", strings.Join(parts, ", "))
	}
}

// setStatusLink sets the Link header for a page of statuses.
func setStatusLink(c echo.Context, sts []*model.Status) {
	if len(sts) == 0 {
		return
	}
	setLink(c, sts[0].ID, sts[len(sts)-1].ID)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// absoluteURL is the public URL of the request path (without query).
func (a *API) absolute(path string) string { return a.svc.Base() + path }

func absoluteURL(c echo.Context) string {
	if absolute, _ := c.Get(apiKey).(func(string) string); absolute != nil {
		return absolute(c.Request().URL.Path)
	}
	return c.Scheme() + "://" + c.Request().Host + c.Request().URL.Path
}

const apiKey = "herald.api"
