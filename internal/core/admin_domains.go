package core

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

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

// domainRe reports whether d (normalised) names a host a policy can
// apply to: dot-separated labels of letters (IDN too), digits and hyphens,
// with an optional numeric port — nothing that could not be a host, such
// as markup or a path.
var domainRe = func(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	name := d
	if h, port, err := net.SplitHostPort(d); err == nil {
		if _, err := strconv.Atoi(port); err != nil {
			return false
		}
		name = h
	}
	if name == "" {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// DomainBlocks pages through domain blocks (Manage Federation).
func (s *AdminService) DomainBlocks(ctx context.Context, c *Caller, p model.Page) ([]*model.DomainBlock, error) {
	return adminRead(ctx, s, c, PermManageFederation, "domain blocks", func() ([]*model.DomainBlock, error) { return s.store.DomainBlocks(ctx, p) })
}

// DomainBlock returns one domain block.
func (s *AdminService) DomainBlock(ctx context.Context, c *Caller, id int64) (*model.DomainBlock, error) {
	return adminRead(ctx, s, c, PermManageFederation, "domain block", func() (*model.DomainBlock, error) { return s.store.DomainBlockByID(ctx, id) })
}

// ExistingDomainBlockError is returned when a domain already has a block
// (Mastodon answers 422 with the existing block).
type ExistingDomainBlockError struct{ Block *model.DomainBlock }

func (e *ExistingDomainBlockError) Error() string {
	return "You have already imposed stricter limits on " + e.Block.Domain + "."
}

// existingDomainBlock is the 422 for a domain that is already blocked: a
// client-safe message for the console, the block itself for the API (which
// answers as Mastodon, with existing_domain_block).
func existingDomainBlock(b *model.DomainBlock) error {
	return herr.Wrap(http.StatusUnprocessableEntity,
		b.Domain+" is already blocked ("+b.Severity+"): change that block instead.", &ExistingDomainBlockError{Block: b})
}

// CreateDomainBlock blocks a domain (default severity silence).
func (s *AdminService) CreateDomainBlock(ctx context.Context, c *Caller, p DomainBlockParams) (*model.DomainBlock, error) {
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
	if old, err := s.store.DomainBlockByDomain(ctx, d); err == nil {
		return nil, existingDomainBlock(old)
	}
	b := &model.DomainBlock{Domain: d, Severity: "silence"}
	if err := applyDomainBlock(b, p); err != nil {
		return nil, err
	}
	if err := s.store.CreateDomainBlock(ctx, b); errors.Is(err, storage.ErrConflict) {
		old, _ := s.store.DomainBlockByDomain(ctx, d)
		if old != nil {
			return nil, existingDomainBlock(old)
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
func (s *AdminService) UpdateDomainBlock(ctx context.Context, c *Caller, id int64, p DomainBlockParams) (*model.DomainBlock, error) {
	apply := func(b *model.DomainBlock) error { return applyDomainBlock(b, p) }
	return adminUpdate(ctx, c, id, s.DomainBlock, apply, s.store.UpdateDomainBlock, "", func(b *model.DomainBlock) {
		s.invalidateDomainPolicy()
		s.enforceDomainBlock(ctx, b)
		s.audit(ctx, c, "update_domain_block", "DomainBlock", b.Domain, "changed the block of "+b.Domain+" ("+b.Severity+")")
	})
}

// DeleteDomainBlock lifts a domain block.
func (s *AdminService) DeleteDomainBlock(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.DomainBlock, s.store.DeleteDomainBlock, func(b *model.DomainBlock) {
		s.invalidateDomainPolicy()
		s.audit(ctx, c, "destroy_domain_block", "DomainBlock", b.Domain, "unblocked "+b.Domain)
	})
}

// PublicDomainBlocks lists the domain blocks as the public sees them
// (obfuscated where asked), configuration blocks included.
func (s *AdminService) PublicDomainBlocks(ctx context.Context) ([]*model.DomainBlock, error) {
	r, err := s.loadPolicyRules(ctx)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return r.blocks, nil
}

// DomainAllows pages through allowed domains.
func (s *AdminService) DomainAllows(ctx context.Context, c *Caller, p model.Page) ([]*model.DomainAllow, error) {
	return adminRead(ctx, s, c, PermManageFederation, "domain allows", func() ([]*model.DomainAllow, error) { return s.store.DomainAllows(ctx, p) })
}

// DomainAllow returns one allowed domain.
func (s *AdminService) DomainAllow(ctx context.Context, c *Caller, id int64) (*model.DomainAllow, error) {
	return adminRead(ctx, s, c, PermManageFederation, "domain allow", func() (*model.DomainAllow, error) { return s.store.DomainAllowByID(ctx, id) })
}

// CreateDomainAllow allows a domain (allow-list mode).
func (s *AdminService) CreateDomainAllow(ctx context.Context, c *Caller, domain string) (*model.DomainAllow, error) {
	if err := s.Authorize(ctx, c, PermManageFederation); err != nil {
		return nil, err
	}
	d := NormaliseDomain(domain)
	if !domainRe(d) {
		return nil, herr.Unprocessable("Validation failed: Domain is not a valid domain name")
	}
	a := &model.DomainAllow{Domain: d}
	if err := s.store.CreateDomainAllow(ctx, a); err != nil {
		return nil, herr.Internal(err)
	}
	s.invalidateDomainPolicy()
	s.audit(ctx, c, "create_domain_allow", "DomainAllow", d, "allowed "+d)
	return a, nil
}

// DeleteDomainAllow removes an allowed domain.
func (s *AdminService) DeleteDomainAllow(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.DomainAllow, s.store.DeleteDomainAllow, func(a *model.DomainAllow) {
		s.invalidateDomainPolicy()
		s.audit(ctx, c, "destroy_domain_allow", "DomainAllow", a.Domain, "disallowed "+a.Domain)
	})
}

// ConfiguredDomainPolicy is a domain policy the operator set in the config
// file or environment ([federation] blocked_domains and the like). It
// applies with the console's blocks, is shown beside them read-only, and
// is changed where it was set.
type ConfiguredDomainPolicy struct {
	Domain string
	Policy string // suspend, silence, reject_media, allow
	Source string // "config file PATH", "environment HERALD_…"
}

// ConfiguredDomainPolicies lists the config's domain policies, for the
// console.
func (s *AdminService) ConfiguredDomainPolicies() []ConfiguredDomainPolicy {
	f := s.Cfg.Federation
	var out []ConfiguredDomainPolicy
	for _, l := range []struct {
		key, policy string
		domains     []string
	}{
		{"federation.blocked_domains", "suspend", f.BlockedDomains},
		{"federation.silenced_domains", "silence", f.SilencedDomains},
		{"federation.reject_media_domains", "reject_media", f.RejectMediaDomains},
		{"federation.allowed_domains", "allow", f.AllowedDomains},
	} {
		src := s.Cfg.SourceOf(l.key)
		if src == "" {
			src = "configuration"
		}
		for _, d := range l.domains {
			out = append(out, ConfiguredDomainPolicy{Domain: NormaliseDomain(d), Policy: l.policy, Source: src})
		}
	}
	return out
}
