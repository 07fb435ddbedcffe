package activitypub

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/herald-social/herald/internal/config"
)

// policy is the instance's domain policy: suspended (blocked) domains,
// silenced ones, ones whose media is not fetched, and the allow-list of
// limited federation mode. A rule for example.com also covers its
// subdomains. A rule may name a port ("localhost:8081") to match only that
// origin; without a port it matches every port of the host.
type policy struct {
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

// Blocked reports whether nothing may be exchanged with host: a suspended
// domain, or (allow-list mode) a domain not allowed. Blocks are ignored in
// allow-list mode, as Mastodon's limited federation mode does.
func (p *policy) Blocked(host string) bool {
	if host == "" {
		return true
	}
	if strings.EqualFold(host, p.self) {
		return false
	}
	if p.allowlist {
		return !matches(host, p.allowed)
	}
	return matches(host, p.blocked)
}

// Silenced reports a limited domain.
func (p *policy) Silenced(host string) bool { return matches(host, p.silenced) }

// RejectMedia reports a domain whose media is not fetched.
func (p *policy) RejectMedia(host string) bool {
	return p.Blocked(host) || matches(host, p.noMedia)
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
