package sqlite

import (
	"strconv"
	"strings"
	"sync"
)

// The store runs on two engines: SQLite (the default) and PostgreSQL
// (postgres.go). Its SQL is written once, in SQLite's dialect; on
// PostgreSQL the connection rewrites each query text (toPostgres) before
// the driver sees it, once per distinct text. What cannot be rewritten
// mechanically is written out for both beside each other (dialect.pick).

type dialect uint8

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// pick returns the query text for the store's engine.
func (d dialect) pick(sqliteSQL, pgSQL string) string {
	if d == dialectPostgres {
		return pgSQL
	}
	return sqliteSQL
}

// rawSQL marks a text sent to PostgreSQL as it is (the migrations).
const rawSQL = "/*raw*/"

// pgTexts caches the rewritten texts by their SQLite text. The store's
// texts are a few hundred (IN lists vary with their length).
var pgTexts sync.Map // string -> string

// pgText is toPostgres, cached.
func pgText(q string) string {
	if v, ok := pgTexts.Load(q); ok {
		return v.(string)
	}
	t := toPostgres(q)
	pgTexts.Store(q, t)
	return t
}

// toPostgres rewrites a query written for SQLite into PostgreSQL's
// dialect, outside string literals, quoted names and comments:
//
//   - placeholders ? and ?N become $N (a bare ? takes the number after the
//     largest so far, as in SQLite);
//   - INSERT OR IGNORE becomes INSERT ... ON CONFLICT DO NOTHING (before a
//     RETURNING clause);
//   - LIKE becomes ILIKE (SQLite's LIKE ignores the case of ASCII letters);
//   - the scalar max(a, b) and min(a, b) become GREATEST and LEAST;
//   - ifnull becomes coalesce, instr strpos, CAST(... AS INTEGER) a BIGINT,
//     julianday('now') the Julian day now;
//   - INDEXED BY name is dropped, CROSS JOIN (with ON: SQLite's join
//     order hint) becomes JOIN;
//   - json_each(x), which the store uses on JSON arrays of ids only,
//     becomes a subquery of those ids as bigint, named json_each.
func toPostgres(q string) string {
	if strings.HasPrefix(q, rawSQL) {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 32)
	param := 0
	orIgnore := false
	returningAt := -1 // in b, where a top-level RETURNING starts
	depth := 0
	var jsonEach []int // the depths of the open json_each( calls
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(q, i)
			b.WriteString(q[i:j])
			i = j
			continue
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j
			continue
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(q[i:end])
			i = end
			continue
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := param + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			param = max(param, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
			continue
		case c == '(':
			depth++
		case c == ')':
			if n := len(jsonEach); n > 0 && jsonEach[n-1] == depth {
				b.WriteString("::json) AS v) AS json_each")
				jsonEach = jsonEach[:n-1]
				depth--
				i++
				continue
			}
			depth--
		case isWordStart(c) && (i == 0 || !isWordByte(q[i-1])):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			word := q[i:j]
			switch strings.ToUpper(word) {
			case "INSERT":
				if k, ok := matchWords(q, j, "OR", "IGNORE"); ok {
					b.WriteString(word)
					orIgnore = true
					i = k
					continue
				}
			case "LIKE":
				b.WriteString("ILIKE")
				i = j
				continue
			case "JULIANDAY":
				// Only julianday('now') is used: the Julian day now.
				if k, ok := matchWords(q, j, "('now')"); ok {
					b.WriteString("(extract(epoch FROM clock_timestamp()) / 86400.0 + 2440587.5)")
					i = k
					continue
				}
			case "INDEXED":
				// INDEXED BY name: PostgreSQL's planner takes no hints.
				if k, ok := matchWords(q, j, "BY"); ok {
					for k < len(q) && q[k] == ' ' {
						k++
					}
					for k < len(q) && isWordByte(q[k]) {
						k++
					}
					i = k
					continue
				}
			case "CROSS":
				// The store writes CROSS JOIN ... ON only as SQLite's hint
				// to keep the join order: an inner join.
				if k, ok := matchWords(q, j, "JOIN"); ok {
					b.WriteString("JOIN")
					i = k
					continue
				}
			case "JSON_EACH":
				// The store's json_each(?) walks a JSON array of ids.
				if j < len(q) && q[j] == '(' {
					b.WriteString("(SELECT v::bigint AS value FROM json_array_elements_text")
					jsonEach = append(jsonEach, depth+1)
					i = j
					continue
				}
			case "IFNULL":
				b.WriteString("coalesce")
				i = j
				continue
			case "INSTR":
				b.WriteString("strpos")
				i = j
				continue
			case "MAX", "MIN":
				if j < len(q) && q[j] == '(' && hasTopLevelComma(q, j) {
					if strings.EqualFold(word, "MAX") {
						b.WriteString("GREATEST")
					} else {
						b.WriteString("LEAST")
					}
					i = j
					continue
				}
			case "AS":
				// CAST(x AS INTEGER): SQLite's INTEGER is 64 bits.
				if k, ok := matchWords(q, j, "INTEGER"); ok && k < len(q) && q[k] == ')' {
					b.WriteString(word + " BIGINT")
					i = k
					continue
				}
			case "RETURNING":
				if depth == 0 {
					returningAt = b.Len()
				}
			}
			b.WriteString(word)
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	out := b.String()
	if orIgnore {
		tail := ""
		if returningAt >= 0 {
			out, tail = out[:returningAt], " "+out[returningAt:]
		}
		out = strings.TrimRight(out, "; \t\n")
		out += " ON CONFLICT DO NOTHING" + tail
	}
	return out
}

// skipQuoted returns the index after the quoted text starting at i (” or
// "" inside it is the quote itself).
func skipQuoted(q string, i int) int {
	quote := q[i]
	j := i + 1
	for j < len(q) {
		if q[j] == quote {
			if j+1 < len(q) && q[j+1] == quote {
				j += 2
				continue
			}
			return j + 1
		}
		j++
	}
	return len(q)
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isWordByte(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' }

// matchWords reports whether the words follow position i (after spaces),
// case-insensitively, and where the last one ends.
func matchWords(q string, i int, words ...string) (int, bool) {
	for _, w := range words {
		for i < len(q) && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r') {
			i++
		}
		if len(q)-i < len(w) || !strings.EqualFold(q[i:i+len(w)], w) || (i+len(w) < len(q) && isWordByte(q[i+len(w)])) {
			return 0, false
		}
		i += len(w)
	}
	return i, true
}

// hasTopLevelComma reports whether the parenthesis opening at i holds a
// comma of its own (not one inside nested parentheses or quotes).
func hasTopLevelComma(q string, i int) bool {
	depth := 0
	for j := i; j < len(q); {
		switch q[j] {
		case '\'', '"':
			j = skipQuoted(q, j)
			continue
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return false
			}
		case ',':
			if depth == 1 {
				return true
			}
		}
		j++
	}
	return false
}
