// Package activitypub is Herald's federation engine: it serves the
// ActivityPub, WebFinger, host-meta and NodeInfo documents of local
// accounts and posts, verifies and queues what remote servers POST to the
// inboxes, applies it through the domain layer (internal/core), turns the
// outbox events core records into signed deliveries, and resolves remote
// accounts and posts for the client API (core.Resolver).
//
// Everything that must survive a crash lives in the store: outbox events,
// deliveries and the inbox are jobs of the one job runtime (internal/jobs,
// registered by RegisterJobs); dedupe records and domain health are reached
// through core.FederationQueue. Rules about accounts, posts and follows stay in core, and every
// record is read and written through core: this package holds no store
// and speaks HTTP and ActivityStreams only.
// HTTP signatures are activitypub/httpsig's, and every outgoing request
// goes through a client that refuses private addresses (netguard).
package activitypub

import (
	"context"
	"crypto/rsa"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/metrics"
	"github.com/herald-social/herald/internal/ratelimit"
	"github.com/herald-social/herald/storage"
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
	queue *core.FederationQueue // inbox dedupe, domain health
	jobs  *jobs.Runner          // outbox events, deliveries, the inbox (RegisterJobs)
	cfg   config.Config
	log   *slog.Logger
	base  string

	// Tuning may be changed before RegisterJobs.
	Tuning Tuning
	// Metrics counts deliveries and incoming activities (nil: none).
	Metrics *metrics.Metrics

	// OnDomainState, when set, is told when this process marks a domain
	// unavailable (down) or sees it available again, so that the other
	// processes on the database can follow (DomainStateElsewhere).
	OnDomainState func(host string, down bool)

	client *http.Client
	keys   *keyCache

	lookupIP func(ctx context.Context, host string) ([]netip.Addr, error) // nil: DNS (SetLookupIP)

	inboxLimit *ratelimit.Limiter // per signing domain (limits.go)

	instMu  sync.Mutex
	instKey *rsa.PrivateKey
	instPub string

	unavailMu   sync.RWMutex
	unavailable map[string]bool // domains marked unavailable
	aliveSeen   map[string]bool // domains whose record was cleared by this process

	signerMu sync.Mutex
	signers  map[int64]signer // parsed private keys of local accounts

	routes []Route
}

// New makes the engine. cfg is the instance's configuration (normally
// svc.Cfg).
func New(svc *core.Service, cfg config.Config, log *slog.Logger) *Federation {
	if log == nil {
		log = slog.Default()
	}
	f := &Federation{
		svc:         svc,
		cfg:         cfg,
		log:         log.With("component", "federation"),
		queue:       svc.FederationQueue(),
		base:        cfg.BaseURL(),
		Tuning:      defaultTuning(),
		unavailable: map[string]bool{},
		aliveSeen:   map[string]bool{},
		signers:     map[int64]signer{},
		inboxLimit:  newInboxLimiter(cfg.Limits.InboxPerDomainPerMinute),
	}
	f.client = f.newHTTPClient()
	f.keys = newKeyCache(f)
	return f
}

// Prepare loads what the engine keeps in memory (the domains marked
// unavailable, the instance actor's key) before it works.
func (f *Federation) Prepare(ctx context.Context) {
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
}

// Job kinds of the engine's own (the store writes the others: federate,
// deliver, inbox).
const (
	// jobAccountPurge deletes a local account once the deliveries its key
	// signs (its Delete) are done.
	jobAccountPurge = "account.purge"
	jobForgetSeen   = "federation.forget_seen"
)

// RegisterJobs registers the engine's work on the job runtime: outbox
// events become deliveries (one account's in order), deliveries (at most
// Federation.DeliveryWorkers at once here, DeliveryPerHost per host across
// processes), incoming activities (one signer's in order), the purge of
// deleted accounts, and the hourly pruning of dedupe records.
func (f *Federation) RegisterJobs(r *jobs.Runner) {
	f.jobs = r
	r.Handle(jobs.Kind{Name: storage.JobFederate, Workers: 2, PerKey: 1, Chain: 16, MaxAttempts: 10, Run: f.runEvent})
	r.Handle(jobs.Kind{Name: storage.JobDeliver, Workers: max(f.cfg.Federation.DeliveryWorkers, 1),
		PerKey: max(f.cfg.Federation.DeliveryPerHost, 1), MaxAttempts: math.MaxInt32, Run: f.runDelivery})
	r.Handle(jobs.Kind{Name: storage.JobInbox, Workers: max(f.Tuning.InboxWorkers, 1), PerKey: 1, Chain: 16,
		MaxAttempts: math.MaxInt32, Run: f.runInbox})
	r.Handle(jobs.Kind{Name: jobAccountPurge, MaxAttempts: 10, Run: f.runAccountPurge})
	r.Handle(jobs.Kind{Name: jobForgetSeen, Run: func(ctx context.Context, _ *storage.Job) ([]storage.Job, error) {
		n, err := f.queue.ForgetSeenActivities(ctx, f.now().Add(-14*24*time.Hour))
		if n > 0 {
			f.log.Debug("pruned seen activities", "n", n)
		}
		return nil, err
	}})
	r.Every(jobs.Periodic{Name: jobForgetSeen, Every: time.Hour, Job: storage.Job{Kind: jobForgetSeen}})
}

// wakeJobs starts queued jobs of kind now rather than at the next poll.
func (f *Federation) wakeJobs(kind string) {
	if f.jobs != nil {
		f.jobs.Wake(kind)
	}
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
