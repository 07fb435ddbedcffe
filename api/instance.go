package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

func (a *API) registerInstance(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/instance", a.instanceV1, public())
	a.handle(e, http.MethodGet, "/api/v2/instance", a.instanceV2, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/peers", a.instancePeers, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/activity", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/rules", a.instanceRules, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/domain_blocks", a.instanceDomainBlocks, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/translation_languages", a.emptyObject, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/languages", a.instanceLanguages, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/extended_description", a.extendedDescription, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/privacy_policy", a.privacyPolicy, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/terms_of_service", a.termsOfService, public())
	a.registerInsights(e)
	a.registerReportsAndCollections(e)
	a.handle(e, http.MethodGet, "/health", a.health, public())
	a.handle(e, http.MethodGet, "/api/v1/streaming/health", a.health, public())
}

func (a *API) emptyList(c echo.Context) error   { return c.JSON(http.StatusOK, []any{}) }
func (a *API) emptyObject(c echo.Context) error { return c.JSON(http.StatusOK, map[string]any{}) }

func (a *API) health(c echo.Context) error {
	// Mastodon answers the plain text OK on both.
	return c.String(http.StatusOK, "OK")
}

// versionString is what clients parse: a Mastodon version first.
func versionString() string { return MastodonVersion + " (compatible; Herald " + Version + ")" }

func (a *API) streamingURL() string {
	cfg := a.svc.Cfg.Instance
	if cfg.Protocol == "https" {
		return "wss://" + cfg.Domain
	}
	return "ws://" + cfg.Domain
}

func (a *API) instanceV1(c echo.Context) error {
	ctx := c.Request().Context()
	cfg := a.svc.Cfg
	site, err := a.svc.Site(ctx)
	if err != nil {
		return err
	}
	n, _ := a.svc.InstanceUsage(ctx, time.Now()) // zeros rather than no instance
	mode := site.RegistrationsMode
	return c.JSON(http.StatusOK, map[string]any{
		"uri":               cfg.Instance.Domain,
		"title":             site.Title,
		"short_description": site.ShortDescription,
		"description":       site.Description,
		"email":             site.ContactEmail,
		"version":           versionString(),
		"urls":              map[string]string{"streaming_api": a.streamingURL()},
		"stats":             map[string]int64{"user_count": n.Users, "status_count": n.LocalPosts, "domain_count": n.Domains},
		"thumbnail":         nil,
		"languages":         languages(cfg.Instance.Languages),
		"registrations":     core.RegistrationsOpen(mode),
		"approval_required": mode == "approval",
		"invites_enabled":   mode != "open",
		"configuration":     a.configuration(ctx, false),
		"contact_account":   a.contactAccount(c, site),
		"rules":             a.rulesList(c),
	})
}

// contactAccount is the Account entity of the contact (nil: none).
func (a *API) contactAccount(c echo.Context, site core.Site) *Account {
	if site.ContactAccount == "" {
		return nil
	}
	acc, err := a.svc.LocalAccount(c.Request().Context(), site.ContactAccount)
	if err != nil || acc.SuspendedAt != nil {
		return nil
	}
	out := a.account(acc)
	return &out
}

func (a *API) rulesList(c echo.Context) []Rule {
	rs, _ := a.svc.Rules(c.Request().Context())
	out := make([]Rule, 0, len(rs))
	for _, r := range rs {
		out = append(out, ruleEntity(r))
	}
	return out
}

func (a *API) instanceRules(c echo.Context) error { return c.JSON(http.StatusOK, a.rulesList(c)) }

func languages(l []string) []string {
	if len(l) == 0 {
		return []string{"en"}
	}
	return l
}

// configuration is the limits block shared by instance v1 and v2.
func (a *API) configuration(ctx context.Context, v2 bool) map[string]any {
	cfg := a.svc.Cfg
	conf := map[string]any{
		"statuses": map[string]any{
			"max_characters":              cfg.Limits.MaxStatusChars,
			"max_media_attachments":       4,
			"characters_reserved_per_url": 23,
		},
		"media_attachments": map[string]any{
			"supported_mime_types":   []string{"image/jpeg", "image/png", "image/gif", "image/webp"},
			"image_size_limit":       16 << 20,
			"image_matrix_limit":     33177600,
			"video_size_limit":       99 << 20,
			"video_frame_rate_limit": 120,
			"video_matrix_limit":     8294400,
			"description_limit":      1500,
		},
		"polls": map[string]any{ // the limits core applies
			"max_options":               core.MaxPollOptions,
			"max_characters_per_option": core.MaxPollOptionChars,
			"min_expiration":            int(core.MinPollExpiration / time.Second),
			"max_expiration":            int(core.MaxPollExpiration / time.Second),
		},
		"accounts": map[string]any{
			"max_featured_tags":   10,
			"max_pinned_statuses": 5,
			"max_profile_fields":  4,
		},
	}
	if v2 {
		conf["urls"] = map[string]any{"streaming": a.streamingURL(), "status": nil, "about": a.svc.Base() + "/about", "privacy_policy": nil, "terms_of_service": nil}
		conf["vapid"] = map[string]any{"public_key": a.vapidPublicKey()}
		conf["translation"] = map[string]any{"enabled": false}
		// Who may read the feeds: everyone, or signed-in users on a
		// closed instance (Mastodon's "public" and "authenticated").
		feeds := "public"
		if !a.svc.AnonymousReadsAllowed(ctx) {
			feeds = "authenticated"
		}
		conf["timelines_access"] = map[string]any{
			"live_feeds":          map[string]string{"local": feeds, "remote": feeds},
			"hashtag_feeds":       map[string]string{"local": feeds, "remote": feeds},
			"trending_link_feeds": map[string]string{"local": feeds, "remote": feeds},
		}
		limited, _ := a.svc.LimitedFederation(ctx)
		conf["limited_federation"] = limited
	}
	return conf
}

func (a *API) instanceV2(c echo.Context) error {
	ctx := c.Request().Context()
	cfg := a.svc.Cfg
	site, err := a.svc.Site(ctx)
	if err != nil {
		return err
	}
	mode := site.RegistrationsMode
	usage, _ := a.svc.InstanceUsage(ctx, time.Now()) // zeros rather than no instance
	desc := site.ShortDescription
	if desc == "" {
		desc = site.Description
	}
	var message any
	if site.RegistrationsMessage != "" && !core.RegistrationsOpen(mode) {
		message = core.RenderSiteText(site.RegistrationsMessage)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"domain":        cfg.Instance.Domain,
		"title":         site.Title,
		"version":       versionString(),
		"source_url":    "https://github.com/herald-social/herald",
		"description":   desc,
		"usage":         map[string]any{"users": map[string]int64{"active_month": usage.ActiveMonth}},
		"thumbnail":     map[string]any{"url": a.absolute(missingHeader)},
		"icon":          []any{},
		"languages":     languages(cfg.Instance.Languages),
		"configuration": a.configuration(ctx, true),
		"registrations": map[string]any{
			"enabled":           core.RegistrationsOpen(mode),
			"approval_required": mode == "approval",
			"reason_required":   mode == "approval" && site.RequireReason,
			"message":           message,
			"min_age":           nil,
			"url":               nil,
		},
		// Mastodon 4.5's API version (docs: 7): grouped notifications (2),
		// PKCE (3), delete_media (4) and quote posts (7) among what clients
		// gate on it, all implemented.
		"api_versions": map[string]int{"mastodon": MastodonAPIVersion},
		"contact":      map[string]any{"email": site.ContactEmail, "account": a.contactAccount(c, site)},
		"rules":        a.rulesList(c),
	})
}

