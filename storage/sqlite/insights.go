package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The admin dashboard's measures, dimensions and retention, and the trends.
// Every query is bounded by its range of days: the tables' ids sort by
// creation time (internal/id), so a range of days is a range of primary
// keys; the other columns read by time are indexed (reports_resolved,
// user_activity_days).

const dayMs = 86400000

// dayOfID is the SQL expression of the UTC day of the id in col.
func dayOfID(col string) string { return "((" + col + " >> 16) / " + fmt.Sprint(dayMs) + ")" }

// idOfDay is the smallest id made on day d.
func idOfDay(d int64) int64 { return id.Min(time.UnixMilli(d * dayMs)) }

// RecordActivity notes an active day of a user (idempotent).
func (s *Store) RecordActivity(ctx context.Context, userID, day int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO user_activity_days (day, user_id) SELECT ?, id FROM users WHERE id = ?
		ON CONFLICT (day, user_id) DO NOTHING`, day, userID)
	return wrap("record activity", err)
}

// measureSQL returns a measure's daily query (rows: day, value) and its
// total query (one row), with their arguments; total "" sums the days.
func measureSQL(q storage.MeasureQuery) (daily, total string, args []any, err error) {
	lo, hi := idOfDay(q.From), idOfDay(q.To)
	idRange := func(col string) string { return col + " >= ? AND " + col + " < ?" }
	switch q.Key {
	case "active_users":
		return `SELECT day, COUNT(*) FROM user_activity_days WHERE day >= ? AND day < ? GROUP BY day`,
			`SELECT COUNT(DISTINCT user_id) FROM user_activity_days WHERE day >= ? AND day < ?`, []any{q.From, q.To}, nil
	case "new_users":
		return `SELECT ` + dayOfID("u.id") + ` d, COUNT(*) FROM users u WHERE ` + idRange("u.id") + ` GROUP BY d`, "", []any{lo, hi}, nil
	case "interactions":
		// Favourites, boosts and replies (by others) of local statuses.
		return `SELECT d, SUM(n) FROM (
			SELECT ` + dayOfID("f.id") + ` d, COUNT(*) n FROM favourites f JOIN statuses s ON s.id = f.status_id
				WHERE ` + idRange("f.id") + ` AND s.local = 1 AND f.pending_approval = 0 GROUP BY d
			UNION ALL SELECT ` + dayOfID("b.id") + ` d, COUNT(*) n FROM statuses b JOIN statuses s ON s.id = b.reblog_of_id
				WHERE ` + idRange("b.id") + ` AND b.reblog_of_id IS NOT NULL AND s.local = 1 GROUP BY d
			UNION ALL SELECT ` + dayOfID("r.id") + ` d, COUNT(*) n FROM statuses r JOIN statuses s ON s.id = r.in_reply_to_id
				WHERE ` + idRange("r.id") + ` AND r.in_reply_to_id IS NOT NULL AND s.local = 1 AND r.account_id <> s.account_id GROUP BY d
			) x GROUP BY d`, "", []any{lo, hi, lo, hi, lo, hi}, nil
	case "opened_reports":
		return `SELECT ` + dayOfID("id") + ` d, COUNT(*) FROM reports WHERE ` + idRange("id") + ` GROUP BY d`, "", []any{lo, hi}, nil
	case "resolved_reports":
		return `SELECT action_taken_at / ` + fmt.Sprint(dayMs) + ` d, COUNT(*) FROM reports
			WHERE action_taken_at >= ? AND action_taken_at < ? GROUP BY d`, "", []any{q.From * dayMs, q.To * dayMs}, nil
	case "tag_accounts", "tag_uses", "tag_servers":
		// Public and unlisted posts, as the tags' history.
		count := map[string]string{"tag_accounts": "COUNT(DISTINCT s.account_id)", "tag_uses": "COUNT(*)",
			"tag_servers": "COUNT(DISTINCT a.domain)"}[q.Key]
		from := ` FROM status_tags st JOIN statuses s ON s.id = st.status_id JOIN accounts a ON a.id = s.account_id
			WHERE st.tag_id = ? AND ` + idRange("st.status_id") + ` AND s.visibility IN (0, 1)`
		if q.Key == "tag_servers" {
			from += " AND a.domain <> ''"
		}
		args := []any{q.TagID, lo, hi}
		if q.Key == "tag_uses" {
			return `SELECT ` + dayOfID("st.status_id") + ` d, ` + count + from + ` GROUP BY d`, "", args, nil
		}
		return `SELECT ` + dayOfID("st.status_id") + ` d, ` + count + from + ` GROUP BY d`, `SELECT ` + count + from, args, nil
	case "instance_accounts":
		return `SELECT ` + dayOfID("id") + ` d, COUNT(*) FROM accounts WHERE domain = ? AND ` + idRange("id") + ` GROUP BY d`,
			"", []any{q.Domain, lo, hi}, nil
	case "instance_media_attachments":
		return `SELECT ` + dayOfID("m.id") + ` d, SUM(m.file_size) FROM media_attachments m JOIN accounts a ON a.id = m.account_id
			WHERE a.domain = ? AND ` + idRange("m.id") + ` GROUP BY d`, "", []any{q.Domain, lo, hi}, nil
	case "instance_reports":
		return `SELECT ` + dayOfID("r.id") + ` d, COUNT(*) FROM reports r JOIN accounts a ON a.id = r.target_account_id
			WHERE a.domain = ? AND ` + idRange("r.id") + ` GROUP BY d`, "", []any{q.Domain, lo, hi}, nil
	case "instance_statuses":
		return `SELECT ` + dayOfID("s.id") + ` d, COUNT(*) FROM accounts a JOIN statuses s ON s.account_id = a.id
			WHERE a.domain = ? AND ` + idRange("s.id") + ` GROUP BY d`, "", []any{q.Domain, lo, hi}, nil
	case "instance_follows":
		return `SELECT ` + dayOfID("f.id") + ` d, COUNT(*) FROM follows f JOIN accounts t ON t.id = f.target_id
			JOIN accounts l ON l.id = f.account_id WHERE t.domain = ? AND l.domain = '' AND ` + idRange("f.id") + ` GROUP BY d`,
			"", []any{q.Domain, lo, hi}, nil
	case "instance_followers":
		return `SELECT ` + dayOfID("f.id") + ` d, COUNT(*) FROM follows f JOIN accounts r ON r.id = f.account_id
			JOIN accounts l ON l.id = f.target_id WHERE r.domain = ? AND l.domain = '' AND ` + idRange("f.id") + ` GROUP BY d`,
			"", []any{q.Domain, lo, hi}, nil
	}
	return "", "", nil, fmt.Errorf("unknown measure %q", q.Key)
}

// Measure returns a measure's daily values and its total.
func (s *Store) Measure(ctx context.Context, q storage.MeasureQuery) ([]storage.DayCount, int64, error) {
	daily, total, args, err := measureSQL(q)
	if err != nil {
		return nil, 0, wrap("measure", err)
	}
	var sum int64
	out, err := queryAll(ctx, s.r, daily, args, func(r scanner) (storage.DayCount, error) {
		var d storage.DayCount
		var v sql.NullInt64
		err := r.Scan(&d.Day, &v)
		d.Value = v.Int64
		sum += d.Value
		return d, err
	})
	if err != nil {
		return nil, 0, wrap("measure", err)
	}
	if total == "" {
		return out, sum, nil
	}
	var t int64
	if err := s.r.QueryRowContext(ctx, total, args...).Scan(&t); err != nil {
		return nil, 0, wrap("measure", err)
	}
	return out, t, nil
}

// Dimension returns a dimension's top values over the range.
func (s *Store) Dimension(ctx context.Context, q storage.MeasureQuery, limit int) ([]storage.KeyCount, error) {
	lo, hi := idOfDay(q.From), idOfDay(q.To)
	var query string
	var args []any
	switch q.Key {
	case "languages":
		// The languages of the local users' posts.
		query = `SELECT language, COUNT(*) n FROM statuses WHERE id >= ? AND id < ? AND local = 1 AND reblog_of_id IS NULL
			GROUP BY language`
		args = []any{lo, hi}
	case "sources":
		// The apps new users signed up with ("" for the web).
		query = `SELECT COALESCE(p.name, ''), COUNT(*) n FROM users u LEFT JOIN registrations g ON g.user_id = u.id
			LEFT JOIN apps p ON p.id = g.app_id WHERE u.id >= ? AND u.id < ? GROUP BY COALESCE(p.name, '')`
		args = []any{lo, hi}
	case "servers":
		// The remote servers whose posts arrived most.
		query = `SELECT a.domain, COUNT(*) n FROM statuses s JOIN accounts a ON a.id = s.account_id
			WHERE s.id >= ? AND s.id < ? AND s.local = 0 GROUP BY a.domain`
		args = []any{lo, hi}
	case "tag_servers":
		query = `SELECT a.domain, COUNT(*) n FROM status_tags st JOIN statuses s ON s.id = st.status_id
			JOIN accounts a ON a.id = s.account_id WHERE st.tag_id = ? AND st.status_id >= ? AND st.status_id < ?
			AND s.visibility IN (0, 1) GROUP BY a.domain`
		args = []any{q.TagID, lo, hi}
	case "tag_languages":
		query = `SELECT s.language, COUNT(*) n FROM status_tags st JOIN statuses s ON s.id = st.status_id
			WHERE st.tag_id = ? AND st.status_id >= ? AND st.status_id < ? AND s.visibility IN (0, 1) GROUP BY s.language`
		args = []any{q.TagID, lo, hi}
	case "instance_accounts":
		// The domain's accounts with the most followers here.
		query = `SELECT a.username, COUNT(*) n FROM accounts a JOIN follows f ON f.target_id = a.id
			JOIN accounts l ON l.id = f.account_id AND l.domain = '' WHERE a.domain = ? GROUP BY a.id, a.username`
		args = []any{q.Domain}
	case "instance_languages":
		query = `SELECT s.language, COUNT(*) n FROM accounts a JOIN statuses s ON s.account_id = a.id
			WHERE a.domain = ? AND s.id >= ? AND s.id < ? AND s.reblog_of_id IS NULL GROUP BY s.language`
		args = []any{q.Domain, lo, hi}
	default:
		return nil, wrap("dimension", fmt.Errorf("unknown dimension %q", q.Key))
	}
	query = "SELECT * FROM (" + query + ") x ORDER BY n DESC, 1 LIMIT ?"
	out, err := queryAll(ctx, s.r, query, append(args, limit), func(r scanner) (storage.KeyCount, error) {
		var k storage.KeyCount
		return k, r.Scan(&k.Key, &k.Value)
	})
	return out, wrap("dimension", err)
}

// SpaceUsage is the database file's size (with its WAL) and the media
// files' total.
func (s *Store) SpaceUsage(ctx context.Context) (int64, int64, error) {
	var db int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			db += fi.Size()
		}
	}
	var media sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT COALESCE(SUM(file_size), 0) FROM media_attachments WHERE file_key <> '')`).Scan(&media)
	return db, media.Int64, wrap("space usage", err)
}

