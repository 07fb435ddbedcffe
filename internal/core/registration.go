package core

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Sign-up through POST /api/v1/accounts: the registration mode (closed,
// invite, approval, open; set by admins at run time over the
// configuration), invites, reserved usernames, e-mail and address policies.

// BuiltinReservedUsernames may never be taken by a sign-up.
var BuiltinReservedUsernames = []string{
	"abuse", "about", "account", "accounts", "admin", "administrator", "admins", "api", "auth", "autoconfig",
	"contact", "everyone", "explore", "ftp", "help", "helpdesk", "herald", "here", "hostmaster", "imap", "info",
	"instance", "instance_actor", "mail", "mailer_daemon", "mastodon", "mod", "moderator", "moderators", "news",
	"no_reply", "noreply", "null", "oauth", "owner", "pop", "postmaster", "press", "privacy", "public", "root",
	"security", "settings", "smtp", "ssladmin", "staff", "status", "support", "sysadmin", "system", "tags", "team",
	"undefined", "user", "users", "webmaster", "www",
}

// FieldError is one problem with one parameter, as Mastodon reports it.
type FieldError struct {
	Error       string `json:"error"`
	Description string `json:"description"`
}

// ValidationError is Mastodon's 422 with details per parameter:
// {"error": "Validation failed: ...", "details": {"username": [{"error": "ERR_TAKEN", ...}]}}.
type ValidationError struct {
	Details map[string][]FieldError
	order   []string
	labels  map[string]string
}

func newValidationError() *ValidationError {
	return &ValidationError{Details: map[string][]FieldError{}, labels: map[string]string{}}
}

func (e *ValidationError) add(field, label, code, desc string) {
	if _, ok := e.Details[field]; !ok {
		e.order = append(e.order, field)
	}
	e.labels[field] = label
	e.Details[field] = append(e.Details[field], FieldError{Error: code, Description: desc})
}

func (e *ValidationError) empty() bool { return len(e.Details) == 0 }

// Error is the message clients show: "Validation failed: Username is reserved, ...".
func (e *ValidationError) Error() string {
	var parts []string
	order := e.order
	if len(order) == 0 {
		for k := range e.Details {
			order = append(order, k)
		}
		sort.Strings(order)
	}
	for _, f := range order {
		label := e.labels[f]
		if label == "" {
			label = strings.ToUpper(f[:1]) + f[1:]
		}
		for _, d := range e.Details[f] {
			parts = append(parts, label+" "+d.Description)
		}
	}
	return "Validation failed: " + strings.Join(parts, ", ")
}

// Status is the HTTP status of a validation error.
func (e *ValidationError) Status() int { return http.StatusUnprocessableEntity }

// RegisterParams is POST /api/v1/accounts.
type RegisterParams struct {
	Username   string
	Email      string
	Password   string
	Agreement  bool
	Locale     string
	Reason     string
	InviteCode string
	IP         string // the client's address
	AppID      int64  // the app that signs the user up
}

// isReserved reports a reserved username.
func (s *Service) isReserved(username string) bool {
	return slices.Contains(BuiltinReservedUsernames, username) || slices.Contains(s.Cfg.Registration.ReservedUsernames, username) ||
		strings.HasPrefix(username, "admin_") || strings.HasPrefix(username, "mod_")
}

func emailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return strings.ToLower(d)
}

func domainIn(domain string, list []string) bool {
	for _, d := range list {
		if domainMatches(domain, d) {
			return true
		}
	}
	return false
}

// RegistrationsOpen reports whether anyone may sign up without an invite.
func RegistrationsOpen(mode string) bool { return mode == "open" || mode == "approval" }

