package webui

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// profile is /@username: the ActivityPub actor for AP clients, an HTML
// page for people.
func (w *UI) profile(c echo.Context) error {
	username := c.Param("username")
	if w.Fed != nil && w.Fed.WantsActivityJSON(c.Request()) {
		return w.Fed.ServeActor(c, username)
	}
	acc, err := w.svc.LocalAccount(c.Request().Context(), username)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This account does not exist.")
	}
	c.Response().Header().Set("Vary", "Accept")
	return w.render(c, http.StatusOK, "profile", page{"Title": acc.Username, "Account": acc,
		"Domain": w.svc.Cfg.Instance.Domain, "Note": template.HTML(acc.Note)})
}

// statusPage is /@username/:id.
func (w *UI) statusPage(c echo.Context) error {
	if w.Fed != nil && w.Fed.WantsActivityJSON(c.Request()) {
		return w.Fed.ServeStatus(c, c.Param("username"), c.Param("id"))
	}
	return w.errorPage(c, http.StatusNotFound, "Not found", "This page does not exist yet.")
}
