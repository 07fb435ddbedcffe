package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func notFoundOr[T any](v T, err error) (T, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return v, storage.ErrNotFound
	}
	return v, err
}

// --- domain blocks ---

const domainBlockColumns = "id, domain, severity, reject_media, reject_reports, private_comment, public_comment, obfuscate, created_at, updated_at"

func scanDomainBlock(row scanner) (*model.DomainBlock, error) {
	var b model.DomainBlock
	var created, updated int64
	err := row.Scan(&b.ID, &b.Domain, &b.Severity, &b.RejectMedia, &b.RejectReports, &b.PrivateComment, &b.PublicComment,
		&b.Obfuscate, &created, &updated)
	if err != nil {
		return notFoundOr[*model.DomainBlock](nil, err)
	}
	b.CreatedAt, b.UpdatedAt = fromMs(created), fromMs(updated)
	return &b, nil
}

// DomainBlocks pages through domain blocks, newest first.
func (s *Store) DomainBlocks(ctx context.Context, p model.Page) ([]*model.DomainBlock, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+domainBlockColumns+" FROM domain_blocks WHERE 1=1", nil, "id", p, scanDomainBlock)
	return v, wrap("domain blocks", err)
}

// AllDomainBlocks lists every domain block (for the policy cache).
func (s *Store) AllDomainBlocks(ctx context.Context) ([]*model.DomainBlock, error) {
	v, err := s.DomainBlocks(ctx, model.Page{})
	return v, wrap("all domain blocks", err)
}

// DomainBlockByID returns one domain block.
func (s *Store) DomainBlockByID(ctx context.Context, blockID int64) (*model.DomainBlock, error) {
	v, err := scanDomainBlock(s.r.QueryRowContext(ctx, "SELECT "+domainBlockColumns+" FROM domain_blocks WHERE id = ?", blockID))
	return v, wrap("domain block by id", err)
}

// DomainBlockByDomain returns the block of exactly domain.
func (s *Store) DomainBlockByDomain(ctx context.Context, domain string) (*model.DomainBlock, error) {
	v, err := scanDomainBlock(s.r.QueryRowContext(ctx, "SELECT "+domainBlockColumns+" FROM domain_blocks WHERE domain = ?", strings.ToLower(domain)))
	return v, wrap("domain block by domain", err)
}

// CreateDomainBlock stores a domain block (ErrConflict: the domain has one).
func (s *Store) CreateDomainBlock(ctx context.Context, b *model.DomainBlock) error {
	b.ID = id.New()
	now := time.Now()
	b.CreatedAt, b.UpdatedAt = now, now
	_, err := s.w.ExecContext(ctx, "INSERT INTO domain_blocks ("+domainBlockColumns+") VALUES (?,?,?,?,?,?,?,?,?,?)",
		b.ID, b.Domain, b.Severity, b2i(b.RejectMedia), b2i(b.RejectReports), b.PrivateComment, b.PublicComment, b2i(b.Obfuscate),
		ms(now), ms(now))
	return wrap("create domain block", conflictOr(err))
}

// UpdateDomainBlock stores a domain block's settings.
func (s *Store) UpdateDomainBlock(ctx context.Context, b *model.DomainBlock) error {
	b.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, `UPDATE domain_blocks SET severity = ?, reject_media = ?, reject_reports = ?, private_comment = ?,
		public_comment = ?, obfuscate = ?, updated_at = ? WHERE id = ?`, b.Severity, b2i(b.RejectMedia), b2i(b.RejectReports),
		b.PrivateComment, b.PublicComment, b2i(b.Obfuscate), ms(b.UpdatedAt), b.ID)
	return wrap("update domain block", affected(res, err))
}

// DeleteDomainBlock deletes a domain block.
func (s *Store) DeleteDomainBlock(ctx context.Context, blockID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM domain_blocks WHERE id = ?", blockID)
	return wrap("delete domain block", affected(res, err))
}

// --- domain allows ---

func scanDomainAllow(row scanner) (*model.DomainAllow, error) {
	var d model.DomainAllow
	var created int64
	if err := row.Scan(&d.ID, &d.Domain, &created); err != nil {
		return notFoundOr[*model.DomainAllow](nil, err)
	}
	d.CreatedAt = fromMs(created)
	return &d, nil
}

// DomainAllows pages through allowed domains, newest first.
func (s *Store) DomainAllows(ctx context.Context, p model.Page) ([]*model.DomainAllow, error) {
	v, err := pageRows(ctx, s.r, "SELECT id, domain, created_at FROM domain_allows WHERE 1=1", nil, "id", p, scanDomainAllow)
	return v, wrap("domain allows", err)
}

// AllDomainAllows lists every allowed domain.
func (s *Store) AllDomainAllows(ctx context.Context) ([]*model.DomainAllow, error) {
	v, err := s.DomainAllows(ctx, model.Page{})
	return v, wrap("all domain allows", err)
}

