package sqlite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/storage"
)

// Several processes on one PostgreSQL database. Each holds one connection
// of its own, beside the pool, for two things that must last as long as
// the process does and end when it dies, however it dies:
//
//   - its id node (id.SetNode): a session advisory lock on one of the
//     1<<id.NodeBits node numbers, which PostgreSQL releases when the
//     connection ends, so that two live processes never hold the same
//     node and a killed process's node is free again at once;
//   - LISTEN on the channel busChannel, the cluster's bus: the hints one
//     process sends (a status to stream, a token revoked, a cache to
//     drop) reach every other process (Publish, Listen).
//
// A hint is sent after the change it tells of has committed (the callers
// publish once the store returned), so that no process hears of a change
// it cannot read yet, nor of one rolled back. Hints are advisory: a
// receiver re-reads what it needs from the database. When the connection
// is lost, Listen reconnects with backoff, takes its node again and tells
// its handler (an empty batch) that hints may have been missed.
//
// On SQLite (one serving process) there is no cluster: Publish does
// nothing and Listen returns at once.

// busChannel is the NOTIFY channel of the bus.
const busChannel = "herald_bus"

// nodeLockClass is the first key of the advisory locks on id nodes (the
// second is the node number).
const nodeLockClass = 7254912

// busPayloadMax keeps a NOTIFY payload under PostgreSQL's 8000 bytes.
const busPayloadMax = 7000

// ErrNoNode: every id node is held by a live process.
var ErrNoNode = fmt.Errorf("every one of the %d id nodes is held by a running Herald process on this database", 1<<id.NodeBits)

// pgCluster is a store's own connection on PostgreSQL.
type pgCluster struct {
	cfg    *pgx.ConnConfig
	origin string // this process's mark on the hints it sends

	mu   sync.Mutex
	conn *pgx.Conn
	node int64 // held on conn; -1: none
}

func newPgCluster(cfg *pgx.ConnConfig) *pgCluster {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &pgCluster{cfg: cfg.Copy(), origin: hex.EncodeToString(b[:]), node: -1}
}

// ClaimNode takes an id node for this process, holds it on the store's
// own connection until the store is closed, and makes it this process's
// (id.SetNode). On SQLite it does nothing and returns -1.
func (s *Store) ClaimNode(ctx context.Context) (int64, error) {
	c := s.cluster
	if c == nil {
		return -1, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connect(ctx); err != nil {
		return -1, wrap("claim node", err)
	}
	if c.node >= 0 {
		return c.node, nil
	}
	n, err := c.takeNode(ctx, -1)
	if err != nil {
		return -1, wrap("claim node", err)
	}
	c.node = n
	id.SetNode(n)
	return n, nil
}

// connect opens the own connection if it is not open (under c.mu).
func (c *pgCluster) connect(ctx context.Context) error {
	if c.conn != nil && !c.conn.IsClosed() {
		return nil
	}
	conn, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return fmt.Errorf("postgres: the process's own connection: %w", err)
	}
	c.conn = conn
	return nil
}

// takeNode locks a free node on c.conn, prefer first when it is one, and
// returns it.
func (c *pgCluster) takeNode(ctx context.Context, prefer int64) (int64, error) {
	try := func(n int64) (bool, error) {
		var ok bool
		err := c.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", nodeLockClass, int32(n)).Scan(&ok)
		return ok, err
	}
	if prefer >= 0 {
		if ok, err := try(prefer); err != nil || ok {
			return prefer, err
		}
	}
	for n := int64(0); n < 1<<id.NodeBits; n++ {
		ok, err := try(n)
		if err != nil {
			return -1, fmt.Errorf("postgres: take an id node: %w", err)
		}
		if ok {
			return n, nil
		}
	}
	return -1, ErrNoNode
}

// closeCluster closes the own connection (its node and LISTEN end with it).
func (s *Store) closeCluster() {
	c := s.cluster
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.conn.Close(ctx)
		cancel()
		c.conn = nil
	}
}

// Clustered reports whether other processes may share the database (it
// is PostgreSQL): hints are worth publishing.
func (s *Store) Clustered() bool { return s.cluster != nil }

