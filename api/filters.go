package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// registerFilters mounts the v2 filters (with keywords and statuses) and
// the deprecated v1 filters, which are the v2 filters' keywords.
func (a *API) registerFilters(e *echo.Echo) {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	r, w := user("read:filters"), user("write:filters")
	a.handle(e, get, "/api/v2/filters", a.getFilters, r)
	a.handle(e, post, "/api/v2/filters", a.createFilter, w)
	a.handle(e, get, "/api/v2/filters/:id", a.getFilter, r)
	a.handle(e, put, "/api/v2/filters/:id", a.updateFilter, w)
	a.handle(e, del, "/api/v2/filters/:id", a.deleteFilter, w)
	a.handle(e, get, "/api/v2/filters/:id/keywords", a.getFilterKeywords, r)
	a.handle(e, post, "/api/v2/filters/:id/keywords", a.addFilterKeyword, w)
	a.handle(e, get, "/api/v2/filters/keywords/:id", a.getFilterKeyword, r)
	a.handle(e, put, "/api/v2/filters/keywords/:id", a.updateFilterKeyword, w)
	a.handle(e, del, "/api/v2/filters/keywords/:id", a.deleteFilterKeyword, w)
	a.handle(e, get, "/api/v2/filters/:id/statuses", a.getFilterStatuses, r)
	a.handle(e, post, "/api/v2/filters/:id/statuses", a.addFilterStatus, w)
	a.handle(e, get, "/api/v2/filters/statuses/:id", a.getFilterStatus, r)
	a.handle(e, del, "/api/v2/filters/statuses/:id", a.deleteFilterStatus, w)

	a.handle(e, get, "/api/v1/filters", a.getV1Filters, r)
	a.handle(e, post, "/api/v1/filters", a.createV1Filter, w)
	a.handle(e, get, "/api/v1/filters/:id", a.getV1Filter, r)
	a.handle(e, put, "/api/v1/filters/:id", a.updateV1Filter, w)
	a.handle(e, del, "/api/v1/filters/:id", a.deleteV1Filter, w)
}

// filterParams reads a v2 filter's parameters; keywords_attributes come as
// keywords_attributes[i][keyword|whole_word|id|_destroy] or a JSON array.
func filterParams(p *Params) (core.FilterParams, error) {
	var fp core.FilterParams
	if p.Has("title") {
		t := p.String("title")
		fp.Title = &t
	}
	if p.Has("context") || p.Has("context[]") {
		fp.Context = p.Strings("context")
		if fp.Context == nil {
			fp.Context = []string{}
		}
	}
	if p.Has("filter_action") {
		act := p.String("filter_action")
		fp.Action = &act
	}
	var err error
	if fp.SetExpiry, fp.ExpiresIn, err = expiresIn(p, "expires_in"); err != nil {
		return fp, err
	}
	for _, o := range p.Objects("keywords_attributes") {
		k := core.KeywordParam{Keyword: o["keyword"]}
		if s := strings.TrimSpace(o["id"]); s != "" {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fp, herr.NotFound("keyword")
			}
			k.ID = v
		}
		if s, ok := o["whole_word"]; ok {
			b, valid := parseBool(s)
			if !valid {
				return fp, herr.Unprocessable("Validation failed: whole_word must be a boolean")
			}
			k.WholeWord = &b
		}
		if s, ok := o["_destroy"]; ok {
			k.Destroy, _ = parseBool(s)
		}
		fp.Keywords = append(fp.Keywords, k)
	}
	return fp, nil
}

func (a *API) getFilters(c echo.Context) error {
	fs, err := a.svc.Filters(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := make([]Filter, 0, len(fs))
	for _, f := range fs {
		out = append(out, filterEntity(f))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) createFilter(c echo.Context) error {
	return createRecord(c, filterParams, a.svc.CreateFilter, filterEntity)
}

func (a *API) getFilter(c echo.Context) error {
	return showByID(c, a.svc.Filter, filterEntity)
}

func (a *API) updateFilter(c echo.Context) error {
	return updateByID(c, filterParams, a.svc.UpdateFilter, filterEntity)
}

func (a *API) deleteFilter(c echo.Context) error {
	return actOnID(c, a.svc.DeleteFilter)
}

func (a *API) getFilterKeywords(c echo.Context) error {
	return showByID(c, a.svc.Filter, func(f *model.Filter) []FilterKeyword { return filterEntity(f).Keywords })
}

func (a *API) addFilterKeyword(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	k, err := a.svc.AddFilterKeyword(c.Request().Context(), caller(c), id, p.String("keyword"), p.BoolOr("whole_word", true))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, filterKeyword(k))
}

func (a *API) getFilterKeyword(c echo.Context) error {
	return showByID(c, a.svc.FilterKeyword, filterKeyword)
}

func (a *API) updateFilterKeyword(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	var kw *string
	if p.Has("keyword") {
		v := p.String("keyword")
		kw = &v
	}
	var ww *bool
	if v, ok, err := p.Bool("whole_word"); err != nil {
		return err
	} else if ok {
		ww = &v
	}
	k, err := a.svc.UpdateFilterKeyword(c.Request().Context(), caller(c), id, kw, ww)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, filterKeyword(k))
}

func (a *API) deleteFilterKeyword(c echo.Context) error {
	return actOnID(c, a.svc.DeleteFilterKeyword)
}

func (a *API) getFilterStatuses(c echo.Context) error {
	return showByID(c, a.svc.Filter, func(f *model.Filter) []FilterStatus { return filterEntity(f).Statuses })
}

