package sqlite

import (
	"context"
	"database/sql"
	"slices"

	"github.com/herald-social/herald/internal/model"
)

// The row loops of the store: every query that reads many rows goes through
// queryEach, so that closing the rows and checking rows.Err() after the
// last one is written once. The callers wrap the error with their own
// operation.

// queryEach runs a query and calls each for every row; the rows are closed
// when it returns, before the caller's next statement (which matters inside
// a transaction).
func queryEach(ctx context.Context, q queryer, query string, args []any, each func(scanner) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// queryAll runs a query and collects what scan makes of each row (nil when
// there are none).
func queryAll[T any](ctx context.Context, q queryer, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	var out []T
	err := queryEach(ctx, q, query, args, func(r scanner) error {
		v, err := scan(r)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryPage runs base, a query ending in a WHERE condition, for one page
// keyed on col (pageClause), newest first: a page read from min_id upwards
// is turned round.
func queryPage[T any](ctx context.Context, q queryer, base string, args []any, col string, p model.Page, scan func(scanner) (T, error)) ([]T, error) {
	where, pargs, tail, reverse := pageClause(col, p)
	out, err := queryAll(ctx, q, base+where+tail, append(args, pargs...), scan)
	if reverse {
		slices.Reverse(out)
	}
	return out, err
}

// pageRows is queryPage, except that without a limit it reads every row,
// newest first.
func pageRows[T any](ctx context.Context, q queryer, base string, args []any, col string, p model.Page, scan func(scanner) (T, error)) ([]T, error) {
	if p.Limit <= 0 {
		return queryAll(ctx, q, base+" ORDER BY "+col+" DESC", args, scan)
	}
	return queryPage(ctx, q, base, args, col, p, scan)
}

// queryKinds runs a query of rows (kind, id), as a UNION ALL of one SELECT a
// kind makes, and calls each for every row.
func queryKinds(ctx context.Context, q queryer, query string, args []any, each func(kind string, id int64)) error {
	return queryEach(ctx, q, query, args, func(row scanner) error {
		var kind string
		var id int64
		if err := row.Scan(&kind, &id); err != nil {
			return err
		}
		each(kind, id)
		return nil
	})
}

// claimRows reads due queue rows and marks them claimed (set: "UPDATE
// table SET ...", with setArgs) in one transaction, so that no other worker
// reads them again.
func claimRows[T any](ctx context.Context, s *Store, query string, args []any, scan func(scanner) (T, error), id func(T) int64,
	set string, setArgs ...any) ([]T, error) {
	var out []T
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = queryAll(ctx, tx, query, args, scan); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		for i, v := range out {
			ids[i] = id(v)
		}
		_, err = tx.ExecContext(ctx, set+" WHERE id IN ("+placeholders(len(ids))+")", append(setArgs, int64Args(ids)...)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryColumn runs a query returning one column and collects its values.
func queryColumn[T any](ctx context.Context, q queryer, query string, args ...any) ([]T, error) {
	return queryAll(ctx, q, query, args, func(r scanner) (T, error) {
		var v T
		err := r.Scan(&v)
		return v, err
	})
}

// queryIDs runs a query returning one integer column.
func queryIDs(ctx context.Context, q queryer, query string, args ...any) ([]int64, error) {
	return queryColumn[int64](ctx, q, query, args...)
}
