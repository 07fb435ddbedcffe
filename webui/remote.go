package webui

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Remote interaction, both ways. A visitor from another server gives their
// address on a public profile or post ("Follow from your server"); the
// federation engine looks up their server's remote-interaction template
// and the browser goes there with this page's ActivityPub id. Users of
// other servers come the other way, to /authorize_interaction?uri=…,
// which WebFinger advertises: the account or post is resolved and shown
// with a Follow button or the post's actions. And the Follow / Unfollow
// buttons of the web client.

// remoteInteractionPage is the "Follow from your server" form on a page
// of its own (the dialog on profiles and posts posts to the same route).
func (w *UI) remoteInteractionPage(c echo.Context) error {
	uri := c.QueryParam("uri")
	if !w.publicAllowed(c) {
		return w.needSignIn(c)
	}
	if !w.localObject(uri) {
		return w.errorPage(c, http.StatusNotFound, "Not found", "There is nothing on this server at that address.")
	}
	return w.render(c, http.StatusOK, "remote_interaction", page{"Title": "Follow from your server", "URI": uri})
}

// remoteInteractionSubmit sends the browser to the visitor's server.
func (w *UI) remoteInteractionSubmit(c echo.Context) error {
	uri, acct := c.FormValue("uri"), strings.TrimSpace(c.FormValue("acct"))
	// Closed instances show no public pages, so nothing to follow from
	// outside (and strangers cause no look-ups elsewhere).
	if !w.publicAllowed(c) {
		return w.errorPage(c, http.StatusForbidden, "Not allowed", "This server's pages are for its members.")
	}
	now := time.Now()
	if r := w.limits.remote.AllowIP(c.RealIP(), now); !r.Allowed {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(r.Reset.Sub(now).Seconds()))))
		return w.render(c, http.StatusTooManyRequests, "remote_interaction", page{"Title": "Follow from your server", "URI": uri, "Acct": acct,
			"Error": "Too many attempts from your address. Please wait a few minutes."})
	}
	if !w.localObject(uri) {
		return w.errorPage(c, http.StatusNotFound, "Not found", "There is nothing on this server at that address.")
	}
	if w.Fed == nil {
		return w.errorPage(c, http.StatusNotFound, "Not available", "This server does not federate.")
	}
	tmpl, err := w.Fed.SubscribeTemplate(c.Request().Context(), acct)
	if err != nil {
		msg, status := "Could not reach your server. Try again later.", http.StatusUnprocessableEntity
		var he *herr.Error
		if errors.As(err, &he) {
			msg = he.Msg
		}
		return w.render(c, status, "remote_interaction", page{"Title": "Follow from your server", "URI": uri, "Acct": acct, "Error": msg})
	}
	return c.Redirect(http.StatusSeeOther, strings.ReplaceAll(tmpl, "{uri}", url.QueryEscape(uri)))
}

// localObject: an ActivityPub id (or page) of this server, the only thing
// the remote-interaction form sends other servers to look at.
func (w *UI) localObject(uri string) bool {
	return len(uri) < 2000 && strings.HasPrefix(uri, w.svc.Base()+"/") && !strings.ContainsAny(uri, " \t\r\n<>\"")
}

// authorizeInteraction is where other servers (and this one) send a user
// to interact with an account or post by its id: the account with Follow,
// or the post with its actions.
func (w *UI) authorizeInteraction(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	q := strings.TrimSpace(c.QueryParam("uri"))
	if q == "" {
		q = strings.TrimSpace(c.QueryParam("acct"))
	}
	d := page{"Title": "Interact", "Query": q, "Back": c.Request().URL.RequestURI(), "ReturnTo": c.Request().URL.RequestURI()}
	notFound := func() error {
		d["Error"] = "Nothing was found at this address, or it is not visible to you."
		return w.render(c, http.StatusNotFound, "authorize_interaction", d)
	}
	if q == "" || len(q) > 2000 {
		return notFound()
	}
	var acc *model.Account
	var st *model.Status
	if strings.HasPrefix(q, "https://") || strings.HasPrefix(q, "http://") {
		acc, st = w.resolveURL(ctx, cl, q)
	} else if a, err := w.svc.LookupAcct(ctx, strings.TrimPrefix(q, "acct:"), true); err == nil {
		acc = a
	}
	switch {
	case acc != nil:
		d["Title"] = "Follow " + displayName(acc)
		d["Account"] = acc
		d["Note"] = safeHTML(acc.Note) // sanitised by core on the way in
		if acc.ID != cl.Account.ID {
			if rel, err := w.svc.Relationship(ctx, cl.Account.ID, acc.ID); err == nil {
				d["Rel"] = rel
			}
		}
	case st != nil:
		v, err := w.svc.View(ctx, cl.Account.ID, []*model.Status{st}, core.ViewOptions{})
		if err != nil {
			return w.fail(c, err)
		}
		items := w.items(v, cl)
		if len(items) == 0 {
			return notFound()
		}
		d["Title"] = "Interact with a post"
		d["Item"] = items[0]
	default:
		return notFound()
	}
	return w.render(c, http.StatusOK, "authorize_interaction", d)
}

// accountAction is follow and unfollow, for the account acted as.
func (w *UI) accountAction(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such account.")
	}
	back := safeReturn(c.FormValue("return_to"))
	if back == "/" {
		back = "/home"
	}
	msg := ""
	switch c.Param("op") {
	case "follow":
		var rel *model.Relationship
		if rel, err = w.svc.Follow(ctx, cl, id, core.FollowOptions{}); err == nil {
			if rel.Requested {
				msg = "Follow request sent: the account reviews its followers."
			} else {
				msg = "Following."
			}
		}
	case "unfollow":
		_, err = w.svc.Unfollow(ctx, cl, id)
		msg = "Unfollowed."
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.fail(c, err)
	}
	w.recordActing(c, cl, "accounts", id)
	return w.done(c, back, msg)
}

// resolveURL finds the account or post a URL names: known ones first,
// then fetched through the federation engine (core's rules).
func (w *UI) resolveURL(ctx context.Context, cl *core.Caller, u string) (*model.Account, *model.Status) {
	if a, err := w.svc.AccountByURL(ctx, u, false); err == nil {
		return a, nil
	}
	if s, err := w.svc.StatusByURL(ctx, cl, u, false); err == nil {
		return nil, s
	}
	if a, err := w.svc.AccountByURL(ctx, u, true); err == nil {
		return a, nil
	}
	if s, err := w.svc.StatusByURL(ctx, cl, u, true); err == nil {
		return nil, s
	}
	return nil, nil
}

// asHerr is the client-safe error inside err, if any.
func asHerr(err error) *herr.Error {
	var he *herr.Error
	if errors.As(err, &he) {
		return he
	}
	return nil
}
