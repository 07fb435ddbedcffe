package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// Site is the instance's description and policies as admins set them at
// run time, over the configuration's defaults.
type Site struct {
	RegistrationsMode    string // closed, invite, approval, open
	RequireReason        bool   // approval mode: sign-ups must give a reason
	RegistrationsMessage string // shown when registrations are closed
	Title                string
	ShortDescription     string
	Description          string // the long description (about page)
	ExtendedDescription  string
	ContactAccount       string // username of a local account
	ContactEmail         string
	TermsOfService       string
	PrivacyPolicy        string
	LimitedFederation    bool // allow-list mode, on top of the configuration's
	// ShowStaff lists the staff accounts on the about page. Off by
	// default, as Mastodon shows only the contact account: naming each
	// moderator of an official instance invites harassment of them.
	ShowStaff bool
	UpdatedAt map[string]time.Time
	// Pinned names the settings the operator set in the config file or the
	// environment, with where ("title" → "config file /etc/herald.toml"):
	// those win over the console, which shows them read-only.
	Pinned map[string]string
}

// configKeyOfSetting maps the settings that the config also has to its
// keys. One rule for them: a key set in the config file or the environment
// wins (an operator who closes sign-ups there during an incident gets what
// they set); otherwise what admins set in the console wins over the
// embedded default.
var configKeyOfSetting = map[string]string{
	"registrations_mode": "registration.mode",
	"title":              "instance.title",
	"short_description":  "instance.short_description",
	"description":        "instance.description",
	"contact_email":      "instance.contact_email",
}

// pinnedSettings names the settings the config file or environment set.
func (s *AdminService) pinnedSettings() map[string]string {
	pinned := map[string]string{}
	for name, key := range configKeyOfSetting {
		if src := s.Cfg.SourceOf(key); src != "" {
			pinned[name] = src
		}
	}
	return pinned
}

// siteOverrides is what is stored (settings key "site"): only what admins set.
type siteOverrides struct {
	RegistrationsMode    *string              `json:"registrations_mode,omitempty"`
	RequireReason        *bool                `json:"require_reason,omitempty"`
	RegistrationsMessage *string              `json:"registrations_message,omitempty"`
	Title                *string              `json:"title,omitempty"`
	ShortDescription     *string              `json:"short_description,omitempty"`
	Description          *string              `json:"description,omitempty"`
	ExtendedDescription  *string              `json:"extended_description,omitempty"`
	ContactAccount       *string              `json:"contact_account,omitempty"`
	ContactEmail         *string              `json:"contact_email,omitempty"`
	TermsOfService       *string              `json:"terms_of_service,omitempty"`
	PrivacyPolicy        *string              `json:"privacy_policy,omitempty"`
	LimitedFederation    *bool                `json:"limited_federation,omitempty"`
	ShowStaff            *bool                `json:"show_staff,omitempty"`
	UpdatedAt            map[string]time.Time `json:"updated_at,omitempty"`
}

const siteSettingKey = "site"

func (s *AdminService) loadOverrides(ctx context.Context) (siteOverrides, error) {
	var o siteOverrides
	v, err := s.store.Setting(ctx, siteSettingKey)
	if errors.Is(err, storage.ErrNotFound) {
		return o, nil
	}
	if err != nil {
		return o, herr.Internal(err)
	}
	if err := json.Unmarshal([]byte(v), &o); err != nil {
		return siteOverrides{}, herr.Internal(err)
	}
	return o, nil
}

// AdminSite returns the instance settings for editing (Manage Settings).
func (s *AdminService) AdminSite(ctx context.Context, c *Caller) (Site, error) {
	if err := s.Authorize(ctx, c, PermManageSettings); err != nil {
		return Site{}, err
	}
	return s.Site(ctx)
}

