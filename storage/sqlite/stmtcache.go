package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	msqlite "modernc.org/sqlite"
)

// Prepared statements, reused. modernc's driver prepares every query it is
// given afresh (parsing and planning cost as much as running a page query),
// and database/sql's *sql.Stmt prepares again on each pooled connection it
// meets. So each connection of the store keeps its own small cache of
// prepared statements keyed by the SQL text: a query the connection has
// run before binds and steps the statement it kept.
//
// A connection serves one caller at a time, but a caller may run a query
// while the rows of another are open (inside a transaction): a cached
// statement whose rows are still open is not reused, that query is
// prepared once as before. SQLite re-prepares a kept statement by itself
// when the schema changed.

// stmtCacheSize bounds the statements a connection keeps. The store's
// queries are a few hundred distinct texts (IN lists vary with their
// length); the least recently used ones are dropped.
const stmtCacheSize = 96

// openCached opens a pool whose connections keep their statements.
func openCached(dsn string) *sql.DB {
	return sql.OpenDB(cachingConnector{dsn: dsn})
}

type cachingConnector struct{ dsn string }

var baseDriver = &msqlite.Driver{}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	dc, err := baseDriver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	bc, ok := dc.(baseConn)
	if !ok {
		dc.Close()
		return nil, errors.New("sqlite: the driver's connection lacks the context methods")
	}
	return &cachingConn{baseConn: bc, stmts: map[string]*cachedStmt{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return baseDriver }

// baseConn is what the store needs of a modernc connection.
type baseConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type stmtContext interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type cachedStmt struct {
	st   stmtContext
	busy bool   // its rows are open
	used uint64 // the connection's clock at its last use
}

type cachingConn struct {
	baseConn
	stmts map[string]*cachedStmt
	clock uint64
}

// stmt returns the kept statement for query, preparing it if needed; nil
// when it is in use or not worth keeping (the caller prepares a one-off
// statement instead): scripts of several statements (the migrations) run
// once, and the driver parses them again at each run anyway.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if strings.Contains(strings.TrimRight(query, "; \t\n"), ";") {
		return nil, nil
	}
	c.clock++
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		cs.used = c.clock
		return cs, nil
	}
	ds, err := c.baseConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(stmtContext)
	if !ok {
		ds.Close()
		return nil, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		c.evict()
	}
	cs := &cachedStmt{st: st, used: c.clock}
	c.stmts[query] = cs
	return cs, nil
}

// evict closes the least recently used idle statement.
func (c *cachingConn) evict() {
	var oldest string
	var found *cachedStmt
	for q, cs := range c.stmts {
		if !cs.busy && (found == nil || cs.used < found.used) {
			oldest, found = q, cs
		}
	}
	if found != nil {
		delete(c.stmts, oldest)
		found.st.Close()
	}
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.baseConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.baseConn.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

// Close finalizes the kept statements, then closes the connection.
func (c *cachingConn) Close() error {
	for q, cs := range c.stmts {
		cs.st.Close()
		delete(c.stmts, q)
	}
	return c.baseConn.Close()
}

// cachedRows gives the statement back when the rows are closed (the
// driver's rows reset it rather than finalize it).
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}
