// Package webui serves Herald's HTML: public pages (about, profiles,
// statuses, tags, Atom feeds), sign-in, sign-up and the OAuth consent
// page, settings, a web client for staff and the administration console.
// Pages are written in Go (markup.go: every value escaped for where it
// lands), assets are embedded in the binary, and nothing
// is loaded from outside the instance. Scripts are small progressive
// enhancements served from /static: every flow works without them.
package webui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

//go:embed static
var staticFS embed.FS

// Federation is what the web UI asks of the ActivityPub engine, so that
// profile and status URLs answer ActivityPub clients with JSON.
type Federation interface {
	WantsActivityJSON(r *http.Request) bool
	ServeActor(c echo.Context, username string) error
	ServeStatus(c echo.Context, username, statusID string) error
	// WriteOutbox writes an export's posts as an ActivityStreams outbox
	// (JSON); WriteRecords writes its archive (ZIP). Both stream.
	WriteOutbox(ctx context.Context, w io.Writer, e *core.RecordsExport) error
	WriteRecords(ctx context.Context, w io.Writer, e *core.RecordsExport) (*core.RecordsSummary, error)
	// SubscribeTemplate looks up the remote-interaction URL template
	// ("…{uri}") of the server of an address (user@domain).
	SubscribeTemplate(ctx context.Context, acct string) (string, error)
}

// UI is the web interface.
type UI struct {
	svc *core.Service
	csp string // pageCSP, allowing the media store's origins
	// Fed is set by the server when federation is mounted.
	Fed Federation
	// limits are the forms' per-address limits (auth.go).
	limits webLimits

	// views are the pages written in Go (markup.go), by name.
	views map[string]pageView

	avatarPNG, headerPNG []byte
	routes               []Route

	landing landingCache // recent public posts of the landing page (public.go)
}

// New makes the web interface of svc.
func New(svc *core.Service) (*UI, error) {
	w := &UI{svc: svc, limits: newWebLimits()}
	w.views = map[string]pageView{}
	for _, vs := range []map[string]pageView{baseViews(), statusViews(), adminViews(), adminMoreViews(), accountViews()} {
		for name, v := range vs {
			w.views[name] = v
		}
	}
	w.avatarPNG = solidPNG(120, 120, color.RGBA{0xad, 0xb5, 0xbd, 0xff})
	w.headerPNG = solidPNG(600, 200, color.RGBA{0xe9, 0xec, 0xef, 0xff})
	w.routes = w.routeTable()
	w.csp = pageCSP
	if o := strings.Join(svc.MediaOrigins(), " "); o != "" {
		// Media in an object store: images and media come from there too.
		w.csp = strings.Replace(w.csp, "img-src 'self' data:;", "img-src 'self' data: "+o+";", 1)
		w.csp = strings.Replace(w.csp, "media-src 'self';", "media-src 'self' "+o+";", 1)
	}
	return w, nil
}

func solidPNG(wd, ht int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, wd, ht))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

func (w *UI) pngHandler(b func() []byte) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.Blob(http.StatusOK, "image/png", b())
	}
}

// page is the data every page view gets.
type page map[string]any

// CSP of every HTML page: only this instance, no inline script or style.
const pageCSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; " +
	"frame-ancestors 'none'; form-action 'self' *; base-uri 'none'; object-src 'none'"

func (w *UI) render(c echo.Context, status int, name string, data page) error {
	v, ok := w.views[name]
	if !ok {
		return echo.NewHTTPError(http.StatusInternalServerError, "missing page "+name)
	}
	if data == nil {
		data = page{}
	}
	ctx := c.Request().Context()
	site, _ := w.svc.Site(ctx)
	data["Site"] = site
	data["Instance"] = site.Title
	data["Domain"] = w.svc.Cfg.Instance.Domain
	data["Brand"] = w.svc.GetBranding(ctx)
	data["Path"] = c.Request().URL.Path
	if _, ok := data["Title"]; !ok {
		data["Title"] = ""
	}
	if _, ok := data["CSRF"]; !ok {
		data["CSRF"] = w.csrfToken(c)
	}
	if cl := w.caller(c); cl != nil {
		data["Me"] = cl.Account
		perms, _, _ := w.svc.PermissionsOf(ctx, cl.User)
		data["Perms"] = perms
		data["Staff"] = perms.IsStaff()
		w.switcherData(c, cl, data)
	}
	if f := w.flash(c); f != "" {
		data["Flash"] = f
	}
	var m markup
	w.layout(&m, data, v)
	h := c.Response().Header()
	h.Set("Content-Security-Policy", w.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, m.buf.Bytes())
}