// Site returns the effective instance settings.
func (s *AdminService) Site(ctx context.Context) (Site, error) {
	o, err := s.loadOverrides(ctx)
	cfg := s.Cfg
	st := Site{
		RegistrationsMode: cfg.Registration.Mode,
		Title:             cfg.Instance.Title,
		ShortDescription:  cfg.Instance.ShortDescription,
		Description:       cfg.Instance.Description,
		ContactEmail:      cfg.Instance.ContactEmail,
		UpdatedAt:         map[string]time.Time{},
		Pinned:            s.pinnedSettings(),
	}
	if err != nil {
		return st, err
	}
	set := func(name string, dst *string, v *string) {
		if v != nil && st.Pinned[name] == "" {
			*dst = *v
		}
	}
	set("registrations_mode", &st.RegistrationsMode, o.RegistrationsMode)
	set("registrations_message", &st.RegistrationsMessage, o.RegistrationsMessage)
	set("title", &st.Title, o.Title)
	set("short_description", &st.ShortDescription, o.ShortDescription)
	set("description", &st.Description, o.Description)
	set("extended_description", &st.ExtendedDescription, o.ExtendedDescription)
	set("contact_account", &st.ContactAccount, o.ContactAccount)
	set("contact_email", &st.ContactEmail, o.ContactEmail)
	set("terms_of_service", &st.TermsOfService, o.TermsOfService)
	set("privacy_policy", &st.PrivacyPolicy, o.PrivacyPolicy)
	if o.RequireReason != nil {
		st.RequireReason = *o.RequireReason
	}
	if o.LimitedFederation != nil {
		st.LimitedFederation = *o.LimitedFederation
	}
	if o.ShowStaff != nil {
		st.ShowStaff = *o.ShowStaff
	}
	for k, v := range o.UpdatedAt {
		st.UpdatedAt[k] = v
	}
	if st.Title == "" {
		st.Title = "Herald"
	}
	return st, nil
}

// RegistrationsMode is the effective sign-up mode.
func (s *AdminService) RegistrationsMode(ctx context.Context) string {
	st, err := s.Site(ctx)
	if err != nil {
		return "closed"
	}
	return st.RegistrationsMode
}

// SiteUpdate changes instance settings; nil fields stay as they are.
type SiteUpdate struct {
	RegistrationsMode    *string
	RequireReason        *bool
	RegistrationsMessage *string
	Title                *string
	ShortDescription     *string
	Description          *string
	ExtendedDescription  *string
	ContactAccount       *string
	ContactEmail         *string
	TermsOfService       *string
	PrivacyPolicy        *string
	LimitedFederation    *bool
	ShowStaff            *bool
}

// NormaliseRegistrationsMode accepts Herald's modes and Mastodon's
// (none, approved, open).
func NormaliseRegistrationsMode(m string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "closed", "none":
		return "closed", true
	case "invite", "invites":
		return "invite", true
	case "approval", "approved":
		return "approval", true
	case "open":
		return "open", true
	}
	return "", false
}

