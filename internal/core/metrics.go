package core

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

// The admin dashboard's numbers, as Mastodon's admin measures, dimensions
// and retention cohorts: counts per UTC day over a range of dates, read
// from the tables by ranges of their time-ordered ids, and the users'
// active days that core records as they use the API or the web.

// MeasureKeys are the measures Mastodon defines, in its order.
var MeasureKeys = []string{"active_users", "new_users", "interactions", "opened_reports", "resolved_reports",
	"tag_accounts", "tag_uses", "tag_servers", "instance_accounts", "instance_media_attachments", "instance_reports",
	"instance_statuses", "instance_follows", "instance_followers"}

// DimensionKeys are the dimensions Mastodon defines.
var DimensionKeys = []string{"languages", "sources", "servers", "space_usage", "software_versions", "tag_servers",
	"tag_languages", "instance_accounts", "instance_languages"}

// maxMetricDays bounds a range of dates (a little over a year).
const maxMetricDays = 400

// MetricsRequest is a request for measures or dimensions: the keys, the
// dates as the client sent them (inclusive; a date, or a date and time
// whose time is ignored, as Mastodon does) and the tag id or domain some
// keys need, by key.
type MetricsRequest struct {
	Keys           []string
	StartAt, EndAt string
	TagIDs         map[string]string
	Domains        map[string]string
	Limit          int // dimensions
}

// parseMetricDate reads a date parameter.
func parseMetricDate(key, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, herr.New(422, key+" is required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if len(s) >= 10 {
		if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return t, nil
		}
	}
	return time.Time{}, herr.New(422, key+" is not a date")
}

// MeasureDay is a measure's value on a day.
type MeasureDay struct {
	Date  time.Time
	Value int64
}

// Measure is Mastodon's Admin::Measure.
type Measure struct {
	Key           string
	Unit          string // "" or "bytes"
	Total         int64
	PreviousTotal *int64
	Data          []MeasureDay
}

// DimensionValue is one value of a dimension; Value is a number except
// for software versions.
type DimensionValue struct {
	Key, HumanKey, Value, Unit string
}

// Dimension is Mastodon's Admin::Dimension.
type Dimension struct {
	Key  string
	Data []DimensionValue
}

// dayOf is the UTC day number of t.
func dayOf(t time.Time) int64 { return t.UTC().Unix() / 86400 }