// EngineVersion is SQLite's version.
func (s *Store) EngineVersion(ctx context.Context) (string, string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v)
	return "SQLite", v, wrap("engine version", err)
}

// Retention counts the cohorts of the users who signed up in [from, to).
func (s *Store) Retention(ctx context.Context, from, to int64) ([]storage.DayCount, []storage.CohortCount, error) {
	lo, hi := idOfDay(from), idOfDay(to)
	sizes, err := queryAll(ctx, s.r, `SELECT `+dayOfID("id")+` d, COUNT(*) FROM users WHERE id >= ? AND id < ? GROUP BY d`,
		[]any{lo, hi}, func(r scanner) (storage.DayCount, error) {
			var d storage.DayCount
			return d, r.Scan(&d.Day, &d.Value)
		})
	if err != nil {
		return nil, nil, wrap("retention", err)
	}
	active, err := queryAll(ctx, s.r, `SELECT `+dayOfID("u.id")+` c, a.day, COUNT(*) FROM users u
		JOIN user_activity_days a ON a.user_id = u.id AND a.day >= ? AND a.day < ?
		WHERE u.id >= ? AND u.id < ? GROUP BY c, a.day`, []any{from, to, lo, hi}, func(r scanner) (storage.CohortCount, error) {
		var c storage.CohortCount
		return c, r.Scan(&c.Cohort, &c.Active, &c.Users)
	})
	return sizes, active, wrap("retention", err)
}

