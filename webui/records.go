package webui

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
)

// Exports of an account's posts (core.ExportRecords decides who may export
// what): the console's "Export public record" of a local account, the
// user's own archive and outbox from the settings. The archive forms are
// POSTed with the CSRF token: an export is heavy work, which a link or an
// image on another site must not start.

// adminAccountExport downloads a local account's public record.
func (w *UI) adminAccountExport(c echo.Context) error {
	e, err := w.svc.ExportRecords(c.Request().Context(), w.caller(c), core.RecordsRequest{
		AccountID: idParam(c), From: c.FormValue("from"), To: c.FormValue("to")})
	if err != nil {
		return w.fail(c, err)
	}
	return w.sendRecords(c, e)
}

// settingsExportArchive downloads the caller's own archive.
func (w *UI) settingsExportArchive(c echo.Context) error {
	cl := w.caller(c)
	e, err := w.svc.ExportRecords(c.Request().Context(), cl, core.RecordsRequest{
		AccountID: cl.AccountID(), From: c.FormValue("from"), To: c.FormValue("to"),
		IncludePrivate: c.FormValue("include_private") != ""})
	if err != nil {
		return w.fail(c, err)
	}
	return w.sendRecords(c, e)
}

// sendOutbox downloads the caller's posts, every visibility, as an
// ActivityStreams outbox (JSON).
func (w *UI) sendOutbox(c echo.Context) error {
	cl := w.caller(c)
	e, err := w.svc.ExportRecords(c.Request().Context(), cl, core.RecordsRequest{AccountID: cl.AccountID(), IncludePrivate: true})
	if err != nil {
		return w.fail(c, err)
	}
	w.startDownload(c, "application/activity+json", "outbox.json")
	if err := w.Fed.WriteOutbox(c.Request().Context(), c.Response(), e); err != nil {
		w.abortDownload(c, err)
	}
	return nil
}

// sendRecords streams an export's ZIP archive.
func (w *UI) sendRecords(c echo.Context, e *core.RecordsExport) error {
	from := "start"
	if !e.From.IsZero() {
		from = e.From.Format("20060102")
	}
	w.startDownload(c, "application/zip", e.Account.Username+"-posts-"+from+"-"+e.To.Format("20060102")+".zip")
	if _, err := w.Fed.WriteRecords(c.Request().Context(), c.Response(), e); err != nil {
		w.abortDownload(c, err)
	}
	return nil
}

// startDownload sends the headers of a streamed download.
func (w *UI) startDownload(c echo.Context, ctype, filename string) {
	// An export of many posts and files outlasts the server's write
	// timeout, which is there for slow readers of small answers.
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Time{})
	h := c.Response().Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
}

// abortDownload ends a download that failed after its headers went out:
// the connection is cut, so that the browser reports a failed download
// instead of keeping a truncated file as whole.
func (w *UI) abortDownload(c echo.Context, err error) {
	if c.Request().Context().Err() == nil {
		w.svc.Log.Error("export failed", "path", c.Request().URL.Path, "err", err)
	}
	panic(http.ErrAbortHandler)
}
