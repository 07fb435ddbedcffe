package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/testutil/pgtest"
)

// The PostgreSQL migrations build the schema the SQLite ones do: the same
// tables, columns (and whether they take NULL) and named indexes. A new
// SQLite migration without its counterpart in migrations_postgres fails
// here.
func TestPostgresSchemaMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	lite, err := Open(ctx, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := OpenPostgres(ctx, pgtest.DSN(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	liteCols, err := queryColumn[string](ctx, lite.r, `SELECT m.name || '.' || p.name || CASE WHEN p."notnull" OR p.pk = 1 AND p.type = 'INTEGER' THEN ' not null' ELSE '' END
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	pgCols, err := queryColumn[string](ctx, pg.r, `SELECT table_name || '.' || column_name || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	compareSets(t, "column", liteCols, pgCols)

	liteIdx, err := queryColumn[string](ctx, lite.r, `SELECT tbl_name || ': ' || name FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL names the indexes of PRIMARY KEY and UNIQUE constraints
	// itself, as SQLite does (its sqlite_autoindex_*, without sql).
	pgIdx, err := queryColumn[string](ctx, pg.r, `SELECT i.tablename || ': ' || i.indexname FROM pg_indexes i
		WHERE i.schemaname = current_schema()
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u'))
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	compareSets(t, "index", liteIdx, pgIdx)

	var liteLast, pgLast int
	if err := lite.r.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&liteLast); err != nil {
		t.Fatal(err)
	}
	if err := pg.r.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&pgLast); err != nil {
		t.Fatal(err)
	}
	if liteLast != pgLast {
		t.Errorf("last migration: SQLite %d, PostgreSQL %d (add migrations_postgres/%04d_*.sql)", liteLast, pgLast, liteLast)
	}
}

func compareSets(t *testing.T, what string, lite, pg []string) {
	t.Helper()
	for _, v := range lite {
		if !slices.Contains(pg, v) {
			t.Errorf("%s %q: in SQLite, not in PostgreSQL", what, v)
		}
	}
	for _, v := range pg {
		if !slices.Contains(lite, v) && !strings.HasPrefix(v, "schema_migrations") {
			t.Errorf("%s %q: in PostgreSQL, not in SQLite", what, v)
		}
	}
}