// RetentionPeriod counts the distinct users of each sign-up day active in
// a period.
func (s *Store) RetentionPeriod(ctx context.Context, from, to, activeFrom, activeTo int64) ([]storage.DayCount, error) {
	out, err := queryAll(ctx, s.r, `SELECT `+dayOfID("u.id")+` c, COUNT(DISTINCT u.id) FROM users u
		JOIN user_activity_days a ON a.user_id = u.id AND a.day >= ? AND a.day < ?
		WHERE u.id >= ? AND u.id < ? GROUP BY c`, []any{activeFrom, activeTo, idOfDay(from), idOfDay(to)},
		func(r scanner) (storage.DayCount, error) {
			var d storage.DayCount
			return d, r.Scan(&d.Day, &d.Value)
		})
	return out, wrap("retention period", err)
}

// trendableStatus is the SQL condition on statuses s (and their authors a)
// that may trend: public posts, not replies or boosts, not sensitive, by
// discoverable accounts that are not limited.
const trendableStatus = `s.visibility = 0 AND s.reblog_of_id IS NULL AND s.in_reply_to_id IS NULL AND s.sensitive = 0
	AND s.spoiler_text = '' AND s.pending_approval = 0 AND a.discoverable = 1 AND a.silenced_at IS NULL
	AND a.suspended_at IS NULL`

