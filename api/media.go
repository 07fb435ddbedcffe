package api

import (
	"errors"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// registerMedia mounts uploads, custom emoji (public list and admin CRUD),
// profile image removal, and the media files themselves.
func (a *API) registerMedia(e *echo.Echo) {
	get, post, put, del, patch := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch
	a.handle(e, post, "/api/v1/media", a.uploadMedia(false), user("write:media"))
	a.handle(e, post, "/api/v2/media", a.uploadMedia(true), user("write:media"))
	a.handle(e, get, "/api/v1/media/:id", a.getMedia, user("write:media"))
	a.handle(e, put, "/api/v1/media/:id", a.updateMedia, user("write:media"))
	a.handle(e, del, "/api/v1/media/:id", a.deleteMedia, user("write:media"))
	a.handle(e, del, "/api/v1/profile/avatar", a.deleteProfileImage("avatar"), user("write:accounts"))
	a.handle(e, del, "/api/v1/profile/header", a.deleteProfileImage("header"), user("write:accounts"))

	a.handle(e, get, "/api/v1/custom_emojis", a.customEmojis, public())
	// Manage Custom Emojis, checked by core.
	adminRead, adminWrite := user("admin:read"), user("admin:write")
	a.handle(e, get, "/api/v1/admin/custom_emojis", a.adminEmojis, adminRead)
	a.handle(e, post, "/api/v1/admin/custom_emojis", a.adminCreateEmoji, adminWrite)
	a.handle(e, get, "/api/v1/admin/custom_emojis/:id", a.adminEmojiShow, adminRead)
	a.handle(e, patch, "/api/v1/admin/custom_emojis/:id", a.adminUpdateEmoji, adminWrite)
	a.handle(e, put, "/api/v1/admin/custom_emojis/:id", a.adminUpdateEmoji, adminWrite)
	a.handle(e, del, "/api/v1/admin/custom_emojis/:id", a.adminDeleteEmoji, adminWrite)
	a.handle(e, post, "/api/v1/admin/custom_emojis/:id/copy", a.adminCopyEmoji, adminWrite)

	// Files: not API calls (no token, no API rate limit), as Mastodon's.
	for _, m := range []string{get, http.MethodHead} {
		e.Add(m, strings.TrimSuffix(core.MediaPathPrefix, "/")+"/*", a.serveMediaFile)
		e.Add(m, core.MediaProxyPrefix+":kind/:id/:variant", a.serveMediaProxy)
	}
}

// formFile returns the uploaded file of a multipart field, or nil.
func formFile(c echo.Context, field string) (*multipart.FileHeader, error) {
	if _, err := params(c); err != nil {
		return nil, err
	}
	mf := c.Request().MultipartForm
	if mf == nil || len(mf.File[field]) == 0 {
		return nil, nil
	}
	return mf.File[field][0], nil
}

func mediaOptString(p *Params, key string) *string {
	if !p.Has(key) {
		return nil
	}
	v := p.String(key)
	return &v
}

func (a *API) uploadMedia(async bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := params(c)
		if err != nil {
			return err
		}
		fh, err := formFile(c, "file")
		if err != nil {
			return err
		}
		if fh == nil {
			return herr.Unprocessable("Validation failed: File can't be blank")
		}
		f, err := fh.Open()
		if err != nil {
			return herr.BadRequest("Could not read the file")
		}
		defer f.Close()
		m, err := a.svc.UploadMedia(c.Request().Context(), caller(c), core.UploadParams{
			File: f, Size: fh.Size, Description: mediaOptString(p, "description"), Focus: mediaOptString(p, "focus"), Async: async})
		if err != nil {
			return err
		}
		status := http.StatusOK
		if async && m.Processing == model.MediaProcessing {
			status = http.StatusAccepted
		}
		return c.JSON(status, a.mediaAttachment(m))
	}
}

func (a *API) getMedia(c echo.Context) error {
	mid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := a.svc.Media(c.Request().Context(), caller(c), mid)
	if err != nil {
		return err
	}
	if m.Processing == model.MediaProcessing {
		return c.JSON(http.StatusPartialContent, a.mediaAttachment(m))
	}
	return c.JSON(http.StatusOK, a.mediaAttachment(m))
}

