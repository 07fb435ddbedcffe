package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

// Annual reports (Mastodon's /api/v1/annual_reports) and collections
// (Mastodon 4.6's /api/v1/collections).

func (a *API) registerReportsAndCollections(e *echo.Echo) {
	get, post, patch, del := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	a.handle(e, get, "/api/v1/annual_reports", a.annualReports, user("read:accounts"))
	a.handle(e, get, "/api/v1/annual_reports/:year", a.annualReports, user("read:accounts"))
	a.handle(e, get, "/api/v1/annual_reports/:year/state", a.annualReportState, user("read:accounts"))
	a.handle(e, post, "/api/v1/annual_reports/:year/read", a.annualReportRead, user("write:accounts"))
	a.handle(e, post, "/api/v1/annual_reports/:year/generate", a.annualReportGenerate, user("write:accounts"))

	a.handle(e, post, "/api/v1/collections", a.createCollection, user("write:collections"))
	a.handle(e, get, "/api/v1/collections/:id", a.getCollection, publicRead("read:collections"))
	a.handle(e, patch, "/api/v1/collections/:id", a.updateCollection, user("write:collections"))
	a.handle(e, del, "/api/v1/collections/:id", a.deleteCollection, user("write:collections"))
	a.handle(e, get, "/api/v1/accounts/:id/collections", a.accountCollections, publicRead("read:collections"))
	a.handle(e, get, "/api/v1/accounts/:id/in_collections", a.inCollections, user("read:collections"))
	a.handle(e, post, "/api/v1/collections/:id/items", a.addCollectionItem, user("write:collections"))
	a.handle(e, del, "/api/v1/collections/:id/items/:item_id", a.removeCollectionItem, user("write:collections"))
	a.handle(e, post, "/api/v1/collections/:id/items/:item_id/revoke", a.revokeCollectionItem, user("write:collections"))
}

// AnnualReportEntity is Mastodon's AnnualReport.
type AnnualReportEntity struct {
	Year          int             `json:"year"`
	Data          json.RawMessage `json:"data"`
	SchemaVersion int             `json:"schema_version"`
	ShareURL      *string         `json:"share_url"`
	AccountID     string          `json:"account_id"`
}

// WrappedAnnualReports is Mastodon's WrappedAnnualReports.
type WrappedAnnualReports struct {
	AnnualReports []AnnualReportEntity `json:"annual_reports"`
	Accounts      []Account            `json:"accounts"`
	Statuses      []Status             `json:"statuses"`
}

func pathYear(c echo.Context) (int, error) {
	y, err := strconv.Atoi(c.Param("year"))
	if err != nil || y < 2000 || y > 9999 {
		return 0, herr.NotFound("annual report")
	}
	return y, nil
}

func (a *API) annualReports(c echo.Context) error {
	year := 0
	if c.Param("year") != "" {
		var err error
		if year, err = pathYear(c); err != nil {
			return err
		}
	}
	r, err := a.svc.AnnualReportsOf(c.Request().Context(), caller(c), year)
	if err != nil {
		return err
	}
	out := WrappedAnnualReports{AnnualReports: []AnnualReportEntity{}, Accounts: []Account{}, Statuses: a.statuses(r.Statuses)}
	for _, rep := range r.Reports {
		e := AnnualReportEntity{Year: rep.Year, Data: rep.Data, SchemaVersion: rep.SchemaVersion, AccountID: idString(rep.AccountID)}
		if rep.ShareKey != "" {
			u := a.svc.AnnualReportShareURL(caller(c).Account.Username, rep.Year, rep.ShareKey)
			e.ShareURL = &u
		}
		out.AnnualReports = append(out.AnnualReports, e)
	}
	for _, acc := range r.Accounts {
		out.Accounts = append(out.Accounts, a.account(acc))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) annualReportState(c echo.Context) error {
	year, err := pathYear(c)
	if err != nil {
		return err
	}
	st, err := a.svc.AnnualReportState(c.Request().Context(), caller(c), year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"state": st})
}

func (a *API) annualReportRead(c echo.Context) error {
	year, err := pathYear(c)
	if err != nil {
		return err
	}
	if err := a.svc.MarkAnnualReportRead(c.Request().Context(), caller(c), year); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) annualReportGenerate(c echo.Context) error {
	year, err := pathYear(c)
	if err != nil {
		return err
	}
	// Generated at once (a few indexed counts): 200 whether it is now
	// available or the caller is ineligible, as Mastodon's.
	if _, err := a.svc.GenerateAnnualReport(c.Request().Context(), caller(c), year); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// CollectionEntity is Mastodon's Collection.
type CollectionEntity struct {
	ID           string                 `json:"id"`
	AccountID    string                 `json:"account_id"`
	URI          string                 `json:"uri"`
	URL          string                 `json:"url"`
	Name         string                 `json:"name"`
	Description  string                 `json:"description"`
	Language     *string                `json:"language"`
	Local        bool                   `json:"local"`
	Sensitive    bool                   `json:"sensitive"`
	Discoverable bool                   `json:"discoverable"`
	Tag          *CollectionTag         `json:"tag"`
	ItemCount    int                    `json:"item_count"`
	Items        []CollectionItemEntity `json:"items"`
	CreatedAt    string                 `json:"created_at"`
	UpdatedAt    string                 `json:"updated_at"`
}

type CollectionTag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// CollectionItemEntity is Mastodon's CollectionItem.
type CollectionItemEntity struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
}

