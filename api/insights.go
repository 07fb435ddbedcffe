package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

// The admin dashboard's measures, dimensions and retention, and the
// trends: the public lists and the moderators' review (Mastodon's
// /api/v1/admin/measures, dimensions, retention, /api/v1/trends/* and
// /api/v1/admin/trends/*).

func (a *API) registerInsights(e *echo.Echo) {
	get, post := http.MethodGet, http.MethodPost
	a.adminRoute(e, post, "/api/v1/admin/measures", "admin:read", a.adminMeasures)
	a.adminRoute(e, post, "/api/v1/admin/dimensions", "admin:read", a.adminDimensions)
	a.adminRoute(e, post, "/api/v1/admin/retention", "admin:read", a.adminRetention)

	a.handle(e, get, "/api/v1/trends/tags", a.trendsTags, publicRead(""))
	a.handle(e, get, "/api/v1/trends", a.trendsTags, publicRead(""))
	a.handle(e, get, "/api/v1/trends/statuses", a.trendsStatuses, publicRead(""))
	a.handle(e, get, "/api/v1/trends/links", a.trendsLinks, publicRead(""))

	a.adminRoute(e, get, "/api/v1/admin/trends/tags", "admin:read", a.adminTrendsTags)
	a.adminRoute(e, get, "/api/v1/admin/trends/statuses", "admin:read", a.adminTrendsStatuses)
	a.adminRoute(e, get, "/api/v1/admin/trends/links", "admin:read", a.adminTrendsLinks)
	for path, kind := range map[string]string{"tags": core.TrendTag, "statuses": core.TrendStatus, "links": core.TrendLink} {
		for _, op := range []string{"approve", "reject"} {
			a.adminRoute(e, post, "/api/v1/admin/trends/"+path+"/:id/"+op, "admin:write", a.adminReviewTrend(kind, op == "approve"))
		}
	}
}

// metricsRequest reads the parameters measures and dimensions share (core
// validates them, after checking the caller's permission).
func metricsRequest(c echo.Context, keys []string) (core.MetricsRequest, error) {
	p, err := params(c)
	if err != nil {
		return core.MetricsRequest{}, err
	}
	r := core.MetricsRequest{Keys: p.Strings("keys"), StartAt: p.String("start_at"), EndAt: p.String("end_at"),
		TagIDs: map[string]string{}, Domains: map[string]string{}}
	if r.Limit, err = p.Int("limit", 10, 1, 100); err != nil {
		return r, err
	}
	for _, k := range keys {
		if v, ok := p.Nested(k, "id"); ok {
			r.TagIDs[k] = v
		}
		if v, ok := p.Nested(k, "domain"); ok {
			r.Domains[k] = v
		}
	}
	return r, nil
}

// AdminMeasure is Mastodon's Admin::Measure.
type AdminMeasure struct {
	Key           string             `json:"key"`
	Unit          *string            `json:"unit"`
	Total         string             `json:"total"`
	HumanValue    string             `json:"human_value,omitempty"`
	PreviousTotal *string            `json:"previous_total,omitempty"`
	Data          []AdminMeasureData `json:"data"`
}

type AdminMeasureData struct {
	Date  string `json:"date"`
	Value string `json:"value"`
}

// humanBytes writes a size as Mastodon's human_value ("1.5 MB").
func humanBytes(n int64) string {
	units := []string{"Bytes", "KB", "MB", "GB", "TB", "PB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d %s", n, units[0])
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".") + " " + units[i]
}

func (a *API) adminMeasures(c echo.Context) error {
	r, err := metricsRequest(c, core.MeasureKeys)
	if err != nil {
		return err
	}
	ms, err := a.svc.Measures(c.Request().Context(), caller(c), r)
	if err != nil {
		return err
	}
	out := make([]AdminMeasure, 0, len(ms))
	for _, m := range ms {
		am := AdminMeasure{Key: m.Key, Total: strconv.FormatInt(m.Total, 10), Data: make([]AdminMeasureData, 0, len(m.Data))}
		if m.Unit != "" {
			am.Unit = &m.Unit
			am.HumanValue = humanBytes(m.Total)
		}
		if m.PreviousTotal != nil {
			v := strconv.FormatInt(*m.PreviousTotal, 10)
			am.PreviousTotal = &v
		}
		for _, d := range m.Data {
			am.Data = append(am.Data, AdminMeasureData{Date: fmtTime(d.Date), Value: strconv.FormatInt(d.Value, 10)})
		}
		out = append(out, am)
	}
	return c.JSON(http.StatusOK, out)
}

// AdminDimension is Mastodon's Admin::Dimension.
type AdminDimension struct {
	Key  string               `json:"key"`
	Data []AdminDimensionData `json:"data"`
}

type AdminDimensionData struct {
	Key        string `json:"key"`
	HumanKey   string `json:"human_key"`
	Value      string `json:"value"`
	Unit       string `json:"unit,omitempty"`
	HumanValue string `json:"human_value,omitempty"`
}

