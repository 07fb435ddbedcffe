package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

func (a *API) registerInstance(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/instance", a.instanceV1, public())
	a.handle(e, http.MethodGet, "/api/v2/instance", a.instanceV2, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/peers", a.instancePeers, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/activity", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/rules", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/domain_blocks", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/translation_languages", a.emptyObject, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/extended_description", a.extendedDescription, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/privacy_policy", a.legalText, public())
	a.handle(e, http.MethodGet, "/api/v1/instance/terms_of_service", a.legalText, public())
	a.handle(e, http.MethodGet, "/api/v1/custom_emojis", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/trends/tags", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/trends/statuses", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/trends/links", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/trends", a.emptyList, public())
	a.handle(e, http.MethodGet, "/api/v1/announcements", a.emptyList, user(""))
	a.handle(e, http.MethodGet, "/health", a.health, public())
	a.handle(e, http.MethodGet, "/api/v1/streaming/health", a.health, public())
}

func (a *API) emptyList(c echo.Context) error   { return c.JSON(http.StatusOK, []any{}) }
func (a *API) emptyObject(c echo.Context) error { return c.JSON(http.StatusOK, map[string]any{}) }

func (a *API) health(c echo.Context) error {
	if c.Request().URL.Path == "/health" {
		return c.JSON(http.StatusOK, map[string]string{"status": "OK"})
	}
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
	users, _ := a.svc.Store.CountLocalAccounts(ctx)
	statuses, _ := a.svc.Store.CountLocalStatuses(ctx)
	domains, _ := a.svc.Store.CountKnownDomains(ctx)
	mode := cfg.Registration.Mode
	return c.JSON(http.StatusOK, map[string]any{
		"uri":               cfg.Instance.Domain,
		"title":             cfg.Instance.Title,
		"short_description": cfg.Instance.ShortDescription,
		"description":       cfg.Instance.Description,
		"email":             cfg.Instance.ContactEmail,
		"version":           versionString(),
		"urls":              map[string]string{"streaming_api": a.streamingURL()},
		"stats":             map[string]int64{"user_count": users, "status_count": statuses, "domain_count": domains},
		"thumbnail":         nil,
		"languages":         languages(cfg.Instance.Languages),
		"registrations":     mode == "open" || mode == "approval",
		"approval_required": mode == "approval",
		"invites_enabled":   mode == "invite",
		"configuration":     a.configuration(false),
		"contact_account":   nil,
		"rules":             []any{},
	})
}

func languages(l []string) []string {
	if len(l) == 0 {
		return []string{"en"}
	}
	return l
}

// configuration is the limits block shared by instance v1 and v2.
func (a *API) configuration(v2 bool) map[string]any {
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
		"polls": map[string]any{
			"max_options":               4,
			"max_characters_per_option": 50,
			"min_expiration":            300,
			"max_expiration":            2629746,
		},
		"accounts": map[string]any{
			"max_featured_tags":   10,
			"max_pinned_statuses": 5,
			"max_profile_fields":  4,
		},
	}
	if v2 {
		conf["urls"] = map[string]any{"streaming": a.streamingURL(), "status": nil, "about": a.svc.Base() + "/about", "privacy_policy": nil, "terms_of_service": nil}
		conf["vapid"] = map[string]any{"public_key": ""}
		conf["translation"] = map[string]any{"enabled": false}
		conf["timelines_access"] = map[string]any{
			"live_feeds":          map[string]string{"local": "public", "remote": "public"},
			"hashtag_feeds":       map[string]string{"local": "public", "remote": "public"},
			"trending_link_feeds": map[string]string{"local": "public", "remote": "public"},
		}
		conf["limited_federation"] = a.svc.Cfg.Federation.AllowlistMode
	}
	return conf
}

func (a *API) instanceV2(c echo.Context) error {
	ctx := c.Request().Context()
	cfg := a.svc.Cfg
	mode := cfg.Registration.Mode
	users, _ := a.svc.Store.CountLocalAccounts(ctx)
	desc := cfg.Instance.ShortDescription
	if desc == "" {
		desc = cfg.Instance.Description
	}
	var contactAccount any
	return c.JSON(http.StatusOK, map[string]any{
		"domain":        cfg.Instance.Domain,
		"title":         cfg.Instance.Title,
		"version":       versionString(),
		"source_url":    "https://github.com/herald-social/herald",
		"description":   desc,
		"usage":         map[string]any{"users": map[string]int64{"active_month": users}},
		"thumbnail":     map[string]any{"url": a.absolute(missingHeader)},
		"icon":          []any{},
		"languages":     languages(cfg.Instance.Languages),
		"configuration": a.configuration(true),
		"registrations": map[string]any{
			"enabled":           mode == "open" || mode == "approval",
			"approval_required": mode == "approval",
			"reason_required":   mode == "approval",
			"message":           nil,
			"min_age":           nil,
			"url":               nil,
		},
		// Only what is implemented: clients gate grouped notifications (2)
		// and newer features on this number.
		"api_versions": map[string]int{"mastodon": 1},
		"contact":      map[string]any{"email": cfg.Instance.ContactEmail, "account": contactAccount},
		"rules":        []any{},
	})
}

func (a *API) instancePeers(c echo.Context) error {
	d, err := a.svc.Store.KnownDomains(c.Request().Context(), 10000)
	if err != nil {
		return err
	}
	if d == nil {
		d = []string{}
	}
	return c.JSON(http.StatusOK, d)
}

func (a *API) extendedDescription(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"updated_at": nil, "content": strings.TrimSpace(a.svc.Cfg.Instance.Description)})
}

func (a *API) legalText(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"updated_at": nil, "content": ""})
}