// DomainAllowByID returns one allowed domain.
func (s *Store) DomainAllowByID(ctx context.Context, allowID int64) (*model.DomainAllow, error) {
	v, err := scanDomainAllow(s.r.QueryRowContext(ctx, "SELECT id, domain, created_at FROM domain_allows WHERE id = ?", allowID))
	return v, wrap("domain allow by id", err)
}

// CreateDomainAllow allows a domain; an allowed one is returned as it is.
func (s *Store) CreateDomainAllow(ctx context.Context, d *model.DomainAllow) error {
	return wrap("create domain allow", s.tx(ctx, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, "SELECT id, created_at FROM domain_allows WHERE domain = ?", d.Domain).Scan(&d.ID, &created)
		if err == nil {
			d.CreatedAt = fromMs(created)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		d.ID, d.CreatedAt = id.New(), time.Now()
		_, err = tx.ExecContext(ctx, "INSERT INTO domain_allows (id, domain, created_at) VALUES (?,?,?)", d.ID, d.Domain, ms(d.CreatedAt))
		return err
	}))
}

// DeleteDomainAllow removes an allowed domain.
func (s *Store) DeleteDomainAllow(ctx context.Context, allowID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM domain_allows WHERE id = ?", allowID)
	return wrap("delete domain allow", affected(res, err))
}

// --- IP blocks ---

const ipBlockColumns = "id, ip, severity, comment, expires_at, created_at, updated_at"

func scanIPBlock(row scanner) (*model.IPBlock, error) {
	var b model.IPBlock
	var exp sql.NullInt64
	var created, updated int64
	if err := row.Scan(&b.ID, &b.IP, &b.Severity, &b.Comment, &exp, &created, &updated); err != nil {
		return notFoundOr[*model.IPBlock](nil, err)
	}
	b.ExpiresAt, b.CreatedAt, b.UpdatedAt = fromNullMs(exp), fromMs(created), fromMs(updated)
	return &b, nil
}

// IPBlocks pages through address blocks, newest first (expired included).
func (s *Store) IPBlocks(ctx context.Context, p model.Page) ([]*model.IPBlock, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+ipBlockColumns+" FROM ip_blocks WHERE 1=1", nil, "id", p, scanIPBlock)
	return v, wrap("ip blocks", err)
}

// IPBlockByID returns one address block.
func (s *Store) IPBlockByID(ctx context.Context, blockID int64) (*model.IPBlock, error) {
	v, err := scanIPBlock(s.r.QueryRowContext(ctx, "SELECT "+ipBlockColumns+" FROM ip_blocks WHERE id = ?", blockID))
	return v, wrap("ip block by id", err)
}

// CreateIPBlock stores an address block (ErrConflict: the range has one).
func (s *Store) CreateIPBlock(ctx context.Context, b *model.IPBlock) error {
	b.ID = id.New()
	now := time.Now()
	b.CreatedAt, b.UpdatedAt = now, now
	_, err := s.w.ExecContext(ctx, "INSERT INTO ip_blocks ("+ipBlockColumns+") VALUES (?,?,?,?,?,?,?)",
		b.ID, b.IP, b.Severity, b.Comment, msPtr(b.ExpiresAt), ms(now), ms(now))
	return wrap("create ip block", conflictOr(err))
}

// UpdateIPBlock stores an address block's settings.
func (s *Store) UpdateIPBlock(ctx context.Context, b *model.IPBlock) error {
	b.UpdatedAt = time.Now()
	res, err := s.w.ExecContext(ctx, "UPDATE ip_blocks SET ip = ?, severity = ?, comment = ?, expires_at = ?, updated_at = ? WHERE id = ?",
		b.IP, b.Severity, b.Comment, msPtr(b.ExpiresAt), ms(b.UpdatedAt), b.ID)
	return wrap("update ip block", affected(res, err))
}

// DeleteIPBlock deletes an address block.
func (s *Store) DeleteIPBlock(ctx context.Context, blockID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM ip_blocks WHERE id = ?", blockID)
	return wrap("delete ip block", affected(res, err))
}

// --- e-mail domain blocks ---

func scanEmailDomainBlock(row scanner) (*model.EmailDomainBlock, error) {
	var b model.EmailDomainBlock
	var created int64
	if err := row.Scan(&b.ID, &b.Domain, &b.AllowWithApproval, &created); err != nil {
		return notFoundOr[*model.EmailDomainBlock](nil, err)
	}
	b.CreatedAt = fromMs(created)
	return &b, nil
}

const emailDomainBlockColumns = "id, domain, allow_with_approval, created_at"

// EmailDomainBlocks pages through e-mail domain blocks, newest first.
func (s *Store) EmailDomainBlocks(ctx context.Context, p model.Page) ([]*model.EmailDomainBlock, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+emailDomainBlockColumns+" FROM email_domain_blocks WHERE 1=1", nil, "id", p, scanEmailDomainBlock)
	return v, wrap("email domain blocks", err)
}

