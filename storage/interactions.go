package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// InteractionRequestFilter narrows a listing of interaction requests.
type InteractionRequestFilter struct {
	StatusID int64                   // only those targeting this status (0: any)
	Kinds    []model.InteractionKind // only these kinds (none: all)
}

// InteractionAnswer is a local author's answer to a pending interaction
// request, applied in one transaction: the request is marked; an accepted
// reply is released (feeds, notifications, counters), a rejected one
// deleted; an accepted favourite or boost is recorded.
type InteractionAnswer struct {
	RequestID int64
	Accept    bool
	At        time.Time
	// ApprovedBy and Authorization, for an accepted reply, are kept on it
	// (the Accept and the authorization object that approve it).
	ApprovedBy, Authorization string
	// Boost is the boost status to create when accepting a boost.
	Boost  *model.Status
	Events []model.OutboxEvent
}

// Interactions stores interaction policies and the interactions that wait
// for approval.
type Interactions interface {
	// InteractionDefaults returns an account's default policies (empty
	// when it set none).
	InteractionDefaults(ctx context.Context, accountID int64) (model.InteractionDefaults, error)
	SetInteractionDefaults(ctx context.Context, accountID int64, d model.InteractionDefaults) error
	// SetStatusPolicy replaces a status's policy (no edit history: the
	// post itself did not change) and queues events.
	SetStatusPolicy(ctx context.Context, statusID int64, p *model.InteractionPolicy, events []model.OutboxEvent) error

	// CreateInteractionRequest records a request (a held favourite, boost
	// or quote, or an automatic approval to announce) and queues events.
	// A held reply's request is written with its status (NewStatus.Request).
	CreateInteractionRequest(ctx context.Context, r *model.InteractionRequest, events []model.OutboxEvent) error
	InteractionRequest(ctx context.Context, id int64) (*model.InteractionRequest, error)
	// PendingInteractionRequests pages through the requests an account has
	// to answer, newest first.
	PendingInteractionRequests(ctx context.Context, targetAccountID int64, f InteractionRequestFilter, p model.Page) ([]*model.InteractionRequest, error)
	// AnswerInteraction applies an answer (see InteractionAnswer);
	// ErrConflict when the request was answered already.
	AnswerInteraction(ctx context.Context, a InteractionAnswer) error
	// WithdrawInteraction forgets the pending requests of accountID for
	// the interaction uri (an Undo of a held Like or Announce).
	WithdrawInteraction(ctx context.Context, accountID int64, uri string) error

	// ApproveStatus releases one of our pending replies or boosts that its
	// remote interactee accepted: feeds, notifications and counters as
	// for a new status; approvedBy and authorization are kept to prove it.
	ApproveStatus(ctx context.Context, statusID int64, approvedBy, authorization string, events []model.OutboxEvent) error
}
