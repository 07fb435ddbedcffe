package core

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Trends: the hashtags, posts and links that are taking off here, computed
// from the public posts this server has (its own and those that came in),
// by a periodic job that stores the scores; the reads page through them.
//
// The score is a sum of uses that fade with age (exponential decay):
//   - a tag or a link counts each account that used it in the last
//     trendWindow once, by the account's latest use, weighted by
//     0.5^(age / linkHalfLife): an account's use a day old counts half, two
//     days old a quarter. So many people using it recently beats one
//     account posting it a lot, or many people long ago. A tag or link needs
//     uses by minTrendAccounts accounts to trend at all.
//   - a post counts its boosts, favourites and replies, weighted by its own
//     age with a shorter half-life (statusHalfLife), over statusWindow.
//
// Review follows Mastodon's: with [instance] trends_review (its default),
// an item trends publicly only once a moderator approved it (a post also
// when its author was approved, unless the post itself was rejected);
// without, everything trends but what was rejected. Moderators see every
// item with its review state.
const (
	JobTrendsRefresh = "trends.refresh"
	trendsEvery      = 10 * time.Minute
	trendWindow      = 7 * 24 * time.Hour
	statusWindow     = 2 * 24 * time.Hour
	linkHalfLife     = 24 * time.Hour
	statusHalfLife   = 6 * time.Hour
	minTrendAccounts = 2
	maxTrends        = 200
)

// Trend kinds.
const (
	TrendTag     = "tag"
	TrendStatus  = "status"
	TrendLink    = "link"
	TrendAccount = "account"
)

func (s *Service) registerTrendJobs(r *jobs.Runner) {
	r.Handle(jobs.Kind{Name: JobTrendsRefresh, PerKey: 1, MaxAttempts: 1, Run: func(ctx context.Context, _ *storage.Job) ([]storage.Job, error) {
		return nil, s.RefreshTrends(ctx)
	}})
	r.Every(jobs.Periodic{Name: JobTrendsRefresh, Every: trendsEvery, Job: storage.Job{Kind: JobTrendsRefresh, Key: JobTrendsRefresh}})
}

// decay is the weight of a use age old with half-life h.
func decay(age, h time.Duration) float64 {
	if age < 0 {
		age = 0
	}
	return math.Pow(0.5, age.Hours()/h.Hours())
}

// RefreshTrends computes the scores of tags, links and posts at core's
// clock's now and stores them (the trends job).
func (s *Service) RefreshTrends(ctx context.Context) error {
	now := s.Now()
	byUses := func(uses []storage.TrendUse) []storage.TrendScore {
		score := map[int64]float64{}
		accounts := map[int64]int{}
		for _, u := range uses {
			score[u.ItemID] += decay(now.Sub(id.Time(u.StatusID)), linkHalfLife)
			accounts[u.ItemID]++
		}
		var out []storage.TrendScore
		for item, sc := range score {
			if accounts[item] >= minTrendAccounts {
				out = append(out, storage.TrendScore{ItemID: item, Score: sc})
			}
		}
		return topScores(out)
	}
	since := id.Min(now.Add(-trendWindow))
	tags, err := s.store.TagUses(ctx, since)
	if err != nil {
		return err
	}
	if err := s.store.ReplaceTrends(ctx, TrendTag, byUses(tags), now); err != nil {
		return err
	}
	links, err := s.store.LinkUses(ctx, since)
	if err != nil {
		return err
	}
	if err := s.store.ReplaceTrends(ctx, TrendLink, byUses(links), now); err != nil {
		return err
	}
	cands, err := s.store.StatusCandidates(ctx, id.Min(now.Add(-statusWindow)))
	if err != nil {
		return err
	}
	var sts []storage.TrendScore
	for _, c := range cands {
		n := float64(c.Reblogs + c.Favourites + c.Replies)
		sts = append(sts, storage.TrendScore{ItemID: c.StatusID, Score: n * decay(now.Sub(id.Time(c.StatusID)), statusHalfLife)})
	}
	if err := s.store.ReplaceTrends(ctx, TrendStatus, topScores(sts), now); err != nil {
		return err
	}
	return s.requestTrendReviews(ctx, now)
}

// reviewThreshold is Mastodon's review_threshold: an unreviewed item is
// brought to the staff's attention when it scores above the item ranked
// third of those approved (or above zero while fewer are approved), so
// that only what would show in the public trends is mailed about.
const reviewThreshold = 3

