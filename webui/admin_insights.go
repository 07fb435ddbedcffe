package webui

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/text"
)

// The console's measures (on the dashboard) and the trends review page.

// dashMeasure is a measure as the dashboard shows it: its totals and a
// sparkline of its days.
type dashMeasure struct {
	Label       string
	Total, Prev int64
	Points      string // SVG polyline points, 0..100 × 0..24
	Days        []core.MeasureDay
}

var dashMeasureLabels = map[string]string{"active_users": "Active users", "new_users": "New users",
	"interactions": "Interactions", "opened_reports": "Reports opened", "resolved_reports": "Reports resolved"}

// dashMeasures are the last 30 days of the instance-wide measures, or nil
// when the caller's role has no View Dashboard.
func (w *UI) dashMeasures(c echo.Context) []dashMeasure {
	now := w.svc.Now().UTC()
	ms, err := w.svc.Measures(c.Request().Context(), w.caller(c), core.MetricsRequest{
		Keys:    []string{"active_users", "new_users", "interactions", "opened_reports", "resolved_reports"},
		StartAt: now.AddDate(0, 0, -29).Format(time.RFC3339), EndAt: now.Format(time.RFC3339)})
	if err != nil {
		return nil
	}
	out := make([]dashMeasure, 0, len(ms))
	for _, m := range ms {
		d := dashMeasure{Label: dashMeasureLabels[m.Key], Total: m.Total, Days: m.Data}
		if m.PreviousTotal != nil {
			d.Prev = *m.PreviousTotal
		}
		var top int64 = 1
		for _, p := range m.Data {
			top = max(top, p.Value)
		}
		pts := make([]string, 0, len(m.Data))
		for i, p := range m.Data {
			x := float64(i) * 100 / float64(max(1, len(m.Data)-1))
			y := 22 - float64(p.Value)*20/float64(top)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		d.Points = strings.Join(pts, " ")
		out = append(out, d)
	}
	return out
}

func (w *UI) adminTrends(c echo.Context) error {
	ctx, cl := c.Request().Context(), w.caller(c)
	tags, err := w.svc.AdminTrendingTags(ctx, cl, 0, 20)
	if err != nil {
		return w.fail(c, err)
	}
	sts, err := w.svc.AdminTrendingStatuses(ctx, cl, 0, 20)
	if err != nil {
		return w.fail(c, err)
	}
	links, err := w.svc.AdminTrendingLinks(ctx, cl, 0, 20)
	if err != nil {
		return w.fail(c, err)
	}
	var tagRows, statusRows, linkRows []trendRow
	for _, t := range tags {
		tagRows = append(tagRows, trendRow{Kind: core.TrendTag, ID: t.Tag.ID, Label: "#" + t.Tag.Name, Href: "/tags/" + t.Tag.Name,
			Count: weekUses(t.History), State: reviewState(t.Trendable)})
	}
	for _, st := range sts.View.Statuses {
		r := trendRow{Kind: core.TrendStatus, ID: st.ID, Label: excerpt(text.PlainText(st.Content), 120), Href: firstOf(st.URL, st.URI),
			Count: int64(st.FavouritesCount + st.ReblogsCount + st.RepliesCount), State: reviewState(sts.Reviews[st.ID])}
		if a := sts.View.Accounts[st.AccountID]; a != nil {
			r.AuthorID, r.Author = a.ID, a.Acct()
		}
		statusRows = append(statusRows, r)
	}
	for _, l := range links {
		label := l.Card.Title
		if label == "" {
			label = l.Card.URL
		}
		linkRows = append(linkRows, trendRow{Kind: core.TrendLink, ID: l.Card.ID, Label: label, Href: l.Card.URL,
			Count: weekUses(l.History), State: reviewState(l.Trendable)})
	}
	return w.admin(c, "trends", "Trends", page{"Sections": []trendSection{
		{"Hashtags", "Hashtag", "Uses this week", tagRows}, {"Posts", "Post", "Interactions", statusRows},
		{"Links", "Link", "Shares this week", linkRows}},
		"Review": w.svc.Cfg.Instance.TrendsReview, "Enabled": w.svc.Cfg.Instance.Trends})
}

// trendSection is one table of the review page.
type trendSection struct {
	Title, Item, Count string
	Rows               []trendRow
}

// trendRow is a trending item as the review page lists it.
type trendRow struct {
	Kind        string
	ID          int64
	Label, Href string
	Count       int64 // uses this week, or a post's interactions
	State       string
	AuthorID    int64
	Author      string
}

func reviewState(r *bool) string {
	switch {
	case r == nil:
		return "Pending review"
	case *r:
		return "Approved"
	}
	return "Rejected"
}

func weekUses(h []core.TrendDay) int64 {
	var n int64
	for _, d := range h {
		n += d.Uses
	}
	return n
}

func (w *UI) adminTrendsSubmit(c echo.Context) error {
	kind := c.Param("kind")
	switch kind {
	case core.TrendTag, core.TrendStatus, core.TrendLink, core.TrendAccount:
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such trend.")
	}
	op := c.Param("op")
	if op != "approve" && op != "reject" {
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err := w.svc.ReviewTrend(c.Request().Context(), w.caller(c), kind, idParam(c), op == "approve"); err != nil {
		return w.fail(c, err)
	}
	msg := "Approved: it may trend."
	if op == "reject" {
		msg = "Rejected: it will not trend."
	}
	return w.done(c, "/admin/trends", msg)
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func (w *UI) adminTrendsRefresh(c echo.Context) error {
	if err := w.svc.RefreshTrendsNow(c.Request().Context(), w.caller(c)); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/admin/trends", "Trends recomputed.")
}
