package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
)

// quotesCount reads a status's quotes_count as pages show it.
func quotesCount(t *testing.T, s *Store, statusID int64) int64 {
	t.Helper()
	st, err := s.StatusByID(context.Background(), statusID)
	if err != nil {
		t.Fatal(err)
	}
	return st.QuotesCount
}

// mkQuote writes a status quoting quoted in state, as any writer could.
func mkQuote(t *testing.T, s *Store, author, quoted int64, state string) int64 {
	t.Helper()
	sid := id.New()
	if _, err := s.w.Exec(`INSERT INTO statuses (id, uri, account_id, local, visibility, created_at, quote_of_id, quote_uri, quote_state)
		VALUES (?,?,?,1,0,?,?,?,?)`, sid, fmt.Sprintf("http://x.test/s/%d", sid), author, ms(time.Now()), quoted, "http://x.test/q", state); err != nil {
		t.Fatal(err)
	}
	return sid
}

// quotes_count is a stored counter (migration 0035): it follows accepted
// quotes through insertion, a change of state, the quoting status' deletion
// and the quoted status' deletion, and the migration's backfill counts the
// quotes that existed before it.
func TestQuotesCountFollowsQuotes(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := mkLocal(t, s, "quoter")
	quoted := mkStatus(t, s, a.ID, model.Public)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.w.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	want := func(step string, n int64) {
		t.Helper()
		if got := quotesCount(t, s, quoted); got != n {
			t.Fatalf("%s: quotes_count %d, want %d", step, got, n)
		}
	}
	q1 := mkQuote(t, s, a.ID, quoted, model.QuoteAccepted)
	want("an accepted quote", 1)
	q2 := mkQuote(t, s, a.ID, quoted, "pending")
	want("a pending quote", 1)
	if err := s.SetQuoteState(ctx, q2, model.QuoteAccepted, "http://x.test/auth", 0, nil); err != nil {
		t.Fatal(err)
	}
	want("the pending quote accepted", 2)
	exec("UPDATE statuses SET quote_state = 'revoked' WHERE id = ?", q1)
	want("a quote revoked", 1)
	exec("UPDATE statuses SET quote_state = 'accepted' WHERE id = ?", q1)
	want("the quote accepted again", 2)
	exec("UPDATE statuses SET content = 'edited' WHERE id = ?", q1)
	want("an edit of a quote", 2)
	if err := s.DeleteStatus(ctx, q2, nil); err != nil {
		t.Fatal(err)
	}
	want("a quoting status deleted", 1)
	// The quoted status' deletion sets the quotes' quote_of_id to NULL: the
	// quoting status keeps its own count (none).
	other := mkStatus(t, s, a.ID, model.Public)
	q3 := mkQuote(t, s, a.ID, other, model.QuoteAccepted)
	if err := s.DeleteStatus(ctx, other, nil); err != nil {
		t.Fatal(err)
	}
	if got := quotesCount(t, s, q3); got != 0 {
		t.Fatalf("quotes_count of a quote whose quoted status was deleted: %d", got)
	}

	// The backfill: counts wiped as before the migration, then its UPDATE.
	mkQuote(t, s, a.ID, quoted, model.QuoteAccepted)
	mkQuote(t, s, a.ID, quoted, "rejected")
	exec("UPDATE statuses SET quotes_count = 0")
	body, err := migrationFiles.ReadFile("migrations/0035_read_path.sql")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(body), "UPDATE statuses SET quotes_count")
	end := strings.Index(string(body)[start:], ";")
	exec(string(body)[start : start+end])
	want("the backfill", 2)
}
