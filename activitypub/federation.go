// Package activitypub is Herald's federation engine: it serves the
// ActivityPub, WebFinger, host-meta and NodeInfo documents of local
// accounts and posts, verifies and queues what remote servers POST to the
// inboxes, applies it through the domain layer (internal/core), turns the
// outbox events core records into signed deliveries, and resolves remote
// accounts and posts for the client API (core.Resolver).
//
// Everything that must survive a crash lives in the store (outbox events,
// deliveries, the inbox queue, dedupe records, domain health), reached
// through core.FederationQueue; the workers hold only claims, released at
// start. Rules about accounts, posts and follows stay in core, and every
// record is read and written through core: this package holds no store
// and speaks HTTP and ActivityStreams only.
// HTTP signatures are activitypub/httpsig's, and every outgoing request
// goes through a client that refuses private addresses (netguard).
package activitypub

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/ratelimit"
)

// Software names Herald in NodeInfo and the User-Agent.
const (
	SoftwareName    = "herald"
	SoftwareVersion = "0.1.0"
	SoftwareRepo    = "https://github.com/herald-social/herald"
)

// Tuning holds the engine's timings and limits; tests shorten them.
type Tuning struct {
	// Backoff is the wait before retry number attempt (1 = after the first
	// failure). Default: Mastodon's attempt^4 + 15 s + jitter.
	Backoff func(attempt int) time.Duration
	// MaxAttempts per delivery before it is dropped (default 16: about
	// two to three days with the default Backoff).
	MaxAttempts int
	// FailureDays: distinct days with exhausted deliveries before a domain
	// is marked unavailable (default 7).
	FailureDays int
	// IdleWait is the longest a worker sleeps with an empty queue; a Kick
	// wakes it at once (default 1 minute).
	IdleWait time.Duration
	// BusyPoll is the least time between two scans of a queue that has
	// rows not yet due (default 1 s).
	BusyPoll time.Duration
	// InboxWorkers process incoming activities in parallel (default 4).
	InboxWorkers int
	// InboxMaxAttempts for an activity whose processing fails for a
	// transient reason (default 8).
	InboxMaxAttempts int
	// ReplyDepth is how many missing ancestors of an incoming reply are
	// fetched (default 5).
	ReplyDepth int
	// ActorRefresh is how old a stored remote actor may get before it is
	// fetched again when needed (default 24 h). Keys are refetched sooner
	// when a signature fails to verify with the stored one.
	ActorRefresh time.Duration
}

func defaultTuning() Tuning {
	return Tuning{
		Backoff:          MastodonBackoff,
		MaxAttempts:      16,
		FailureDays:      7,
		IdleWait:         time.Minute,
		BusyPoll:         time.Second,
		InboxWorkers:     4,
		InboxMaxAttempts: 8,
		ReplyDepth:       5,
		ActorRefresh:     24 * time.Hour,
	}
}

// Federation is the engine. Make it with New, mount it with Register, run
// its workers with Start.
type Federation struct {
	svc   *core.Service
	queue *core.FederationQueue // outbox events, deliveries, inbox queue, domain health
	cfg   config.Config
	log   *slog.Logger
	base  string

	// Tuning may be changed before Start.
	Tuning Tuning

	client *http.Client
	keys   *keyCache

	lookupIP func(ctx context.Context, host string) ([]netip.Addr, error) // nil: DNS (SetLookupIP)

	inboxLimit *ratelimit.Limiter // per signing domain (limits.go)

	instMu  sync.Mutex
	instKey *rsa.PrivateKey
	instPub string

	outboxWake   chan struct{}
	deliveryWake chan struct{}
	inboxWake    chan struct{}

	unavailMu   sync.RWMutex
	unavailable map[string]bool // domains marked unavailable
	aliveSeen   map[string]bool // domains whose record was cleared by this process

	signerMu sync.Mutex
	signers  map[int64]signer // parsed private keys of local accounts
	retired  map[int64]signer // keys of deleted accounts whose Delete is still being delivered

	routes []Route
}

// New makes the engine. cfg is the instance's configuration (normally
// svc.Cfg).
func New(svc *core.Service, cfg config.Config, log *slog.Logger) *Federation {
	if log == nil {
		log = slog.Default()
	}
	f := &Federation{
		svc:          svc,
		cfg:          cfg,
		log:          log.With("component", "federation"),
		queue:        svc.FederationQueue(),
		base:         cfg.BaseURL(),
		Tuning:       defaultTuning(),
		outboxWake:   make(chan struct{}, 1),
		deliveryWake: make(chan struct{}, 1),
		inboxWake:    make(chan struct{}, 1),
		unavailable:  map[string]bool{},
		aliveSeen:    map[string]bool{},
		signers:      map[int64]signer{},
		inboxLimit:   newInboxLimiter(cfg.Limits.InboxPerDomainPerMinute),
	}
	f.client = f.newHTTPClient()
	f.keys = newKeyCache(f)
	return f
}

// Kick wakes the outbox worker: core calls it after queueing events.
func (f *Federation) Kick() { wake(f.outboxWake) }

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Start runs the workers until ctx is done: the outbox worker (events →
// deliveries), the delivery pool and the inbox processors. Work left by a
// previous process is resumed.
func (f *Federation) Start(ctx context.Context) {
	if err := f.queue.ReleaseClaims(ctx); err != nil {
		f.log.Error("release queue claims", "err", err)
	}
	if ds, err := f.queue.UnavailableDomains(ctx); err == nil {
		f.unavailMu.Lock()
		for _, d := range ds {
			f.unavailable[d] = true
		}
		f.unavailMu.Unlock()
	}
	if _, _, err := f.instanceKey(ctx); err != nil {
		f.log.Error("instance actor key", "err", err)
	}
	var wg sync.WaitGroup
	run := func(fn func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}
	run(f.outboxLoop)
	run(f.deliveryLoop)
	run(f.inboxLoop)
	run(f.housekeeping)
	wg.Wait()
}

// instanceKey returns the instance actor's private key and public PEM.
func (f *Federation) instanceKey(ctx context.Context) (*rsa.PrivateKey, string, error) {
	f.instMu.Lock()
	defer f.instMu.Unlock()
	if f.instKey != nil {
		return f.instKey, f.instPub, nil
	}
	privPEM, pubPEM, err := f.svc.InstanceKeys(ctx)
	if err != nil {
		return nil, "", err
	}
	k, err := httpsig.ParsePrivateKeyPEM(privPEM)
	if err != nil {
		return nil, "", err
	}
	f.instKey, f.instPub = k, pubPEM
	return k, pubPEM, nil
}

// InstanceActorURI is the instance actor's id.
func (f *Federation) InstanceActorURI() string { return f.base + "/actor" }

// Route is one registered route, for the route audit.
type Route struct {
	Method, Path string
	// Public: served without a signature even with authorized fetch
	// (discovery, the instance actor, the minimal actor document). Other
	// GETs need a signature when authorized fetch is on; inbox POSTs
	// always need one.
	Public bool
}

// Routes lists every route the engine registers as "METHOD path", sorted;
// PublicRoutes says which of them answer unsigned requests.
func (f *Federation) Routes() []string {
	out := make([]string, 0, len(f.routes))
	for _, r := range f.routes {
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	return out
}

// PublicRoutes lists the routes served without any signature.
func (f *Federation) PublicRoutes() []string {
	var out []string
	for _, r := range f.routes {
		if r.Public {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	sort.Strings(out)
	return out
}

// RouteTable returns the routes with their access rule.
func (f *Federation) RouteTable() []Route { return append([]Route(nil), f.routes...) }

func (f *Federation) now() time.Time { return time.Now() }