func scanUse(r scanner) (storage.TrendUse, error) {
	var u storage.TrendUse
	return u, r.Scan(&u.ItemID, &u.AccountID, &u.StatusID)
}

// TagUses lists each account's last use of each tag since minID.
func (s *Store) TagUses(ctx context.Context, minID int64) ([]storage.TrendUse, error) {
	out, err := queryAll(ctx, s.r, `SELECT st.tag_id, s.account_id, MAX(s.id) FROM statuses s
		JOIN accounts a ON a.id = s.account_id JOIN status_tags st ON st.status_id = s.id
		WHERE s.id >= ? AND `+trendableStatus+` GROUP BY st.tag_id, s.account_id`, []any{minID}, scanUse)
	return out, wrap("tag uses", err)
}

// LinkUses lists each account's last share of each link since minID.
func (s *Store) LinkUses(ctx context.Context, minID int64) ([]storage.TrendUse, error) {
	out, err := queryAll(ctx, s.r, `SELECT sc.card_id, s.account_id, MAX(s.id) FROM statuses s
		JOIN accounts a ON a.id = s.account_id JOIN status_cards sc ON sc.status_id = s.id
		JOIN preview_cards c ON c.id = sc.card_id AND c.failed = 0
		WHERE s.id >= ? AND `+trendableStatus+` GROUP BY sc.card_id, s.account_id`, []any{minID}, scanUse)
	return out, wrap("link uses", err)
}

// StatusCandidates lists the statuses since minID that may trend and were
// interacted with.
func (s *Store) StatusCandidates(ctx context.Context, minID int64) ([]storage.TrendCandidate, error) {
	out, err := queryAll(ctx, s.r, `SELECT s.id, s.reblogs_count, s.favourites_count, s.replies_count FROM statuses s
		JOIN accounts a ON a.id = s.account_id
		WHERE s.id >= ? AND `+trendableStatus+` AND (s.reblogs_count + s.favourites_count + s.replies_count) > 0`,
		[]any{minID}, func(r scanner) (storage.TrendCandidate, error) {
			var c storage.TrendCandidate
			err := r.Scan(&c.StatusID, &c.Reblogs, &c.Favourites, &c.Replies)
			c.CreatedAtDay = (c.StatusID >> 16) / dayMs
			return c, err
		})
	return out, wrap("status candidates", err)
}

