package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

func (a *API) registerStatuses(e *echo.Echo) {
	const read, write = "read:statuses", "write:statuses"
	a.handle(e, http.MethodPost, "/api/v1/statuses", a.postStatus, user(write))
	a.handle(e, http.MethodGet, "/api/v1/statuses", a.getStatuses, publicRead(read))
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id", a.getStatus, publicRead(read))
	a.handle(e, http.MethodPut, "/api/v1/statuses/:id", a.editStatus, user(write))
	a.handle(e, http.MethodDelete, "/api/v1/statuses/:id", a.deleteStatus, user(write))
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id/context", a.statusContext, publicRead(read))
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id/source", a.statusSource, user(read)) // users only, as Mastodon
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id/history", a.statusHistory, publicRead(read))
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id/favourited_by", a.favouritedBy, publicRead("read:accounts"))
	a.handle(e, http.MethodGet, "/api/v1/statuses/:id/reblogged_by", a.rebloggedBy, publicRead("read:accounts"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/favourite", a.statusAction(a.svc.Favourite), user("write:favourites"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/unfavourite", a.statusAction(a.svc.Unfavourite), user("write:favourites"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/reblog", a.reblog, user(write))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/unreblog", a.statusAction(a.svc.Unreblog), user(write))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/bookmark", a.statusAction(a.svc.Bookmark), user("write:bookmarks"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/unbookmark", a.statusAction(a.svc.Unbookmark), user("write:bookmarks"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/pin", a.statusAction(a.svc.Pin), user("write:accounts"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/unpin", a.statusAction(a.svc.Unpin), user("write:accounts"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/mute", a.statusAction(a.svc.MuteConversation), user("write:mutes"))
	a.handle(e, http.MethodPost, "/api/v1/statuses/:id/unmute", a.statusAction(a.svc.UnmuteConversation), user("write:mutes"))
}

// renderOne renders a single status for the caller; 404 if hidden.
func (a *API) renderOne(c echo.Context, st *model.Status) (Status, error) {
	v, err := a.svc.View(c.Request().Context(), caller(c).AccountID(), []*model.Status{st}, core.ViewOptions{})
	if err != nil {
		return Status{}, err
	}
	out := a.statuses(v)
	if len(out) == 0 {
		return Status{}, herr.NotFound("status")
	}
	return out[0], nil
}

func (a *API) respondStatus(c echo.Context, st *model.Status) error {
	out, err := a.renderOne(c, st)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) postStatus(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	inReply, err := p.ID("in_reply_to_id")
	if err != nil {
		return err
	}
	// Mastodon 4.5's quoted_status_id, or quote_id as Fedibird, Pleroma
	// and the clients written for them (Mastodon.py's) send it.
	quoted, err := p.ID("quoted_status_id")
	if err != nil {
		return err
	}
	if quoted == 0 {
		if quoted, err = p.ID("quote_id"); err != nil {
			return err
		}
	}
	pp := core.PostParams{
		QuoteID:        quoted,
		Text:           p.String("status"),
		SpoilerText:    p.String("spoiler_text"),
		Visibility:     p.String("visibility"),
		InReplyToID:    inReply,
		Language:       p.String("language"),
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key"),
		MediaIDs:       p.Strings("media_ids"),
	}
	if v, ok, err := p.Bool("sensitive"); err != nil {
		return err
	} else if ok {
		pp.Sensitive = &v
	}
	if pp.InteractionPolicy, err = statusPolicyChoice(p); err != nil {
		return err
	}
	if p.Has("allowed_mentions") {
		pp.CheckMentions = true
		for _, v := range p.Strings("allowed_mentions") {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return herr.Unprocessable("Validation failed: allowed_mentions must be account ids")
			}
			pp.AllowedMentions = append(pp.AllowedMentions, id)
		}
	}
	if pp.Poll, err = pollParams(p); err != nil {
		return err
	}
	if at, ok, err := scheduledAt(p); err != nil {
		return err
	} else if ok {
		v, err := a.svc.ScheduleStatus(c.Request().Context(), caller(c), pp, at)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a.scheduledStatus(v))
	}
	st, err := a.svc.PostStatus(c.Request().Context(), caller(c), pp)
	var unexpected *core.UnexpectedMentionsError
	if errors.As(err, &unexpected) {
		accs := make([]Account, 0, len(unexpected.Accounts))
		for _, acc := range unexpected.Accounts {
			accs = append(accs, a.account(acc))
		}
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": unexpected.Error(), "unexpected_accounts": accs})
	}
	if err != nil {
		return err
	}
	setObject(c, "statuses", st.ID)
	return a.respondStatus(c, st)
}

func (a *API) getStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := a.svc.Status(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return a.respondStatus(c, st)
}

func (a *API) getStatuses(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	var ids []int64
	for _, s := range p.Strings("id") {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v > 0 {
			ids = append(ids, v)
		}
		if len(ids) >= 40 {
			break
		}
	}
	v, err := a.svc.Statuses(c.Request().Context(), caller(c), ids)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.statuses(v))
}

func (a *API) deleteStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	deleteMedia, _, err := p.Bool("delete_media")
	if err != nil {
		return err
	}
	st, v, err := a.svc.DeleteForRedraft(c.Request().Context(), caller(c), id, deleteMedia)
	if err != nil {
		return err
	}
	// Rendered before it went: its attachments and poll, for a redraft.
	out, ok := a.status(v, st)
	if !ok {
		return herr.NotFound("status")
	}
	out.Text = &st.Text
	return c.JSON(http.StatusOK, out)
}

