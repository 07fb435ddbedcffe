package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// What a user keeps to shape what they see and show (storage.Hiding). The
// rules that read these tables are in the timeline, notification and
// fan-out queries (timelines.go, statuses.go) and in core.

// BlockDomainForUser records a user's block of a domain.
func (s *Store) BlockDomainForUser(ctx context.Context, accountID int64, domain string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO account_domain_blocks (id, account_id, domain, created_at) VALUES (?,?,?,?)
		ON CONFLICT(account_id, domain) DO NOTHING`, id.New(), accountID, domain, ms(time.Now()))
	return wrap("block domain for user", err)
}

// UnblockDomainForUser lifts a user's block of a domain.
func (s *Store) UnblockDomainForUser(ctx context.Context, accountID int64, domain string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM account_domain_blocks WHERE account_id = ? AND domain = ?", accountID, domain)
	return wrap("unblock domain for user", err)
}

// UserDomainBlocks pages through a user's blocked domains.
func (s *Store) UserDomainBlocks(ctx context.Context, accountID int64, p model.Page) ([]storage.DomainLink, error) {
	where, args, tail, rev := pageClause("id", p)
	out, err := queryAll(ctx, s.r, "SELECT id, domain FROM account_domain_blocks WHERE account_id = ?"+where+tail,
		append([]any{accountID}, args...), func(row scanner) (storage.DomainLink, error) {
			var l storage.DomainLink
			err := row.Scan(&l.ID, &l.Domain)
			return l, err
		})
	if rev {
		slices.Reverse(out)
	}
	return out, wrap("user domain blocks", err)
}

// FollowersFromDomain lists the followers of accountID on domain.
func (s *Store) FollowersFromDomain(ctx context.Context, accountID int64, domain string) ([]int64, error) {
	v, err := queryIDs(ctx, s.r, `SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id
		WHERE f.target_id = ? AND a.domain = ?`, accountID, domain)
	return v, wrap("followers from domain", err)
}

// Endorse features an account on a profile.
func (s *Store) Endorse(ctx context.Context, accountID, targetID int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO endorsements (id, account_id, target_id, created_at) VALUES (?,?,?,?)
		ON CONFLICT(account_id, target_id) DO NOTHING`, id.New(), accountID, targetID, ms(time.Now()))
	return wrap("endorse", err)
}

// Unendorse removes an account from a profile.
func (s *Store) Unendorse(ctx context.Context, accountID, targetID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM endorsements WHERE account_id = ? AND target_id = ?", accountID, targetID)
	return wrap("unendorse", err)
}

// Endorsements pages through the accounts a user endorses.
func (s *Store) Endorsements(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error) {
	v, err := s.pageLinks(ctx, "SELECT x.id, x.target_id FROM endorsements x WHERE x.account_id = ?"+visible("x.target_id"), []any{accountID}, false, p)
	return v, wrap("endorsements", err)
}

// threadRootSQL is the root of the chain of replies above the status bound
// to its ?: the last known status walking in_reply_to_id up (bounded).
const threadRootSQL = `WITH RECURSIVE up(id, parent, depth) AS (
		SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = ?
		UNION ALL
		SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent WHERE up.depth < 1000)
	SELECT id FROM up ORDER BY depth DESC LIMIT 1`

// ThreadRoot finds the first status of a status's thread.
func (s *Store) ThreadRoot(ctx context.Context, statusID int64) (int64, error) {
	var root int64
	err := s.r.QueryRowContext(ctx, threadRootSQL, statusID).Scan(&root)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, wrap("thread root", storage.ErrNotFound)
	}
	return root, wrap("thread root", err)
}

// MuteConversation records a muted thread by its root.
func (s *Store) MuteConversation(ctx context.Context, accountID, rootID int64) error {
	_, err := s.w.ExecContext(ctx, "INSERT OR IGNORE INTO conversation_mutes (account_id, root_id, created_at) VALUES (?,?,?)",
		accountID, rootID, ms(time.Now()))
	return wrap("mute conversation", err)
}

// UnmuteConversation lifts a conversation mute.
func (s *Store) UnmuteConversation(ctx context.Context, accountID, rootID int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM conversation_mutes WHERE account_id = ? AND root_id = ?", accountID, rootID)
	return wrap("unmute conversation", err)
}

