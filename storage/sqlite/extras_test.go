package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
)

// ExtrasOf names the statuses with attachments, a card or a poll, and
// only those (a page skips the other queries).
func TestExtrasOf(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := mkLocal(t, s, "extras")
	plain, media, card, poll := mkStatus(t, s, a.ID, model.Public), mkStatus(t, s, a.ID, model.Public),
		mkStatus(t, s, a.ID, model.Public), mkStatus(t, s, a.ID, model.Public)
	now := ms(time.Now())
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO media_attachments (id, account_id, status_id, created_at, updated_at) VALUES (?,?,?,?,?)", []any{id.New(), a.ID, media, now, now}},
		{"INSERT INTO media_attachments (id, account_id, status_id, created_at, updated_at) VALUES (?,?,NULL,?,?)", []any{id.New(), a.ID, now, now}},
		{"INSERT INTO preview_cards (id, url, fetched_at) VALUES (1, 'http://x.test/card', ?)", []any{now}},
		{"INSERT INTO status_cards (status_id, card_id) VALUES (?, 1)", []any{card}},
		{"INSERT INTO polls (status_id, options, counts) VALUES (?, '[\"a\",\"b\"]', '[0,0]')", []any{poll}},
	} {
		if _, err := s.w.Exec(q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := s.ExtrasOf(ctx, []int64{plain, media, card, poll, media})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Media) != 1 || !ex.Media[media] || len(ex.Card) != 1 || !ex.Card[card] || len(ex.Poll) != 1 || !ex.Poll[poll] {
		t.Fatalf("extras: %+v (media %d, card %d, poll %d)", ex, media, card, poll)
	}
	if ex, err := s.ExtrasOf(ctx, nil); err != nil || ex.Media == nil || len(ex.Poll) != 0 {
		t.Fatalf("no ids: %+v, %v", ex, err)
	}
}