func (a *API) adminDimensions(c echo.Context) error {
	r, err := metricsRequest(c, core.DimensionKeys)
	if err != nil {
		return err
	}
	ds, err := a.svc.Dimensions(c.Request().Context(), caller(c), r)
	if err != nil {
		return err
	}
	out := make([]AdminDimension, 0, len(ds))
	for _, d := range ds {
		ad := AdminDimension{Key: d.Key, Data: make([]AdminDimensionData, 0, len(d.Data))}
		for _, v := range d.Data {
			e := AdminDimensionData{Key: v.Key, HumanKey: v.HumanKey, Value: v.Value, Unit: v.Unit}
			if d.Key == "software_versions" && v.Key == "herald" {
				e.Value = Version
			}
			if strings.HasSuffix(d.Key, "languages") {
				e.HumanKey = languageName(v.Key)
			}
			if v.Unit == "bytes" {
				n, _ := strconv.ParseInt(v.Value, 10, 64)
				e.HumanValue = humanBytes(n)
			} else if d.Key == "software_versions" {
				e.HumanValue = e.Value
			}
			ad.Data = append(ad.Data, e)
		}
		out = append(out, ad)
	}
	return c.JSON(http.StatusOK, out)
}

// languageName is a language code's English name (the code itself when
// unknown; "" is shown as "Unknown").
func languageName(code string) string {
	if code == "" {
		return "Unknown"
	}
	for _, l := range languageList {
		if l.Code == code {
			return l.Name
		}
	}
	return code
}

// AdminCohort is Mastodon's Admin::Cohort.
type AdminCohort struct {
	Period    string            `json:"period"`
	Frequency string            `json:"frequency"`
	Data      []AdminCohortData `json:"data"`
}

type AdminCohortData struct {
	Date  string  `json:"date"`
	Rate  float64 `json:"rate"`
	Value string  `json:"value"`
}

func (a *API) adminRetention(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	freq := p.String("frequency")
	if freq == "" {
		freq = "day"
	}
	cs, err := a.svc.Retention(c.Request().Context(), caller(c), p.String("start_at"), p.String("end_at"), freq)
	if err != nil {
		return err
	}
	out := make([]AdminCohort, 0, len(cs))
	for _, co := range cs {
		ac := AdminCohort{Period: fmtTime(co.Period), Frequency: co.Frequency, Data: make([]AdminCohortData, 0, len(co.Data))}
		for _, d := range co.Data {
			ac.Data = append(ac.Data, AdminCohortData{Date: fmtTime(d.Date), Rate: d.Rate, Value: strconv.FormatInt(d.Value, 10)})
		}
		out = append(out, ac)
	}
	return c.JSON(http.StatusOK, out)
}

// TagHistory is one day of Mastodon's Tag and Trends::Link history.
type TagHistory struct {
	Day      string `json:"day"`
	Uses     string `json:"uses"`
	Accounts string `json:"accounts"`
}

func trendHistory(h []core.TrendDay) []any {
	out := make([]any, 0, len(h))
	for _, d := range h {
		out = append(out, TagHistory{Day: strconv.FormatInt(d.Day.Unix(), 10), Uses: strconv.FormatInt(d.Uses, 10),
			Accounts: strconv.FormatInt(d.Accounts, 10)})
	}
	return out
}

// TrendsLink is Mastodon's Trends::Link: a preview card with its history.
type TrendsLink struct {
	*PreviewCard
	History []any `json:"history"`
	// The moderators' view (Mastodon's Admin::Trends::Link).
	ID             string `json:"id,omitempty"`
	Trendable      *bool  `json:"trendable,omitempty"`
	RequiresReview *bool  `json:"requires_review,omitempty"`
}

// AdminTag is Mastodon's Admin::Tag.
type AdminTag struct {
	Tag
	Trendable      bool `json:"trendable"`
	Usable         bool `json:"usable"`
	RequiresReview bool `json:"requires_review"`
	Listable       bool `json:"listable"`
}

// trendPage reads offset and limit (Mastodon: limit default def, max max)
// and sets the Link header of the next page when this one is full.
func trendPage(c echo.Context, def, max int) (offset, limit int, err error) {
	p, err := params(c)
	if err != nil {
		return 0, 0, err
	}
	if offset, err = p.Int("offset", 0, 0, 10000); err != nil {
		return 0, 0, err
	}
	if limit, err = p.Int("limit", def, 1, max); err != nil {
		return 0, 0, err
	}
	return offset, limit, nil
}

// setOffsetLink sets the Link header to the next page, when n items
// filled this one.
func setOffsetLink(c echo.Context, offset, limit, n int) {
	q := c.Request().URL.Query()
	q.Del("access_token")
	var parts []string
	if n >= limit {
		nq := cloneValues(q)
		nq.Set("offset", strconv.Itoa(offset+n))
		parts = append(parts, "<"+absoluteURL(c)+"?"+nq.Encode()+`>; rel="next"`)
	}
	if offset > 0 {
		pq := cloneValues(q)
		pq.Set("offset", strconv.Itoa(max(0, offset-limit)))
		parts = append(parts, "<"+absoluteURL(c)+"?"+pq.Encode()+`>; rel="prev"`)
	}
	if len(parts) > 0 {
		c.Response().Header().Set("Link", strings.Join(parts, ", "))
	}
}