// errorPage answers an error with a page; in the administration console,
// for someone who may use part of it, the page keeps the console's
// navigation (what they may open).
func (w *UI) errorPage(c echo.Context, status int, title, msg string) error {
	name := "error"
	if p := c.Request().URL.Path; p == "/admin" || strings.HasPrefix(p, "/admin/") {
		if cl := w.caller(c); cl != nil {
			if perms, _, err := w.svc.PermissionsOf(c.Request().Context(), cl.User); err == nil &&
				(perms.IsStaff() || perms.HasAny(core.ConsoleAreas["invites"]...)) {
				name = "admin_error"
			}
		}
	}
	return w.render(c, status, name, page{"Title": title, "Message": msg, "Tab": ""})
}

// formFailed answers a refused form on the form's own page: show renders
// that page, and the error appears above the form that was sent, with what
// was typed kept (templates read it with formval and formcheck). A
// refusal of the action (403: a role that may see the page but not do
// this) is shown in the same way; if the page itself is refused, show
// answers its refusal. Server errors and a missing page (404) are answered
// as usual.
func (w *UI) formFailed(c echo.Context, err error, show func(echo.Context, page) error) error {
	he := herr.As(err)
	if he.Status >= 500 || he.Status == http.StatusNotFound {
		return w.fail(c, err)
	}
	form, _ := c.FormParams()
	return show(c, page{"FormError": he.Msg, "Form": form, "FormAction": c.Request().URL.Path, "FormStatus": he.Status})
}

// sentForm is the form values when p redisplays the form posted to
// action after an error, else nil.
func sentForm(p page, action string) url.Values {
	if a, _ := p["FormAction"].(string); a == action {
		form, _ := p["Form"].(url.Values)
		if form == nil {
			form = url.Values{}
		}
		return form
	}
	return nil
}

// BrowserErrors wraps the client API's error handler: a person who opens
// an address that does not exist (or a method it does not take) in a
// browser gets a page with the site's navigation, not the API's JSON. The
// API, OAuth, ActivityPub and discovery paths keep their JSON errors, as
// Mastodon's do, whatever the Accept header.
func (w *UI) BrowserErrors(api echo.HTTPErrorHandler) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		var he *echo.HTTPError
		r := c.Request()
		if c.Response().Committed || !errors.As(err, &he) || (he.Code != http.StatusNotFound && he.Code != http.StatusMethodNotAllowed) ||
			r.Method != http.MethodGet || !wantsHTML(r) || machinePath(r.URL.Path) {
			api(err, c)
			return
		}
		if he.Code == http.StatusNotFound {
			_ = w.errorPage(c, http.StatusNotFound, "Not found", "There is nothing at this address.")
			return
		}
		_ = w.errorPage(c, he.Code, "Not allowed", "This address does not take that request.")
	}
}

// wantsHTML: a browser's navigation lists text/html in Accept.
func wantsHTML(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), "text/html") }

func machinePath(p string) bool {
	for _, prefix := range []string{"/api/", "/oauth/", "/.well-known/", "/nodeinfo/", "/users/", "/inbox", "/actor", "/media/", "/system/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// fail renders a domain error as a page.
func (w *UI) fail(c echo.Context, err error) error {
	he := herr.As(err)
	if he.Status >= 500 {
		return err
	}
	title := "Something went wrong"
	switch he.Status {
	case http.StatusNotFound:
		title = "Not found"
	case http.StatusForbidden:
		title = "Not allowed"
	}
	return w.errorPage(c, he.Status, title, he.Msg)
}

// flash messages survive one redirect in a short cookie.
const flashCookie = "herald_flash"

func (w *UI) setFlash(c echo.Context, msg string) {
	c.SetCookie(w.cookie(flashCookie, url.QueryEscape(msg), time.Minute))
}

func (w *UI) flash(c echo.Context) string {
	ck, err := c.Cookie(w.cookieName(flashCookie))
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(w.cookie(flashCookie, "", -time.Hour))
	v, _ := url.QueryUnescape(ck.Value)
	if len(v) > 300 {
		v = v[:300]
	}
	return v
}

// done redirects after a successful action, with a message.
func (w *UI) done(c echo.Context, to, msg string) error {
	if msg != "" {
		w.setFlash(c, msg)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// safeReturn keeps redirects after sign-in on this site.
func safeReturn(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	if u, err := url.Parse(s); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return s
}
