package core

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

// InviteParams creates an invite.
type InviteParams struct {
	MaxUses   int           // 0: unlimited
	ExpiresIn time.Duration // 0: never (unless registration.invite_max_age caps it)
	Role      string        // role key or id; "": user
	Comment   string
}

// MaxInviteUses bounds max_uses.
const MaxInviteUses = 100000

const inviteAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func inviteCode() string {
	var b strings.Builder
	max := big.NewInt(int64(len(inviteAlphabet)))
	for i := 0; i < 12; i++ {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b.WriteByte(inviteAlphabet[n.Int64()])
	}
	return b.String()
}

// InviteURL is the link to share.
func (s *AdminService) InviteURL(code string) string { return s.Base() + "/invite/" + code }

// resolveRole finds a role by key ("moderator") or id ("2").
func (s *AdminService) resolveRole(ctx context.Context, v string) (*model.Role, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		v = model.RoleUser
	}
	r, err := s.store.RoleByKey(ctx, strings.ToLower(v))
	if errors.Is(err, storage.ErrNotFound) {
		if n, perr := strconv.ParseInt(v, 10, 64); perr == nil {
			r, err = s.store.RoleByID(ctx, n)
		}
	}
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Unprocessable("Validation failed: Role does not exist")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return r, nil
}

// mayInviteTo checks that c may invite people to role r: Invite Users, and
// r below the caller's own role. It holds when the invite is made and,
// with the creator as c, every time it is used (inviteValid).
func (s *AdminService) mayInviteTo(ctx context.Context, c *Caller, r *model.Role) error {
	if c == nil {
		return nil // the command line may give any role
	}
	if c.User == nil {
		return herr.Forbidden("This action is not allowed")
	}
	perms, own, err := s.PermissionsOf(ctx, c.User)
	if err != nil {
		return err
	}
	if !perms.Has(PermInviteUsers) {
		return herr.Forbidden("This action is not allowed")
	}
	if r.Key != model.RoleUser && r.Position >= own.Position {
		return herr.Forbidden("You cannot invite people to a role that is not below yours")
	}
	return nil
}

// InviteValid reports whether inv may be used at now. Besides not being
// revoked, expired or used up, an invite lives only as long as its
// creator may make it: as Mastodon's Invite#valid_for_use?, the creator
// must still be functional (approved, confirmed, neither disabled nor
// suspended nor deleted), and here also still allowed to invite people
// to the invite's role. Demoting, suspending or disabling someone thus
// ends their invites at once. Invites from the command line have no
// creator.
func (s *AdminService) InviteValid(ctx context.Context, inv *model.Invite, now time.Time) (bool, error) {
	if !inv.Usable(now) {
		return false, nil
	}
	if inv.CreatedBy == 0 {
		return true, nil
	}
	u, a, err := s.userWithAccount(ctx, inv.CreatedBy)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err == nil {
		r, rerr := s.inviteRole(ctx, inv)
		if rerr != nil {
			return false, rerr
		}
		err = s.mayInviteTo(ctx, &Caller{User: u, Account: a}, r)
	}
	if err != nil {
		if herr.As(err).Status == http.StatusForbidden {
			return false, nil
		}
		return false, herr.As(err)
	}
	return true, nil
}

// inviteRole is the role an invite gives: a role deleted since falls back
// to "user", as Register does.
func (s *AdminService) inviteRole(ctx context.Context, inv *model.Invite) (*model.Role, error) {
	return s.roleOrEveryone(ctx, inv.Role)
}