func (a *API) updateMedia(c echo.Context) error {
	mid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	m, err := a.svc.UpdateMedia(c.Request().Context(), caller(c), mid, core.MediaUpdate{
		Description: mediaOptString(p, "description"), Focus: mediaOptString(p, "focus")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.mediaAttachment(m))
}

func (a *API) deleteMedia(c echo.Context) error {
	mid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteMedia(c.Request().Context(), caller(c), mid); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// readUpload reads an uploaded form file, at most max bytes.
func readUpload(fh *multipart.FileHeader, max int64) ([]byte, error) {
	if fh.Size > max {
		return nil, herr.Unprocessable("Validation failed: File file size is too large")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, herr.BadRequest("Could not read the file")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, herr.BadRequest("Could not read the file")
	}
	if int64(len(b)) > max {
		return nil, herr.Unprocessable("Validation failed: File file size is too large")
	}
	return b, nil
}

// updateProfileImages applies the avatar and header files of an
// update_credentials form (called by updateCredentials).
func (a *API) updateProfileImages(c echo.Context) error {
	for _, kind := range []string{"avatar", "header"} {
		fh, err := formFile(c, kind)
		if err != nil {
			return err
		}
		if fh == nil {
			continue
		}
		data, err := readUpload(fh, a.svc.Cfg.Media.MaxImageBytes)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			return herr.Unprocessable("Validation failed: %s can't be blank", kind)
		}
		if _, err := a.svc.SetProfileImage(c.Request().Context(), caller(c), kind, data); err != nil {
			return err
		}
	}
	return nil
}

func (a *API) deleteProfileImage(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		cl := caller(c)
		acc, err := a.svc.SetProfileImage(ctx, cl, kind, nil)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a.credentialAccount(ctx, acc, cl.User))
	}
}

func (a *API) customEmojis(c echo.Context) error {
	list, err := a.svc.CustomEmojis(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]CustomEmoji, 0, len(list))
	for _, e := range list {
		out = append(out, a.customEmoji(e))
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminEmojis(c echo.Context) error {
	// Mastodon has no admin API for custom emoji; this is Herald's. With
	// no filter, every local emoji; filters as the console's (remote,
	// by_domain, shortcode, category), 200 at most.
	q := c.QueryParams()
	var list []*model.CustomEmoji
	var err error
	if q.Has("remote") || q.Has("by_domain") || q.Has("shortcode") || q.Has("category") {
		f := storage.EmojiFilter{Origin: "local", Domain: q.Get("by_domain"), Query: q.Get("shortcode"), Category: q.Get("category"), Limit: 200}
		if v := q.Get("remote"); v == "true" || v == "1" {
			f.Origin = "remote"
		}
		list, err = a.svc.FindEmojis(c.Request().Context(), caller(c), f)
	} else {
		list, err = a.svc.AdminEmojis(c.Request().Context(), caller(c))
	}
	if err != nil {
		return err
	}
	out := make([]AdminCustomEmoji, 0, len(list))
	for _, e := range list {
		out = append(out, a.adminEmoji(e))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) emojiParams(c echo.Context) (core.EmojiParams, error) {
	var ep core.EmojiParams
	p, err := params(c)
	if err != nil {
		return ep, err
	}
	ep.Shortcode, ep.Category = mediaOptString(p, "shortcode"), mediaOptString(p, "category")
	for key, dst := range map[string]**bool{"visible_in_picker": &ep.VisibleInPicker, "disabled": &ep.Disabled} {
		v, ok, err := p.Bool(key)
		if err != nil {
			return ep, herr.Unprocessable("Validation failed: %s must be a boolean", key)
		}
		if ok {
			*dst = &v
		}
	}
	fh, err := formFile(c, "image")
	if err != nil {
		return ep, err
	}
	if fh != nil {
		if ep.Image, err = readUpload(fh, 256<<10); err != nil {
			return ep, err
		}
	}
	return ep, nil
}

func (a *API) adminCreateEmoji(c echo.Context) error {
	ep, err := a.emojiParams(c)
	if err != nil {
		return err
	}
	e, err := a.svc.CreateEmoji(c.Request().Context(), caller(c), ep)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminEmoji(e))
}

func (a *API) adminEmojiShow(c echo.Context) error {
	eid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, err := a.svc.Emoji(c.Request().Context(), caller(c), eid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminEmoji(e))
}

func (a *API) adminUpdateEmoji(c echo.Context) error {
	eid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ep, err := a.emojiParams(c)
	if err != nil {
		return err
	}
	e, err := a.svc.UpdateEmoji(c.Request().Context(), caller(c), eid, ep)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminEmoji(e))
}

