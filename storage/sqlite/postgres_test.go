package sqlite

import (
	"context"
	"testing"

	"github.com/herald-social/herald/internal/testutil/pgtest"
)

// On PostgreSQL each connection keeps its statements prepared, and an
// argument still takes the type of the parameter it is bound to, as on
// SQLite: an integer (or a boolean, bound as 0/1) binds into a bigint, a
// boolean condition, a double or a text, a string into a bigint. A kept
// statement survives a column added to its table (a migration run by
// another process), and statements without arguments may hold several
// commands (the migrations).
func TestPostgresPreparedStatements(t *testing.T) {
	ctx := context.Background()
	s, err := OpenPostgres(ctx, pgtest.DSN(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.w.Conn(ctx) // one connection, so one statement cache
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	if _, err := conn.ExecContext(ctx, `CREATE TABLE prep_t (n BIGINT, flag BIGINT, t TEXT, d DOUBLE PRECISION, b BOOLEAN);
		CREATE INDEX prep_t_n ON prep_t (n)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO prep_t (n, flag, t, d, b) VALUES (?, ?, ?, ?, ?)",
		int64(7), true, 42, 3, 1); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT n, flag, t, d, b FROM prep_t WHERE CASE WHEN ? THEN n = ? ELSE false END AND t = ? AND n = ?"
	check := func() {
		t.Helper()
		var (
			n, flag int64
			text    string
			d       float64
			b       bool
		)
		if err := conn.QueryRowContext(ctx, q, true, 7, 42, "7").Scan(&n, &flag, &text, &d, &b); err != nil {
			t.Fatal(err)
		}
		if n != 7 || flag != 1 || text != "42" || d != 3 || !b {
			t.Fatalf("got %d %d %q %v %v, want 7 1 \"42\" 3 true", n, flag, text, d, b)
		}
	}
	check()
	check()

	// The query is kept prepared on the connection (the pattern is split
	// so that this query's own text does not match it).
	var prepared int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM prep' || '_t WHERE CASE%'").Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared != 1 {
		t.Fatalf("%d prepared statements of the query, want 1", prepared)
	}

	if _, err := conn.ExecContext(ctx, "ALTER TABLE prep_t ADD COLUMN extra TEXT"); err != nil {
		t.Fatal(err)
	}
	check()
}
