package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Instance settings, rules and announcements: the admins' side (Herald's
// own routes) and the users' side of announcements (Mastodon's).

// SiteSettings is Herald's own entity for GET/PUT /api/v1/admin/settings.
type SiteSettings struct {
	RegistrationsMode    string `json:"registrations_mode"`
	RequireReason        bool   `json:"require_reason"`
	RegistrationsMessage string `json:"registrations_message"`
	Title                string `json:"title"`
	ShortDescription     string `json:"short_description"`
	Description          string `json:"description"`
	ExtendedDescription  string `json:"extended_description"`
	ContactAccount       string `json:"contact_account"`
	ContactEmail         string `json:"contact_email"`
	TermsOfService       string `json:"terms_of_service"`
	PrivacyPolicy        string `json:"privacy_policy"`
	LimitedFederation    bool   `json:"limited_federation"`
	ShowStaff            bool   `json:"show_staff"`
	// Pinned: the settings set in the config file or environment, with
	// where; they win, and a PUT may not change them.
	Pinned map[string]string `json:"pinned"`
}

func siteSettings(s core.Site) SiteSettings {
	return SiteSettings{RegistrationsMode: s.RegistrationsMode, RequireReason: s.RequireReason, RegistrationsMessage: s.RegistrationsMessage,
		Title: s.Title, ShortDescription: s.ShortDescription, Description: s.Description, ExtendedDescription: s.ExtendedDescription,
		ContactAccount: s.ContactAccount, ContactEmail: s.ContactEmail, TermsOfService: s.TermsOfService, PrivacyPolicy: s.PrivacyPolicy,
		LimitedFederation: s.LimitedFederation, ShowStaff: s.ShowStaff, Pinned: s.Pinned}
}

func (a *API) adminSettings(c echo.Context) error {
	s, err := a.svc.AdminSite(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, siteSettings(s))
}

func (a *API) adminUpdateSettings(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	u := core.SiteUpdate{
		RegistrationsMode: optString(p, "registrations_mode"), RegistrationsMessage: optString(p, "registrations_message"),
		Title: optString(p, "title"), ShortDescription: optString(p, "short_description"), Description: optString(p, "description"),
		ExtendedDescription: optString(p, "extended_description"), ContactAccount: optString(p, "contact_account"),
		ContactEmail: optString(p, "contact_email"), TermsOfService: optString(p, "terms_of_service"),
		PrivacyPolicy: optString(p, "privacy_policy"),
	}
	// Mastodon's site_* names are accepted too.
	for k, dst := range map[string]**string{"site_title": &u.Title, "site_short_description": &u.ShortDescription,
		"site_extended_description": &u.ExtendedDescription, "site_contact_email": &u.ContactEmail,
		"site_contact_username": &u.ContactAccount, "site_terms": &u.TermsOfService, "closed_registrations_message": &u.RegistrationsMessage} {
		if *dst == nil {
			*dst = optString(p, k)
		}
	}
	if u.RequireReason, err = optBool(p, "require_reason"); err != nil {
		return err
	}
	if u.LimitedFederation, err = optBool(p, "limited_federation"); err != nil {
		return err
	}
	if u.ShowStaff, err = optBool(p, "show_staff"); err != nil {
		return err
	}
	s, err := a.svc.UpdateSite(c.Request().Context(), caller(c), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, siteSettings(s))
}

// --- rules ---

