package webui

import (
	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// SessionCaller returns the caller signed in by the request's session
// cookie, or nil: the media proxy (in the client API) serves the
// attachments of non-public statuses to the browsers of users who may see
// them.
func (w *UI) SessionCaller(c echo.Context) *core.Caller { return w.caller(c) }
