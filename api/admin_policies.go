package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

var parseConfigDuration = config.ParseDuration

// listPage renders a page of admin records with their Link header.
func listPage[T any, E any](c echo.Context, pg model.Page, list []T, id func(T) int64, render func(T) E) error {
	out := make([]E, 0, len(list))
	for _, v := range list {
		out = append(out, render(v))
	}
	if len(list) > 0 {
		setPageLink(c, pg, id(list[0]), id(list[len(list)-1]))
	}
	return c.JSON(http.StatusOK, out)
}

func optString(p *Params, k string) *string {
	if !p.Has(k) {
		return nil
	}
	v := p.String(k)
	return &v
}

func optBool(p *Params, k string) (*bool, error) {
	v, ok, err := p.Bool(k)
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}

// --- domain blocks ---

func domainBlockParams(p *Params) (core.DomainBlockParams, error) {
	bp := core.DomainBlockParams{Domain: p.String("domain"), Severity: optString(p, "severity"),
		PrivateComment: optString(p, "private_comment"), PublicComment: optString(p, "public_comment")}
	var err error
	if bp.RejectMedia, err = optBool(p, "reject_media"); err != nil {
		return bp, err
	}
	if bp.RejectReports, err = optBool(p, "reject_reports"); err != nil {
		return bp, err
	}
	if bp.Obfuscate, err = optBool(p, "obfuscate"); err != nil {
		return bp, err
	}
	return bp, nil
}

func (a *API) adminDomainBlocks(c echo.Context) error {
	return listRecords(c, 100, 200, a.svc.DomainBlocks, func(b *model.DomainBlock) int64 { return b.ID }, adminDomainBlock)
}

func (a *API) adminDomainBlock(c echo.Context) error {
	return showByID(c, a.svc.DomainBlock, adminDomainBlock)
}

func (a *API) adminCreateDomainBlock(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	bp, err := domainBlockParams(p)
	if err != nil {
		return err
	}
	b, err := a.svc.CreateDomainBlock(c.Request().Context(), caller(c), bp)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(http.StatusOK, adminDomainBlock(b))
}

func (a *API) adminUpdateDomainBlock(c echo.Context) error {
	return updateByID(c, domainBlockParams, a.svc.UpdateDomainBlock, adminDomainBlock)
}

func (a *API) adminDeleteDomainBlock(c echo.Context) error {
	return actOnID(c, a.svc.DeleteDomainBlock)
}

// --- domain allows ---

func (a *API) adminDomainAllows(c echo.Context) error {
	return listRecords(c, 100, 200, a.svc.DomainAllows, func(d *model.DomainAllow) int64 { return d.ID }, adminDomainAllow)
}

func (a *API) adminDomainAllow(c echo.Context) error {
	return showByID(c, a.svc.DomainAllow, adminDomainAllow)
}

func (a *API) adminCreateDomainAllow(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	d, err := a.svc.CreateDomainAllow(c.Request().Context(), caller(c), p.String("domain"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminDomainAllow(d))
}

func (a *API) adminDeleteDomainAllow(c echo.Context) error {
	return actOnID(c, a.svc.DeleteDomainAllow)
}

// --- IP blocks ---

func ipBlockParams(p *Params) (core.IPBlockParams, error) {
	bp := core.IPBlockParams{IP: optString(p, "ip"), Severity: optString(p, "severity"), Comment: optString(p, "comment")}
	if p.Has("expires_in") {
		d, err := parseDuration(p.String("expires_in"))
		if err != nil {
			return bp, err
		}
		bp.ExpiresIn = &d
	}
	return bp, nil
}

func (a *API) adminIPBlocks(c echo.Context) error {
	return listRecords(c, 100, 200, a.svc.IPBlocks, func(b *model.IPBlock) int64 { return b.ID }, adminIPBlock)
}

func (a *API) adminIPBlock(c echo.Context) error {
	return showByID(c, a.svc.IPBlock, adminIPBlock)
}

func (a *API) adminCreateIPBlock(c echo.Context) error {
	return createRecord(c, ipBlockParams, a.svc.CreateIPBlock, adminIPBlock)
}

func (a *API) adminUpdateIPBlock(c echo.Context) error {
	return updateByID(c, ipBlockParams, a.svc.UpdateIPBlock, adminIPBlock)
}

func (a *API) adminDeleteIPBlock(c echo.Context) error {
	return actOnID(c, a.svc.DeleteIPBlock)
}

// --- e-mail domain blocks ---

func (a *API) adminEmailDomainBlocks(c echo.Context) error {
	return listRecords(c, 100, 200, a.svc.EmailDomainBlocks, func(b *model.EmailDomainBlock) int64 { return b.ID }, adminEmailDomainBlock)
}

func (a *API) adminEmailDomainBlock(c echo.Context) error {
	return showByID(c, a.svc.EmailDomainBlock, adminEmailDomainBlock)
}

func (a *API) adminCreateEmailDomainBlock(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	b, err := a.svc.CreateEmailDomainBlock(c.Request().Context(), caller(c), p.String("domain"), p.BoolOr("allow_with_approval", false))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminEmailDomainBlock(b))
}

func (a *API) adminDeleteEmailDomainBlock(c echo.Context) error {
	return actOnID(c, a.svc.DeleteEmailDomainBlock)
}

// --- canonical e-mail blocks ---

func (a *API) adminCanonicalBlocks(c echo.Context) error {
	return listRecords(c, 100, 200, a.svc.CanonicalEmailBlocks, func(b *model.CanonicalEmailBlock) int64 { return b.ID }, adminCanonicalBlock)
}

func (a *API) adminCanonicalBlock(c echo.Context) error {
	return showByID(c, a.svc.CanonicalEmailBlock, adminCanonicalBlock)
}

func (a *API) adminCreateCanonicalBlock(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	b, err := a.svc.CreateCanonicalEmailBlock(c.Request().Context(), caller(c), p.String("email"), p.String("canonical_email_hash"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminCanonicalBlock(b))
}

func (a *API) adminTestCanonicalBlock(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	list, err := a.svc.TestCanonicalEmail(c.Request().Context(), caller(c), p.String("email"))
	if err != nil {
		return err
	}
	out := make([]AdminCanonicalEmailBlock, 0, len(list))
	for _, b := range list {
		out = append(out, adminCanonicalBlock(b))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) adminDeleteCanonicalBlock(c echo.Context) error {
	return actOnID(c, a.svc.DeleteCanonicalEmailBlock)
}
