package activitypub

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
)

// policy is the instance's domain policy: suspended (blocked) domains,
// silenced ones, ones whose media is not fetched, and the allow-list of
// limited federation mode. A rule for example.com also covers its
// subdomains. A rule may name a port ("localhost:8081") to match only that
// origin; without a port it matches every port of the host.
//
// With a Service (always, except in unit tests of this package) the answer
// is core's DomainPolicy: the configuration's lists merged with the admins'
// domain blocks and allows, cached in memory by core. The configuration
// lists below are the fallback when core cannot answer.
type policy struct {
	svc       *core.Service
	self      string // our own domain (host[:port]), always allowed
	blocked   []string
	silenced  []string
	noMedia   []string
	allowlist bool
	allowed   []string
}

// errBlockedDomain: the remote domain is suspended or not allowed.
var errBlockedDomain = errors.New("domain is blocked by this instance's policy")

func newPolicy(cfg config.Config) *policy {
	norm := func(in []string) []string {
		var out []string
		for _, d := range in {
			d = strings.Trim(strings.ToLower(strings.TrimSpace(d)), ".")
			d = strings.TrimPrefix(d, "*.")
			if d != "" {
				out = append(out, d)
			}
		}
		return out
	}
	return &policy{
		self:      strings.ToLower(cfg.Instance.Domain),
		blocked:   norm(cfg.Federation.BlockedDomains),
		silenced:  norm(cfg.Federation.SilencedDomains),
		noMedia:   norm(cfg.Federation.RejectMediaDomains),
		allowlist: cfg.Federation.AllowlistMode,
		allowed:   norm(cfg.Federation.AllowedDomains),
	}
}

// matches reports whether host (host[:port]) falls under one of rules.
func matches(host string, rules []string) bool {
	host = strings.ToLower(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	for _, r := range rules {
		if strings.Contains(r, ":") && !strings.HasPrefix(r, "[") && strings.Count(r, ":") == 1 {
			if host == r {
				return true
			}
			continue
		}
		if name == r || strings.HasSuffix(name, "."+r) {
			return true
		}
	}
	return false
}

// lookup asks core for host's policy; ok is false without a Service or
// when core failed (the configuration lists apply then).
func (p *policy) lookup(host string) (core.DomainPolicy, bool) {
	if p.svc == nil {
		return core.DomainPolicy{}, false
	}
	dp, err := p.svc.DomainPolicy(context.Background(), host)
	if err != nil {
		return dp, false
	}
	return dp, true
}

// Blocked reports whether nothing may be exchanged with host: a suspended
// domain, or (allow-list mode) a domain not allowed.
func (p *policy) Blocked(host string) bool {
	if host == "" {
		return true
	}
	if strings.EqualFold(host, p.self) {
		return false
	}
	if dp, ok := p.lookup(host); ok {
		return dp.Suspended() || dp.NotAllowed
	}
	if p.allowlist {
		return !matches(host, p.allowed)
	}
	return matches(host, p.blocked)
}

// Silenced reports a limited domain.
func (p *policy) Silenced(host string) bool {
	if strings.EqualFold(host, p.self) {
		return false
	}
	if dp, ok := p.lookup(host); ok {
		return dp.Silenced()
	}
	return matches(host, p.silenced)
}

// RejectMedia reports a domain whose media is not fetched.
func (p *policy) RejectMedia(host string) bool {
	if dp, ok := p.lookup(host); ok && host != "" {
		return dp.RejectMedia || dp.Suspended() || dp.NotAllowed
	}
	return p.Blocked(host) || matches(host, p.noMedia)
}

// RejectReports reports a domain whose Flags are ignored.
func (p *policy) RejectReports(host string) bool {
	if dp, ok := p.lookup(host); ok && host != "" {
		return dp.RejectReports || dp.Suspended() || dp.NotAllowed
	}
	return p.Blocked(host)
}

// hostOf returns the lower-cased host[:port] of an absolute http(s) URL,
// or "" for anything else.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// BlockedURL applies Blocked to a URL's host (unparsable URLs are blocked).
func (p *policy) BlockedURL(raw string) bool { return p.Blocked(hostOf(raw)) }