// Publish sends hints to every other process listening on the database,
// in one notification when they fit (in order). Each hint is one line of
// text. Nothing on SQLite.
func (s *Store) Publish(ctx context.Context, hints ...string) error {
	c := s.cluster
	if c == nil || len(hints) == 0 {
		return nil
	}
	var batches []string
	var b strings.Builder
	for _, h := range hints {
		if strings.ContainsAny(h, "\n\x00") || len(h) > busPayloadMax-len(c.origin)-2 {
			return wrap("publish", fmt.Errorf("a hint must be one short line: %q", h))
		}
		if b.Len() > 0 && b.Len()+1+len(h) > busPayloadMax {
			batches = append(batches, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(c.origin)
		}
		b.WriteByte('\n')
		b.WriteString(h)
	}
	batches = append(batches, b.String())
	for _, p := range batches {
		if _, err := s.w.ExecContext(ctx, "SELECT pg_notify(?, ?)", busChannel, p); err != nil {
			return wrap("publish", err)
		}
	}
	return nil
}

// Listen hands handle the hints other processes publish, in the order
// they were sent, until ctx ends; handle runs on Listen's goroutine. After
// the connection was lost and made again, handle gets an empty batch
// (hints may have been missed meanwhile: drop what they would have
// invalidated). It takes the process's node again on the new connection
// (another one, made this process's, if another process took it
// meanwhile). On SQLite it returns at once.
func (s *Store) Listen(ctx context.Context, log *slog.Logger, handle func(hints []string)) {
	c := s.cluster
	if c == nil {
		return
	}
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := c.listen(ctx, first, handle)
		if ctx.Err() != nil {
			return
		}
		first = false
		log.Warn("cluster bus: connection lost; reconnecting", "err", err, "in", backoff)
		c.mu.Lock()
		if c.conn != nil {
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = c.conn.Close(closeCtx)
			cancel()
			c.conn = nil
		}
		c.mu.Unlock()
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// busPing is how often an idle listener checks its connection.
const busPing = 5 * time.Second

// listen runs one connection's LISTEN until it fails or ctx ends.
func (c *pgCluster) listen(ctx context.Context, first bool, handle func([]string)) error {
	c.mu.Lock()
	err := c.connect(ctx)
	if err == nil && c.node >= 0 {
		// A new connection holds no lock: take the node again.
		var ok bool
		if err = c.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", nodeLockClass, int32(c.node)).Scan(&ok); err == nil && !ok {
			var n int64
			if n, err = c.takeNode(ctx, -1); err == nil {
				c.node = n
				id.SetNode(n)
			}
		}
	}
	if err == nil {
		_, err = c.conn.Exec(ctx, "LISTEN "+busChannel)
	}
	conn := c.conn
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if !first {
		handle(nil)
	}
	for {
		waitCtx, cancel := context.WithTimeout(ctx, busPing)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if conn.IsClosed() || !pgconn.Timeout(err) {
				return err
			}
			// Idle: make sure the connection (and the node it holds) is alive.
			pingCtx, cancel := context.WithTimeout(ctx, busPing)
			err = conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return err
			}
			continue
		}
		origin, body, ok := strings.Cut(n.Payload, "\n")
		if !ok || origin == c.origin {
			continue // our own
		}
		handle(strings.Split(body, "\n"))
	}
}

// ExchangeRateCounts adds counts to the shared counts of the rate limiter
// name and returns their totals, in one statement (rows locked in the
// order given: callers sort by key, so that two processes cannot
// deadlock).
func (s *Store) ExchangeRateCounts(ctx context.Context, name string, counts []storage.RateCount) ([]storage.RateCount, error) {
	if len(counts) == 0 {
		return nil, nil
	}
	var out []storage.RateCount
	for len(counts) > 0 {
		part := counts[:min(len(counts), 200)]
		counts = counts[len(part):]
		args := make([]any, 0, 4*len(part))
		for _, c := range part {
			args = append(args, name, c.Key, c.Start, c.N)
		}
		got, err := queryAll(ctx, s.w, `INSERT INTO rate_limits (name, key, window_start, count) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(part)), ",")+`
			ON CONFLICT (name, key, window_start) DO UPDATE SET count = rate_limits.count + excluded.count
			RETURNING key, window_start, count`, args, func(row scanner) (storage.RateCount, error) {
			var c storage.RateCount
			err := row.Scan(&c.Key, &c.Start, &c.N)
			return c, err
		})
		if err != nil {
			return nil, wrap("exchange rate counts", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// PruneRateCounts deletes the shared counts of windows that started
// before (Unix ms).
func (s *Store) PruneRateCounts(ctx context.Context, before int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM rate_limits WHERE window_start < ?", before)
	return wrap("prune rate counts", err)
}