func collectionItem(it *storage.CollectionItem) CollectionItemEntity {
	return CollectionItemEntity{ID: idString(it.ID), AccountID: idString(it.AccountID), State: it.State, CreatedAt: fmtTime(it.CreatedAt)}
}

func (a *API) collection(v *core.CollectionView) CollectionEntity {
	col := v.Collection
	u := a.svc.CollectionURL(col.AccountID, col.ID)
	uri := u
	if owner := v.Accounts[col.AccountID]; owner != nil {
		uri = a.svc.CollectionURI(owner.Username, col.ID) // its ActivityPub id
	}
	out := CollectionEntity{ID: idString(col.ID), AccountID: idString(col.AccountID), URI: uri, URL: u, Name: col.Name,
		Description: col.Description, Language: strPtr(col.Language), Local: true, Sensitive: col.Sensitive,
		Discoverable: col.Discoverable, ItemCount: col.ItemCount, Items: []CollectionItemEntity{},
		CreatedAt: fmtTime(col.CreatedAt), UpdatedAt: fmtTime(col.UpdatedAt)}
	if col.TagName != "" {
		out.Tag = &CollectionTag{Name: col.TagName, URL: a.svc.TagURL(col.TagName)}
	}
	for _, it := range v.Items {
		out.Items = append(out.Items, collectionItem(it))
	}
	return out
}

func collectionParams(c echo.Context) (core.CollectionParams, error) {
	p, err := params(c)
	if err != nil {
		return core.CollectionParams{}, err
	}
	var cp core.CollectionParams
	for key, dst := range map[string]**string{"name": &cp.Name, "description": &cp.Description, "language": &cp.Language, "tag_name": &cp.TagName} {
		if p.Has(key) {
			v := p.String(key)
			*dst = &v
		}
	}
	for key, dst := range map[string]**bool{"sensitive": &cp.Sensitive, "discoverable": &cp.Discoverable} {
		v, ok, err := p.Bool(key)
		if err != nil {
			return cp, err
		}
		if ok {
			*dst = &v
		}
	}
	for _, s := range p.Strings("account_ids") {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return cp, herr.Unprocessable("Account not found")
		}
		cp.AccountIDs = append(cp.AccountIDs, id)
	}
	return cp, nil
}

func (a *API) createCollection(c echo.Context) error {
	cp, err := collectionParams(c)
	if err != nil {
		return err
	}
	v, err := a.svc.CreateCollection(c.Request().Context(), caller(c), cp)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"collection": a.collection(v)})
}

func (a *API) getCollection(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := a.svc.Collection(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	accounts := make([]Account, 0, len(v.Accounts))
	accounts = append(accounts, a.account(v.Accounts[v.Collection.AccountID]))
	for _, it := range v.Items {
		if acc := v.Accounts[it.AccountID]; acc != nil && acc.ID != v.Collection.AccountID {
			accounts = append(accounts, a.account(acc))
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"collection": a.collection(v), "accounts": accounts})
}

func (a *API) updateCollection(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	cp, err := collectionParams(c)
	if err != nil {
		return err
	}
	v, err := a.svc.UpdateCollection(c.Request().Context(), caller(c), id, cp)
	if err != nil {
		return a.fail(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"collection": a.collection(v)})
}

func (a *API) deleteCollection(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteCollection(c.Request().Context(), caller(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) collectionList(c echo.Context, load func(id int64, offset, limit int) ([]*core.CollectionView, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	offset, limit, err := trendPage(c, 40, 80)
	if err != nil {
		return err
	}
	vs, err := load(id, offset, limit)
	if err != nil {
		return err
	}
	out := make([]CollectionEntity, 0, len(vs))
	for _, v := range vs {
		out = append(out, a.collection(v))
	}
	setOffsetLink(c, offset, limit, len(out))
	return c.JSON(http.StatusOK, map[string]any{"collections": out})
}

func (a *API) accountCollections(c echo.Context) error {
	return a.collectionList(c, func(id int64, offset, limit int) ([]*core.CollectionView, error) {
		return a.svc.AccountCollections(c.Request().Context(), caller(c), id, offset, limit)
	})
}

func (a *API) inCollections(c echo.Context) error {
	return a.collectionList(c, func(id int64, offset, limit int) ([]*core.CollectionView, error) {
		return a.svc.CollectionsFeaturing(c.Request().Context(), caller(c), id, offset, limit)
	})
}

func (a *API) addCollectionItem(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	var accountID int64
	if s := p.String("account_id"); s != "" {
		if accountID, err = strconv.ParseInt(s, 10, 64); err != nil || accountID <= 0 {
			return herr.Unprocessable("Account not found")
		}
	}
	it, err := a.svc.AddCollectionItem(c.Request().Context(), caller(c), id, accountID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"collection_item": collectionItem(it)})
}

func (a *API) removeCollectionItem(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	itemID, err := pathID(c, "item_id")
	if err != nil {
		return err
	}
	if err := a.svc.RemoveCollectionItem(c.Request().Context(), caller(c), id, itemID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

func (a *API) revokeCollectionItem(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	itemID, err := pathID(c, "item_id")
	if err != nil {
		return err
	}
	if err := a.svc.RevokeCollectionItem(c.Request().Context(), caller(c), id, itemID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}