// requestTrendReviews tells the staff who manage taxonomies, by e-mail as
// Mastodon's AdminMailer.new_trends (there is no in-app notification of
// it in Mastodon), which tags, links and posts newly await their review.
// Each item is announced once (trend_review_requests), and only while
// trends are on and need review.
func (s *Service) requestTrendReviews(ctx context.Context, now time.Time) error {
	if !s.Cfg.Instance.Trends || !s.Cfg.Instance.TrendsReview {
		return nil
	}
	fresh := map[string][]int64{}
	for _, kind := range []string{TrendTag, TrendLink, TrendStatus} {
		items, err := s.store.TrendItems(ctx, kind, false, true, 0, maxTrends)
		if err != nil {
			return err
		}
		threshold, approved := 0.0, 0
		for _, it := range items { // highest score first
			if it.Trendable != nil && *it.Trendable {
				if approved++; approved == reviewThreshold {
					threshold = it.Score
					break
				}
			}
		}
		var want []int64
		for _, it := range items {
			if it.Trendable == nil && it.Score > threshold {
				want = append(want, it.ItemID)
			}
		}
		if len(want) == 0 {
			continue
		}
		if fresh[kind], err = s.store.RequestTrendReviews(ctx, kind, want, now); err != nil {
			return err
		}
	}
	if len(fresh[TrendTag])+len(fresh[TrendLink])+len(fresh[TrendStatus]) == 0 {
		return nil
	}
	body, err := s.newTrendsMail(ctx, fresh)
	if err != nil {
		return err
	}
	s.notifyStaff(ctx, PermManageTaxonomies, "trends", "New trends up for review on "+s.siteTitle(), body)
	return nil
}

// newTrendsMail lists the items awaiting review, by kind.
func (s *Service) newTrendsMail(ctx context.Context, fresh map[string][]int64) (string, error) {
	var b strings.Builder
	b.WriteString("These are taking off and await your review before they can trend publicly:\n")
	if ids := fresh[TrendTag]; len(ids) > 0 {
		tags, err := s.store.TagsByIDs(ctx, ids)
		if err != nil {
			return "", err
		}
		b.WriteString("\nHashtags:\n")
		for _, id := range ids {
			if t, ok := tags[id]; ok {
				b.WriteString("  #" + t.Name + "\n")
			}
		}
	}
	if ids := fresh[TrendLink]; len(ids) > 0 {
		cards, err := s.store.CardsByIDs(ctx, ids)
		if err != nil {
			return "", err
		}
		b.WriteString("\nLinks:\n")
		for _, id := range ids {
			if c, ok := cards[id]; ok {
				line := c.URL
				if c.Title != "" {
					line = c.Title + " <" + c.URL + ">"
				}
				b.WriteString("  " + line + "\n")
			}
		}
	}
	if ids := fresh[TrendStatus]; len(ids) > 0 {
		sts, err := s.store.StatusesByIDs(ctx, ids)
		if err != nil {
			return "", err
		}
		b.WriteString("\nPosts:\n")
		for _, id := range ids {
			if st, ok := sts[id]; ok {
				u := st.URL
				if u == "" {
					u = st.URI
				}
				b.WriteString("  " + u + "\n")
			}
		}
	}
	b.WriteString("\nReview them at " + s.Base() + "/admin/trends")
	return b.String(), nil
}

// topScores sorts scores highest first (ties: newest item first) and keeps
// the top maxTrends.
func topScores(sc []storage.TrendScore) []storage.TrendScore {
	sort.Slice(sc, func(i, j int) bool {
		if sc[i].Score != sc[j].Score {
			return sc[i].Score > sc[j].Score
		}
		return sc[i].ItemID > sc[j].ItemID
	})
	if len(sc) > maxTrends {
		sc = sc[:maxTrends]
	}
	return sc
}

// TrendDay is a tag's or link's uses on one day (Mastodon's history).
type TrendDay struct {
	Day      time.Time
	Uses     int64
	Accounts int64
}

// TrendingTag is a trending hashtag with its week's history.
type TrendingTag struct {
	Tag       storage.HashtagRef
	History   []TrendDay
	Score     float64
	Trendable *bool // nil: not reviewed
}

// TrendingLink is a trending link (a preview card) with its history.
type TrendingLink struct {
	Card      *model.PreviewCard
	History   []TrendDay
	Score     float64
	Trendable *bool
}

// TrendingStatuses is a page of trending posts; Reviews holds each one's
// review (moderators' view).
type TrendingStatuses struct {
	View    *StatusView
	Reviews map[int64]*bool
}

// trendPage reads a page of a kind: the public's (review applied) or
// the moderators' (everything, with its review).
func (s *Service) trendPage(ctx context.Context, kind string, admin bool, offset, limit int) ([]storage.TrendItem, error) {
	if !admin && !s.Cfg.Instance.Trends {
		return nil, nil
	}
	items, err := s.store.TrendItems(ctx, kind, !admin && s.Cfg.Instance.TrendsReview, admin, offset, limit)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return items, nil
}

