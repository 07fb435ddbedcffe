package storage

import (
	"context"
	"sync/atomic"
	"time"
)

// Scope marks the work of one request, so that a store may do once per
// request what it would otherwise do at every look: the SQLite store
// checks once that the shared-memory file it watches for commits is still
// the database's (a stat), instead of at each of the three or four cache
// checks a request makes. A store keeps what it wants in the scope (Memo);
// a scope older than ScopeTrust is not trusted (a stream's request lasts
// as long as its connection).
type Scope struct {
	start time.Time
	memo  atomic.Value
}

// ScopeTrust is how long a scope's memo may be used after the request began.
const ScopeTrust = time.Second

type scopeKey struct{}

// WithScope returns ctx carrying a new request scope.
func WithScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &Scope{start: time.Now()})
}

// ScopeOf returns the request scope of ctx, nil when it has none or when
// it is too old to trust.
func ScopeOf(ctx context.Context) *Scope {
	sc, _ := ctx.Value(scopeKey{}).(*Scope)
	if sc == nil || time.Since(sc.start) > ScopeTrust {
		return nil
	}
	return sc
}

// Memo returns what the store kept in the scope (nil if nothing).
func (s *Scope) Memo() any { return s.memo.Load() }

// SetMemo keeps v in the scope; every call must pass the same type.
func (s *Scope) SetMemo(v any) { s.memo.Store(v) }
