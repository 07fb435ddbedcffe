package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// IP block severities, as Mastodon's.
const (
	IPSignUpRequiresApproval = "sign_up_requires_approval"
	IPSignUpBlock            = "sign_up_block"
	IPNoAccess               = "no_access"
)

var ipSeverityRank = map[string]int{IPSignUpRequiresApproval: 1, IPSignUpBlock: 2, IPNoAccess: 3}

// NormaliseIPRange parses an address or CIDR range into its canonical
// CIDR form ("192.0.2.7" becomes "192.0.2.7/32").
func NormaliseIPRange(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()).String(), true
	}
	return "", false
}

// IPSeverity returns the most severe unexpired block covering ip ("" none).
func (s *AdminService) IPSeverity(ctx context.Context, ip string) (string, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", nil
	}
	addr = addr.Unmap()
	blocks, err := s.store.IPBlocks(ctx, model.Page{})
	if err != nil {
		return "", herr.Internal(err)
	}
	now := time.Now()
	worst := ""
	for _, b := range blocks {
		if b.ExpiresAt != nil && !b.ExpiresAt.After(now) {
			continue
		}
		p, err := netip.ParsePrefix(b.IP)
		if err != nil || !p.Contains(addr) {
			continue
		}
		if ipSeverityRank[b.Severity] > ipSeverityRank[worst] {
			worst = b.Severity
		}
	}
	return worst, nil
}

// CheckSignIn refuses a sign-in from an address under a no_access block.
// The sign-in surfaces (OAuth password grant, the web sign-in form) call it
// with the client address.
func (s *AdminService) CheckSignIn(ctx context.Context, ip string) error {
	sev, err := s.IPSeverity(ctx, ip)
	if err != nil {
		return err
	}
	if sev == IPNoAccess {
		return herr.Forbidden("Your IP address is not allowed to sign in")
	}
	return nil
}

// RecordSignIn remembers the address a user signed in from (moderators
// see it in Admin::Account and can search by it).
func (s *AdminService) RecordSignIn(ctx context.Context, userID int64, ip string) {
	if _, ok := NormaliseIPRange(ip); !ok {
		return
	}
	if err := s.store.RecordUserIP(ctx, userID, ip, time.Now()); err != nil && s.Log != nil {
		s.Log.Warn("record sign-in address", "err", err)
	}
}

// IPBlockParams creates or changes an address block; nil fields stay.
type IPBlockParams struct {
	IP        *string
	Severity  *string
	Comment   *string
	ExpiresIn *time.Duration // 0: never
}

func applyIPBlock(b *model.IPBlock, p IPBlockParams) error {
	if p.IP != nil {
		n, ok := NormaliseIPRange(*p.IP)
		if !ok {
			return herr.Unprocessable("Validation failed: Ip is invalid")
		}
		b.IP = n
	}
	if p.Severity != nil {
		b.Severity = *p.Severity
	}
	if _, ok := ipSeverityRank[b.Severity]; !ok {
		return herr.Unprocessable("Validation failed: Severity must be sign_up_requires_approval, sign_up_block or no_access")
	}
	if p.Comment != nil {
		b.Comment = strings.TrimSpace(*p.Comment)
	}
	if p.ExpiresIn != nil {
		if *p.ExpiresIn <= 0 {
			b.ExpiresAt = nil
		} else {
			t := time.Now().Add(*p.ExpiresIn).UTC()
			b.ExpiresAt = &t
		}
	}
	if b.IP == "" {
		return herr.Unprocessable("Validation failed: Ip can't be blank")
	}
	return nil
}

// IPBlocks pages through address blocks (Manage Blocks).
func (s *AdminService) IPBlocks(ctx context.Context, c *Caller, p model.Page) ([]*model.IPBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "ip blocks", func() ([]*model.IPBlock, error) { return s.store.IPBlocks(ctx, p) })
}

// IPBlock returns one address block.
func (s *AdminService) IPBlock(ctx context.Context, c *Caller, id int64) (*model.IPBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "ip block", func() (*model.IPBlock, error) { return s.store.IPBlockByID(ctx, id) })
}

// CreateIPBlock blocks an address range.
func (s *AdminService) CreateIPBlock(ctx context.Context, c *Caller, p IPBlockParams) (*model.IPBlock, error) {
	if err := s.Authorize(ctx, c, PermManageBlocks); err != nil {
		return nil, err
	}
	b := &model.IPBlock{}
	if err := applyIPBlock(b, p); err != nil {
		return nil, err
	}
	if err := writeErr(s.store.CreateIPBlock(ctx, b), "Ip"); err != nil {
		return nil, err
	}
	s.audit(ctx, c, "create_ip_block", "IpBlock", strconv.FormatInt(b.ID, 10), "blocked "+b.IP+" ("+b.Severity+")")
	return b, nil
}

// UpdateIPBlock changes an address block.
func (s *AdminService) UpdateIPBlock(ctx context.Context, c *Caller, id int64, p IPBlockParams) (*model.IPBlock, error) {
	apply := func(b *model.IPBlock) error { return applyIPBlock(b, p) }
	return adminUpdate(ctx, c, id, s.IPBlock, apply, s.store.UpdateIPBlock, "Ip", func(b *model.IPBlock) {
		s.audit(ctx, c, "update_ip_block", "IpBlock", strconv.FormatInt(b.ID, 10), "changed the block of "+b.IP+" ("+b.Severity+")")
	})
}

// DeleteIPBlock lifts an address block.
func (s *AdminService) DeleteIPBlock(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.IPBlock, s.store.DeleteIPBlock, func(b *model.IPBlock) {
		s.audit(ctx, c, "destroy_ip_block", "IpBlock", strconv.FormatInt(b.ID, 10), "unblocked "+b.IP)
	})
}

