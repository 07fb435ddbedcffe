package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Interaction policies are stored as JSON: a post's (statuses.interaction_policy)
// and an account's defaults (interaction_defaults).

func encodePolicy(p *model.InteractionPolicy) (any, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func decodePolicy(v sql.NullString) (*model.InteractionPolicy, error) {
	if !v.Valid || v.String == "" {
		return nil, nil
	}
	if kept, ok := decodedPolicies.Load(v.String); ok {
		p := kept.(model.InteractionPolicy).Clone()
		return &p, nil
	}
	var p model.InteractionPolicy
	if err := json.Unmarshal([]byte(v.String), &p); err != nil {
		return nil, err
	}
	if decodedPolicyCount.Add(1) <= maxDecodedPolicies {
		decodedPolicies.Store(v.String, p.Clone())
	}
	return &p, nil
}

// decodedPolicies keeps the decoded form of the policy texts read: most
// posts carry one of a few policies (their authors' defaults), and
// decoding the JSON of every row was a sixth of a home page's store time.
// A text always decodes to the same policy, so nothing needs invalidating;
// the count bounds the memory (texts past it are decoded each time).
var (
	decodedPolicies    sync.Map // policy text → model.InteractionPolicy
	decodedPolicyCount atomic.Int64
)

const maxDecodedPolicies = 1024

// InteractionDefaults returns an account's default policies.
func (s *Store) InteractionDefaults(ctx context.Context, accountID int64) (model.InteractionDefaults, error) {
	var d model.InteractionDefaults
	var raw string
	err := s.r.QueryRowContext(ctx, "SELECT policies FROM interaction_defaults WHERE account_id = ?", accountID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return d, wrap("interaction defaults", err)
	}
	return d, wrap("interaction defaults", json.Unmarshal([]byte(raw), &d))
}

// SetInteractionDefaults replaces an account's default policies.
func (s *Store) SetInteractionDefaults(ctx context.Context, accountID int64, d model.InteractionDefaults) error {
	b, err := json.Marshal(d)
	if err != nil {
		return wrap("set interaction defaults", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO interaction_defaults (account_id, policies) VALUES (?, ?)
		ON CONFLICT(account_id) DO UPDATE SET policies = excluded.policies`, accountID, string(b))
	return wrap("set interaction defaults", err)
}

// SetStatusPolicy replaces a status's policy.
func (s *Store) SetStatusPolicy(ctx context.Context, statusID int64, p *model.InteractionPolicy, events []model.OutboxEvent) error {
	return wrap("set status policy", s.tx(ctx, func(tx *sql.Tx) error {
		policy, err := encodePolicy(p)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE statuses SET interaction_policy = ? WHERE id = ?", policy, statusID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return storage.ErrNotFound
		}
		return insertEvents(ctx, tx, events)
	}))
}

const requestColumns = `id, kind, status_id, target_account_id, account_id, reply_id, uri, request_uri,
	created_at, accepted_at, rejected_at`

func scanRequest(row scanner) (*model.InteractionRequest, error) {
	var r model.InteractionRequest
	var reply, accepted, rejected sql.NullInt64
	var created int64
	err := row.Scan(&r.ID, &r.Kind, &r.StatusID, &r.TargetAccountID, &r.AccountID, &reply, &r.URI, &r.RequestURI,
		&created, &accepted, &rejected)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.ReplyID = reply.Int64
	r.CreatedAt = fromMs(created)
	r.AcceptedAt, r.RejectedAt = fromNullMs(accepted), fromNullMs(rejected)
	return &r, nil
}

// insertInteractionRequest writes a request inside tx (its id made here
// when unset).
func insertInteractionRequest(ctx context.Context, tx *sql.Tx, r *model.InteractionRequest) error {
	if r.ID == 0 {
		r.ID = id.New()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO interaction_requests (`+requestColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		r.ID, string(r.Kind), r.StatusID, r.TargetAccountID, r.AccountID, nullID(r.ReplyID), r.URI, r.RequestURI,
		ms(r.CreatedAt), msPtr(r.AcceptedAt), msPtr(r.RejectedAt))
	return err
}

// CreateInteractionRequest records a request and queues events.
func (s *Store) CreateInteractionRequest(ctx context.Context, r *model.InteractionRequest, events []model.OutboxEvent) error {
	return wrap("create interaction request", s.tx(ctx, func(tx *sql.Tx) error {
		// The same interaction asked again (a server retrying, a user
		// tapping twice) gets the request it has: one per interaction, and
		// one pending per local account, kind and status.
		q := "SELECT id FROM interaction_requests WHERE uri = ? AND account_id = ? AND kind = ?"
		args := []any{r.URI, r.AccountID, string(r.Kind)}
		if r.URI == "" {
			q += " AND status_id = ? AND accepted_at IS NULL AND rejected_at IS NULL"
			args = append(args, r.StatusID)
		}
		var existing int64
		err := tx.QueryRowContext(ctx, q, args...).Scan(&existing)
		if err == nil {
			r.ID = existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := insertInteractionRequest(ctx, tx, r); err != nil {
			return err
		}
		for i := range events {
			if events[i].ObjectID == 0 {
				events[i].ObjectID = r.ID
			}
		}
		return insertEvents(ctx, tx, events)
	}))
}

// InteractionRequest returns one request.
func (s *Store) InteractionRequest(ctx context.Context, requestID int64) (*model.InteractionRequest, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, "SELECT "+requestColumns+" FROM interaction_requests WHERE id = ?", requestID))
	return r, wrap("interaction request", err)
}

// PendingInteractionRequests pages through an account's pending requests.
func (s *Store) PendingInteractionRequests(ctx context.Context, targetAccountID int64, f storage.InteractionRequestFilter, p model.Page) ([]*model.InteractionRequest, error) {
	q := "SELECT " + requestColumns + " FROM interaction_requests WHERE target_account_id = ? AND accepted_at IS NULL AND rejected_at IS NULL"
	args := []any{targetAccountID}
	if f.StatusID != 0 {
		q += " AND status_id = ?"
		args = append(args, f.StatusID)
	}
	if len(f.Kinds) > 0 {
		q += " AND kind IN (" + placeholders(len(f.Kinds)) + ")"
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	where, pargs, order, reverse := pageClause("id", p)
	out, err := queryAll(ctx, s.r, q+where+order, append(args, pargs...), scanRequest)
	if err != nil {
		return nil, wrap("pending interaction requests", err)
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// AnswerInteraction applies a local author's answer in one transaction.
func (s *Store) AnswerInteraction(ctx context.Context, a storage.InteractionAnswer) error {
	return wrap("answer interaction", s.tx(ctx, func(tx *sql.Tx) error {
		r, err := scanRequest(tx.QueryRowContext(ctx, "SELECT "+requestColumns+" FROM interaction_requests WHERE id = ?", a.RequestID))
		if err != nil {
			return err
		}
		if !r.Pending() {
			return storage.ErrConflict
		}
		at := ms(a.At)
		if a.Accept {
			if _, err := tx.ExecContext(ctx, "UPDATE interaction_requests SET accepted_at = ? WHERE id = ?", at, r.ID); err != nil {
				return err
			}
			if err := acceptInteractionIn(ctx, tx, r, a); err != nil {
				return err
			}
		} else {
			if _, err := tx.ExecContext(ctx, "UPDATE interaction_requests SET rejected_at = ? WHERE id = ?", at, r.ID); err != nil {
				return err
			}
			// A rejected reply goes; nothing else was recorded.
			if r.Kind == model.InteractReply && r.ReplyID != 0 {
				if err := deleteStatusIn(ctx, tx, r.ReplyID); err != nil && !errors.Is(err, storage.ErrNotFound) {
					return err
				}
			}
		}
		return insertEvents(ctx, tx, a.Events)
	}))
}

// acceptInteractionIn records what an accepted request allows.
func acceptInteractionIn(ctx context.Context, tx *sql.Tx, r *model.InteractionRequest, a storage.InteractionAnswer) error {
	switch r.Kind {
	case model.InteractReply:
		if r.ReplyID == 0 {
			return storage.ErrNotFound // the reply was deleted meanwhile
		}
		return approveStatusIn(ctx, tx, r.ReplyID, a.ApprovedBy, a.Authorization)
	case model.InteractFavourite:
		_, err := favouriteIn(ctx, tx, r.AccountID, r.StatusID, r.URI)
		return err
	case model.InteractReblog:
		if a.Boost == nil {
			return errors.New("accepting a boost needs the boost")
		}
		_, _, err := reblogIn(ctx, tx, a.Boost, a.Events)
		return err
	}
	return nil // a quote: the quoting post lives on its own server
}

// approveStatusIn releases a pending status inside tx.
func approveStatusIn(ctx context.Context, tx *sql.Tx, statusID int64, approvedBy, authorization string) error {
	st, err := getStatus(ctx, tx, "s.id = ?", statusID)
	if err != nil {
		return err
	}
	if !st.PendingApproval {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE statuses SET pending_approval = 0, approved_by = ?, authorization_uri = ? WHERE id = ?",
		approvedBy, authorization, statusID); err != nil {
		return err
	}
	st.PendingApproval = false
	if st.ReblogOfID != 0 {
		var origAuthor int64
		if err := tx.QueryRowContext(ctx, "SELECT account_id FROM statuses WHERE id = ?", st.ReblogOfID).Scan(&origAuthor); err != nil {
			return err
		}
		return releaseBoost(ctx, tx, st, origAuthor)
	}
	authorLocal, err := accountIsLocal(ctx, tx, st.AccountID)
	if err != nil {
		return err
	}
	return releaseStatus(ctx, tx, st, authorLocal)
}

// ApproveStatus releases one of our pending statuses that its remote
// interactee accepted.
func (s *Store) ApproveStatus(ctx context.Context, statusID int64, approvedBy, authorization string, events []model.OutboxEvent) error {
	return wrap("approve status", s.tx(ctx, func(tx *sql.Tx) error {
		if err := approveStatusIn(ctx, tx, statusID, approvedBy, authorization); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	}))
}

// WithdrawInteraction forgets pending requests for an interaction.
func (s *Store) WithdrawInteraction(ctx context.Context, accountID int64, uri string) error {
	if uri == "" {
		return nil
	}
	_, err := s.w.ExecContext(ctx, `DELETE FROM interaction_requests WHERE uri = ? AND account_id = ?
		AND accepted_at IS NULL AND rejected_at IS NULL`, uri, accountID)
	return wrap("withdraw interaction", err)
}
