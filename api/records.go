package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// showByID loads the record named by the :id path parameter and renders it.
func showByID[T, E any](c echo.Context, get func(context.Context, *core.Caller, int64) (T, error), render func(T) E) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := get(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, render(v))
}

// updateByID parses the request parameters, applies them to the record named
// by the :id path parameter and renders the result.
func updateByID[P, T, E any](c echo.Context, parse func(*Params) (P, error), update func(context.Context, *core.Caller, int64, P) (T, error), render func(T) E) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	up, err := parse(p)
	if err != nil {
		return err
	}
	v, err := update(c.Request().Context(), caller(c), id, up)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, render(v))
}

// actOnID runs op (typically a delete) on the record named by the :id path
// parameter and answers with an empty JSON object.
func actOnID(c echo.Context, op func(context.Context, *core.Caller, int64) error) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := op(c.Request().Context(), caller(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}

// listRecords answers a page (default and largest size given) of records
// listed by list, with Mastodon's Link header.
func listRecords[T, E any](c echo.Context, def, most int, list func(context.Context, *core.Caller, model.Page) ([]T, error), id func(T) int64, render func(T) E) error {
	pg, err := page(c, def, most)
	if err != nil {
		return err
	}
	v, err := list(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	return listPage(c, pg, v, id, render)
}

// createRecord parses the request parameters, creates a record from them
// and renders it.
func createRecord[P, T, E any](c echo.Context, parse func(*Params) (P, error), create func(context.Context, *core.Caller, P) (T, error), render func(T) E) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	cp, err := parse(p)
	if err != nil {
		return err
	}
	v, err := create(c.Request().Context(), caller(c), cp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, render(v))
}