// conversationMutedBy is the SQL condition "the account in column col
// muted the thread of the status bound to the ?" (a muted root among the
// status and its ancestors); the walk up is made only for an account that
// muted some conversation.
func conversationMutedBy(col string) string {
	return `(EXISTS (SELECT 1 FROM conversation_mutes c0 WHERE c0.account_id = ` + col + `)
		AND EXISTS (WITH RECURSIVE up(id, parent, depth) AS (
				SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = ?
				UNION ALL SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent WHERE up.depth < 1000)
			SELECT 1 FROM up JOIN conversation_mutes cm ON cm.root_id = up.id AND cm.account_id = ` + col + `))`
}

// ensureTag returns the id of a tag by normalised name, creating it.
func ensureTag(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	if _, err := tx.ExecContext(ctx, "INSERT INTO tags (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO NOTHING",
		id.New(), name, ms(time.Now())); err != nil {
		return 0, err
	}
	var tid int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM tags WHERE name = ?", name).Scan(&tid)
	return tid, err
}

// FollowTag makes a user follow a hashtag.
func (s *Store) FollowTag(ctx context.Context, accountID int64, name string) (storage.HashtagRef, error) {
	ref := storage.HashtagRef{Name: name}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		tid, err := ensureTag(ctx, tx, name)
		if err != nil {
			return err
		}
		ref.ID = tid
		_, err = tx.ExecContext(ctx, `INSERT INTO followed_tags (id, account_id, tag_id, created_at) VALUES (?,?,?,?)
			ON CONFLICT(account_id, tag_id) DO NOTHING`, id.New(), accountID, tid, ms(time.Now()))
		return err
	})
	return ref, wrap("follow tag", err)
}

// UnfollowTag stops following a hashtag.
func (s *Store) UnfollowTag(ctx context.Context, accountID int64, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM followed_tags WHERE account_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)", accountID, name)
	return wrap("unfollow tag", err)
}

// FollowedTags pages through the tags a user follows.
func (s *Store) FollowedTags(ctx context.Context, accountID int64, p model.Page) ([]storage.TagLink, error) {
	where, args, tail, rev := pageClause("f.id", p)
	out, err := queryAll(ctx, s.r, "SELECT f.id, t.id, t.name FROM followed_tags f JOIN tags t ON t.id = f.tag_id WHERE f.account_id = ?"+where+tail,
		append([]any{accountID}, args...), func(row scanner) (storage.TagLink, error) {
			var l storage.TagLink
			err := row.Scan(&l.ID, &l.Tag.ID, &l.Tag.Name)
			return l, err
		})
	if rev {
		slices.Reverse(out)
	}
	return out, wrap("followed tags", err)
}