// --- e-mail domain blocks ---

// EmailDomainBlocks pages through e-mail domain blocks (Manage Blocks).
func (s *AdminService) EmailDomainBlocks(ctx context.Context, c *Caller, p model.Page) ([]*model.EmailDomainBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "email domain blocks", func() ([]*model.EmailDomainBlock, error) {
		return s.store.EmailDomainBlocks(ctx, p)
	})
}

// EmailDomainBlock returns one e-mail domain block.
func (s *AdminService) EmailDomainBlock(ctx context.Context, c *Caller, id int64) (*model.EmailDomainBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "email domain block", func() (*model.EmailDomainBlock, error) {
		return s.store.EmailDomainBlockByID(ctx, id)
	})
}

// CreateEmailDomainBlock refuses sign-ups from a domain (or, with
// allowWithApproval, sends them to approval).
func (s *AdminService) CreateEmailDomainBlock(ctx context.Context, c *Caller, domain string, allowWithApproval bool) (*model.EmailDomainBlock, error) {
	if err := s.Authorize(ctx, c, PermManageBlocks); err != nil {
		return nil, err
	}
	d := NormaliseDomain(domain)
	if !domainRe(d) || strings.Contains(d, ":") {
		return nil, herr.Unprocessable("Validation failed: Domain is not a valid domain name")
	}
	b := &model.EmailDomainBlock{Domain: d, AllowWithApproval: allowWithApproval}
	if err := writeErr(s.store.CreateEmailDomainBlock(ctx, b), "Domain"); err != nil {
		return nil, err
	}
	s.audit(ctx, c, "create_email_domain_block", "EmailDomainBlock", d, "blocked sign-ups from "+d)
	return b, nil
}

// DeleteEmailDomainBlock lifts an e-mail domain block.
func (s *AdminService) DeleteEmailDomainBlock(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.EmailDomainBlock, s.store.DeleteEmailDomainBlock, func(b *model.EmailDomainBlock) {
		s.audit(ctx, c, "destroy_email_domain_block", "EmailDomainBlock", b.Domain, "unblocked sign-ups from "+b.Domain)
	})
}

// --- canonical e-mail blocks ---

// CanonicalEmail is Mastodon's canonical form of an address: lower case,
// dots and "+tag" removed from the local part.
func CanonicalEmail(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return email
	}
	local, _, _ = strings.Cut(local, "+")
	return strings.ReplaceAll(local, ".", "") + "@" + domain
}

// CanonicalEmailHash is the hex SHA-256 of the canonical address.
func CanonicalEmailHash(email string) string {
	h := sha256.Sum256([]byte(CanonicalEmail(email)))
	return hex.EncodeToString(h[:])
}

// CanonicalEmailBlocks pages through canonical e-mail blocks.
func (s *AdminService) CanonicalEmailBlocks(ctx context.Context, c *Caller, p model.Page) ([]*model.CanonicalEmailBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "canonical email blocks", func() ([]*model.CanonicalEmailBlock, error) {
		return s.store.CanonicalEmailBlocks(ctx, p)
	})
}

// CanonicalEmailBlock returns one canonical e-mail block.
func (s *AdminService) CanonicalEmailBlock(ctx context.Context, c *Caller, id int64) (*model.CanonicalEmailBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "canonical email block", func() (*model.CanonicalEmailBlock, error) {
		return s.store.CanonicalEmailBlockByID(ctx, id)
	})
}

// TestCanonicalEmail lists the blocks matching an address.
func (s *AdminService) TestCanonicalEmail(ctx context.Context, c *Caller, email string) ([]*model.CanonicalEmailBlock, error) {
	return adminRead(ctx, s, c, PermManageBlocks, "canonical email blocks", func() ([]*model.CanonicalEmailBlock, error) {
		return s.store.CanonicalEmailBlocksByHash(ctx, CanonicalEmailHash(email))
	})
}

// CreateCanonicalEmailBlock blocks an address (given plainly, or as the
// hash of its canonical form).
func (s *AdminService) CreateCanonicalEmailBlock(ctx context.Context, c *Caller, email, hash string) (*model.CanonicalEmailBlock, error) {
	if err := s.Authorize(ctx, c, PermManageBlocks); err != nil {
		return nil, err
	}
	hash = strings.ToLower(strings.TrimSpace(hash))
	if email = strings.TrimSpace(email); email != "" {
		hash = CanonicalEmailHash(email)
	}
	if len(hash) != 64 {
		return nil, herr.Unprocessable("Validation failed: Canonical email hash can't be blank")
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return nil, herr.Unprocessable("Validation failed: Canonical email hash is invalid")
	}
	b := &model.CanonicalEmailBlock{Hash: hash}
	if err := writeErr(s.store.CreateCanonicalEmailBlock(ctx, b), "Canonical email hash"); err != nil {
		return nil, err
	}
	s.audit(ctx, c, "create_canonical_email_block", "CanonicalEmailBlock", strconv.FormatInt(b.ID, 10), "blocked an e-mail address")
	return b, nil
}

// DeleteCanonicalEmailBlock lifts a canonical e-mail block.
func (s *AdminService) DeleteCanonicalEmailBlock(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.CanonicalEmailBlock, s.store.DeleteCanonicalEmailBlock, func(*model.CanonicalEmailBlock) {
		s.audit(ctx, c, "destroy_canonical_email_block", "CanonicalEmailBlock", strconv.FormatInt(id, 10), "unblocked an e-mail address")
	})
}