// ReplaceTrends replaces a kind's scores.
func (s *Store) ReplaceTrends(ctx context.Context, kind string, scores []storage.TrendScore, at time.Time) error {
	return wrap("replace trends", s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM trends WHERE kind = ?", kind); err != nil {
			return err
		}
		for _, sc := range scores {
			if _, err := tx.ExecContext(ctx, "INSERT INTO trends (kind, item_id, score, computed_at) VALUES (?, ?, ?, ?)",
				kind, sc.ItemID, sc.Score, ms(at)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TrendItems is a page of a kind's trending items.
func (s *Store) TrendItems(ctx context.Context, kind string, approvedOnly, withRejected bool, offset, limit int) ([]storage.TrendItem, error) {
	// A status's author may be approved as a whole (kind 'account').
	review := `LEFT JOIN trend_reviews r ON r.kind = t.kind AND r.item_id = t.item_id`
	trendable := "r.trendable"
	if kind == "status" {
		review += ` LEFT JOIN statuses s ON s.id = t.item_id
			LEFT JOIN trend_reviews ar ON ar.kind = 'account' AND ar.item_id = s.account_id`
		trendable = "CASE WHEN r.trendable IS NOT NULL THEN r.trendable WHEN ar.trendable = 1 THEN 1 ELSE NULL END"
	}
	where := "t.kind = ?"
	switch {
	case approvedOnly:
		where += " AND " + trendable + " = 1"
	case !withRejected:
		where += " AND (" + trendable + " IS NULL OR " + trendable + " = 1)"
	}
	out, err := queryAll(ctx, s.r, `SELECT t.item_id, t.score, `+trendable+` FROM trends t `+review+` WHERE `+where+`
		ORDER BY t.score DESC, t.item_id DESC LIMIT ? OFFSET ?`, []any{kind, limit, offset},
		func(r scanner) (storage.TrendItem, error) {
			var it storage.TrendItem
			var tr sql.NullInt64
			err := r.Scan(&it.ItemID, &it.Score, &tr)
			if tr.Valid {
				b := tr.Int64 == 1
				it.Trendable = &b
			}
			return it, err
		})
	return out, wrap("trend items", err)
}

// ReviewTrend records a moderator's decision.
func (s *Store) ReviewTrend(ctx context.Context, kind string, itemID int64, trendable bool, by int64, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO trend_reviews (kind, item_id, trendable, reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kind, item_id) DO UPDATE SET trendable = excluded.trendable, reviewed_by = excluded.reviewed_by,
		reviewed_at = excluded.reviewed_at`, kind, itemID, b2i(trendable), nullID(by), ms(at))
	return wrap("review trend", err)
}

// RequestTrendReviews records review requests, returning the new ones.
func (s *Store) RequestTrendReviews(ctx context.Context, kind string, itemIDs []int64, at time.Time) ([]int64, error) {
	var out []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range itemIDs {
			res, err := tx.ExecContext(ctx, `INSERT INTO trend_review_requests (kind, item_id, requested_at) VALUES (?, ?, ?)
				ON CONFLICT (kind, item_id) DO NOTHING`, kind, id, ms(at))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out = append(out, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("request trend reviews", err)
	}
	return out, nil
}

// TrendReview is an item's review.
func (s *Store) TrendReview(ctx context.Context, kind string, itemID int64) (*bool, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, "SELECT trendable FROM trend_reviews WHERE kind = ? AND item_id = ?", kind, itemID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("trend review", err)
	}
	b := v == 1
	return &b, nil
}

func scanHistory(r scanner) (storage.ItemHistory, error) {
	var h storage.ItemHistory
	return h, r.Scan(&h.ItemID, &h.Day, &h.Uses, &h.Accounts)
}

// TagHistory counts the uses of tags per day since minID, in public and
// unlisted posts (as Mastodon's, which counts the posts it distributes).
func (s *Store) TagHistory(ctx context.Context, tagIDs []int64, minID int64) ([]storage.ItemHistory, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s.r, `SELECT st.tag_id, `+dayOfID("st.status_id")+` d, COUNT(*), COUNT(DISTINCT s.account_id)
		FROM status_tags st JOIN statuses s ON s.id = st.status_id
		WHERE st.tag_id IN (`+placeholders(len(tagIDs))+`) AND st.status_id >= ? AND s.visibility IN (0, 1)
		GROUP BY st.tag_id, d`,
		append(int64Args(tagIDs), minID), scanHistory)
	return out, wrap("tag history", err)
}

// LinkHistory counts the shares of links per day since minID.
func (s *Store) LinkHistory(ctx context.Context, cardIDs []int64, minID int64) ([]storage.ItemHistory, error) {
	if len(cardIDs) == 0 {
		return nil, nil
	}
	out, err := queryAll(ctx, s.r, `SELECT sc.card_id, `+dayOfID("sc.status_id")+` d, COUNT(*), COUNT(DISTINCT s.account_id)
		FROM status_cards sc JOIN statuses s ON s.id = sc.status_id
		WHERE sc.card_id IN (`+placeholders(len(cardIDs))+`) AND sc.status_id >= ? AND s.visibility IN (0, 1)
		GROUP BY sc.card_id, d`,
		append(int64Args(cardIDs), minID), scanHistory)
	return out, wrap("link history", err)
}

// TagsByIDs loads tags.
func (s *Store) TagsByIDs(ctx context.Context, ids []int64) (map[int64]storage.HashtagRef, error) {
	out := map[int64]storage.HashtagRef{}
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, "SELECT id, name FROM tags WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids),
		func(r scanner) error {
			var t storage.HashtagRef
			if err := r.Scan(&t.ID, &t.Name); err != nil {
				return err
			}
			out[t.ID] = t
			return nil
		})
	return out, wrap("tags by ids", err)
}

// CardsByIDs loads preview cards.
func (s *Store) CardsByIDs(ctx context.Context, ids []int64) (map[int64]*model.PreviewCard, error) {
	out := map[int64]*model.PreviewCard{}
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, "SELECT "+cardColumns+" FROM preview_cards WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids),
		func(r scanner) error {
			c, err := scanCard(r)
			if err != nil {
				return err
			}
			out[c.ID] = c
			return nil
		})
	return out, wrap("cards by ids", err)
}
