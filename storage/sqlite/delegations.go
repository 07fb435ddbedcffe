package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// --- delegations ---

const delegationCols = `account_id, member_id, permissions, granted_by, created_at`

func scanDelegation(row scanner) (*model.Delegation, error) {
	var d model.Delegation
	var perms string
	var created int64
	if err := row.Scan(&d.AccountID, &d.MemberID, &perms, &d.GrantedBy, &created); err != nil {
		return notFoundOr[*model.Delegation](nil, err)
	}
	d.Permissions, d.CreatedAt = strings.Fields(perms), fromMs(created)
	return &d, nil
}

func addDelegationAction(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, e *model.DelegationAction) error {
	if e == nil {
		return nil
	}
	e.ID = id.New()
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	_, err := q.ExecContext(ctx, `INSERT INTO delegation_actions (id, account_id, member_id, member, actor_id, action, object_type,
		object_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)`,
		e.ID, e.AccountID, e.MemberID, e.Member, e.ActorID, e.Action, e.ObjectType, e.ObjectID, ms(e.CreatedAt))
	return err
}

// SaveDelegation creates or replaces a delegation and logs the grant.
func (s *Store) SaveDelegation(ctx context.Context, d *model.Delegation, entry *model.DelegationAction) error {
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now()
	}
	return wrap("save delegation", s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO delegations (`+delegationCols+`) VALUES (?,?,?,?,?)
			ON CONFLICT (account_id, member_id) DO UPDATE SET permissions = excluded.permissions, granted_by = excluded.granted_by`,
			d.AccountID, d.MemberID, strings.Join(d.Permissions, " "), d.GrantedBy, ms(d.CreatedAt))
		if err != nil {
			return err
		}
		return addDelegationAction(ctx, tx, entry)
	}))
}

// endDelegation deletes one delegation with what it let the member hold.
func endDelegation(ctx context.Context, tx *sql.Tx, accountID, memberID int64) (bool, []int64, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM delegations WHERE account_id = ? AND member_id = ?", accountID, memberID)
	if err != nil {
		return false, nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil, nil
	}
	ids, err := queryIDs(ctx, tx, "DELETE FROM tokens WHERE delegate_id = ? AND user_id = ? RETURNING id", memberID, accountID)
	if err != nil {
		return false, nil, err
	}
	_, err = tx.ExecContext(ctx, "UPDATE web_sessions SET acting_id = 0 WHERE user_id = ? AND acting_id = ?", memberID, accountID)
	return true, ids, err
}

// DeleteDelegation ends a delegation and the member's tokens for it.
func (s *Store) DeleteDelegation(ctx context.Context, accountID, memberID int64, entry *model.DelegationAction) ([]int64, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		found, got, err := endDelegation(ctx, tx, accountID, memberID)
		if err != nil {
			return err
		}
		if !found {
			return storage.ErrNotFound
		}
		ids = got
		return addDelegationAction(ctx, tx, entry)
	})
	return ids, wrap("delete delegation", err)
}

// EndMemberDelegations ends every delegation of a member.
func (s *Store) EndMemberDelegations(ctx context.Context, memberID int64, entry func(d *model.Delegation) *model.DelegationAction) ([]*model.Delegation, []int64, error) {
	var ended []*model.Delegation
	var ids []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ds, err := queryAll(ctx, tx, "SELECT "+delegationCols+" FROM delegations WHERE member_id = ?", []any{memberID}, scanDelegation)
		if err != nil {
			return err
		}
		for _, d := range ds {
			found, got, err := endDelegation(ctx, tx, d.AccountID, memberID)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			ended, ids = append(ended, d), append(ids, got...)
			if err := addDelegationAction(ctx, tx, entry(d)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, wrap("end member delegations", err)
	}
	return ended, ids, nil
}

// Delegation finds one delegation.
func (s *Store) Delegation(ctx context.Context, accountID, memberID int64) (*model.Delegation, error) {
	v, err := scanDelegation(s.r.QueryRowContext(ctx, "SELECT "+delegationCols+" FROM delegations WHERE account_id = ? AND member_id = ?",
		accountID, memberID))
	return v, wrap("delegation", err)
}

// AccountDelegations lists an account's members, oldest first.
func (s *Store) AccountDelegations(ctx context.Context, accountID int64) ([]*model.Delegation, error) {
	v, err := queryAll(ctx, s.r, "SELECT "+delegationCols+" FROM delegations WHERE account_id = ? ORDER BY created_at, member_id",
		[]any{accountID}, scanDelegation)
	return v, wrap("account delegations", err)
}

// MemberDelegations lists the delegations of a member, oldest first.
func (s *Store) MemberDelegations(ctx context.Context, memberID int64) ([]*model.Delegation, error) {
	v, err := queryAll(ctx, s.r, "SELECT "+delegationCols+" FROM delegations WHERE member_id = ? ORDER BY created_at, account_id",
		[]any{memberID}, scanDelegation)
	return v, wrap("member delegations", err)
}

// --- activity log ---

const delegationActionCols = `id, account_id, member_id, member, actor_id, action, object_type, object_id, created_at`

func scanDelegationAction(row scanner) (*model.DelegationAction, error) {
	var e model.DelegationAction
	var created int64
	if err := row.Scan(&e.ID, &e.AccountID, &e.MemberID, &e.Member, &e.ActorID, &e.Action, &e.ObjectType, &e.ObjectID, &created); err != nil {
		return notFoundOr[*model.DelegationAction](nil, err)
	}
	e.CreatedAt = fromMs(created)
	return &e, nil
}

// AddDelegationAction logs what a member did as an account.
func (s *Store) AddDelegationAction(ctx context.Context, e *model.DelegationAction) error {
	return wrap("add delegation action", addDelegationAction(ctx, s.w, e))
}

// DelegationAction finds one entry of an activity log.
func (s *Store) DelegationAction(ctx context.Context, id int64) (*model.DelegationAction, error) {
	v, err := scanDelegationAction(s.r.QueryRowContext(ctx, "SELECT "+delegationActionCols+" FROM delegation_actions WHERE id = ?", id))
	return v, wrap("delegation action", err)
}

// DelegationActions pages through an account's activity log.
func (s *Store) DelegationActions(ctx context.Context, accountID, memberID int64, p model.Page) ([]*model.DelegationAction, error) {
	q, args := "SELECT "+delegationActionCols+" FROM delegation_actions WHERE account_id = ?", []any{accountID}
	if memberID != 0 {
		q += " AND member_id = ?"
		args = append(args, memberID)
	}
	if p.Limit <= 0 {
		p.Limit = 40
	}
	v, err := queryPage(ctx, s.r, q, args, "id", p, scanDelegationAction)
	return v, wrap("delegation actions", err)
}

// SetSessionActing makes a browser session act for another account.
func (s *Store) SetSessionActing(ctx context.Context, userID, sessionID, accountID int64) error {
	return wrap("set session acting", notFoundIfNone(s.w.ExecContext(ctx,
		"UPDATE web_sessions SET acting_id = ? WHERE user_id = ? AND id = ?", accountID, userID, sessionID)))
}