func (a *API) instancePeers(c echo.Context) error {
	d, err := a.svc.Peers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func updatedAt(site core.Site, key string) *string {
	t, ok := site.UpdatedAt[key]
	if !ok {
		return nil
	}
	return fmtTimePtr(&t)
}

func (a *API) extendedDescription(c echo.Context) error {
	site, err := a.svc.Site(c.Request().Context())
	if err != nil {
		return err
	}
	src, key := site.ExtendedDescription, "extended_description"
	if strings.TrimSpace(src) == "" {
		src, key = site.Description, "description"
	}
	return c.JSON(http.StatusOK, map[string]any{"updated_at": updatedAt(site, key), "content": core.RenderSiteText(src)})
}

func (a *API) privacyPolicy(c echo.Context) error {
	site, err := a.svc.Site(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"updated_at": updatedAt(site, "privacy_policy"), "content": core.RenderSiteText(site.PrivacyPolicy)})
}

// termsOfService is Mastodon's TermsOfService entity; 404 when none is set.
func (a *API) termsOfService(c echo.Context) error {
	site, err := a.svc.Site(c.Request().Context())
	if err != nil {
		return err
	}
	if strings.TrimSpace(site.TermsOfService) == "" {
		return herr.NotFound("terms of service")
	}
	date := time.Now().UTC().Format("2006-01-02")
	if t, ok := site.UpdatedAt["terms_of_service"]; ok {
		date = t.UTC().Format("2006-01-02")
	}
	return c.JSON(http.StatusOK, map[string]any{"effective_date": date, "effective": true,
		"content": core.RenderSiteText(site.TermsOfService), "succeeded_by": nil})
}

// instanceDomainBlocks is Mastodon's public list of moderated servers:
// domain (obfuscated where asked), digest, severity, public comment.
func (a *API) instanceDomainBlocks(c echo.Context) error {
	bs, err := a.svc.PublicDomainBlocks(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(bs))
	for _, b := range bs {
		sev := b.Severity
		if sev == "noop" {
			sev = "silence"
			if !b.RejectMedia {
				continue
			}
		}
		d := b.Domain
		if b.Obfuscate {
			d = obfuscateDomain(d)
		}
		out = append(out, map[string]any{"domain": d, "digest": domainDigest(b.Domain), "severity": sev, "comment": nullString(b.PublicComment)})
	}
	return c.JSON(http.StatusOK, out)
}

// obfuscateDomain hides every other letter of the name before the last
// label, as Mastodon does.
func obfuscateDomain(d string) string {
	i := strings.LastIndex(d, ".")
	if i <= 0 {
		i = len(d)
	}
	b := []byte(d)
	for j := 1; j < i; j += 2 {
		if b[j] != '.' {
			b[j] = '*'
		}
	}
	return string(b)
}
