// Package webui serves Herald's HTML: the sign-in and OAuth consent pages,
// the out-of-band code page, and the public pages. Templates and assets are
// embedded in the binary; nothing is loaded from outside the instance.
package webui

import (
	"bytes"
	"embed"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Federation is what the web UI asks of the ActivityPub engine, so that
// profile and status URLs answer ActivityPub clients with JSON.
type Federation interface {
	WantsActivityJSON(r *http.Request) bool
	ServeActor(c echo.Context, username string) error
	ServeStatus(c echo.Context, username, statusID string) error
}

// UI is the web interface.
type UI struct {
	svc   *core.Service
	pages map[string]*template.Template
	// Fed is set by the server when federation is mounted.
	Fed Federation

	avatarPNG, headerPNG []byte
}

// New parses the templates.
func New(svc *core.Service) (*UI, error) {
	w := &UI{svc: svc, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		w.pages[base] = t
	}
	w.avatarPNG = solidPNG(120, 120, color.RGBA{0xad, 0xb5, 0xbd, 0xff})
	w.headerPNG = solidPNG(600, 200, color.RGBA{0xe9, 0xec, 0xef, 0xff})
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

// Register mounts the web UI's routes.
func (w *UI) Register(e *echo.Echo) {
	get := func(path string, h echo.HandlerFunc) {
		e.GET(path, h)
		e.HEAD(path, h)
	}
	get("/", w.home)
	get("/about", w.home)
	get("/auth/sign_in", w.signInPage)
	e.POST("/auth/sign_in", w.signInSubmit)
	get("/auth/sign_out", w.signOutPage)
	e.POST("/auth/sign_out", w.signOutPage)
	for _, p := range []string{"/oauth/authorize", "/oauth/authorize/"} {
		get(p, w.authorizePage)
		e.POST(p, w.authorizeSubmit)
	}
	get("/oauth/authorize/native", w.codePage)
	get("/avatars/original/missing.png", w.pngHandler(func() []byte { return w.avatarPNG }))
	get("/headers/original/missing.png", w.pngHandler(func() []byte { return w.headerPNG }))
	static, _ := fs.Sub(staticFS, "static")
	sh := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	get("/static/*", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		sh.ServeHTTP(c.Response(), c.Request())
		return nil
	})
	get("/@:username", w.profile)
	get("/@:username/:id", w.statusPage)
}

func (w *UI) pngHandler(b func() []byte) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		return c.Blob(http.StatusOK, "image/png", b())
	}
}

// page is the data every template gets.
type page map[string]any

func (w *UI) render(c echo.Context, status int, name string, data page) error {
	t, ok := w.pages[name]
	if !ok {
		return echo.NewHTTPError(http.StatusInternalServerError, "missing template "+name)
	}
	if data == nil {
		data = page{}
	}
	data["Instance"] = w.svc.Cfg.Instance.Title
	if _, ok := data["Title"]; !ok {
		data["Title"] = ""
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self' *; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

func (w *UI) errorPage(c echo.Context, status int, title, msg string) error {
	return w.render(c, status, "error", page{"Title": title, "Message": msg})
}

func (w *UI) home(c echo.Context) error {
	data := page{"Description": w.svc.Cfg.Instance.ShortDescription}
	if u := w.currentUser(c); u != nil {
		if a, err := w.svc.Store.AccountByID(c.Request().Context(), u.AccountID); err == nil {
			data["User"] = a.Username
		}
	}
	return w.render(c, http.StatusOK, "home", data)
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
