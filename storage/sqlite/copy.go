package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Copying a whole instance from one store to another (herald storage
// migrate): SQLite to PostgreSQL and back. Both sides are migrated to the
// same schema, so the tables and columns are read from the schema and
// copied by name, as they are: counters are copied, not recounted, so the
// destination's triggers must not fire (on PostgreSQL the copy runs with
// session_replication_role = replica, which skips the foreign-key
// triggers too, so tables go in any order; on SQLite the triggers are dropped and made
// again inside the copy's transaction and the foreign keys are checked at
// its commit). Rows stream from the source and are written in batches, so
// memory stays bounded whatever the size.

// ErrNotEmpty answers a copy into a store that already holds data.
var ErrNotEmpty = errors.New("the destination database is not empty")

// copyBatch is the most rows one INSERT writes.
const copyBatch = 500

// seededTables hold rows the migrations write into a fresh database (the
// built-in roles, the cache versions): the copy replaces them, and they
// do not make a destination count as holding data.
var seededTables = map[string]bool{"roles": true, "cache_versions": true}

// TableCount is one table's row count in the source and the destination.
type TableCount struct {
	Table       string
	Source, Dst int64
}

// tables lists the store's tables, schema_migrations aside (each store
// keeps its own), sorted.
func (s *Store) tables(ctx context.Context, q querier) ([]string, error) {
	text := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if s.Postgres() {
		text = rawSQL + "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	rows, err := q.QueryContext(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if n != "schema_migrations" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, rows.Err()
}

// column is a table's column and whether PostgreSQL stores it as text
// or bytes (the values read from SQLite are converted to match).
type column struct {
	name        string
	text, bytea bool
}

func (s *Store) columns(ctx context.Context, q querier, table string) ([]column, error) {
	text := "SELECT name, lower(type) FROM pragma_table_info(?)"
	if s.Postgres() {
		text = rawSQL + "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
	}
	rows, err := q.QueryContext(ctx, text, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		var typ string
		if err := rows.Scan(&c.name, &typ); err != nil {
			return nil, err
		}
		c.text = typ == "text"
		c.bytea = typ == "bytea"
		out = append(out, c)
	}
	return out, rows.Err()
}

// querier is what tables and columns read through.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func quoteName(n string) string { return `"` + strings.ReplaceAll(n, `"`, `""`) + `"` }

// count is the number of rows in table.
func (s *Store) count(ctx context.Context, q querier, table string) (int64, error) {
	rows, err := q.QueryContext(ctx, rawSQL+"SELECT count(*) FROM "+quoteName(table))
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		err = rows.Scan(&n)
	}
	if err == nil {
		err = rows.Err()
	}
	return n, err
}

// CopyTo copies every row of s into dst, which must be migrated and hold
// no data (ErrNotEmpty), in one transaction on dst. progress, if not nil,
// hears each table once it is copied.
func (s *Store) CopyTo(ctx context.Context, dst *Store, progress func(table string, rows int64)) error {
	return wrap("copy to", s.copyTo(ctx, dst, progress))
}

func (s *Store) copyTo(ctx context.Context, dst *Store, progress func(table string, rows int64)) error {
	srcTables, err := s.tables(ctx, s.r)
	if err != nil {
		return err
	}
	dstTables, err := dst.tables(ctx, dst.r)
	if err != nil {
		return err
	}
	if !slices.Equal(srcTables, dstTables) {
		return fmt.Errorf("the source and destination schemas differ (tables %v and %v): run both at the same Herald version", srcTables, dstTables)
	}
	for _, t := range dstTables {
		if seededTables[t] {
			continue
		}
		n, err := dst.count(ctx, dst.r, t)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w (table %s has %d rows): copy into a freshly created database", ErrNotEmpty, t, n)
		}
	}

	// The source is read in one snapshot.
	var opts *sql.TxOptions
	if s.Postgres() {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	src, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("read the source: %w", err)
	}
	defer src.Rollback()

	return dst.tx1(ctx, func(tx *sql.Tx) error {
		var triggers []string
		if dst.Postgres() {
			// Neither triggers nor foreign-key checks fire: the rows
			// arrive as they were, counters included.
			if _, err := tx.ExecContext(ctx, rawSQL+"SET LOCAL session_replication_role = replica"); err != nil {
				return fmt.Errorf("disable triggers (the destination's user must be allowed to set session_replication_role): %w", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
				return err
			}
			var err error
			if triggers, err = dropTriggers(ctx, tx); err != nil {
				return err
			}
		}
		for _, t := range dstTables {
			if _, err := tx.ExecContext(ctx, rawSQL+"DELETE FROM "+quoteName(t)); err != nil {
				return fmt.Errorf("clear %s: %w", t, err)
			}
			n, err := s.copyTable(ctx, src, dst, tx, t)
			if err != nil {
				return err
			}
			if progress != nil {
				progress(t, n)
			}
		}
		for _, t := range triggers {
			if _, err := tx.ExecContext(ctx, t); err != nil {
				return fmt.Errorf("recreate trigger: %w", err)
			}
		}
		if dst.Postgres() {
			return setSequences(ctx, tx)
		}
		return nil
	})
}

// dropTriggers drops the SQLite triggers and returns their definitions.
func dropTriggers(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, n), append(defs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := tx.ExecContext(ctx, "DROP TRIGGER "+quoteName(n)); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// setSequences moves each identity column's sequence past the largest id
// copied, so that the ids PostgreSQL makes next are new.
func setSequences(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, rawSQL+"SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'")
	if err != nil {
		return err
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, tc := range cols {
		t, c := quoteName(tc[0]), quoteName(tc[1])
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(COALESCE((SELECT max(%s) FROM %s), 0), 0) + 1, false)", c, t)
		if _, err := tx.ExecContext(ctx, rawSQL+q, t, tc[1]); err != nil {
			return fmt.Errorf("sequence of %s.%s: %w", tc[0], tc[1], err)
		}
	}
	return nil
}

// copyTable streams table from the source transaction into dst's.
func (s *Store) copyTable(ctx context.Context, src *sql.Tx, dst *Store, tx *sql.Tx, table string) (int64, error) {
	cols, err := dst.columns(ctx, tx, table)
	if err != nil {
		return 0, err
	}
	srcCols, err := s.columns(ctx, src, table)
	if err != nil {
		return 0, err
	}
	have := map[string]bool{}
	for _, c := range srcCols {
		have[c.name] = true
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		if !have[c.name] {
			return 0, fmt.Errorf("the source's table %s has no column %s: run both at the same Herald version", table, c.name)
		}
		names[i] = quoteName(c.name)
	}
	list := strings.Join(names, ", ")
	rows, err := src.QueryContext(ctx, rawSQL+"SELECT "+list+" FROM "+quoteName(table))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()

	batch := max(1, min(copyBatch, 30000/len(cols)))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	args := make([]any, 0, batch*len(cols))
	var n int64
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(rawSQL + "INSERT INTO " + quoteName(table) + " (" + list + ") VALUES ")
		for r := 0; r < len(args)/len(cols); r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				if dst.Postgres() {
					b.WriteString("$" + strconv.Itoa(r*len(cols)+c+1))
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
		args = args[:0]
		return nil
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("read %s: %w", table, err)
		}
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				if cols[i].text {
					v = string(x)
				} else {
					v = slices.Clone(x)
				}
			case string:
				if cols[i].bytea {
					v = []byte(x)
				}
			}
			args = append(args, v)
		}
		n++
		if len(args) >= batch*len(cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read %s: %w", table, err)
	}
	return n, flush()
}

// CompareCounts counts the rows of every table in s and dst.
func (s *Store) CompareCounts(ctx context.Context, dst *Store) ([]TableCount, error) {
	out, err := s.compareCounts(ctx, dst)
	return out, wrap("compare counts", err)
}

func (s *Store) compareCounts(ctx context.Context, dst *Store) ([]TableCount, error) {
	tables, err := s.tables(ctx, s.r)
	if err != nil {
		return nil, err
	}
	out := make([]TableCount, 0, len(tables))
	for _, t := range tables {
		a, err := s.count(ctx, s.r, t)
		if err != nil {
			return nil, err
		}
		b, err := dst.count(ctx, dst.r, t)
		if err != nil {
			return nil, err
		}
		out = append(out, TableCount{Table: t, Source: a, Dst: b})
	}
	return out, nil
}
