package api

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/herr"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// pathID reads an id path parameter; a malformed one is a 404, as Mastodon.
func pathID(c echo.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, herr.NotFound(name)
	}
	return v, nil
}

// idString renders an id as Mastodon does: a decimal string.
func idString(v int64) string { return strconv.FormatInt(v, 10) }
