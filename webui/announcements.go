package webui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/model"
)

// announcementItem is an announcement as the home page shows it.
type announcementItem struct {
	ID      int64
	Content safeHTML
	At      *model.Announcement
}

func announcementItems(as []*model.Announcement) []announcementItem {
	out := make([]announcementItem, 0, len(as))
	for _, a := range as {
		out = append(out, announcementItem{ID: a.ID, Content: safeHTML(a.Content), At: a}) // HTML rendered by core
	}
	return out
}

// announcementDismiss marks an announcement read for the account acted as.
func (w *UI) announcementDismiss(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such announcement.")
	}
	if err := w.svc.DismissAnnouncement(c.Request().Context(), w.actor(c), id); err != nil {
		return w.fail(c, err)
	}
	return w.done(c, "/home", "")
}
