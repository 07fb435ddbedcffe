package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Annual reports ("Wrapstodon"), as Mastodon's: a user asks for the report
// of the year during the campaign (from 10 December to the year's end);
// it is generated once from what the server holds of their year (their
// posts, followers gained, hashtags, most boosted, replied and favourited
// posts) and kept; they read it, and mark it read.

// annualReportSchema is the version of Mastodon's report data we write.
const annualReportSchema = 2

// annualReportCampaignDay is the day of December the campaign opens.
const annualReportCampaignDay = 10

// archetypeAverage is Mastodon's average number of posts a year of an
// active user: under it, a user is a "lurker".
const archetypeAverage = 113

// AnnualReportData is Mastodon's AnnualReport data, schema 2.
type AnnualReportData struct {
	Archetype   string                `json:"archetype"`
	TimeSeries  []AnnualReportMonth   `json:"time_series"`
	TopHashtags []AnnualReportHashtag `json:"top_hashtags"`
	TopStatuses AnnualReportTop       `json:"top_statuses"`
}

type AnnualReportMonth struct {
	Month     int   `json:"month"`
	Statuses  int64 `json:"statuses"`
	Following int64 `json:"following"`
	Followers int64 `json:"followers"`
}

type AnnualReportHashtag struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

type AnnualReportTop struct {
	ByReblogs    *string `json:"by_reblogs"`
	ByReplies    *string `json:"by_replies"`
	ByFavourites *string `json:"by_favourites"`
}

// AnnualReport is a generated report.
type AnnualReport struct {
	Year          int
	AccountID     int64
	SchemaVersion int
	Data          json.RawMessage
	ShareKey      string
	ViewedAt      *time.Time
}

// AnnualReports is what Mastodon's WrappedAnnualReports holds: the reports
// with the accounts and statuses they name.
type AnnualReports struct {
	Reports  []AnnualReport
	Accounts []*model.Account
	Statuses *StatusView
}

// yearIDs is the range of ids of a year.
func yearIDs(year int) (int64, int64) {
	return id.Min(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)), id.Min(time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC))
}

// campaignYear is the year whose report may be generated now (0: none).
func (s *Service) campaignYear() int {
	now := s.Now().UTC()
	if now.Month() == time.December && now.Day() >= annualReportCampaignDay {
		return now.Year()
	}
	return 0
}

func validYear(year int) error {
	if year < 2000 || year > 9999 {
		return herr.NotFound("annual report")
	}
	return nil
}

// AnnualReportsOf returns the caller's reports, of one year or (0) all.
func (s *Service) AnnualReportsOf(ctx context.Context, c *Caller, year int) (*AnnualReports, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if year != 0 {
		if err := validYear(year); err != nil {
			return nil, err
		}
	}
	rows, err := s.store.AnnualReports(ctx, c.Account.ID, year)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if year != 0 && len(rows) == 0 {
		return nil, herr.NotFound("annual report")
	}
	out := &AnnualReports{Reports: []AnnualReport{}, Accounts: []*model.Account{c.Account}}
	var statusIDs []int64
	for _, r := range rows {
		out.Reports = append(out.Reports, AnnualReport{Year: r.Year, AccountID: r.AccountID, SchemaVersion: r.SchemaVersion,
			Data: json.RawMessage(r.Data), ShareKey: r.ShareKey, ViewedAt: r.ViewedAt})
		var d AnnualReportData
		if json.Unmarshal([]byte(r.Data), &d) == nil {
			for _, p := range []*string{d.TopStatuses.ByReblogs, d.TopStatuses.ByReplies, d.TopStatuses.ByFavourites} {
				if p != nil {
					if v, err := strconv.ParseInt(*p, 10, 64); err == nil {
						statusIDs = append(statusIDs, v)
					}
				}
			}
		}
	}
	m, err := s.store.StatusesByIDs(ctx, statusIDs)
	if err != nil {
		return nil, herr.Internal(err)
	}
	seen := map[int64]bool{}
	var sts []*model.Status
	for _, sid := range statusIDs {
		if st, ok := m[sid]; ok && !seen[sid] {
			seen[sid] = true
			sts = append(sts, st)
		}
	}
	if out.Statuses, err = s.View(ctx, c.Account.ID, sts, ViewOptions{}); err != nil {
		return nil, err
	}
	return out, nil
}

// AnnualReportState is Mastodon's state of a year's report for the
// caller: available, generating, eligible or ineligible.
func (s *Service) AnnualReportState(ctx context.Context, c *Caller, year int) (string, error) {
	if err := s.requireUser(c); err != nil {
		return "", err
	}
	if err := validYear(year); err != nil {
		return "", err
	}
	rows, err := s.store.AnnualReports(ctx, c.Account.ID, year)
	if err != nil {
		return "", herr.Internal(err)
	}
	if len(rows) > 0 {
		return "available", nil
	}
	ok, err := s.annualReportEligible(ctx, c, year)
	if err != nil || !ok {
		return "ineligible", err
	}
	return "eligible", nil
}

// annualReportEligible: the campaign's year, and a user who posted in it.
func (s *Service) annualReportEligible(ctx context.Context, c *Caller, year int) (bool, error) {
	if year != s.campaignYear() {
		return false, nil
	}
	lo, hi := yearIDs(year)
	n, err := s.store.CountStatusesBetween(ctx, c.Account.ID, lo, hi)
	if err != nil {
		return false, herr.Internal(err)
	}
	return n > 0, nil
}