// UpdateSite changes instance settings (Manage Settings permission). Only
// what differs from the effective value is stored and audited, so that a
// form sent back unchanged leaves the config's defaults in force. A setting
// pinned by the config file or environment cannot be changed here (422,
// naming where to change it); sent back unchanged, it is ignored.
func (s *AdminService) UpdateSite(ctx context.Context, c *Caller, u SiteUpdate) (Site, error) {
	if err := s.Authorize(ctx, c, PermManageSettings); err != nil {
		return Site{}, err
	}
	cur, err := s.Site(ctx)
	if err != nil {
		return Site{}, err
	}
	o, err := s.loadOverrides(ctx)
	if err != nil {
		return Site{}, err
	}
	if o.UpdatedAt == nil {
		o.UpdatedAt = map[string]time.Time{}
	}
	now := time.Now().UTC()
	var changed []string
	// differs reports whether a new value changes the setting; a pinned
	// setting may only be sent back as it is.
	differs := func(name string, same bool) (bool, error) {
		if same {
			return false, nil
		}
		if src := cur.Pinned[name]; src != "" {
			return false, herr.Unprocessable("Validation failed: %s is set in the %s; change it there", name, src)
		}
		return true, nil
	}
	if u.RegistrationsMode != nil {
		m, ok := NormaliseRegistrationsMode(*u.RegistrationsMode)
		if !ok {
			return Site{}, herr.Unprocessable("Validation failed: registrations_mode must be closed, invite, approval or open")
		}
		if d, err := differs("registrations_mode", m == cur.RegistrationsMode); err != nil {
			return Site{}, err
		} else if d {
			o.RegistrationsMode = &m
			changed = append(changed, "registrations_mode="+m)
		}
	}
	if u.RequireReason != nil && *u.RequireReason != cur.RequireReason {
		o.RequireReason = u.RequireReason
		changed = append(changed, "require_reason="+strconv.FormatBool(*u.RequireReason))
	}
	if u.LimitedFederation != nil && *u.LimitedFederation != cur.LimitedFederation {
		o.LimitedFederation = u.LimitedFederation
		changed = append(changed, "limited_federation="+strconv.FormatBool(*u.LimitedFederation))
	}
	if u.ShowStaff != nil && *u.ShowStaff != cur.ShowStaff {
		o.ShowStaff = u.ShowStaff
		changed = append(changed, "show_staff="+strconv.FormatBool(*u.ShowStaff))
	}
	if u.Title != nil && strings.TrimSpace(*u.Title) == "" {
		return Site{}, herr.Unprocessable("Validation failed: title can't be blank")
	}
	if u.ContactEmail != nil && strings.TrimSpace(*u.ContactEmail) != "" {
		if _, err := mail.ParseAddress(strings.TrimSpace(*u.ContactEmail)); err != nil {
			return Site{}, herr.Unprocessable("Validation failed: contact_email is invalid")
		}
	}
	if u.ContactAccount != nil {
		name := strings.TrimPrefix(strings.TrimSpace(*u.ContactAccount), "@")
		if name != "" {
			if _, err := s.LocalAccount(ctx, name); err != nil {
				return Site{}, herr.Unprocessable("Validation failed: contact_account must be a local username")
			}
		}
		u.ContactAccount = &name
	}
	for _, f := range []struct {
		name string
		dst  **string
		v    *string
		cur  string
		max  int
	}{
		{"registrations_message", &o.RegistrationsMessage, u.RegistrationsMessage, cur.RegistrationsMessage, 2000},
		{"title", &o.Title, u.Title, cur.Title, 200},
		{"short_description", &o.ShortDescription, u.ShortDescription, cur.ShortDescription, 2000},
		{"description", &o.Description, u.Description, cur.Description, 20000},
		{"extended_description", &o.ExtendedDescription, u.ExtendedDescription, cur.ExtendedDescription, 100000},
		{"contact_account", &o.ContactAccount, u.ContactAccount, cur.ContactAccount, 100},
		{"contact_email", &o.ContactEmail, u.ContactEmail, cur.ContactEmail, 320},
		{"terms_of_service", &o.TermsOfService, u.TermsOfService, cur.TermsOfService, 200000},
		{"privacy_policy", &o.PrivacyPolicy, u.PrivacyPolicy, cur.PrivacyPolicy, 200000},
	} {
		if f.v == nil {
			continue
		}
		t := strings.TrimSpace(*f.v)
		if len([]rune(t)) > f.max {
			return Site{}, herr.Unprocessable("Validation failed: %s is too long (maximum is %d characters)", f.name, f.max)
		}
		d, err := differs(f.name, t == f.cur)
		if err != nil {
			return Site{}, err
		}
		if d {
			*f.dst = &t
			o.UpdatedAt[f.name] = now
			changed = append(changed, f.name)
		}
	}
	if len(changed) == 0 {
		return cur, nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return Site{}, herr.Internal(err)
	}
	if err := s.store.SetSetting(ctx, siteSettingKey, string(b)); err != nil {
		return Site{}, herr.Internal(err)
	}
	if u.LimitedFederation != nil {
		s.invalidateDomainPolicy()
	}
	s.audit(ctx, c, "update_setting", "Form::AdminSettings", "", "changed "+strings.Join(changed, ", "))
	return s.Site(ctx)
}

