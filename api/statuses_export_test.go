package api

import "github.com/labstack/echo/v4"

// RegisterStatusAreaForTest mounts the statuses, timelines and
// notifications routes unless the central registration already did.
func (a *API) RegisterStatusAreaForTest(e *echo.Echo) {
	for _, r := range a.routes {
		if r.Path == "/api/v1/statuses" {
			return
		}
	}
	a.registerStatuses(e)
	a.registerTimelines(e)
	a.registerNotifications(e)
}
