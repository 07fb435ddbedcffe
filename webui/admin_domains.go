package webui

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
)

// The console's domain blocks: editing one, and CSV export and import in
// Mastodon's format (upload, preview, choose, apply).

func (w *UI) adminDomainBlock(c echo.Context) error { return w.adminDomainBlockPage(c, nil) }

func (w *UI) adminDomainBlockPage(c echo.Context, d page) error {
	b, err := w.svc.DomainBlock(c.Request().Context(), w.caller(c), idParam(c))
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	d["Block"] = b
	return w.admin(c, "domain_block", "Block of "+b.Domain, d)
}

func (w *UI) adminDomainBlockUpdate(c echo.Context) error {
	id := idParam(c)
	_, err := w.svc.UpdateDomainBlock(c.Request().Context(), w.caller(c), id, core.DomainBlockParams{
		Severity: ptr(c.FormValue("severity")), RejectMedia: ptr(c.FormValue("reject_media") != ""),
		RejectReports: ptr(c.FormValue("reject_reports") != ""), PublicComment: ptr(c.FormValue("public_comment")),
		PrivateComment: ptr(c.FormValue("private_comment")), Obfuscate: ptr(c.FormValue("obfuscate") != "")})
	if err != nil {
		return w.formFailed(c, err, w.adminDomainBlockPage)
	}
	return w.done(c, "/admin/federation", "Block saved.")
}

// adminDomainBlocksExport downloads the blocks as Mastodon's CSV.
func (w *UI) adminDomainBlocksExport(c echo.Context) error {
	data, err := w.svc.ExportDomainBlocks(c.Request().Context(), w.caller(c))
	if err != nil {
		return w.fail(c, err)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="domain_blocks.csv"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", data)
}

// maxImportBytes bounds an uploaded CSV file (2,000 blocks with comments
// fit well within it).
const maxImportBytes = 512 << 10

// adminDomainBlocksImport previews an uploaded file ("file") or, with
// "apply", blocks the chosen domains of the file sent back ("csv").
func (w *UI) adminDomainBlocksImport(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	if c.FormValue("apply") != "" {
		form, _ := c.FormParams()
		n, skipped, err := w.svc.ImportDomainBlocks(ctx, cl, []byte(c.FormValue("csv")), c.FormValue("source"), form["domains"])
		if err != nil {
			he := herr.As(err)
			if he.Status >= 500 || he.Status == http.StatusForbidden {
				return w.fail(c, err)
			}
			return w.importPreview(c, []byte(c.FormValue("csv")), c.FormValue("source"), he.Msg)
		}
		msg := itoaPlural(n, "domain blocked", "domains blocked") + "."
		if len(skipped) > 0 {
			msg += " Already blocked meanwhile, left as they were: " + strings.Join(skipped, ", ") + "."
		}
		return w.done(c, "/admin/federation", msg)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return w.formFailed(c, herr.Unprocessable("Choose a CSV file of domain blocks"), w.adminFederationPage)
	}
	if fh.Size > maxImportBytes {
		return w.formFailed(c, herr.Unprocessable("The file is too large (at most 512 KB)"), w.adminFederationPage)
	}
	f, err := fh.Open()
	if err != nil {
		return w.fail(c, herr.Internal(err))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImportBytes))
	f.Close()
	if err != nil {
		return w.fail(c, herr.Internal(err))
	}
	return w.importPreview(c, data, fh.Filename, "")
}

func (w *UI) importPreview(c echo.Context, data []byte, source, formErr string) error {
	prev, err := w.svc.PreviewDomainBlockImport(c.Request().Context(), w.caller(c), data)
	if err != nil {
		return w.formFailed(c, err, w.adminFederationPage)
	}
	d := page{"Import": prev, "CSV": string(data), "Source": source}
	if formErr != "" {
		d["ImportError"], d["FormStatus"] = formErr, http.StatusUnprocessableEntity
	}
	return w.admin(c, "domain_import", "Import domain blocks", d)
}

func itoaPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