// history builds the last 7 days of each item, today first.
func (s *Service) history(rows []storage.ItemHistory) map[int64][]TrendDay {
	today := dayOf(s.Now())
	by := map[int64]map[int64]storage.ItemHistory{}
	for _, r := range rows {
		if by[r.ItemID] == nil {
			by[r.ItemID] = map[int64]storage.ItemHistory{}
		}
		by[r.ItemID][r.Day] = r
	}
	out := map[int64][]TrendDay{}
	for item, days := range by {
		for d := today; d > today-7; d-- {
			h := days[d]
			out[item] = append(out[item], TrendDay{Day: dateOfDay(d), Uses: h.Uses, Accounts: h.Accounts})
		}
	}
	return out
}

// emptyHistory is a week without uses.
func (s *Service) emptyHistory() []TrendDay {
	today := dayOf(s.Now())
	out := make([]TrendDay, 0, 7)
	for d := today; d > today-7; d-- {
		out = append(out, TrendDay{Day: dateOfDay(d)})
	}
	return out
}

func (s *Service) trendingTags(ctx context.Context, admin bool, offset, limit int) ([]TrendingTag, error) {
	items, err := s.trendPage(ctx, TrendTag, admin, offset, limit)
	if err != nil || len(items) == 0 {
		return []TrendingTag{}, err
	}
	return s.tagsOf(ctx, items)
}

func (s *Service) tagsOf(ctx context.Context, items []storage.TrendItem) ([]TrendingTag, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ItemID
	}
	tags, err := s.store.TagsByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	rows, err := s.store.TagHistory(ctx, ids, id.Min(dateOfDay(dayOf(s.Now())-6)))
	if err != nil {
		return nil, herr.Internal(err)
	}
	hist := s.history(rows)
	out := make([]TrendingTag, 0, len(items))
	for _, it := range items {
		t, ok := tags[it.ItemID]
		if !ok {
			continue
		}
		h := hist[it.ItemID]
		if h == nil {
			h = s.emptyHistory()
		}
		out = append(out, TrendingTag{Tag: t, History: h, Score: it.Score, Trendable: it.Trendable})
	}
	return out, nil
}

func (s *Service) trendingLinks(ctx context.Context, admin bool, offset, limit int) ([]TrendingLink, error) {
	items, err := s.trendPage(ctx, TrendLink, admin, offset, limit)
	if err != nil || len(items) == 0 {
		return []TrendingLink{}, err
	}
	return s.linksOf(ctx, items)
}

func (s *Service) linksOf(ctx context.Context, items []storage.TrendItem) ([]TrendingLink, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ItemID
	}
	cards, err := s.store.CardsByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	rows, err := s.store.LinkHistory(ctx, ids, id.Min(dateOfDay(dayOf(s.Now())-6)))
	if err != nil {
		return nil, herr.Internal(err)
	}
	hist := s.history(rows)
	out := make([]TrendingLink, 0, len(items))
	for _, it := range items {
		c, ok := cards[it.ItemID]
		if !ok {
			continue
		}
		h := hist[it.ItemID]
		if h == nil {
			h = s.emptyHistory()
		}
		out = append(out, TrendingLink{Card: c, History: h, Score: it.Score, Trendable: it.Trendable})
	}
	return out, nil
}

func (s *Service) trendingStatuses(ctx context.Context, c *Caller, admin bool, offset, limit int) (*TrendingStatuses, error) {
	items, err := s.trendPage(ctx, TrendStatus, admin, offset, limit)
	if err != nil {
		return nil, err
	}
	return s.statusesOf(ctx, c, admin, items)
}

func (s *Service) statusesOf(ctx context.Context, c *Caller, admin bool, items []storage.TrendItem) (*TrendingStatuses, error) {
	ids := make([]int64, len(items))
	reviews := map[int64]*bool{}
	for i, it := range items {
		ids[i] = it.ItemID
		reviews[it.ItemID] = it.Trendable
	}
	m, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	sts := make([]*model.Status, 0, len(ids))
	for _, sid := range ids {
		if st, ok := m[sid]; ok {
			sts = append(sts, st)
		}
	}
	v, err := s.View(ctx, c.AccountID(), sts, ViewOptions{HideMuted: !admin, Context: "public"})
	if err != nil {
		return nil, err
	}
	return &TrendingStatuses{View: v, Reviews: reviews}, nil
}

// TrendingTags is GET /api/v1/trends/tags.
func (s *Service) TrendingTags(ctx context.Context, offset, limit int) ([]TrendingTag, error) {
	return s.trendingTags(ctx, false, offset, limit)
}

// TrendingLinks is GET /api/v1/trends/links.
func (s *Service) TrendingLinks(ctx context.Context, offset, limit int) ([]TrendingLink, error) {
	return s.trendingLinks(ctx, false, offset, limit)
}