func (a *API) trendTag(t core.TrendingTag) Tag {
	out := a.tag(t.Tag)
	out.History = trendHistory(t.History)
	return out
}

func (a *API) adminTag(t core.TrendingTag) AdminTag {
	return AdminTag{Tag: a.trendTag(t), Trendable: t.Trendable != nil && *t.Trendable, Usable: true,
		RequiresReview: t.Trendable == nil, Listable: true}
}

func (a *API) trendLink(l core.TrendingLink, admin bool) TrendsLink {
	out := TrendsLink{PreviewCard: a.previewCard(l.Card), History: trendHistory(l.History)}
	if admin {
		out.ID = idString(l.Card.ID)
		out.Trendable = boolPtr(l.Trendable != nil && *l.Trendable)
		out.RequiresReview = boolPtr(l.Trendable == nil)
	}
	return out
}

// AdminTrendStatus is a Status with its review (Mastodon's
// Admin::Trends::Status).
type AdminTrendStatus struct {
	Status
	Trendable      bool `json:"trendable"`
	RequiresReview bool `json:"requires_review"`
}

func (a *API) adminTrendStatuses(t *core.TrendingStatuses) []AdminTrendStatus {
	sts := a.statuses(t.View)
	out := make([]AdminTrendStatus, 0, len(sts))
	for _, st := range sts {
		id, _ := strconv.ParseInt(st.ID, 10, 64)
		r := t.Reviews[id]
		out = append(out, AdminTrendStatus{Status: st, Trendable: r != nil && *r, RequiresReview: r == nil})
	}
	return out
}

func (a *API) trendsTags(c echo.Context) error {
	offset, limit, err := trendPage(c, 10, 20)
	if err != nil {
		return err
	}
	tags, err := a.svc.TrendingTags(c.Request().Context(), offset, limit)
	if err != nil {
		return err
	}
	out := make([]Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, a.trendTag(t))
	}
	setOffsetLink(c, offset, limit, len(out))
	return c.JSON(http.StatusOK, out)
}

func (a *API) trendsStatuses(c echo.Context) error {
	offset, limit, err := trendPage(c, 20, 40)
	if err != nil {
		return err
	}
	t, err := a.svc.TrendingStatuses(c.Request().Context(), caller(c), offset, limit)
	if err != nil {
		return err
	}
	out := a.statuses(t.View)
	setOffsetLink(c, offset, limit, len(t.Reviews))
	return c.JSON(http.StatusOK, out)
}

func (a *API) trendsLinks(c echo.Context) error {
	offset, limit, err := trendPage(c, 10, 20)
	if err != nil {
		return err
	}
	links, err := a.svc.TrendingLinks(c.Request().Context(), offset, limit)
	if err != nil {
		return err
	}
	out := make([]TrendsLink, 0, len(links))
	for _, l := range links {
		out = append(out, a.trendLink(l, false))
	}
	setOffsetLink(c, offset, limit, len(out))
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminTrendsTags(c echo.Context) error {
	offset, limit, err := trendPage(c, 10, 20)
	if err != nil {
		return err
	}
	tags, err := a.svc.AdminTrendingTags(c.Request().Context(), caller(c), offset, limit)
	if err != nil {
		return err
	}
	out := make([]AdminTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, a.adminTag(t))
	}
	setOffsetLink(c, offset, limit, len(out))
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminTrendsStatuses(c echo.Context) error {
	offset, limit, err := trendPage(c, 20, 40)
	if err != nil {
		return err
	}
	t, err := a.svc.AdminTrendingStatuses(c.Request().Context(), caller(c), offset, limit)
	if err != nil {
		return err
	}
	setOffsetLink(c, offset, limit, len(t.Reviews))
	return c.JSON(http.StatusOK, a.adminTrendStatuses(t))
}

func (a *API) adminTrendsLinks(c echo.Context) error {
	offset, limit, err := trendPage(c, 10, 20)
	if err != nil {
		return err
	}
	links, err := a.svc.AdminTrendingLinks(c.Request().Context(), caller(c), offset, limit)
	if err != nil {
		return err
	}
	out := make([]TrendsLink, 0, len(links))
	for _, l := range links {
		out = append(out, a.trendLink(l, true))
	}
	setOffsetLink(c, offset, limit, len(out))
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminReviewTrend(kind string, approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		it, err := a.svc.ReviewTrendItem(c.Request().Context(), caller(c), kind, id, approve)
		if err != nil {
			return err
		}
		switch {
		case it.Tag != nil:
			return c.JSON(http.StatusOK, a.adminTag(*it.Tag))
		case it.Link != nil:
			return c.JSON(http.StatusOK, a.trendLink(*it.Link, true))
		case it.Statuses != nil:
			if sts := a.adminTrendStatuses(it.Statuses); len(sts) > 0 {
				return c.JSON(http.StatusOK, sts[0])
			}
		}
		return herr.NotFound("trend")
	}
}
