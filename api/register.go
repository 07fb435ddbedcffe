package api

import "github.com/labstack/echo/v4"

// Register mounts every client API route on e.
func (a *API) Register(e *echo.Echo) {
	// The requests carry the function that makes their absolute URL, not
	// the API: an interface holding *API would reach *core.Service and make
	// the linker keep all its promoted method wrappers (see
	// internal/server/federation.go).
	absolute := a.absolute
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { c.Set(apiKey, absolute); return next(c) }
	})
	a.registerOAuth(e)
	a.registerInstance(e)
	a.registerAccounts(e)
	a.registerMigration(e)
	a.registerLists(e)
	a.registerFilters(e)
	a.registerMisc(e)
	a.registerStatuses(e)
	a.registerPolls(e)
	a.registerInteractions(e)
	a.registerQuotes(e)
	a.registerTimelines(e)
	a.registerNotifications(e)
	a.registerRegistration(e)
	a.registerStreaming(e)
	a.registerPush(e)
	a.registerConversations(e)
	a.registerMedia(e)
	a.registerAdminWebhooks(e)
	a.registerAdminSSO(e)
	a.registerDelegations(e)
}
