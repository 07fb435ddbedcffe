package core

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// DomainPolicy is what the instance does with a remote domain: the
// configuration's lists, the admins' domain blocks and, in allow-list
// (limited federation) mode, the allowed domains, merged.
type DomainPolicy struct {
	Domain string
	// Severity: "suspend" (nothing is accepted from or sent to it),
	// "silence" (kept off public timelines, only followers see its posts),
	// "noop" or "" (no restriction).
	Severity      string
	RejectMedia   bool // fetch no media from it
	RejectReports bool // ignore its Flag activities
	// NotAllowed: allow-list mode is on and the domain is not allowed
	// (Severity is "suspend" then).
	NotAllowed bool
}

// Suspended reports whether nothing may be exchanged with the domain.
func (p DomainPolicy) Suspended() bool { return p.Severity == "suspend" }

// Silenced reports a limited domain.
func (p DomainPolicy) Silenced() bool { return p.Severity == "silence" }

// policyRules is a snapshot of every rule, cached per Service.
type policyRules struct {
	loaded    time.Time
	self      string
	blocks    []*model.DomainBlock // config ones have ID 0
	allowlist bool
	allowed   []string
}

type policyCache struct {
	mu    sync.Mutex
	rules *policyRules
}

// policyTTL bounds how stale the cache may be for changes made by another
// process on the same database.
const policyTTL = time.Minute

func (s *Service) policyCache() *policyCache { return &s.policy }