func (a *API) addFilterStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	sid, err := p.ID("status_id")
	if err != nil {
		return err
	}
	if sid == 0 {
		return herr.Unprocessable("Validation failed: Status can't be blank")
	}
	fs, err := a.svc.AddFilterStatus(c.Request().Context(), caller(c), id, sid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, filterStatus(fs))
}

func (a *API) getFilterStatus(c echo.Context) error {
	return showByID(c, a.svc.FilterStatus, filterStatus)
}

func (a *API) deleteFilterStatus(c echo.Context) error {
	return actOnID(c, a.svc.DeleteFilterStatus)
}

// --- v1 ---

// The v1 filters are Mastodon's deprecated view of the v2 filters: each
// keyword is a v1 filter (its id is the keyword's), "irreversible" is the
// action hide, and a v1 filter made by POST is a v2 filter titled after its
// phrase. Core keeps only the v2 filters; this translates, as Mastodon's
// Api::V1::FiltersController does.

// v1FilterParams is POST/PUT /api/v1/filters.
type v1FilterParams struct {
	Phrase       string
	Context      []string
	Irreversible *bool
	WholeWord    *bool
	SetExpiry    bool
	ExpiresIn    int64
}

func readV1FilterParams(c echo.Context) (v1FilterParams, error) {
	var vp v1FilterParams
	p, err := params(c)
	if err != nil {
		return vp, err
	}
	vp.Phrase = p.String("phrase")
	if p.Has("context") || p.Has("context[]") {
		vp.Context = p.Strings("context")
		if vp.Context == nil {
			vp.Context = []string{}
		}
	}
	if v, ok, err := p.Bool("irreversible"); err != nil {
		return vp, err
	} else if ok {
		vp.Irreversible = &v
	}
	if v, ok, err := p.Bool("whole_word"); err != nil {
		return vp, err
	} else if ok {
		vp.WholeWord = &v
	}
	vp.SetExpiry, vp.ExpiresIn, err = expiresIn(p, "expires_in")
	return vp, err
}

// v1Action is the v2 action of a v1 filter's irreversible flag.
func v1Action(irreversible bool) string {
	if irreversible {
		return "hide"
	}
	return "warn"
}

// v1FilterByID loads a v1 filter: a keyword of the caller's and its filter.
func (a *API) v1FilterByID(c echo.Context, keywordID int64) (*model.Filter, *model.FilterKeyword, error) {
	ctx, cl := c.Request().Context(), caller(c)
	k, err := a.svc.FilterKeyword(ctx, cl, keywordID)
	if err != nil {
		return nil, nil, err
	}
	f, err := a.svc.Filter(ctx, cl, k.FilterID)
	if err != nil {
		return nil, nil, err
	}
	return f, k, nil
}

func (a *API) getV1Filters(c echo.Context) error {
	fs, err := a.svc.Filters(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	out := []V1Filter{}
	for _, f := range fs {
		for i := range f.Keywords {
			out = append(out, v1Filter(f, &f.Keywords[i]))
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getV1Filter(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	f, k, err := a.v1FilterByID(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v1Filter(f, k))
}

func (a *API) createV1Filter(c echo.Context) error {
	vp, err := readV1FilterParams(c)
	if err != nil {
		return err
	}
	if strings.TrimSpace(vp.Phrase) == "" {
		return herr.Unprocessable("Validation failed: Phrase can't be blank")
	}
	action := v1Action(vp.Irreversible != nil && *vp.Irreversible)
	f, err := a.svc.CreateFilter(c.Request().Context(), caller(c), core.FilterParams{
		Title: &vp.Phrase, Context: vp.Context, Action: &action, SetExpiry: vp.SetExpiry, ExpiresIn: vp.ExpiresIn,
		Keywords: []core.KeywordParam{{Keyword: vp.Phrase, WholeWord: vp.WholeWord}},
	})
	if err != nil {
		return err
	}
	if len(f.Keywords) == 0 {
		return herr.Unprocessable("Validation failed: Keyword can't be blank")
	}
	return c.JSON(http.StatusOK, v1Filter(f, &f.Keywords[0]))
}

// updateV1Filter changes a v1 filter: its keyword, and its filter's
// settings when that filter has no other keyword.
func (a *API) updateV1Filter(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	vp, err := readV1FilterParams(c)
	if err != nil {
		return err
	}
	cur, _, err := a.v1FilterByID(c, id)
	if err != nil {
		return err
	}
	fp := core.FilterParams{SetExpiry: vp.SetExpiry, ExpiresIn: vp.ExpiresIn}
	changed := vp.SetExpiry
	if vp.Context != nil {
		fp.Context, changed = vp.Context, true
	}
	if vp.Irreversible != nil {
		act := v1Action(*vp.Irreversible)
		fp.Action, changed = &act, act != cur.Action || changed
	}
	fp.Keywords = []core.KeywordParam{{ID: id, Keyword: vp.Phrase, WholeWord: vp.WholeWord}}
	if vp.Phrase != "" && len(cur.Keywords) == 1 {
		fp.Title = &vp.Phrase
	}
	if changed && len(cur.Keywords) > 1 {
		return herr.Unprocessable("Validation failed: this filter has several keywords and cannot be changed through the v1 API")
	}
	f, err := a.svc.UpdateFilter(c.Request().Context(), caller(c), cur.ID, fp)
	if err != nil {
		return err
	}
	for i := range f.Keywords {
		if f.Keywords[i].ID == id {
			return c.JSON(http.StatusOK, v1Filter(f, &f.Keywords[i]))
		}
	}
	return herr.NotFound("filter")
}

func (a *API) deleteV1Filter(c echo.Context) error {
	return actOnID(c, a.svc.DeleteFilterKeywordAndEmptyFilter)
}