func (a *API) editStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	ep := core.EditParams{Text: p.String("status"), MediaIDs: p.Strings("media_ids")}
	for _, o := range p.Objects("media_attributes") {
		ma := core.MediaAttributeParams{ID: o["id"]}
		if v, ok := o["description"]; ok {
			ma.Description = &v
		}
		if v, ok := o["focus"]; ok {
			ma.Focus = &v
		}
		ep.MediaAttributes = append(ep.MediaAttributes, ma)
	}
	if ep.Poll, err = pollParams(p); err != nil {
		return err
	}
	if p.Has("spoiler_text") {
		s := p.String("spoiler_text")
		ep.SpoilerText = &s
	}
	if p.Has("language") {
		s := p.String("language")
		ep.Language = &s
	}
	if v, ok, err := p.Bool("sensitive"); err != nil {
		return err
	} else if ok {
		ep.Sensitive = &v
	}
	if ep.InteractionPolicy, err = statusPolicyChoice(p); err != nil {
		return err
	}
	st, err := a.svc.EditStatus(c.Request().Context(), caller(c), id, ep)
	if err != nil {
		return err
	}
	return a.respondStatus(c, st)
}

// statusAction adapts a core action on a status to a handler.
func (a *API) statusAction(fn func(ctx contextT, c *core.Caller, id int64) (*model.Status, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		st, err := fn(c.Request().Context(), caller(c), id)
		if err != nil {
			return err
		}
		return a.respondStatus(c, st)
	}
}

func (a *API) reblog(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	st, err := a.svc.Reblog(c.Request().Context(), caller(c), id, p.String("visibility"))
	if err != nil {
		return err
	}
	return a.respondStatus(c, st)
}

// ContextEntity is Mastodon's Context.
type ContextEntity struct {
	Ancestors   []Status `json:"ancestors"`
	Descendants []Status `json:"descendants"`
}

func (a *API) statusContext(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sc, err := a.svc.Context(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ContextEntity{
		Ancestors:   a.statusList(sc.View, sc.Ancestors),
		Descendants: a.statusList(sc.View, sc.Descendants),
	})
}

func (a *API) statusSource(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st, err := a.svc.StatusSource(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"id": idString(st.ID), "text": st.Text, "spoiler_text": st.SpoilerText})
}

// StatusEdit is Mastodon's StatusEdit.
type StatusEdit struct {
	Content          string        `json:"content"`
	SpoilerText      string        `json:"spoiler_text"`
	Sensitive        bool          `json:"sensitive"`
	CreatedAt        string        `json:"created_at"`
	Account          Account       `json:"account"`
	Poll             any           `json:"poll"`
	MediaAttachments []any         `json:"media_attachments"`
	Emojis           []CustomEmoji `json:"emojis"`
}

func (a *API) statusHistory(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	h, err := a.svc.History(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	author, err := a.svc.Account(c.Request().Context(), h.Status.AccountID)
	if err != nil {
		return err
	}
	acc := a.account(author)
	out := make([]StatusEdit, 0, len(h.Versions))
	for _, v := range h.Versions {
		e := StatusEdit{Content: v.Content, SpoilerText: v.SpoilerText, Sensitive: v.Sensitive,
			CreatedAt: fmtTime(v.CreatedAt), Account: acc, MediaAttachments: []any{}, Emojis: []CustomEmoji{}}
		// Each version's attachments with the alt text and focus they had
		// then (those an edit removed are kept for this; one of a version
		// from before that was kept, its row gone, is left out).
		for _, em := range v.Media {
			m := h.Attachments[em.ID]
			if m == nil {
				continue
			}
			then := *m
			then.Description, then.FocusX, then.FocusY = em.Description, em.FocusX, em.FocusY
			e.MediaAttachments = append(e.MediaAttachments, a.mediaAttachment(&then))
		}
		if v.Poll != nil {
			opts := make([]map[string]string, 0, len(v.Poll.Options))
			for _, o := range v.Poll.Options {
				opts = append(opts, map[string]string{"title": o})
			}
			e.Poll = map[string]any{"options": opts}
		}
		out = append(out, e)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) favouritedBy(c echo.Context) error {
	return a.statusAccounts(c, a.svc.FavouritedBy)
}

func (a *API) rebloggedBy(c echo.Context) error {
	return a.statusAccounts(c, a.svc.RebloggedBy)
}

func (a *API) statusAccounts(c echo.Context, fn func(ctx contextT, c *core.Caller, id int64, p model.Page) ([]int64, []int64, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	ids, cursors, err := fn(c.Request().Context(), caller(c), id, pg)
	if err != nil {
		return err
	}
	accs, err := a.accounts(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	var newest, oldest int64
	if len(cursors) > 0 {
		newest, oldest = cursors[0], cursors[len(cursors)-1]
	}
	setPageLink(c, pg, newest, oldest)
	return c.JSON(http.StatusOK, accs)
}