// CreateInvite makes an invite. c is nil for the command line, which may
// give any role; a user needs Invite Users, and may only give roles below
// their own.
func (s *AdminService) CreateInvite(ctx context.Context, c *Caller, p InviteParams) (*model.Invite, error) {
	if c != nil {
		if err := s.Authorize(ctx, c, PermInviteUsers); err != nil {
			return nil, err
		}
	}
	if p.MaxUses < 0 || p.MaxUses > MaxInviteUses {
		return nil, herr.Unprocessable("Validation failed: Max uses must be between 0 (unlimited) and %d", MaxInviteUses)
	}
	if p.ExpiresIn < 0 {
		return nil, herr.Unprocessable("Validation failed: Expires in must not be negative")
	}
	if cap := s.Cfg.Registration.InviteMaxAge.Duration; cap > 0 && (p.ExpiresIn == 0 || p.ExpiresIn > cap) {
		p.ExpiresIn = cap
	}
	r, err := s.resolveRole(ctx, p.Role)
	if err != nil {
		return nil, err
	}
	if err := s.mayInviteTo(ctx, c, r); err != nil {
		return nil, err
	}
	comment := strings.TrimSpace(p.Comment)
	if len([]rune(comment)) > 420 {
		return nil, herr.Unprocessable("Validation failed: Comment is too long (maximum is 420 characters)")
	}
	inv := &model.Invite{CreatedBy: c.AccountID(), Role: r.Key, Comment: comment, MaxUses: p.MaxUses, CreatedAt: time.Now().UTC()}
	if p.ExpiresIn > 0 {
		t := inv.CreatedAt.Add(p.ExpiresIn)
		inv.ExpiresAt = &t
	}
	for attempt := 0; ; attempt++ {
		inv.Code = inviteCode()
		err = s.store.CreateInvite(ctx, inv)
		if !errors.Is(err, storage.ErrConflict) || attempt > 3 {
			break
		}
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	by := "the command line"
	if c != nil && c.Account != nil {
		by = "@" + c.Account.Username
	}
	s.audit(ctx, c, "create_invite", "Invite", itoa64(inv.ID), "invite created by "+by+" (role "+inv.Role+")")
	return inv, nil
}

// Invites lists invites: everyone's with Manage Invites, else the
// caller's own. activeOnly hides revoked, expired and used-up ones.
func (s *AdminService) Invites(ctx context.Context, c *Caller, activeOnly bool, p model.Page) ([]*model.Invite, error) {
	if err := s.Authorize(ctx, c, PermInviteUsers, PermManageInvites); err != nil {
		return nil, err
	}
	perms, _, err := s.PermissionsOf(ctx, c.User)
	if err != nil {
		return nil, err
	}
	var by int64
	if !perms.Has(PermManageInvites) {
		by = c.Account.ID
	}
	var at *time.Time
	if activeOnly {
		now := time.Now()
		at = &now
	}
	out, err := s.store.Invites(ctx, by, at, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return out, nil
}

// Invite returns one invite the caller may see.
func (s *AdminService) Invite(ctx context.Context, c *Caller, id int64) (*model.Invite, error) {
	if err := s.Authorize(ctx, c, PermInviteUsers, PermManageInvites); err != nil {
		return nil, err
	}
	inv, err := s.store.InviteByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("invite")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	perms, _, err := s.PermissionsOf(ctx, c.User)
	if err != nil {
		return nil, err
	}
	if !perms.Has(PermManageInvites) && inv.CreatedBy != c.Account.ID {
		return nil, herr.NotFound("invite")
	}
	return inv, nil
}

// RevokeInvite stops an invite from being used.
func (s *AdminService) RevokeInvite(ctx context.Context, c *Caller, id int64) (*model.Invite, error) {
	inv, err := s.Invite(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.RevokeInvite(ctx, id, time.Now()); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "destroy_invite", "Invite", itoa64(id), "invite revoked")
	return s.store.InviteByID(ctx, inv.ID)
}

// InviteByCode returns an invite for the public invite page (usable or not).
func (s *AdminService) InviteByCode(ctx context.Context, code string) (*model.Invite, error) {
	if code == "" || len(code) > 64 {
		return nil, herr.NotFound("invite")
	}
	inv, err := s.store.InviteByCode(ctx, code)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("invite")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return inv, nil
}
