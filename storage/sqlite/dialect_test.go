package sqlite

import "testing"

func TestToPostgres(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT a FROM t WHERE x = ? AND y = ?", "SELECT a FROM t WHERE x = $1 AND y = $2"},
		{"SELECT ?2, ?1, ?", "SELECT $2, $1, $3"},
		{"SELECT '?' || x FROM t WHERE y = ? -- what?\nAND z = ?", "SELECT '?' || x FROM t WHERE y = $1 -- what?\nAND z = $2"},
		{`SELECT "a?" FROM t /* ? */ WHERE s = 'it''s ?' AND b = ?`, `SELECT "a?" FROM t /* ? */ WHERE s = 'it''s ?' AND b = $1`},
		{"INSERT OR IGNORE INTO t (a) VALUES (?)", "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"},
		{"insert or ignore into t (a) select id from u where x = ?;", "insert into t (a) select id from u where x = $1 ON CONFLICT DO NOTHING"},
		{"INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id", "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id"},
		{"SELECT a FROM t WHERE lower(n) LIKE ? ESCAPE '\\'", "SELECT a FROM t WHERE lower(n) ILIKE $1 ESCAPE '\\'"},
		{"UPDATE t SET n = max(n - 1, 0), m = min(a, b) WHERE id = ?", "UPDATE t SET n = GREATEST(n - 1, 0), m = LEAST(a, b) WHERE id = $1"},
		{"SELECT max(id), min(f(a, b)) FROM t", "SELECT max(id), min(f(a, b)) FROM t"},
		{"SELECT ifnull(sum(n), 0) FROM t", "SELECT coalesce(sum(n), 0) FROM t"},
		{"SELECT id FROM w WHERE instr(' ' || e || ' ', ?) > 0", "SELECT id FROM w WHERE strpos(' ' || e || ' ', $1) > 0"},
		{"SELECT CAST(x * 2 AS INTEGER) FROM t", "SELECT CAST(x * 2 AS BIGINT) FROM t"},
		{"SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
			"SELECT CAST(((extract(epoch FROM clock_timestamp()) / 86400.0 + 2440587.5) - 2440587.5) * 86400000 AS BIGINT)"},
		{"SELECT s.id FROM statuses s INDEXED BY statuses_public WHERE s.id < ?", "SELECT s.id FROM statuses s  WHERE s.id < $1"},
		{"SELECT maxima, likely FROM t", "SELECT maxima, likely FROM t"},
		{"SELECT s.id FROM home_feed h CROSS JOIN statuses s ON s.id = h.status_id", "SELECT s.id FROM home_feed h JOIN statuses s ON s.id = h.status_id"},
		{"WITH ids(id) AS MATERIALIZED (SELECT value FROM json_each(?2)) SELECT id FROM t WHERE a = ?1 AND id IN (SELECT value FROM json_each(?2))",
			"WITH ids(id) AS MATERIALIZED (SELECT value FROM (SELECT v::bigint AS value FROM json_array_elements_text($2::json) AS v) AS json_each) SELECT id FROM t WHERE a = $1 AND id IN (SELECT value FROM (SELECT v::bigint AS value FROM json_array_elements_text($2::json) AS v) AS json_each)"},
		{rawSQL + "SELECT ? LIKE 'x'", rawSQL + "SELECT ? LIKE 'x'"},
	}
	for _, c := range cases {
		if got := toPostgres(c.in); got != c.want {
			t.Errorf("toPostgres(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	if pgText(cases[0].in) != cases[0].want || pgText(cases[0].in) != cases[0].want {
		t.Error("pgText differs from toPostgres")
	}
}

func TestDialectPick(t *testing.T) {
	if dialectSQLite.pick("a", "b") != "a" || dialectPostgres.pick("a", "b") != "b" {
		t.Error("pick chose the wrong text")
	}
}
