// Package core is Herald's domain layer: the rules of accounts, posts,
// follows and visibility, shared by the client API, the web UI, the CLI and
// the federation engine. It validates, decides and calls the store; it does
// not speak HTTP or ActivityPub, and holds no SQL.
//
// Caches: what every request reads (its token's caller, roles, follow
// request counts: authcache.go) and the accounts pages show
// (accountcache.go) are kept in memory between requests. Each is valid at
// one value of a version counter of the store, which the store changes in
// the same transaction as any change to what the cache holds, whoever
// makes it (another server process, the command line); every lookup checks
// the counter first. So nothing is ever served stale: a revoked token or a
// suspended account stops working at the next request, in every process.
package core

import (
	"context"
	"log/slog"
	"net/url"
	"strings"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Service carries what every rule needs, and the area services.
type Service struct {
	Cfg config.Config
	Log *slog.Logger

	// store is private to the domain layer: the surfaces (client API, web
	// UI, federation, command line) go through the methods of Service,
	// which carry the rules (a test in internal/server checks them).
	store storage.Store

	// Resolver finds remote accounts and statuses; set by the federation
	// engine (nil: local only).
	Resolver Resolver
	// Notify is called after a change that streaming clients or pushes
	// may want to hear about (changes.go); optional.
	Notify func(kind ChangeKind, accountID, objectID int64)
	// Jobs is the background job runtime: core registers its kinds on it
	// (RegisterJobs) and wakes them; nil: work core would queue is done at
	// once, in the caller (tests of core alone).
	Jobs *jobs.Runner
	// Revoked is told, synchronously, of credentials that just ended
	// (credentials.go), so that the streaming connections holding them
	// are closed; optional.
	Revoked func(Revocation)
	// SharedSignInFailures, when set, keeps the failed sign-ins per
	// account in the database, so that several processes on one database
	// count them together and a lock-out made through one holds on all
	// (signin.go): it adds each count to the stored one (negative: gives
	// back) to the counts named name and returns the totals (the store's
	// ExchangeRateCounts). nil: each process counts in memory.
	SharedSignInFailures func(ctx context.Context, name string, counts []storage.RateCount) ([]storage.RateCount, error)

	// authCache keeps callers and roles between requests (authcache.go).
	authCache authCache
	// accountCache keeps the accounts pages show (accountcache.go).
	accountCache accountCache
	// defaultsCache keeps accounts' default interaction policies (accountcache.go).
	defaultsCache defaultsCache
	clock         clock        // Now (polls.go)
	activity      activityDays // users' active days recorded (metrics.go)
	tokenUse      activityDays // tokens' days of use recorded (oauth.go)

	// The areas (areas.go); their methods are Service's.
	*AuthService
	*AdminService
	*MediaService
	*NotificationService
	*UserDataService
	*InteractionService
	*FederationService
}

// Resolver is what core asks of the federation engine.
type Resolver interface {
	// ResolveAccount finds (fetching when needed) a remote account by
	// "user@domain" (WebFinger) or by actor/profile URL.
	ResolveAccount(ctx context.Context, query string) (*model.Account, error)
	// ResolveStatus finds (fetching when needed) a remote status by URL.
	ResolveStatus(ctx context.Context, uri string) (*model.Status, error)
	// ActorAliases fetches a remote actor's document afresh and returns
	// its alsoKnownAs (an account moving there must be listed).
	ActorAliases(ctx context.Context, actorURI string) ([]string, error)
}

// New makes a Service.
func New(cfg config.Config, store storage.Store, log *slog.Logger) *Service {
	s := &Service{Cfg: cfg, store: store, Log: log}
	s.AuthService = &AuthService{Service: s, store: store}
	s.AdminService = &AdminService{Service: s, store: store}
	s.MediaService = &MediaService{Service: s, store: store}
	s.NotificationService = &NotificationService{Service: s, store: store}
	s.UserDataService = &UserDataService{Service: s, store: store}
	s.InteractionService = &InteractionService{Service: s, store: store}
	s.FederationService = &FederationService{Service: s, store: store}
	return s
}

// Base is the instance origin, e.g. https://social.example.
func (s *Service) Base() string { return s.Cfg.BaseURL() }

// LocalActorURI is the ActivityPub id of a local account.
func (s *Service) LocalActorURI(username string) string {
	return s.Base() + "/users/" + url.PathEscape(strings.ToLower(username))
}

// LocalProfileURL is the HTML profile page of a local account.
func (s *Service) LocalProfileURL(username string) string {
	return s.Base() + "/@" + url.PathEscape(strings.ToLower(username))
}

// LocalStatusURI is the ActivityPub id of a local status.
func (s *Service) LocalStatusURI(username string, statusID string) string {
	return s.LocalActorURI(username) + "/statuses/" + statusID
}

// LocalStatusURL is the HTML page of a local status.
func (s *Service) LocalStatusURL(username string, statusID string) string {
	return s.LocalProfileURL(username) + "/" + statusID
}

// TagURL is the page of a hashtag.
func (s *Service) TagURL(tag string) string { return s.Base() + "/tags/" + url.PathEscape(tag) }

// kick wakes the federation engine's outbox jobs after a change queued
// some (they run at the next poll otherwise).
func (s *Service) kick() {
	if s.Jobs != nil {
		s.Jobs.Wake(storage.JobFederate)
	}
}

func (s *Service) notify(kind ChangeKind, accountID, objectID int64) {
	if s.Notify != nil {
		s.Notify(kind, accountID, objectID)
	}
}