// EmailDomainBlockByID returns one e-mail domain block.
func (s *Store) EmailDomainBlockByID(ctx context.Context, blockID int64) (*model.EmailDomainBlock, error) {
	v, err := scanEmailDomainBlock(s.r.QueryRowContext(ctx, "SELECT "+emailDomainBlockColumns+" FROM email_domain_blocks WHERE id = ?", blockID))
	return v, wrap("email domain block by id", err)
}

// EmailDomainBlockFor returns the block of domain or of its nearest parent.
func (s *Store) EmailDomainBlockFor(ctx context.Context, domain string) (*model.EmailDomainBlock, error) {
	domain = strings.ToLower(strings.Trim(domain, "."))
	var candidates []any
	for d := domain; d != ""; {
		candidates = append(candidates, d)
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			break
		}
		d = rest
	}
	if len(candidates) == 0 {
		return nil, wrap("email domain block for", storage.ErrNotFound)
	}
	v, err := scanEmailDomainBlock(s.r.QueryRowContext(ctx, "SELECT "+emailDomainBlockColumns+" FROM email_domain_blocks WHERE domain IN ("+
		placeholders(len(candidates))+") ORDER BY length(domain) DESC LIMIT 1", candidates...))
	return v, wrap("email domain block for", err)
}

// CreateEmailDomainBlock stores an e-mail domain block.
func (s *Store) CreateEmailDomainBlock(ctx context.Context, b *model.EmailDomainBlock) error {
	b.ID, b.CreatedAt = id.New(), time.Now()
	_, err := s.w.ExecContext(ctx, "INSERT INTO email_domain_blocks ("+emailDomainBlockColumns+") VALUES (?,?,?,?)",
		b.ID, b.Domain, b2i(b.AllowWithApproval), ms(b.CreatedAt))
	return wrap("create email domain block", conflictOr(err))
}

// DeleteEmailDomainBlock deletes an e-mail domain block.
func (s *Store) DeleteEmailDomainBlock(ctx context.Context, blockID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM email_domain_blocks WHERE id = ?", blockID)
	return wrap("delete email domain block", affected(res, err))
}

// --- canonical e-mail blocks ---

func scanCanonicalBlock(row scanner) (*model.CanonicalEmailBlock, error) {
	var b model.CanonicalEmailBlock
	var ref sql.NullInt64
	var created int64
	if err := row.Scan(&b.ID, &b.Hash, &ref, &created); err != nil {
		return notFoundOr[*model.CanonicalEmailBlock](nil, err)
	}
	b.ReferenceAccountID, b.CreatedAt = ref.Int64, fromMs(created)
	return &b, nil
}

const canonicalBlockColumns = "id, hash, reference_account_id, created_at"

// CanonicalEmailBlocks pages through canonical e-mail blocks, newest first.
func (s *Store) CanonicalEmailBlocks(ctx context.Context, p model.Page) ([]*model.CanonicalEmailBlock, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+canonicalBlockColumns+" FROM canonical_email_blocks WHERE 1=1", nil, "id", p, scanCanonicalBlock)
	return v, wrap("canonical email blocks", err)
}

// CanonicalEmailBlockByID returns one canonical e-mail block.
func (s *Store) CanonicalEmailBlockByID(ctx context.Context, blockID int64) (*model.CanonicalEmailBlock, error) {
	v, err := scanCanonicalBlock(s.r.QueryRowContext(ctx, "SELECT "+canonicalBlockColumns+" FROM canonical_email_blocks WHERE id = ?", blockID))
	return v, wrap("canonical email block by id", err)
}

// CanonicalEmailBlocksByHash returns the blocks matching a hash.
func (s *Store) CanonicalEmailBlocksByHash(ctx context.Context, hash string) ([]*model.CanonicalEmailBlock, error) {
	v, err := pageRows(ctx, s.r, "SELECT "+canonicalBlockColumns+" FROM canonical_email_blocks WHERE hash = ?", []any{hash}, "id", model.Page{}, scanCanonicalBlock)
	return v, wrap("canonical email blocks by hash", err)
}

// CreateCanonicalEmailBlock stores a canonical e-mail block.
func (s *Store) CreateCanonicalEmailBlock(ctx context.Context, b *model.CanonicalEmailBlock) error {
	b.ID, b.CreatedAt = id.New(), time.Now()
	_, err := s.w.ExecContext(ctx, "INSERT INTO canonical_email_blocks ("+canonicalBlockColumns+") VALUES (?,?,?,?)",
		b.ID, b.Hash, nullID(b.ReferenceAccountID), ms(b.CreatedAt))
	return wrap("create canonical email block", conflictOr(err))
}

// DeleteCanonicalEmailBlock deletes a canonical e-mail block.
func (s *Store) DeleteCanonicalEmailBlock(ctx context.Context, blockID int64) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM canonical_email_blocks WHERE id = ?", blockID)
	return wrap("delete canonical email block", affected(res, err))
}