// GenerateAnnualReport makes the caller's report of year when they are
// eligible and have none; it reports whether one is available after.
func (s *Service) GenerateAnnualReport(ctx context.Context, c *Caller, year int) (bool, error) {
	state, err := s.AnnualReportState(ctx, c, year)
	if err != nil || state != "eligible" {
		return state == "available", err
	}
	lo, hi := yearIDs(year)
	st, err := s.store.AnnualReportStats(ctx, c.Account.ID, lo, hi)
	if err != nil {
		return false, herr.Internal(err)
	}
	d := AnnualReportData{Archetype: archetype(st), TimeSeries: []AnnualReportMonth{}, TopHashtags: []AnnualReportHashtag{}}
	for m := 1; m <= 12; m++ {
		d.TimeSeries = append(d.TimeSeries, AnnualReportMonth{Month: m, Statuses: st.StatusesByMonth[m], Followers: st.FollowersByMonth[m]})
	}
	for _, t := range st.TopTags {
		d.TopHashtags = append(d.TopHashtags, AnnualReportHashtag{Name: t.Key, Count: t.Value})
	}
	ref := func(v int64) *string {
		if v == 0 {
			return nil
		}
		x := strconv.FormatInt(v, 10)
		return &x
	}
	d.TopStatuses = AnnualReportTop{ByReblogs: ref(st.TopByReblogs), ByReplies: ref(st.TopByReplies), ByFavourites: ref(st.TopByFavourites)}
	data, err := json.Marshal(d)
	if err != nil {
		return false, herr.Internal(err)
	}
	key := make([]byte, 8)
	_, _ = rand.Read(key)
	if _, err := s.store.SaveAnnualReport(ctx, &storage.AnnualReport{AccountID: c.Account.ID, Year: year,
		SchemaVersion: annualReportSchema, Data: string(data), ShareKey: hex.EncodeToString(key), CreatedAt: s.Now()}); err != nil {
		return false, herr.Internal(err)
	}
	return true, nil
}

// archetype is Mastodon's: lurker, booster, pollster, replier or oracle.
func archetype(st *storage.AnnualReportStats) string {
	switch {
	case st.Standalone+st.Replies+st.Reblogs < archetypeAverage:
		return "lurker"
	case st.Reblogs > st.Standalone*2:
		return "booster"
	case float64(st.Polls) > float64(st.Standalone)*0.1:
		return "pollster"
	case st.Replies > st.Standalone*2:
		return "replier"
	}
	return "oracle"
}

// MarkAnnualReportRead marks the caller's report of year read.
func (s *Service) MarkAnnualReportRead(ctx context.Context, c *Caller, year int) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := validYear(year); err != nil {
		return err
	}
	ok, err := s.store.MarkAnnualReportViewed(ctx, c.Account.ID, year, s.Now())
	if err != nil {
		return herr.Internal(err)
	}
	if !ok {
		return herr.NotFound("annual report")
	}
	return nil
}

// AnnualReportShareURL is the address of a report's public share page,
// Mastodon's /@username/wrapstodon/YEAR/SHARE_KEY (its share_url).
func (s *Service) AnnualReportShareURL(username string, year int, shareKey string) string {
	return s.LocalProfileURL(username) + "/wrapstodon/" + strconv.Itoa(year) + "/" + url.PathEscape(shareKey)
}

// SharedAnnualReport is what a report's share page shows.
type SharedAnnualReport struct {
	Account *model.Account
	Year    int
	Data    AnnualReportData
	// Posts are the report's top posts the viewer may see, by reblogs,
	// replies and favourites, without repeats.
	Posts *StatusView
}

// SharedAnnualReport is a report's share page, as Mastodon's
// WrapstodonController: the report exists only once its owner generated
// it, and is shown to whoever has its link (the share key, a secret the
// owner shares by posting share_url); a wrong key, a suspended account or
// no report are all 404. The top posts shown are those the viewer (nil:
// anonymous) may see, so that a private post never leaks through the page.
func (s *Service) SharedAnnualReport(ctx context.Context, viewer *Caller, username string, year int, shareKey string) (*SharedAnnualReport, error) {
	notFound := herr.NotFound("annual report")
	if validYear(year) != nil || shareKey == "" || len(shareKey) > 64 {
		return nil, notFound
	}
	acc, err := s.LocalAccount(ctx, username)
	if err != nil || acc.SuspendedAt != nil {
		return nil, notFound
	}
	rows, err := s.store.AnnualReports(ctx, acc.ID, year)
	if err != nil {
		return nil, herr.Internal(err)
	}
	if len(rows) == 0 || subtle.ConstantTimeCompare([]byte(rows[0].ShareKey), []byte(shareKey)) != 1 {
		return nil, notFound
	}
	out := &SharedAnnualReport{Account: acc, Year: year}
	if err := json.Unmarshal([]byte(rows[0].Data), &out.Data); err != nil {
		return nil, herr.Internal(err)
	}
	var ids []int64
	for _, p := range []*string{out.Data.TopStatuses.ByReblogs, out.Data.TopStatuses.ByReplies, out.Data.TopStatuses.ByFavourites} {
		if p == nil {
			continue
		}
		if v, err := strconv.ParseInt(*p, 10, 64); err == nil && !slices.Contains(ids, v) {
			ids = append(ids, v)
		}
	}
	m, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	viewerID := viewer.AccountID()
	var sts []*model.Status
	for _, sid := range ids {
		st, ok := m[sid]
		if !ok || st.AccountID != acc.ID {
			continue
		}
		if ok, err := s.canSee(ctx, viewerID, st, acc); err != nil {
			return nil, err
		} else if ok {
			sts = append(sts, st)
		}
	}
	if out.Posts, err = s.View(ctx, viewerID, sts, ViewOptions{}); err != nil {
		return nil, err
	}
	return out, nil
}