// TrendingStatuses is GET /api/v1/trends/statuses, as the caller may see it.
func (s *Service) TrendingStatuses(ctx context.Context, c *Caller, offset, limit int) (*TrendingStatuses, error) {
	return s.trendingStatuses(ctx, c, false, offset, limit)
}

// AdminTrendingTags lists every trending tag with its review (Manage
// Taxonomies).
func (s *Service) AdminTrendingTags(ctx context.Context, c *Caller, offset, limit int) ([]TrendingTag, error) {
	if err := s.Authorize(ctx, c, PermManageTaxonomies); err != nil {
		return nil, err
	}
	return s.trendingTags(ctx, true, offset, limit)
}

// AdminTrendingLinks lists every trending link with its review.
func (s *Service) AdminTrendingLinks(ctx context.Context, c *Caller, offset, limit int) ([]TrendingLink, error) {
	if err := s.Authorize(ctx, c, PermManageTaxonomies); err != nil {
		return nil, err
	}
	return s.trendingLinks(ctx, true, offset, limit)
}

// AdminTrendingStatuses lists every trending post with its review.
func (s *Service) AdminTrendingStatuses(ctx context.Context, c *Caller, offset, limit int) (*TrendingStatuses, error) {
	if err := s.Authorize(ctx, c, PermManageTaxonomies); err != nil {
		return nil, err
	}
	return s.trendingStatuses(ctx, c, true, offset, limit)
}

// ReviewTrend approves or rejects a tag, a post, a link (a preview card)
// or every post of an account for the trends (Manage Taxonomies). It
// returns the item's review.
func (s *Service) ReviewTrend(ctx context.Context, c *Caller, kind string, itemID int64, approve bool) error {
	if err := s.Authorize(ctx, c, PermManageTaxonomies); err != nil {
		return err
	}
	var err error
	switch kind {
	case TrendTag:
		var m map[int64]storage.HashtagRef
		if m, err = s.store.TagsByIDs(ctx, []int64{itemID}); err == nil && len(m) == 0 {
			err = storage.ErrNotFound
		}
	case TrendLink:
		var m map[int64]*model.PreviewCard
		if m, err = s.store.CardsByIDs(ctx, []int64{itemID}); err == nil && len(m) == 0 {
			err = storage.ErrNotFound
		}
	case TrendStatus:
		_, err = s.store.StatusByID(ctx, itemID)
	case TrendAccount:
		_, err = s.store.AccountByID(ctx, itemID)
	default:
		return herr.New(422, "unknown trend kind")
	}
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("Record not found")
	}
	if err != nil {
		return herr.Internal(err)
	}
	if err := s.store.ReviewTrend(ctx, kind, itemID, approve, c.AccountID(), s.Now()); err != nil {
		return herr.Internal(err)
	}
	action := "reject_trend"
	if approve {
		action = "approve_trend"
	}
	s.audit(ctx, c, action, kind, strconv.FormatInt(itemID, 10), "")
	return nil
}

// ReviewedItem is what approving or rejecting answers: the item with its
// review, as the moderators' list shows it (one of the three is set).
type ReviewedItem struct {
	Tag      *TrendingTag
	Link     *TrendingLink
	Statuses *TrendingStatuses
}

// ReviewTrendItem approves or rejects an item and returns it.
func (s *Service) ReviewTrendItem(ctx context.Context, c *Caller, kind string, itemID int64, approve bool) (*ReviewedItem, error) {
	if err := s.ReviewTrend(ctx, c, kind, itemID, approve); err != nil {
		return nil, err
	}
	review, err := s.store.TrendReview(ctx, kind, itemID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	items := []storage.TrendItem{{ItemID: itemID, Trendable: review}}
	out := &ReviewedItem{}
	switch kind {
	case TrendTag:
		tags, err := s.tagsOf(ctx, items)
		if err != nil || len(tags) == 0 {
			return nil, herr.NotFound("tag")
		}
		out.Tag = &tags[0]
	case TrendLink:
		links, err := s.linksOf(ctx, items)
		if err != nil || len(links) == 0 {
			return nil, herr.NotFound("link")
		}
		out.Link = &links[0]
	case TrendStatus:
		if out.Statuses, err = s.statusesOf(ctx, c, true, items); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RefreshTrendsNow recomputes the trends at once, for a moderator who does
// not want to wait for the job's next run (Manage Taxonomies).
func (s *Service) RefreshTrendsNow(ctx context.Context, c *Caller) error {
	if err := s.Authorize(ctx, c, PermManageTaxonomies); err != nil {
		return err
	}
	if err := s.RefreshTrends(ctx); err != nil {
		return herr.Internal(err)
	}
	return nil
}
