package webui

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The console's custom emoji page: the list (local and remote, searched,
// by category), upload, batch actions and copying from a remote post.

// EmojiRow is one emoji as the console lists it.
type EmojiRow struct {
	*model.CustomEmoji
	URL string
}

const emojiPageSize = 50

func (w *UI) emojiRows(list []*model.CustomEmoji) []EmojiRow {
	rows := make([]EmojiRow, len(list))
	for i, e := range list {
		u, static := w.svc.EmojiURLs(e)
		if e.Disabled {
			u = static
		}
		rows[i] = EmojiRow{CustomEmoji: e, URL: u}
	}
	return rows
}

func (w *UI) adminEmoji(c echo.Context) error { return w.adminEmojiPage(c, nil) }

func (w *UI) adminEmojiPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	q := c.QueryParams()
	f := storage.EmojiFilter{Origin: q.Get("origin"), Domain: q.Get("domain"), Query: q.Get("q"), Category: q.Get("category"),
		Limit: emojiPageSize + 1}
	if f.Origin != "remote" {
		f.Origin = "local"
	}
	if after := q.Get("after"); after != "" {
		f.AfterDomain, f.AfterShortcode, _ = strings.Cut(after, "|")
		f.After = true
	}
	list, err := w.svc.FindEmojis(ctx, cl, f)
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	if len(list) > emojiPageSize {
		list = list[:emojiPageSize]
		last := list[len(list)-1]
		next := url.Values{}
		for k, v := range q {
			if k != "after" {
				next[k] = v
			}
		}
		next.Set("after", last.Domain+"|"+last.Shortcode)
		d["Next"] = "/admin/emoji?" + next.Encode()
	}
	cats, err := w.svc.EmojiCategories(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	d["Emoji"], d["Categories"], d["Filter"] = w.emojiRows(list), cats, f
	if ref := strings.TrimSpace(q.Get("post")); ref != "" {
		d["PostRef"] = ref
		st, found, err := w.svc.PostEmojis(ctx, cl, ref)
		if err != nil {
			he := herr.As(err)
			if he.Status >= 500 || he.Status == http.StatusForbidden {
				return w.fail(c, err)
			}
			d["PostError"] = he.Msg
		} else {
			d["Post"], d["PostEmoji"] = st, w.emojiRows(found)
		}
	}
	return w.admin(c, "emoji", "Custom emoji", d)
}

// adminEmojiCreate uploads a local emoji.
func (w *UI) adminEmojiCreate(c echo.Context) error {
	p := core.EmojiParams{Shortcode: ptr(strings.Trim(strings.TrimSpace(c.FormValue("shortcode")), ":")),
		Category: ptr(c.FormValue("category")), VisibleInPicker: ptr(c.FormValue("visible_in_picker") != "")}
	fh, err := c.FormFile("image")
	if err == nil {
		if fh.Size > core.MaxEmojiBytes {
			return w.formFailed(c, herr.Unprocessable("The image is too large (at most 256 KB)."), w.adminEmojiPage)
		}
		f, err := fh.Open()
		if err != nil {
			return w.fail(c, herr.Internal(err))
		}
		p.Image, err = io.ReadAll(io.LimitReader(f, core.MaxEmojiBytes+1))
		f.Close()
		if err != nil {
			return w.fail(c, herr.Internal(err))
		}
	}
	if _, err := w.svc.CreateEmoji(c.Request().Context(), w.caller(c), p); err != nil {
		return w.formFailed(c, err, w.adminEmojiPage)
	}
	return w.done(c, "/admin/emoji", "Emoji :"+*p.Shortcode+": added.")
}

// adminEmojiBatch applies the pressed button's action to the ticked emoji.
func (w *UI) adminEmojiBatch(c echo.Context) error {
	action := c.FormValue("action")
	n, err := w.svc.EmojiBatch(c.Request().Context(), w.caller(c), action, formIDs(c, "ids"), c.FormValue("category"))
	if err != nil {
		return w.formFailed(c, err, w.adminEmojiPage)
	}
	back := "/admin/emoji"
	if r := c.FormValue("return"); strings.HasPrefix(r, "/admin/emoji") && !strings.HasPrefix(r, "//") {
		back = r
	}
	words := map[string]string{"copy": "copied to this server", "delete": "deleted", "enable": "enabled", "disable": "disabled",
		"list": "shown in the picker", "unlist": "hidden from the picker", "category": "moved to the category"}
	msg := fmt.Sprintf("%d emoji %s.", n, words[action])
	return w.done(c, back, msg)
}