func (s *Service) invalidateDomainPolicy() {
	pc := s.policyCache()
	pc.mu.Lock()
	pc.rules = nil
	pc.mu.Unlock()
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

func (s *Service) loadPolicyRules(ctx context.Context) (*policyRules, error) {
	pc := s.policyCache()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.rules != nil && time.Since(pc.rules.loaded) < policyTTL {
		return pc.rules, nil
	}
	fed := s.Cfg.Federation
	r := &policyRules{loaded: time.Now(), self: strings.ToLower(s.Cfg.Instance.Domain), allowlist: fed.AllowlistMode}
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
	dbBlocks, err := s.Store.AllDomainBlocks(ctx)
	if err != nil {
		return nil, err
	}
	r.blocks = append(r.blocks, dbBlocks...)
	allows, err := s.Store.AllDomainAllows(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range allows {
		r.allowed = append(r.allowed, a.Domain)
	}
	if site, err := s.Site(ctx); err == nil && site.LimitedFederation {
		r.allowlist = true
	}
	pc.rules = r
	return r, nil
}

// domainMatches reports whether host (host[:port]) falls under rule: the
// same name or a subdomain; a rule with a port matches only that origin.
func domainMatches(host, rule string) bool {
	if rule == "" {
		return false
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if strings.Contains(rule, ":") && strings.Count(rule, ":") == 1 && !strings.HasPrefix(rule, "[") {
		return host == rule
	}
	return name == rule || strings.HasSuffix(name, "."+rule)
}

var severityRank = map[string]int{"": 0, "noop": 0, "silence": 1, "suspend": 2}

// DomainPolicy returns the policy for a remote domain (host[:port]). It is
// served from memory: the federation engine may call it on every request.
func (s *Service) DomainPolicy(ctx context.Context, domain string) (DomainPolicy, error) {
	host := NormaliseDomain(domain)
	p := DomainPolicy{Domain: host}
	r, err := s.loadPolicyRules(ctx)
	if err != nil {
		return p, herr.Internal(err)
	}
	if host == "" {
		p.Severity = "suspend"
		return p, nil
	}
	if host == r.self {
		return p, nil
	}
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
	if r.allowlist {
		allowed := false
		for _, a := range r.allowed {
			if domainMatches(host, a) {
				allowed = true
				break
			}
		}
		if !allowed {
			p.NotAllowed = true
			p.Severity = "suspend"
		}
	}
	if p.Severity == "suspend" {
		p.RejectMedia, p.RejectReports = true, true
	}
	if p.Severity == "noop" {
		p.Severity = ""
	}
	return p, nil
}

// --- admin CRUD ---

// DomainBlockParams creates or changes a domain block; nil fields stay.
type DomainBlockParams struct {
	Domain         string
	Severity       *string
	RejectMedia    *bool
	RejectReports  *bool
	PrivateComment *string
	PublicComment  *string
	Obfuscate      *bool
}

func applyDomainBlock(b *model.DomainBlock, p DomainBlockParams) error {
	if p.Severity != nil {
		b.Severity = *p.Severity
	}
	switch b.Severity {
	case "silence", "suspend", "noop":
	default:
		return herr.Unprocessable("Validation failed: Severity must be silence, suspend or noop")
	}
	if p.RejectMedia != nil {
		b.RejectMedia = *p.RejectMedia
	}
	if p.RejectReports != nil {
		b.RejectReports = *p.RejectReports
	}
	if p.PrivateComment != nil {
		b.PrivateComment = strings.TrimSpace(*p.PrivateComment)
	}
	if p.PublicComment != nil {
		b.PublicComment = strings.TrimSpace(*p.PublicComment)
	}
	if p.Obfuscate != nil {
		b.Obfuscate = *p.Obfuscate
	}
	if len(b.PrivateComment) > 5000 || len(b.PublicComment) > 5000 {
		return herr.Unprocessable("Validation failed: comment is too long")
	}
	return nil
}

var domainRe = func(d string) bool {
	if d == "" || len(d) > 253 || strings.ContainsAny(d, "/ @?#_\\") {
		return false
	}
	name := d
	if h, port, err := net.SplitHostPort(d); err == nil {
		if _, err := strconv.Atoi(port); err != nil {
			return false
		}
		name = h
	}
	return name != "" && !strings.Contains(name, "..")
}

// DomainBlocks pages through domain blocks (Manage Federation).
func (s *Service) DomainBlocks(ctx context.Context, c *Caller, p model.Page) ([]*model.DomainBlock, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	out, err := s.Store.DomainBlocks(ctx, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// DomainBlock returns one domain block.
func (s *Service) DomainBlock(ctx context.Context, c *Caller, id int64) (*model.DomainBlock, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	b, err := s.Store.DomainBlockByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("domain block")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return b, nil
}

// ExistingDomainBlockError is returned when a domain already has a block
// (Mastodon answers 422 with the existing block).
type ExistingDomainBlockError struct{ Block *model.DomainBlock }

func (e *ExistingDomainBlockError) Error() string {
	return "You have already imposed stricter limits on " + e.Block.Domain + "."
}

// CreateDomainBlock blocks a domain (default severity silence).
func (s *Service) CreateDomainBlock(ctx context.Context, c *Caller, p DomainBlockParams) (*model.DomainBlock, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	d := NormaliseDomain(p.Domain)
	if !domainRe(d) {
		return nil, herr.Unprocessable("Validation failed: Domain is not a valid domain name")
	}
	if d == strings.ToLower(s.Cfg.Instance.Domain) {
		return nil, herr.Unprocessable("Validation failed: Domain cannot be this instance")
	}
	if old, err := s.Store.DomainBlockByDomain(ctx, d); err == nil {
		return nil, &ExistingDomainBlockError{Block: old}
	}
	b := &model.DomainBlock{Domain: d, Severity: "silence"}
	if err := applyDomainBlock(b, p); err != nil {
		return nil, err
	}
	if err := s.Store.CreateDomainBlock(ctx, b); errors.Is(err, storage.ErrConflict) {
		old, _ := s.Store.DomainBlockByDomain(ctx, d)
		if old != nil {
			return nil, &ExistingDomainBlockError{Block: old}
		}
		return nil, herr.Unprocessable("Validation failed: Domain has already been taken")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	s.invalidateDomainPolicy()
	s.enforceDomainBlock(ctx, b)
	s.audit(ctx, c, "create_domain_block", "DomainBlock", d, "blocked "+d+" ("+b.Severity+")")
	return b, nil
}

// UpdateDomainBlock changes a domain block.
func (s *Service) UpdateDomainBlock(ctx context.Context, c *Caller, id int64, p DomainBlockParams) (*model.DomainBlock, error) {
	b, err := s.DomainBlock(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := applyDomainBlock(b, p); err != nil {
		return nil, err
	}
	if err := s.Store.UpdateDomainBlock(ctx, b); err != nil {
		return nil, herr.Internal(err)
	}
	s.invalidateDomainPolicy()
	s.enforceDomainBlock(ctx, b)
	s.audit(ctx, c, "update_domain_block", "DomainBlock", b.Domain, "changed the block of "+b.Domain+" ("+b.Severity+")")
	return b, nil
}

// DeleteDomainBlock lifts a domain block.
func (s *Service) DeleteDomainBlock(ctx context.Context, c *Caller, id int64) error {
	b, err := s.DomainBlock(ctx, c, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteDomainBlock(ctx, id); err != nil {
		return herr.Internal(err)
	}
	s.invalidateDomainPolicy()
	s.audit(ctx, c, "destroy_domain_block", "DomainBlock", b.Domain, "unblocked "+b.Domain)
	return nil
}

// PublicDomainBlocks lists the domain blocks as the public sees them
// (obfuscated where asked), configuration blocks included.
func (s *Service) PublicDomainBlocks(ctx context.Context) ([]*model.DomainBlock, error) {
	r, err := s.loadPolicyRules(ctx)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return r.blocks, nil
}

// DomainAllows pages through allowed domains.
func (s *Service) DomainAllows(ctx context.Context, c *Caller, p model.Page) ([]*model.DomainAllow, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	out, err := s.Store.DomainAllows(ctx, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// DomainAllow returns one allowed domain.
func (s *Service) DomainAllow(ctx context.Context, c *Caller, id int64) (*model.DomainAllow, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	d, err := s.Store.DomainAllowByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("domain allow")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return d, nil
}

// CreateDomainAllow allows a domain (allow-list mode).
func (s *Service) CreateDomainAllow(ctx context.Context, c *Caller, domain string) (*model.DomainAllow, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	d := NormaliseDomain(domain)
	if !domainRe(d) {
		return nil, herr.Unprocessable("Validation failed: Domain is not a valid domain name")
	}
	a := &model.DomainAllow{Domain: d}
	if err := s.Store.CreateDomainAllow(ctx, a); err != nil {
		return nil, herr.Internal(err)
	}
	s.invalidateDomainPolicy()
	s.audit(ctx, c, "create_domain_allow", "DomainAllow", d, "allowed "+d)
	return a, nil
}

// DeleteDomainAllow removes an allowed domain.
func (s *Service) DeleteDomainAllow(ctx context.Context, c *Caller, id int64) error {
	a, err := s.DomainAllow(ctx, c, id)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteDomainAllow(ctx, id); err != nil {
		return herr.Internal(err)
	}
	s.invalidateDomainPolicy()
	s.audit(ctx, c, "destroy_domain_allow", "DomainAllow", a.Domain, "disallowed "+a.Domain)
	return nil
}