// LogSettingSources says at start where each setting that the config and
// the console share takes its value from, and warns when a value stored
// from the console is ignored because the config file or environment pins
// the key.
func (s *AdminService) LogSettingSources(ctx context.Context) {
	o, err := s.loadOverrides(ctx)
	if err != nil {
		s.log().Warn("settings: cannot read the console's settings", "error", err)
		return
	}
	stored := map[string]bool{
		"registrations_mode": o.RegistrationsMode != nil, "title": o.Title != nil,
		"short_description": o.ShortDescription != nil, "description": o.Description != nil,
		"contact_email": o.ContactEmail != nil,
	}
	pinned := s.pinnedSettings()
	for _, name := range []string{"registrations_mode", "title", "short_description", "description", "contact_email"} {
		key := configKeyOfSetting[name]
		switch {
		case pinned[name] != "" && stored[name]:
			s.log().Warn("setting: the value saved in the console is ignored", "setting", key, "source", pinned[name])
		case pinned[name] != "":
			s.log().Info("setting", "setting", key, "source", pinned[name])
		case stored[name]:
			s.log().Info("setting", "setting", key, "source", "console")
		default:
			s.log().Info("setting", "setting", key, "source", "default")
		}
	}
}

// RenderSiteText renders admin-written text (descriptions, terms, policy,
// the registrations message) from Markdown to sanitised HTML, as Mastodon
// and GoToSocial do; plain text is valid Markdown.
func RenderSiteText(src string) string {
	src = strings.TrimSpace(src)
	if src == "" {
		return ""
	}
	return text.RenderMarkdown(src)
}

// --- rules ---

// Rules lists the instance's rules (public).
func (s *AdminService) Rules(ctx context.Context) ([]*model.Rule, error) {
	rs, err := s.store.Rules(ctx)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return rs, nil
}

// AdminRules lists the rules for editing (Manage Rules).
func (s *AdminService) AdminRules(ctx context.Context, c *Caller) ([]*model.Rule, error) {
	if err := s.Authorize(ctx, c, PermManageRules); err != nil {
		return nil, err
	}
	return s.Rules(ctx)
}

// RuleParams creates or changes a rule; nil fields stay as they are.
type RuleParams struct {
	Text     *string
	Hint     *string
	Position *int
}

func applyRule(r *model.Rule, p RuleParams) error {
	if p.Text != nil {
		r.Text = strings.TrimSpace(*p.Text)
	}
	if p.Hint != nil {
		r.Hint = strings.TrimSpace(*p.Hint)
	}
	if p.Position != nil {
		r.Position = *p.Position
	}
	if r.Text == "" {
		return herr.Unprocessable("Validation failed: Text can't be blank")
	}
	if len([]rune(r.Text)) > 1000 || len([]rune(r.Hint)) > 2000 {
		return herr.Unprocessable("Validation failed: Text is too long (maximum is 1000 characters)")
	}
	return nil
}

// CreateRule adds a rule (Manage Rules).
func (s *AdminService) CreateRule(ctx context.Context, c *Caller, p RuleParams) (*model.Rule, error) {
	if err := s.Authorize(ctx, c, PermManageRules); err != nil {
		return nil, err
	}
	r := &model.Rule{}
	if p.Position == nil {
		rs, err := s.store.Rules(ctx)
		if err != nil {
			return nil, herr.Internal(err)
		}
		pos := 0
		for _, x := range rs {
			if x.Position >= pos {
				pos = x.Position + 1
			}
		}
		p.Position = &pos
	}
	if err := applyRule(r, p); err != nil {
		return nil, err
	}
	if err := s.store.CreateRule(ctx, r); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "create_rule", "Rule", strconv.FormatInt(r.ID, 10), "added a rule")
	return r, nil
}

// UpdateRule changes a rule (Manage Rules).
func (s *AdminService) UpdateRule(ctx context.Context, c *Caller, ruleID int64, p RuleParams) (*model.Rule, error) {
	apply := func(r *model.Rule) error { return applyRule(r, p) }
	return adminUpdate(ctx, c, ruleID, s.adminRule, apply, s.store.UpdateRule, "", func(r *model.Rule) {
		s.audit(ctx, c, "update_rule", "Rule", strconv.FormatInt(r.ID, 10), "changed a rule")
	})
}

// DeleteRule deletes a rule (Manage Rules).
func (s *AdminService) DeleteRule(ctx context.Context, c *Caller, ruleID int64) error {
	return adminDelete(ctx, c, ruleID, s.adminRule, s.store.DeleteRule, func(*model.Rule) {
		s.audit(ctx, c, "destroy_rule", "Rule", strconv.FormatInt(ruleID, 10), "deleted a rule")
	})
}

