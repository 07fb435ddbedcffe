package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

const pollColumns = "status_id, options, counts, multiple, hide_totals, expires_at, closed_at, votes_count, voters_count"

func scanPoll(row scanner) (*model.Poll, error) {
	var p model.Poll
	var options, counts string
	var expires, closed sql.NullInt64
	if err := row.Scan(&p.StatusID, &options, &counts, &p.Multiple, &p.HideTotals, &expires, &closed,
		&p.VotesCount, &p.VotersCount); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(options), &p.Options); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(counts), &p.Counts); err != nil {
		return nil, err
	}
	for len(p.Counts) < len(p.Options) {
		p.Counts = append(p.Counts, 0)
	}
	p.ExpiresAt, p.ClosedAt = fromNullMs(expires), fromNullMs(closed)
	return &p, nil
}

func getPoll(ctx context.Context, q queryer, statusID int64) (*model.Poll, error) {
	p, err := scanPoll(q.QueryRowContext(ctx, "SELECT "+pollColumns+" FROM polls WHERE status_id = ?", statusID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	return p, err
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// insertPoll writes a status's poll inside the status's transaction.
func insertPoll(ctx context.Context, tx *sql.Tx, statusID int64, p *model.Poll) error {
	p.StatusID = statusID
	if len(p.Counts) != len(p.Options) {
		p.Counts = make([]int64, len(p.Options))
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO polls ("+pollColumns+") VALUES (?,?,?,?,?,?,?,?,?)",
		statusID, jsonText(p.Options), jsonText(p.Counts), b2i(p.Multiple), b2i(p.HideTotals),
		msPtr(p.ExpiresAt), msPtr(p.ClosedAt), p.VotesCount, p.VotersCount)
	return err
}

// PollsOf returns the polls of the statuses among ids.
func (s *Store) PollsOf(ctx context.Context, ids []int64) (map[int64]*model.Poll, error) {
	out := map[int64]*model.Poll{}
	if len(ids) == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, "SELECT "+pollColumns+" FROM polls WHERE status_id IN ("+placeholders(len(ids))+")",
		int64Args(ids), func(r scanner) error {
			p, err := scanPoll(r)
			if err == nil {
				out[p.StatusID] = p
			}
			return err
		})
	return out, wrap("polls of", err)
}

// PollVotesOf returns accountID's choices on the polls among ids.
func (s *Store) PollVotesOf(ctx context.Context, accountID int64, ids []int64) (map[int64][]int, error) {
	out := map[int64][]int{}
	if len(ids) == 0 || accountID == 0 {
		return out, nil
	}
	err := queryEach(ctx, s.r, "SELECT status_id, choice FROM poll_votes WHERE account_id = ? AND status_id IN ("+
		placeholders(len(ids))+") ORDER BY status_id, choice", append([]any{accountID}, int64Args(ids)...), func(r scanner) error {
		var sid int64
		var c int
		if err := r.Scan(&sid, &c); err != nil {
			return err
		}
		out[sid] = append(out[sid], c)
		return nil
	})
	return out, wrap("poll votes of", err)
}

// VotePoll records a vote and moves the poll's counts (storage.Polls).
func (s *Store) VotePoll(ctx context.Context, v storage.PollVote) (*model.Poll, error) {
	var out *model.Poll
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The counts are rewritten from what is read: votes take turns.
		if err := s.serialize(ctx, tx, "poll:"+strconv.FormatInt(v.StatusID, 10)); err != nil {
			return err
		}
		p, err := getPoll(ctx, tx, v.StatusID)
		if err != nil {
			return err
		}
		if p.Expired(v.Now) {
			return storage.ErrPollClosed
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM poll_votes WHERE status_id = ? AND account_id = ?",
			v.StatusID, v.AccountID).Scan(&n); err != nil {
			return err
		}
		if n > 0 && !(v.Add && p.Multiple) {
			return storage.ErrPollVoted
		}
		for i, c := range v.Choices {
			if c < 0 || c >= len(p.Options) {
				return storage.ErrNotFound
			}
			var dup int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM poll_votes WHERE status_id = ? AND account_id = ? AND choice = ?",
				v.StatusID, v.AccountID, c).Scan(&dup); err != nil {
				return err
			}
			if dup > 0 {
				return storage.ErrPollVoted
			}
			uri := ""
			if i < len(v.URIs) {
				uri = v.URIs[i]
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO poll_votes (id, status_id, account_id, choice, uri, created_at)
				VALUES (?,?,?,?,?,?)`, id.New(), v.StatusID, v.AccountID, c, uri, ms(v.Now)); err != nil {
				return err
			}
			p.Counts[c]++
			p.VotesCount++
		}
		if n == 0 {
			p.VotersCount++
		}
		if _, err := tx.ExecContext(ctx, "UPDATE polls SET counts = ?, votes_count = ?, voters_count = ? WHERE status_id = ?",
			jsonText(p.Counts), p.VotesCount, p.VotersCount, p.StatusID); err != nil {
			return err
		}
		if err := insertJobs(ctx, tx, v.Jobs); err != nil {
			return err
		}
		out = p
		return insertEvents(ctx, tx, v.Events)
	})
	if err != nil {
		return nil, wrap("vote poll", err)
	}
	return out, nil
}

// UpdateRemotePoll stores what a remote poll's server says of it now:
// its counts and end (a poll ended here keeps its end); closed_at is set
// by ClosePoll alone. New options (or multiple) are an edit: the votes
// cast here are deleted.
func (s *Store) UpdateRemotePoll(ctx context.Context, upd *model.Poll) (*model.Poll, error) {
	var out *model.Poll
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.serialize(ctx, tx, "poll:"+strconv.FormatInt(upd.StatusID, 10)); err != nil {
			return err
		}
		p, err := updateRemotePollIn(ctx, tx, upd)
		out = p
		return err
	})
	if err != nil {
		return nil, wrap("update remote poll", err)
	}
	return out, nil
}

// updateRemotePollIn is UpdateRemotePoll inside tx (serialized on the
// poll by the caller).
func updateRemotePollIn(ctx context.Context, tx *sql.Tx, upd *model.Poll) (*model.Poll, error) {
	p, err := getPoll(ctx, tx, upd.StatusID)
	if errors.Is(err, storage.ErrNotFound) {
		// A post that gained a poll by an edit.
		p = &model.Poll{StatusID: upd.StatusID, Options: upd.Options, Counts: upd.Counts, Multiple: upd.Multiple, ExpiresAt: upd.ExpiresAt,
			VotesCount: upd.VotesCount, VotersCount: upd.VotersCount}
		return p, insertPoll(ctx, tx, upd.StatusID, p)
	}
	if err != nil {
		return nil, err
	}
	if !slices.Equal(upd.Options, p.Options) || upd.Multiple != p.Multiple {
		// Its author edited the choices: the votes cast here were for
		// other choices and go, as Mastodon resets them; the counts are
		// the server's.
		if _, err := tx.ExecContext(ctx, "DELETE FROM poll_votes WHERE status_id = ?", p.StatusID); err != nil {
			return nil, err
		}
		p.Options, p.Counts = upd.Options, make([]int64, len(upd.Options))
		for i := range p.Counts {
			if i < len(upd.Counts) {
				p.Counts[i] = max(upd.Counts[i], 0)
			}
		}
		p.VotesCount = max(upd.VotesCount, 0)
		p.VotersCount = max(upd.VotersCount, 0)
	} else if len(upd.Options) == len(p.Options) {
		p.Options = upd.Options
		for i := range p.Counts {
			if i < len(upd.Counts) {
				p.Counts[i] = max(upd.Counts[i], 0)
			}
		}
		p.VotesCount = max(upd.VotesCount, 0)
		p.VotersCount = max(upd.VotersCount, 0)
	}
	p.Multiple = upd.Multiple
	if upd.ExpiresAt != nil && p.ClosedAt == nil {
		p.ExpiresAt = upd.ExpiresAt
	}
	_, err = tx.ExecContext(ctx, `UPDATE polls SET options = ?, counts = ?, multiple = ?, expires_at = ?, closed_at = ?,
		votes_count = ?, voters_count = ? WHERE status_id = ?`, jsonText(p.Options), jsonText(p.Counts), b2i(p.Multiple),
		msPtr(p.ExpiresAt), msPtr(p.ClosedAt), p.VotesCount, p.VotersCount, p.StatusID)
	return p, err
}

// PollVoters returns the accounts that voted on a poll.
func (s *Store) PollVoters(ctx context.Context, statusID int64) ([]int64, error) {
	ids, err := queryIDs(ctx, s.r, "SELECT DISTINCT account_id FROM poll_votes WHERE status_id = ?", statusID)
	return ids, wrap("poll voters", err)
}

// ClosePoll marks a poll ended and notifies its local author and voters.
func (s *Store) ClosePoll(ctx context.Context, statusID int64, at time.Time, events []model.OutboxEvent) (bool, []int64, error) {
	closed := false
	var notified []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		closed, notified = false, nil
		res, err := tx.ExecContext(ctx, "UPDATE polls SET closed_at = ? WHERE status_id = ? AND closed_at IS NULL", ms(at), statusID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		closed = true
		var authorID int64
		if err := tx.QueryRowContext(ctx, "SELECT account_id FROM statuses WHERE id = ?", statusID).Scan(&authorID); err != nil {
			return err
		}
		// The author and every local voter, as Mastodon's
		// PollExpirationNotifyWorker; the notification is "from" the author.
		ids, err := queryIDs(ctx, tx, `SELECT ? UNION SELECT DISTINCT account_id FROM poll_votes WHERE status_id = ?`, authorID, statusID)
		if err != nil {
			return err
		}
		for _, aid := range ids {
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO notifications (id, account_id, from_account_id, type, status_id, created_at)
				SELECT ?, a.id, ?, ?, ?, ? FROM accounts a WHERE a.id = ? AND a.domain = ''`,
				id.New(), authorID, model.NotifyPoll, statusID, ms(at), aid)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				notified = append(notified, aid)
			}
		}
		return insertEvents(ctx, tx, events)
	})
	if err != nil {
		return false, nil, wrap("close poll", err)
	}
	return closed, notified, nil
}
