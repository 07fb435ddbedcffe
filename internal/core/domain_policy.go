package core

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// The domain policy: what the instance does with a remote domain. This is
// the one place that decides it, for every surface (inbox, delivery,
// fetches, the resolver, media, search, the admin views): the
// configuration's lists ([federation] blocked_domains, silenced_domains,
// reject_media_domains, allowlist_mode, allowed_domains) and the admins'
// domain blocks, allowed domains and limited federation setting, merged
// and matched by domainMatches. The federation engine only translates the
// answer into HTTP statuses and dropped or retried work.
//
// When the rules cannot be read (a store error) the answer fails closed:
// the domain is treated as suspended, and the error is returned with it
// so that callers holding queued work can retry it later instead of
// dropping it (the refusal is ours, not the admins'). Never the
// configuration's lists alone: that would let the database's blocks lapse.

// DomainPolicy is the policy for one remote domain.
type DomainPolicy struct {
	Domain string
	// Severity: "suspend" (nothing is accepted from or sent to it),
	// "silence" (kept off public timelines, only followers see its posts),
	// or "" (no restriction).
	Severity      string
	RejectMedia   bool // fetch no media from it
	RejectReports bool // ignore its Flag activities
	// NotAllowed: allow-list mode is on and the domain is not allowed
	// (Severity is "suspend" then).
	NotAllowed bool
	// Unknown: the rules could not be read; this is the fail-closed
	// policy (Severity "suspend"), returned with the error.
	Unknown bool
}

// Suspended reports whether nothing may be exchanged with the domain
// (suspended, not allowed, or the policy is unknown).
func (p DomainPolicy) Suspended() bool { return p.Severity == "suspend" }

// Silenced reports a limited domain.
func (p DomainPolicy) Silenced() bool { return p.Severity == "silence" }

// suspended is the strictest policy, for an empty host or (Unknown) when
// the rules cannot be read.
func suspended(host string) DomainPolicy {
	return DomainPolicy{Domain: host, Severity: "suspend", RejectMedia: true, RejectReports: true}
}

// policyRules is a snapshot of every rule, cached per Service.
type policyRules struct {
	loaded    time.Time
	blocks    []*model.DomainBlock // config ones have ID 0
	allowlist bool
	allowed   []string
}

type policyCache struct {
	mu    sync.Mutex
	rules *policyRules
}

// policyTTL bounds how stale the cache may be for changes made by a
// process that could not tell this one (every process invalidates its own
// cache on every admin change, and those on one PostgreSQL database tell
// each other: ChangeDomainPolicy).
const policyTTL = time.Minute

func (s *AdminService) policyCache() *policyCache { return &s.policy }

func (s *AdminService) invalidateDomainPolicy() {
	pc := s.policyCache()
	pc.mu.Lock()
	pc.rules = nil
	pc.mu.Unlock()
	s.notify(ChangeDomainPolicy, 0, 0) // other processes drop theirs
}

// NormaliseDomain lower-cases a domain and strips a scheme, path, "*." and
// dots; it keeps a port.
func NormaliseDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	if u, err := url.Parse(d); err == nil && u.Host != "" {
		d = u.Host
	}
	d = strings.TrimPrefix(d, "*.")
	return strings.Trim(d, ".")
}

// loadPolicyRules returns the cached rules, reading them again when the
// cache is empty or stale. Any error (domain blocks, allows, or the
// run-time limited federation setting) is returned: a partial snapshot is
// never used nor cached.
func (s *AdminService) loadPolicyRules(ctx context.Context) (*policyRules, error) {
	pc := s.policyCache()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.rules != nil && time.Since(pc.rules.loaded) < policyTTL {
		return pc.rules, nil
	}
	fed := s.Cfg.Federation
	r := &policyRules{loaded: time.Now(), allowlist: fed.AllowlistMode}
	for _, d := range fed.BlockedDomains {
		r.blocks = append(r.blocks, &model.DomainBlock{Domain: NormaliseDomain(d), Severity: "suspend", RejectMedia: true, RejectReports: true})
	}
	for _, d := range fed.SilencedDomains {
		r.blocks = append(r.blocks, &model.DomainBlock{Domain: NormaliseDomain(d), Severity: "silence"})
	}
	for _, d := range fed.RejectMediaDomains {
		r.blocks = append(r.blocks, &model.DomainBlock{Domain: NormaliseDomain(d), Severity: "noop", RejectMedia: true})
	}
	for _, d := range fed.AllowedDomains {
		r.allowed = append(r.allowed, NormaliseDomain(d))
	}
	dbBlocks, err := s.store.AllDomainBlocks(ctx)
	if err != nil {
		return nil, err
	}
	r.blocks = append(r.blocks, dbBlocks...)
	allows, err := s.store.AllDomainAllows(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range allows {
		r.allowed = append(r.allowed, a.Domain)
	}
	site, err := s.Site(ctx)
	if err != nil {
		return nil, err
	}
	r.allowlist = r.allowlist || site.LimitedFederation
	pc.rules = r
	return r, nil
}

// domainMatches reports whether host (a normalised host[:port]) falls
// under rule (a normalised domain, optionally with a port): the same name
// or a subdomain of it, as Mastodon matches domain blocks (a rule for
// example.com covers sub.example.com, not notexample.com). A rule with a
// port matches only that origin; without one, every port of the host.
func domainMatches(host, rule string) bool {
	if host == "" || rule == "" {
		return false
	}
	if _, _, err := net.SplitHostPort(rule); err == nil {
		return host == rule
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name, rule = strings.Trim(name, "[]"), strings.Trim(rule, "[]")
	return name == rule || strings.HasSuffix(name, "."+rule)
}

var severityRank = map[string]int{"": 0, "noop": 0, "silence": 1, "suspend": 2}

// DomainPolicy returns the policy for a remote domain (host[:port], or a
// URL). It is served from memory: the federation engine calls it on every
// request. Every rule matching the domain applies, the strictest severity
// winning (configuration and database entries alike).
//
// On error the policy is the fail-closed one (suspended, Unknown) and the
// error is logged and returned.
func (s *AdminService) DomainPolicy(ctx context.Context, domain string) (DomainPolicy, error) {
	host := NormaliseDomain(domain)
	if host == "" {
		return suspended(host), nil
	}
	if host == strings.ToLower(s.Cfg.Instance.Domain) {
		return DomainPolicy{Domain: host}, nil
	}
	r, err := s.loadPolicyRules(ctx)
	if err != nil {
		s.Log.Error("reading the domain policy; treating the domain as suspended", "domain", host, "err", err)
		p := suspended(host)
		p.Unknown = true
		return p, herr.Internal(err)
	}
	p := DomainPolicy{Domain: host}
	for _, b := range r.blocks {
		if !domainMatches(host, b.Domain) {
			continue
		}
		if severityRank[b.Severity] > severityRank[p.Severity] {
			p.Severity = b.Severity
		}
		p.RejectMedia = p.RejectMedia || b.RejectMedia
		p.RejectReports = p.RejectReports || b.RejectReports
	}
	if r.allowlist && !domainIn(host, r.allowed) {
		p.NotAllowed = true
		p.Severity = "suspend"
	}
	if p.Severity == "suspend" {
		p.RejectMedia, p.RejectReports = true, true
	}
	if p.Severity == "noop" {
		p.Severity = ""
	}
	return p, nil
}