// adminRule reads a rule for a caller who manages them.
func (s *AdminService) adminRule(ctx context.Context, c *Caller, ruleID int64) (*model.Rule, error) {
	return adminRead(ctx, s, c, PermManageRules, "rule", func() (*model.Rule, error) { return s.store.RuleByID(ctx, ruleID) })
}

// --- announcements ---

// AnnouncementParams creates or changes an announcement; nil fields stay.
type AnnouncementParams struct {
	Text      *string
	StartsAt  **time.Time
	EndsAt    **time.Time
	AllDay    *bool
	Published *bool
}

func applyAnnouncement(an *model.Announcement, p AnnouncementParams) error {
	if p.Text != nil {
		an.Text = strings.TrimSpace(*p.Text)
		an.Content = text.Render(an.Text, text.RenderOptions{})
	}
	if p.StartsAt != nil {
		an.StartsAt = *p.StartsAt
	}
	if p.EndsAt != nil {
		an.EndsAt = *p.EndsAt
	}
	if p.AllDay != nil {
		an.AllDay = *p.AllDay
	}
	if p.Published != nil {
		if *p.Published && an.PublishedAt == nil {
			now := time.Now().UTC()
			an.PublishedAt = &now
		} else if !*p.Published {
			an.PublishedAt = nil
		}
	}
	if an.Text == "" {
		return herr.Unprocessable("Validation failed: Text can't be blank")
	}
	if len([]rune(an.Text)) > 10000 {
		return herr.Unprocessable("Validation failed: Text is too long (maximum is 10000 characters)")
	}
	if an.StartsAt != nil && an.EndsAt != nil && an.EndsAt.Before(*an.StartsAt) {
		return herr.Unprocessable("Validation failed: Ends at must be after starts at")
	}
	return nil
}

// AdminAnnouncements lists every announcement, drafts included.
func (s *AdminService) AdminAnnouncements(ctx context.Context, c *Caller) ([]*model.Announcement, error) {
	return adminRead(ctx, s, c, PermManageAnnouncements, "announcements", func() ([]*model.Announcement, error) {
		return s.store.Announcements(ctx, true)
	})
}

// CreateAnnouncement adds an announcement (published unless told otherwise).
func (s *AdminService) CreateAnnouncement(ctx context.Context, c *Caller, p AnnouncementParams) (*model.Announcement, error) {
	if err := s.Authorize(ctx, c, PermManageAnnouncements); err != nil {
		return nil, err
	}
	if p.Published == nil {
		t := true
		p.Published = &t
	}
	an := &model.Announcement{}
	if err := applyAnnouncement(an, p); err != nil {
		return nil, err
	}
	if err := s.store.CreateAnnouncement(ctx, an); err != nil {
		return nil, herr.Internal(err)
	}
	s.audit(ctx, c, "create_announcement", "Announcement", strconv.FormatInt(an.ID, 10), "created an announcement")
	if an.PublishedAt != nil {
		s.notify(ChangeAnnouncement, 0, an.ID)
	}
	return an, nil
}

// PublishedAnnouncement reads an announcement to stream (ChangeAnnouncement):
// not found unless it is published.
func (s *AdminService) PublishedAnnouncement(ctx context.Context, id int64) (*model.Announcement, error) {
	an, err := s.announcement(ctx, id)
	if err != nil {
		return nil, err
	}
	if an.PublishedAt == nil {
		return nil, herr.NotFound("announcement")
	}
	return an, nil
}

func (s *AdminService) announcement(ctx context.Context, id int64) (*model.Announcement, error) {
	an, err := s.store.AnnouncementByID(ctx, id)
	if err != nil {
		return nil, readErr(err, "announcement")
	}
	return an, nil
}

// adminAnnouncement reads an announcement, draft or not, for a caller who
// manages them.
func (s *AdminService) adminAnnouncement(ctx context.Context, c *Caller, id int64) (*model.Announcement, error) {
	return adminRead(ctx, s, c, PermManageAnnouncements, "announcement", func() (*model.Announcement, error) { return s.announcement(ctx, id) })
}

