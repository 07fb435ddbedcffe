package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/storage"
)

// Conversation is Mastodon's Conversation entity.
type Conversation struct {
	ID         string    `json:"id"`
	Unread     bool      `json:"unread"`
	Accounts   []Account `json:"accounts"`
	LastStatus *Status   `json:"last_status"`
}

func (a *API) conversation(p *core.ConversationPage, cv storage.Conversation) Conversation {
	out := Conversation{ID: idString(cv.ID), Unread: cv.Unread, Accounts: []Account{}}
	for _, acc := range p.Participants(cv) {
		out.Accounts = append(out.Accounts, a.account(acc))
	}
	if st := p.LastStatus(cv); st != nil {
		if s, ok := a.status(p.View, st); ok {
			out.LastStatus = &s
		}
	}
	return out
}

func (a *API) registerConversations(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/conversations", a.listConversations, user("read:statuses"))
	a.handle(e, http.MethodDelete, "/api/v1/conversations/:id", a.deleteConversation, user("write:conversations"))
	a.handle(e, http.MethodPost, "/api/v1/conversations/:id/read", a.readConversation, user("write:conversations"))
	a.handle(e, http.MethodPost, "/api/v1/conversations/:id/unread", a.unreadConversation, user("write:conversations"))
}

func (a *API) listConversations(c echo.Context) error {
	pg, err := page(c, 20, 40)
	if err != nil {
		return err
	}
	p, err := a.svc.Conversations(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	setPageLink(c, pg, p.Newest, p.Oldest)
	out := make([]Conversation, 0, len(p.Conversations))
	for _, cv := range p.Conversations {
		out = append(out, a.conversation(p, cv))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) deleteConversation(c echo.Context) error {
	return actOnID(c, a.svc.RemoveConversation)
}

func (a *API) readConversation(c echo.Context) error {
	return a.markConversation(c, a.svc.ReadConversation)
}

func (a *API) unreadConversation(c echo.Context) error {
	return a.markConversation(c, a.svc.UnreadConversation)
}

func (a *API) markConversation(c echo.Context, mark func(context.Context, *core.Caller, int64) (*core.ConversationPage, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := mark(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	if len(p.Conversations) == 0 {
		return c.JSON(http.StatusOK, Conversation{ID: idString(id), Accounts: []Account{}})
	}
	return c.JSON(http.StatusOK, a.conversation(p, p.Conversations[0]))
}