func dateOfDay(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

// metricRange validates a request's dates: days [from, to).
func metricRange(startAt, endAt string) (int64, int64, error) {
	start, err := parseMetricDate("start_at", startAt)
	if err != nil {
		return 0, 0, err
	}
	end, err := parseMetricDate("end_at", endAt)
	if err != nil {
		return 0, 0, err
	}
	from, to := dayOf(start), dayOf(end)+1
	if to <= from {
		return 0, 0, herr.New(422, "end_at must not be before start_at")
	}
	if to-from > maxMetricDays {
		return 0, 0, herr.New(422, fmt.Sprintf("The range may span at most %d days", maxMetricDays))
	}
	return from, to, nil
}

// measureQuery makes the store's query of a key, checking its tag or domain.
func measureQuery(key string, from, to int64, r MetricsRequest) (storage.MeasureQuery, error) {
	q := storage.MeasureQuery{Key: key, From: from, To: to}
	switch {
	case strings.HasPrefix(key, "tag_"):
		v, err := strconv.ParseInt(strings.TrimSpace(r.TagIDs[key]), 10, 64)
		if err != nil || v <= 0 {
			return q, herr.New(422, key+"[id] is required: a tag's id")
		}
		q.TagID = v
	case strings.HasPrefix(key, "instance_"):
		q.Domain = strings.ToLower(strings.TrimSpace(r.Domains[key]))
		if q.Domain == "" || len(q.Domain) > 253 {
			return q, herr.New(422, key+"[domain] is required")
		}
	}
	return q, nil
}

// Measures computes the requested measures (Mastodon's POST
// /api/v1/admin/measures); unknown keys are left out, as Mastodon does.
func (s *Service) Measures(ctx context.Context, c *Caller, r MetricsRequest) ([]Measure, error) {
	if err := s.Authorize(ctx, c, PermViewDashboard); err != nil {
		return nil, err
	}
	from, to, err := metricRange(r.StartAt, r.EndAt)
	if err != nil {
		return nil, err
	}
	out := []Measure{}
	for _, key := range MeasureKeys {
		if !slices.Contains(r.Keys, key) {
			continue
		}
		q, err := measureQuery(key, from, to, r)
		if err != nil {
			return nil, err
		}
		daily, total, err := s.store.Measure(ctx, q)
		if err != nil {
			return nil, herr.Internal(err)
		}
		m := Measure{Key: key, Total: total, Data: make([]MeasureDay, 0, to-from)}
		if key == "instance_media_attachments" {
			m.Unit = "bytes"
		}
		byDay := make(map[int64]int64, len(daily))
		for _, d := range daily {
			byDay[d.Day] = d.Value
		}
		for d := from; d < to; d++ {
			m.Data = append(m.Data, MeasureDay{Date: dateOfDay(d), Value: byDay[d]})
		}
		// The period before, of the same length, for comparison (the
		// instance measures have none, as Mastodon's).
		if !strings.HasPrefix(key, "instance_") {
			pq := q
			pq.From, pq.To = from-(to-from), from
			_, prev, err := s.store.Measure(ctx, pq)
			if err != nil {
				return nil, herr.Internal(err)
			}
			m.PreviousTotal = &prev
		}
		out = append(out, m)
	}
	return out, nil
}

// Dimensions computes the requested dimensions (Mastodon's POST
// /api/v1/admin/dimensions).
func (s *Service) Dimensions(ctx context.Context, c *Caller, r MetricsRequest) ([]Dimension, error) {
	if err := s.Authorize(ctx, c, PermViewDashboard); err != nil {
		return nil, err
	}
	// Without dates (masto.js makes them optional), the last 30 days.
	if strings.TrimSpace(r.StartAt) == "" && strings.TrimSpace(r.EndAt) == "" {
		now := s.Now().UTC()
		r.StartAt, r.EndAt = now.AddDate(0, 0, -29).Format(time.RFC3339), now.Format(time.RFC3339)
	}
	from, to, err := metricRange(r.StartAt, r.EndAt)
	if err != nil {
		return nil, err
	}
	limit := r.Limit
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, 100)
	out := []Dimension{}
	for _, key := range DimensionKeys {
		if !slices.Contains(r.Keys, key) {
			continue
		}
		d := Dimension{Key: key, Data: []DimensionValue{}}
		switch key {
		case "space_usage":
			db, media, err := s.store.SpaceUsage(ctx)
			if err != nil {
				return nil, herr.Internal(err)
			}
			name, _, _ := s.store.EngineVersion(ctx)
			d.Data = append(d.Data,
				DimensionValue{Key: strings.ToLower(name), HumanKey: name, Value: fmt.Sprint(db), Unit: "bytes"},
				DimensionValue{Key: "media", HumanKey: "Media files", Value: fmt.Sprint(media), Unit: "bytes"})
		case "software_versions":
			name, v, err := s.store.EngineVersion(ctx)
			if err != nil {
				return nil, herr.Internal(err)
			}
			d.Data = append(d.Data,
				// The surface fills in its own version (api.Version).
				DimensionValue{Key: "herald", HumanKey: "Herald"},
				DimensionValue{Key: "go", HumanKey: "Go", Value: strings.TrimPrefix(runtime.Version(), "go")},
				DimensionValue{Key: strings.ToLower(name), HumanKey: name, Value: v})
		default:
			q, err := measureQuery(key, from, to, r)
			if err != nil {
				return nil, err
			}
			rows, err := s.store.Dimension(ctx, q, limit)
			if err != nil {
				return nil, herr.Internal(err)
			}
			for _, kc := range rows {
				v := DimensionValue{Key: kc.Key, HumanKey: kc.Key, Value: fmt.Sprint(kc.Value)}
				switch key {
				case "sources":
					if v.Key == "" {
						v.Key, v.HumanKey = "web", "Website"
					}
				case "servers", "tag_servers":
					if v.Key == "" { // local posts
						v.Key, v.HumanKey = s.Cfg.Instance.Domain, s.Cfg.Instance.Domain
					}
				case "instance_accounts":
					v.Key = kc.Key + "@" + q.Domain
					v.HumanKey = v.Key
				}
				d.Data = append(d.Data, v)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// CohortData is a cohort's retention in one period.
type CohortData struct {
	Date  time.Time
	Rate  float64
	Value int64
}

// Cohort is Mastodon's Admin::Cohort: the users who signed up in a period
// and the share of them active in each period since.
type Cohort struct {
	Period    time.Time
	Frequency string // day, month
	Data      []CohortData
}

// Retention computes the sign-up cohorts of a range (Mastodon's POST
// /api/v1/admin/retention), by day or by month.
func (s *Service) Retention(ctx context.Context, c *Caller, startAt, endAt, frequency string) ([]Cohort, error) {
	if err := s.Authorize(ctx, c, PermViewDashboard); err != nil {
		return nil, err
	}
	if frequency != "day" && frequency != "month" {
		return nil, herr.New(422, "frequency must be day or month")
	}
	from, to, err := metricRange(startAt, endAt)
	if err != nil {
		return nil, err
	}
	// The periods: days, or calendar months from start's month to end's.
	var bounds []int64
	if frequency == "day" {
		for d := from; d <= to; d++ {
			bounds = append(bounds, d)
		}
	} else {
		t := dateOfDay(from)
		m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		for ; dayOf(m) < to; m = m.AddDate(0, 1, 0) {
			bounds = append(bounds, dayOf(m))
		}
		bounds = append(bounds, dayOf(m))
		from, to = bounds[0], bounds[len(bounds)-1]
	}
	periodOf := func(day int64) int {
		for i := len(bounds) - 2; i >= 0; i-- {
			if day >= bounds[i] {
				return i
			}
		}
		return 0
	}
	n := len(bounds) - 1
	sizes, daily, err := s.store.Retention(ctx, from, to)
	if err != nil {
		return nil, herr.Internal(err)
	}
	size := make([]int64, n)
	for _, d := range sizes {
		size[periodOf(d.Day)] += d.Value
	}
	// active[cohort][period]: distinct users of the cohort active then.
	active := make([][]int64, n)
	for i := range active {
		active[i] = make([]int64, n)
	}
	if frequency == "day" {
		for _, cc := range daily {
			active[periodOf(cc.Cohort)][periodOf(cc.Active)] += cc.Users
		}
	} else {
		for p := 0; p < n; p++ {
			rows, err := s.store.RetentionPeriod(ctx, from, bounds[p+1], bounds[p], bounds[p+1])
			if err != nil {
				return nil, herr.Internal(err)
			}
			for _, r := range rows {
				active[periodOf(r.Day)][p] += r.Value
			}
		}
	}
	out := make([]Cohort, 0, n)
	for i := 0; i < n; i++ {
		co := Cohort{Period: dateOfDay(bounds[i]), Frequency: frequency, Data: []CohortData{}}
		for p := i; p < n; p++ {
			cd := CohortData{Date: dateOfDay(bounds[p]), Value: active[i][p]}
			if size[i] > 0 {
				cd.Rate = float64(active[i][p]) / float64(size[i])
			}
			co.Data = append(co.Data, cd)
		}
		out = append(out, co)
	}
	return out, nil
}

// activityDays remembers, per key (a user, a token), the last day a use
// was recorded, so that a key's requests write their day once per process.
type activityDays struct {
	mu   sync.Mutex
	last map[int64]int64
}

// once runs record unless key's day was recorded already; a failed record
// is tried again at the key's next use.
func (a *activityDays) once(key, day int64, record func() error) error {
	a.mu.Lock()
	seen := a.last[key] == day
	a.mu.Unlock()
	if seen {
		return nil
	}
	if err := record(); err != nil {
		return err
	}
	a.mu.Lock()
	if a.last == nil || len(a.last) > 100_000 {
		a.last = map[int64]int64{} // bounded: a miss costs one idempotent write
	}
	a.last[key] = day
	a.mu.Unlock()
	return nil
}

// noteActivity records the user's active day, at most once a day.
func (s *Service) noteActivity(ctx context.Context, userID int64) {
	if userID == 0 {
		return
	}
	day := dayOf(s.Now())
	if err := s.activity.once(userID, day, func() error { return s.store.RecordActivity(ctx, userID, day) }); err != nil {
		s.Log.Warn("record activity", "user", userID, "err", err)
	}
}