// UpdateAnnouncement changes an announcement.
func (s *AdminService) UpdateAnnouncement(ctx context.Context, c *Caller, id int64, p AnnouncementParams) (*model.Announcement, error) {
	apply := func(an *model.Announcement) error { return applyAnnouncement(an, p) }
	return adminUpdate(ctx, c, id, s.adminAnnouncement, apply, s.store.UpdateAnnouncement, "", func(an *model.Announcement) {
		s.audit(ctx, c, "update_announcement", "Announcement", strconv.FormatInt(an.ID, 10), "changed an announcement")
		if an.PublishedAt != nil {
			s.notify(ChangeAnnouncement, 0, an.ID)
		} else {
			s.notify(ChangeAnnouncementDeleted, 0, an.ID)
		}
	})
}

// DeleteAnnouncement deletes an announcement.
func (s *AdminService) DeleteAnnouncement(ctx context.Context, c *Caller, id int64) error {
	return adminDelete(ctx, c, id, s.adminAnnouncement, s.store.DeleteAnnouncement, func(*model.Announcement) {
		s.audit(ctx, c, "destroy_announcement", "Announcement", strconv.FormatInt(id, 10), "deleted an announcement")
		s.notify(ChangeAnnouncementDeleted, 0, id)
	})
}

// AnnouncementView is what a user sees of the current announcements.
type AnnouncementView struct {
	Announcements []*model.Announcement
	Read          map[int64]bool
	Reactions     map[int64][]model.AnnouncementReaction
}

// Announcements lists the published, not yet ended announcements for a
// user (read ones too when withDismissed).
func (s *AdminService) Announcements(ctx context.Context, c *Caller, withDismissed bool) (*AnnouncementView, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	all, err := s.store.Announcements(ctx, false)
	if err != nil {
		return nil, herr.Internal(err)
	}
	read, err := s.store.DismissedAnnouncements(ctx, c.Account.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	now := time.Now()
	v := &AnnouncementView{Read: read}
	var ids []int64
	for _, an := range all {
		if an.EndsAt != nil && an.EndsAt.Before(now) {
			continue
		}
		if read[an.ID] && !withDismissed {
			continue
		}
		v.Announcements = append(v.Announcements, an)
		ids = append(ids, an.ID)
	}
	v.Reactions, err = s.store.AnnouncementReactions(ctx, c.Account.ID, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return v, nil
}

func (s *AdminService) publishedAnnouncement(ctx context.Context, id int64) error {
	an, err := s.announcement(ctx, id)
	if err != nil {
		return err
	}
	if an.PublishedAt == nil {
		return herr.NotFound("announcement")
	}
	return nil
}

// DismissAnnouncement marks an announcement read.
func (s *AdminService) DismissAnnouncement(ctx context.Context, c *Caller, id int64) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.publishedAnnouncement(ctx, id); err != nil {
		return err
	}
	if err := s.store.DismissAnnouncement(ctx, id, c.Account.ID); err != nil {
		return herr.Internal(err)
	}
	return nil
}

// validReaction accepts a short emoji (or custom emoji shortcode).
func validReaction(name string) bool {
	n := len([]rune(name))
	return n > 0 && n <= 32 && !strings.ContainsAny(name, " \t\r\n<>&\"'/")
}

// ReactToAnnouncement adds (add = true) or removes a reaction.
func (s *AdminService) ReactToAnnouncement(ctx context.Context, c *Caller, id int64, name string, add bool) error {
	if err := s.requireUser(c); err != nil {
		return err
	}
	if err := s.publishedAnnouncement(ctx, id); err != nil {
		return err
	}
	if !validReaction(name) {
		return herr.Unprocessable("Validation failed: Name is not a recognized emoji")
	}
	var err error
	if add {
		err = s.store.AddAnnouncementReaction(ctx, id, c.Account.ID, name)
	} else {
		err = s.store.RemoveAnnouncementReaction(ctx, id, c.Account.ID, name)
	}
	if err != nil {
		return herr.Internal(err)
	}
	return nil
}