// Register signs a person up. The account needs approval (Approved false)
// in approval mode (unless invited) or when an address policy says so;
// with mail configured it must confirm its address.
func (s *Service) Register(ctx context.Context, p RegisterParams) (*model.Account, *model.User, error) {
	site, err := s.Site(ctx)
	if err != nil {
		return nil, nil, err
	}
	mode := site.RegistrationsMode
	ipSev, err := s.IPSeverity(ctx, p.IP)
	if err != nil {
		return nil, nil, err
	}
	if ipSev == IPSignUpBlock || ipSev == IPNoAccess {
		return nil, nil, herr.Forbidden("Sign-ups are not allowed from your address")
	}
	now := time.Now().UTC()
	var invite *model.Invite
	ve := newValidationError()
	if code := strings.TrimSpace(p.InviteCode); code != "" {
		inv, err := s.store.InviteByCode(ctx, code)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, herr.Internal(err)
		}
		valid := false
		if inv != nil {
			if valid, err = s.InviteValid(ctx, inv, now); err != nil {
				return nil, nil, err
			}
		}
		if valid {
			invite = inv
		} else if !RegistrationsOpen(mode) {
			return nil, nil, herr.Forbidden("This invite is invalid, expired or used up")
		} else {
			ve.add("invite_code", "Invite code", "ERR_INVALID", "is invalid, expired or used up")
		}
	}
	if invite == nil && !RegistrationsOpen(mode) {
		msg := "Registrations are closed on this server"
		if mode == "invite" {
			msg = "Registrations are by invitation only on this server"
		}
		return nil, nil, herr.Forbidden(msg)
	}

	// Username.
	username := strings.ToLower(strings.TrimSpace(p.Username))
	switch {
	case username == "":
		ve.add("username", "Username", "ERR_BLANK", "can't be blank")
	case len(username) > 30:
		ve.add("username", "Username", "ERR_TOO_LONG", "is too long (maximum is 30 characters)")
	case !ValidUsername(username):
		ve.add("username", "Username", "ERR_INVALID", "must contain only letters, numbers and underscores")
	case s.isReserved(username):
		ve.add("username", "Username", "ERR_RESERVED", "is reserved")
	default:
		if _, err := s.store.AccountByUsername(ctx, username, ""); err == nil {
			ve.add("username", "Username", "ERR_TAKEN", "is already taken")
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, herr.Internal(err)
		}
	}

	// E-mail address and its policies.
	email := strings.TrimSpace(p.Email)
	needsApproval := mode == "approval" && invite == nil
	if email == "" {
		ve.add("email", "Email", "ERR_BLANK", "can't be blank")
	} else if !ValidEmail(email) {
		ve.add("email", "Email", "ERR_INVALID", "is invalid")
	} else {
		domain := emailDomain(email)
		reg := s.Cfg.Registration
		blocked := false
		if invite == nil && len(reg.EmailDomainAllowlist) > 0 && !domainIn(domain, reg.EmailDomainAllowlist) {
			blocked = true
		}
		if domainIn(domain, reg.EmailDomainBlocklist) {
			blocked = true
		}
		if b, err := s.store.EmailDomainBlockFor(ctx, domain); err == nil {
			if b.AllowWithApproval {
				needsApproval = true
			} else {
				blocked = true
			}
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, herr.Internal(err)
		}
		if cb, err := s.store.CanonicalEmailBlocksByHash(ctx, CanonicalEmailHash(email)); err != nil {
			return nil, nil, herr.Internal(err)
		} else if len(cb) > 0 {
			blocked = true
		}
		if blocked {
			ve.add("email", "Email", "ERR_BLOCKED", "uses a disallowed e-mail provider")
		} else if _, err := s.store.UserByLogin(ctx, email); err == nil {
			ve.add("email", "Email", "ERR_TAKEN", "is already taken")
		} else if !errors.Is(err, storage.ErrNotFound) {
			return nil, nil, herr.Internal(err)
		}
	}

	// Password, agreement, reason.
	switch {
	case p.Password == "":
		ve.add("password", "Password", "ERR_BLANK", "can't be blank")
	case len(p.Password) < MinPasswordLength:
		ve.add("password", "Password", "ERR_TOO_SHORT", "is too short (minimum is 8 characters)")
	case len(p.Password) > 72:
		ve.add("password", "Password", "ERR_TOO_LONG", "is too long (maximum is 72 characters)")
	}
	if !p.Agreement {
		ve.add("agreement", "Agreement", "ERR_ACCEPTED", "must be accepted")
	}
	reason := strings.TrimSpace(p.Reason)
	if mode == "approval" && invite == nil && site.RequireReason && reason == "" {
		ve.add("reason", "Reason", "ERR_BLANK", "can't be blank")
	}
	if len([]rune(reason)) > 1000 {
		ve.add("reason", "Reason", "ERR_TOO_LONG", "is too long (maximum is 1000 characters)")
	}
	locale := strings.TrimSpace(p.Locale)
	if locale == "" {
		locale = "en"
	}
	if len(locale) > 16 || strings.ContainsAny(locale, " /<>\"'") {
		ve.add("locale", "Locale", "ERR_INCLUSION", "is not included in the list")
	}
	if !ve.empty() {
		return nil, nil, ve
	}
	if ipSev == IPSignUpRequiresApproval {
		needsApproval = true
	}

	// Create it.
	hash, err := HashPassword(p.Password)
	if err != nil {
		return nil, nil, err
	}
	role := model.RoleUser
	reg := &model.Registration{Reason: reason, IP: p.IP, AppID: p.AppID, CreatedAt: now}
	var inviteID int64
	if invite != nil {
		inviteID = invite.ID
		reg.InvitedBy = invite.CreatedBy
		if invite.Role != "" {
			if _, err := s.store.RoleByKey(ctx, invite.Role); err == nil {
				role = invite.Role
			}
		}
	}
	u := &model.User{Email: email, PasswordHash: hash, Role: role, Approved: !needsApproval, Locale: locale}
	if !s.MailEnabled() {
		// Nobody could confirm it: an admin vouches through the mode.
		u.ConfirmedAt = &now
	}
	if _, ok := NormaliseIPRange(p.IP); !ok {
		reg.IP = ""
	}
	a, err := s.createLocalAccount(ctx, newLocal{username: username, user: u, reg: reg, inviteID: inviteID, now: now})
	switch {
	case errors.Is(err, storage.ErrInviteUnusable):
		return nil, nil, herr.Forbidden("This invite is invalid, expired or used up")
	case errors.Is(err, storage.ErrConflict):
		ve.add("username", "Username", "ERR_TAKEN", "is already taken")
		return nil, nil, ve
	case err != nil:
		return nil, nil, herr.Internal(err)
	}
	if err := s.sendConfirmation(ctx, u, a.Username); err != nil && s.Log != nil {
		s.Log.Warn("confirmation mail", "err", err)
	}
	s.staffNotification(ctx, PermManageUsers, "admin.sign_up", a.ID, 0)
	if !u.Approved {
		s.notifyStaff(ctx, PermManageUsers, "sign_up", "New sign-up awaiting approval on "+s.siteTitle(),
			"@"+a.Username+" ("+u.Email+") signed up and waits for approval.\n\nReason given: "+orNone(reason)+
				"\n\nApprove or reject it with POST "+s.Base()+"/api/v1/admin/accounts/"+itoa64(a.ID)+"/approve (or /reject).")
	}
	return a, u, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// newLocalAccount builds a local account record with its key pair.
func (s *Service) newLocalAccount(username string) (*model.Account, error) {
	priv, pub, err := GenerateKeyPair()
	if err != nil {
		return nil, herr.Internal(err)
	}
	now := time.Now().UTC()
	actor := s.LocalActorURI(username)
	return &model.Account{
		Username:       username,
		Discoverable:   true,
		ActorType:      "Person",
		URI:            actor,
		URL:            s.LocalProfileURL(username),
		InboxURL:       actor + "/inbox",
		SharedInboxURL: s.Base() + "/inbox",
		OutboxURL:      actor + "/outbox",
		FollowersURL:   actor + "/followers",
		FollowingURL:   actor + "/following",
		FeaturedURL:    actor + "/collections/featured",
		KeyID:          actor + "#main-key",
		PublicKeyPEM:   pub,
		PrivateKeyPEM:  priv,
		CreatedAt:      now,
		UpdatedAt:      now,
	}, nil
}