func (a *API) adminDeleteEmoji(c echo.Context) error {
	eid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteEmoji(c.Request().Context(), caller(c), eid); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// mediaCSP forbids everything a file could try when opened as a document.
const mediaCSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// serveMediaFile serves a stored file: its type from the extension Herald
// gave it (never sniffed by the browser), cached for a year (a key is
// never rewritten), ranges for video.
func (a *API) serveMediaFile(c echo.Context) error {
	return a.serveKey(c, c.Param("*"), "public, max-age=31536000, immutable")
}

func (a *API) serveKey(c echo.Context, key string, cacheControl string) error {
	t, ok := media.TypeByExt(path.Ext(key))
	if !ok || !media.ValidKey(key) {
		return herr.NotFound("file")
	}
	h := c.Response().Header()
	// An object store that serves by redirect: the client reads the
	// object there (a presigned URL, or public_url), not through Herald.
	if to, ttl, ok, err := a.svc.FileRedirect(c.Request().Context(), key); err != nil {
		return herr.Internal(err)
	} else if ok {
		if ttl > 0 {
			// A presigned URL expires: the redirect is cached for less.
			scope, _, _ := strings.Cut(cacheControl, ",")
			cacheControl = scope + ", max-age=" + strconv.Itoa(int(ttl.Seconds()))
		}
		h.Set("Cache-Control", cacheControl)
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		return c.Redirect(http.StatusFound, to)
	}
	f, err := a.svc.Files().Open(c.Request().Context(), key)
	if errors.Is(err, fs.ErrNotExist) {
		return herr.NotFound("file")
	}
	if err != nil {
		return herr.Internal(err)
	}
	defer f.Close()
	if et, ok := f.(interface{ ETag() string }); ok && et.ETag() != "" {
		h.Set("ETag", et.ETag()) // ServeContent answers If-None-Match with it
	}
	h.Set("Content-Type", t.MIME)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", mediaCSP)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Cache-Control", cacheControl)
	if t.Kind != "image" {
		h.Set("Content-Disposition", "inline")
	}
	http.ServeContent(c.Response(), c.Request(), "", f.ModTime(), f)
	return nil
}

// serveMediaProxy serves remote media from the cache, fetching it first
// when it is not there (or was pruned). Attachments are served only to
// who may see their status, so for them the caller is identified: by a bearer
// token (an invalid one is refused, as on the API), else by the web UI's
// session (the browser of a signed-in user sends its cookie, not a
// token), else anonymous.
func (a *API) serveMediaProxy(c echo.Context) error {
	oid, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || oid <= 0 {
		return herr.NotFound("file")
	}
	// Only what depends on the viewer costs a look-up of who asks; avatars,
	// emoji and cards stay publicly cacheable.
	var cl *core.Caller
	if core.ProxyNeedsViewer(c.Param("kind")) {
		if token := bearer(c.Request()); token != "" {
			if cl, err = a.svc.CallerByToken(c.Request().Context(), token); err != nil {
				return err
			}
		} else if a.SessionCaller != nil {
			cl = a.SessionCaller(c)
		}
		c.Response().Header().Add("Vary", "Authorization, Cookie")
	}
	key, err := a.svc.ProxyFile(c.Request().Context(), cl, c.Param("kind"), oid, c.Param("variant"))
	if err != nil {
		return err
	}
	if cl != nil {
		// What a caller with credentials gets may be theirs alone (a
		// direct message's attachment): no shared cache may keep it.
		return a.serveKey(c, key, "private, max-age=86400")
	}
	return a.serveKey(c, key, "public, max-age=86400")
}

// adminCopyEmoji copies a remote emoji to this server (the console's
// "copy"); it answers the new local emoji.
func (a *API) adminCopyEmoji(c echo.Context) error {
	eid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, err := a.svc.CopyEmoji(c.Request().Context(), caller(c), eid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.adminEmoji(e))
}
