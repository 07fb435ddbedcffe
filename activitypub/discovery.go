package activitypub

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Discovery: WebFinger (RFC 7033), host-meta and NodeInfo, always served
// without a signature (interop doc §5, §6).

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

func writeJSON(c echo.Context, status int, contentType string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return c.Blob(status, contentType, buf.Bytes())
}

// instanceActorUsername is the instance actor's preferredUsername and
// WebFinger user: the domain's host, without a port (which no server
// accepts in a username).
func (f *Federation) instanceActorUsername() string {
	host := f.cfg.Instance.Domain
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	// An IPv6 literal keeps no ':' either.
	return strings.NewReplacer("[", "", "]", "", ":", "-").Replace(host)
}

// webfingerUser reads the local username a WebFinger resource names:
// acct:user@domain (or user@domain), the actor URL or the profile URL.
// instance is set for the instance actor.
func (f *Federation) webfingerUser(resource string) (username string, instance bool, ok bool) {
	resource = strings.TrimSpace(resource)
	if strings.HasPrefix(resource, "http://") || strings.HasPrefix(resource, "https://") {
		if resource == f.InstanceActorURI() {
			return "", true, true
		}
		if u := f.localUsername(resource); u != "" {
			if un, err := url.PathUnescape(u); err == nil {
				return un, false, true
			}
		}
		if rest, found := strings.CutPrefix(resource, f.base+"/@"); found && rest != "" && !strings.ContainsAny(rest, "/?#") {
			return rest, false, true
		}
		return "", false, false
	}
	acct := strings.TrimPrefix(strings.TrimPrefix(resource, "acct:"), "@")
	at := strings.LastIndex(acct, "@")
	if at <= 0 {
		return "", false, false
	}
	user, domain := acct[:at], acct[at+1:]
	if !strings.EqualFold(domain, f.cfg.Instance.Domain) {
		return "", false, false
	}
	// The instance actor's username (the host), and the whole domain as
	// older Heralds named it.
	if strings.EqualFold(user, f.instanceActorUsername()) || strings.EqualFold(user, f.cfg.Instance.Domain) {
		return "", true, true
	}
	return user, false, true
}

func (f *Federation) handleWebFinger(c echo.Context) error {
	resource := c.QueryParam("resource")
	if resource == "" {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "resource is required"})
	}
	username, instance, ok := f.webfingerUser(resource)
	if !ok {
		return c.JSON(http.StatusNotFound, map[string]string{"error": "Record not found"})
	}
	ct := "application/jrd+json; charset=utf-8"
	c.Response().Header().Set("Vary", "Accept")
	c.Response().Header().Set("Cache-Control", "max-age=259200, public")
	if instance {
		id := f.InstanceActorURI()
		return writeJSON(c, http.StatusOK, ct, jrd{
			Subject: "acct:" + f.instanceActorUsername() + "@" + f.cfg.Instance.Domain,
			Aliases: []string{id},
			Links: []jrdLink{
				{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: f.base + "/about/more?instance_actor=true"},
				{Rel: "self", Type: "application/activity+json", Href: id},
			},
		})
	}
	a, gone, err := f.localAccount(c.Request().Context(), username)
	if err != nil {
		return err
	}
	if gone || (a != nil && a.SuspendedAt != nil) {
		c.Response().Header().Del("Cache-Control")
		return c.JSON(http.StatusGone, map[string]string{"error": "Gone"})
	}
	if a == nil {
		c.Response().Header().Del("Cache-Control")
		return c.JSON(http.StatusNotFound, map[string]string{"error": "Record not found"})
	}
	return writeJSON(c, http.StatusOK, ct, jrd{
		Subject: "acct:" + a.Username + "@" + f.cfg.Instance.Domain,
		Aliases: []string{a.URL, a.URI},
		Links: []jrdLink{
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: a.URL},
			{Rel: "self", Type: "application/activity+json", Href: a.URI},
			{Rel: "http://ostatus.org/schema/1.0/subscribe", Template: f.base + "/authorize_interaction?uri={uri}"},
		},
	})
}

func (f *Federation) lrddTemplate() string {
	return f.base + "/.well-known/webfinger?resource={uri}"
}

func (f *Federation) handleHostMeta(c echo.Context) error {
	if c.QueryParam("format") == "json" {
		return f.handleHostMetaJSON(c)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">` + "\n")
	b.WriteString(`  <Link rel="lrdd" template="`)
	_ = xml.EscapeText(&b_writer{&b}, []byte(f.lrddTemplate()))
	b.WriteString(`"/>` + "\n</XRD>\n")
	h := c.Response().Header()
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "max-age=259200, public")
	return c.Blob(http.StatusOK, "application/xrd+xml; charset=utf-8", []byte(b.String()))
}

// b_writer adapts a strings.Builder to io.Writer for xml.EscapeText.
type b_writer struct{ b *strings.Builder }

func (w *b_writer) Write(p []byte) (int, error) { return w.b.Write(p) }

func (f *Federation) handleHostMetaJSON(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "max-age=259200, public")
	return writeJSON(c, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []jrdLink{{Rel: "lrdd", Template: f.lrddTemplate()}},
	})
}

func (f *Federation) handleNodeInfoLinks(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "max-age=1800, public")
	return writeJSON(c, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []jrdLink{
			{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", Href: f.base + "/nodeinfo/2.0"},
			{Rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", Href: f.base + "/nodeinfo/2.1"},
		},
	})
}

func (f *Federation) handleNodeInfo(version string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		usage, err := f.svc.InstanceUsage(ctx, time.Now())
		if err != nil {
			return err
		}
		software := map[string]any{"name": SoftwareName, "version": SoftwareVersion}
		if version == "2.1" {
			software["repository"] = SoftwareRepo
			software["homepage"] = SoftwareRepo
		}
		site, err := f.svc.Site(c.Request().Context())
		if err != nil {
			return err
		}
		mode := site.RegistrationsMode
		body := map[string]any{
			"version":           version,
			"software":          software,
			"protocols":         []string{"activitypub"},
			"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
			"openRegistrations": mode == "open" || mode == "approval",
			"usage": map[string]any{
				"users":      map[string]any{"total": usage.Users, "activeMonth": usage.ActiveMonth, "activeHalfyear": usage.ActiveHalfyear},
				"localPosts": usage.LocalPosts,
			},
			"metadata": map[string]any{
				"nodeName":        site.Title,
				"nodeDescription": site.ShortDescription,
			},
		}
		c.Response().Header().Set("Cache-Control", "max-age=1800, public")
		return writeJSON(c, http.StatusOK,
			`application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, body)
	}
}
