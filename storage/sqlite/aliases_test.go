package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// TestAccountAliases: adding is idempotent and queues its event only when
// it changed something, the limit holds, removal works, and a move records
// moved_to_id with its events in one transaction.
func TestAccountAliases(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	a := mkLocal(t, s, "ann")
	b := mkRemote(t, s, "nora", "b.test")
	ev := func() []model.OutboxEvent {
		return []model.OutboxEvent{{Kind: model.EventAccountUpdate, AccountID: a.ID, ObjectID: a.ID}}
	}
	jobs := func() int { return count(t, s, "SELECT COUNT(*) FROM jobs") }
	before := jobs()
	if changed, err := s.SetAccountAlias(ctx, a.ID, b.URI, true, ev()); err != nil || !changed {
		t.Fatalf("add: %v %v", changed, err)
	}
	if changed, err := s.SetAccountAlias(ctx, a.ID, b.URI, true, ev()); err != nil || changed {
		t.Fatalf("add again: %v %v", changed, err)
	}
	if got := jobs(); got != before+1 {
		t.Fatalf("jobs after adding twice: %d, want %d", got, before+1)
	}
	for i := 1; i < storage.MaxAliases; i++ {
		if _, err := s.SetAccountAlias(ctx, a.ID, fmt.Sprintf("https://c.test/users/%d", i), true, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SetAccountAlias(ctx, a.ID, "https://c.test/users/over", true, nil); !errors.Is(err, storage.ErrAliasLimit) {
		t.Fatalf("past the limit: %v", err)
	}
	got, err := s.AccountAliases(ctx, a.ID)
	if err != nil || len(got) != storage.MaxAliases || got[0] != b.URI {
		t.Fatalf("aliases: %v %v", got, err)
	}
	if changed, err := s.SetAccountAlias(ctx, a.ID, b.URI, false, nil); err != nil || !changed {
		t.Fatalf("remove: %v %v", changed, err)
	}
	if changed, err := s.SetAccountAlias(ctx, a.ID, b.URI, false, nil); err != nil || changed {
		t.Fatalf("remove again: %v %v", changed, err)
	}

	before = jobs()
	if err := s.MoveAccount(ctx, a.ID, b.ID, []model.OutboxEvent{{Kind: model.EventAccountMove, AccountID: a.ID, ObjectID: b.ID}}); err != nil {
		t.Fatal(err)
	}
	if moved, _ := s.AccountByID(ctx, a.ID); moved.MovedToID != b.ID || jobs() != before+1 {
		t.Fatalf("after move: moved_to %d, jobs %d", moved.MovedToID, jobs()-before)
	}
	if err := s.MoveAccount(ctx, 999999, b.ID, nil); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("moving a missing account: %v", err)
	}
}