// FeatureTag features a hashtag on a profile.
func (s *Store) FeatureTag(ctx context.Context, accountID int64, name string) (*storage.FeaturedTag, error) {
	var fid int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		tid, err := ensureTag(ctx, tx, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO featured_tags (id, account_id, tag_id, created_at) VALUES (?,?,?,?)
			ON CONFLICT(account_id, tag_id) DO NOTHING`, id.New(), accountID, tid, ms(time.Now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT id FROM featured_tags WHERE account_id = ? AND tag_id = ?", accountID, tid).Scan(&fid)
	})
	if err != nil {
		return nil, wrap("feature tag", err)
	}
	all, err := s.FeaturedTags(ctx, accountID)
	if err != nil {
		return nil, wrap("feature tag", err)
	}
	for i := range all {
		if all[i].ID == fid {
			return &all[i], nil
		}
	}
	return nil, wrap("feature tag", storage.ErrNotFound)
}

// UnfeatureTag removes a featured tag by id.
func (s *Store) UnfeatureTag(ctx context.Context, accountID, featuredID int64) error {
	return wrap("unfeature tag", notFoundIfNone(s.w.ExecContext(ctx, "DELETE FROM featured_tags WHERE id = ? AND account_id = ?", featuredID, accountID)))
}

// UnfeatureTagByName removes a featured tag by the tag's name.
func (s *Store) UnfeatureTagByName(ctx context.Context, accountID int64, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM featured_tags WHERE account_id = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)", accountID, name)
	return wrap("unfeature tag by name", err)
}

// CountFeaturedTags counts a user's featured tags.
func (s *Store) CountFeaturedTags(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM featured_tags WHERE account_id = ?", accountID).Scan(&n)
	return n, wrap("count featured tags", err)
}

// FeaturedTags lists a user's featured tags with their use; the counts
// walk the account's statuses (statuses_account) once per featured tag,
// of which there are few.
func (s *Store) FeaturedTags(ctx context.Context, accountID int64) ([]storage.FeaturedTag, error) {
	out, err := queryAll(ctx, s.r, `SELECT f.id, t.id, t.name,
			(SELECT count(*) FROM statuses s WHERE s.account_id = f.account_id AND s.visibility <= 1 AND s.reblog_of_id IS NULL
				AND EXISTS (SELECT 1 FROM status_tags x WHERE x.tag_id = t.id AND x.status_id = s.id)),
			(SELECT max(s.created_at) FROM statuses s WHERE s.account_id = f.account_id AND s.visibility <= 1 AND s.reblog_of_id IS NULL
				AND EXISTS (SELECT 1 FROM status_tags x WHERE x.tag_id = t.id AND x.status_id = s.id))
		FROM featured_tags f JOIN tags t ON t.id = f.tag_id WHERE f.account_id = ? ORDER BY f.id`,
		[]any{accountID}, func(row scanner) (storage.FeaturedTag, error) {
			var f storage.FeaturedTag
			var last sql.NullInt64
			err := row.Scan(&f.ID, &f.Tag.ID, &f.Tag.Name, &f.StatusesCount, &last)
			f.LastStatusAt = fromNullMs(last)
			return f, err
		})
	return out, wrap("featured tags", err)
}

// TagSuggestions ranks the tags of an account's last 1000 statuses.
func (s *Store) TagSuggestions(ctx context.Context, accountID int64, limit int) ([]storage.HashtagRef, error) {
	out, err := queryAll(ctx, s.r, `SELECT t.id, t.name FROM
			(SELECT id FROM statuses WHERE account_id = ? AND reblog_of_id IS NULL ORDER BY id DESC LIMIT 1000) s
		JOIN status_tags x ON x.status_id = s.id JOIN tags t ON t.id = x.tag_id
		WHERE NOT EXISTS (SELECT 1 FROM featured_tags f WHERE f.account_id = ? AND f.tag_id = t.id)
		GROUP BY t.id ORDER BY count(*) DESC, t.name LIMIT ?`, []any{accountID, accountID, limit},
		func(row scanner) (storage.HashtagRef, error) {
			var t storage.HashtagRef
			err := row.Scan(&t.ID, &t.Name)
			return t, err
		})
	return out, wrap("tag suggestions", err)
}

// TagStates says which tags a user follows and features.
func (s *Store) TagStates(ctx context.Context, accountID int64, names []string) (map[string]bool, map[string]bool, error) {
	following, featuring := map[string]bool{}, map[string]bool{}
	names = dedupeStrings(names)
	if accountID == 0 || len(names) == 0 {
		return following, featuring, nil
	}
	in := placeholders(len(names))
	var args []any
	for range 2 {
		args = append(args, accountID)
		for _, n := range names {
			args = append(args, strings.ToLower(n))
		}
	}
	err := queryEach(ctx, s.r, `SELECT 'f', t.name FROM followed_tags f JOIN tags t ON t.id = f.tag_id WHERE f.account_id = ? AND t.name IN (`+in+`)
		UNION ALL SELECT 'p', t.name FROM featured_tags f JOIN tags t ON t.id = f.tag_id WHERE f.account_id = ? AND t.name IN (`+in+`)`,
		args, func(row scanner) error {
			var kind, name string
			if err := row.Scan(&kind, &name); err != nil {
				return err
			}
			if kind == "f" {
				following[name] = true
			} else {
				featuring[name] = true
			}
			return nil
		})
	return following, featuring, wrap("tag states", err)
}

// DeleteExpiredMutes sweeps the mutes whose end has passed (index
// mutes_expiry); every read already ignores them.
func (s *Store) DeleteExpiredMutes(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM mutes WHERE expires_at IS NOT NULL AND expires_at <= ?", ms(now))
	if err != nil {
		return 0, wrap("delete expired mutes", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