// AdminRule is a rule with its position and times (Herald's own).
type AdminRule struct {
	Rule
	Position  int    `json:"position"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func adminRule(r *model.Rule) AdminRule {
	return AdminRule{Rule: ruleEntity(r), Position: r.Position, CreatedAt: fmtTime(r.CreatedAt), UpdatedAt: fmtTime(r.UpdatedAt)}
}

func ruleParams(p *Params) (core.RuleParams, error) {
	rp := core.RuleParams{Text: optString(p, "text"), Hint: optString(p, "hint")}
	for _, k := range []string{"position", "priority"} {
		if p.Has(k) {
			v, err := strconv.Atoi(p.String(k))
			if err != nil {
				return rp, herr.Unprocessable("Validation failed: %s must be an integer", k)
			}
			rp.Position = &v
		}
	}
	return rp, nil
}

func (a *API) adminRules(c echo.Context) error {
	rs, err := a.svc.AdminRules(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]AdminRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, adminRule(r))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminCreateRule(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	rp, err := ruleParams(p)
	if err != nil {
		return err
	}
	if rp.Text == nil {
		empty := ""
		rp.Text = &empty
	}
	r, err := a.svc.CreateRule(c.Request().Context(), caller(c), rp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminRule(r))
}

func (a *API) adminUpdateRule(c echo.Context) error {
	return updateByID(c, ruleParams, a.svc.UpdateRule, adminRule)
}

func (a *API) adminDeleteRule(c echo.Context) error {
	return actOnID(c, a.svc.DeleteRule)
}

// --- announcements ---

func optTime(p *Params, k string) (**time.Time, error) {
	if !p.Has(k) {
		return nil, nil
	}
	s := p.String(k)
	var t *time.Time
	if s != "" {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			if v, err = time.Parse("2006-01-02", s); err != nil {
				return nil, herr.Unprocessable("Validation failed: %s must be an ISO 8601 date-time", k)
			}
		}
		v = v.UTC()
		t = &v
	}
	return &t, nil
}

func announcementParams(p *Params) (core.AnnouncementParams, error) {
	ap := core.AnnouncementParams{Text: optString(p, "text")}
	var err error
	if ap.StartsAt, err = optTime(p, "starts_at"); err != nil {
		return ap, err
	}
	if ap.EndsAt, err = optTime(p, "ends_at"); err != nil {
		return ap, err
	}
	if ap.AllDay, err = optBool(p, "all_day"); err != nil {
		return ap, err
	}
	if ap.Published, err = optBool(p, "published"); err != nil {
		return ap, err
	}
	return ap, nil
}

func adminAnnouncement(an *model.Announcement) Announcement {
	out := announcementEntity(an, nil)
	txt := an.Text
	out.Text = &txt
	return out
}

func (a *API) adminAnnouncements(c echo.Context) error {
	list, err := a.svc.AdminAnnouncements(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]Announcement, 0, len(list))
	for _, an := range list {
		out = append(out, adminAnnouncement(an))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminCreateAnnouncement(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	ap, err := announcementParams(p)
	if err != nil {
		return err
	}
	if ap.Text == nil {
		empty := ""
		ap.Text = &empty
	}
	an, err := a.svc.CreateAnnouncement(c.Request().Context(), caller(c), ap)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminAnnouncement(an))
}

func (a *API) adminUpdateAnnouncement(c echo.Context) error {
	return updateByID(c, announcementParams, a.svc.UpdateAnnouncement, adminAnnouncement)
}

func (a *API) adminDeleteAnnouncement(c echo.Context) error {
	return actOnID(c, a.svc.DeleteAnnouncement)
}

// registerAnnouncements mounts the users' announcement routes.
func (a *API) registerAnnouncements(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/announcements", a.announcements, user("read"))
	a.handle(e, http.MethodPost, "/api/v1/announcements/:id/dismiss", a.dismissAnnouncement, user("write:accounts"))
	a.handle(e, http.MethodPut, "/api/v1/announcements/:id/reactions/:name", a.reactAnnouncement(true), user("write:favourites"))
	a.handle(e, http.MethodDelete, "/api/v1/announcements/:id/reactions/:name", a.reactAnnouncement(false), user("write:favourites"))
}

func (a *API) announcements(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	v, err := a.svc.Announcements(c.Request().Context(), caller(c), p.BoolOr("with_dismissed", false))
	if err != nil {
		return err
	}
	out := make([]Announcement, 0, len(v.Announcements))
	for _, an := range v.Announcements {
		e := announcementEntity(an, v.Reactions[an.ID])
		read := v.Read[an.ID]
		e.Read = &read
		out = append(out, e)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) dismissAnnouncement(c echo.Context) error {
	return actOnID(c, a.svc.DismissAnnouncement)
}

func (a *API) reactAnnouncement(add bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := a.svc.ReactToAnnouncement(c.Request().Context(), caller(c), id, c.Param("name"), add); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{})
	}
}
