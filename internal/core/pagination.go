package core

import (
	"strconv"
	"strings"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// PageParams are the page parameters as a client sent them (max_id,
// since_id, min_id, limit), unparsed; "" is absent.
type PageParams struct {
	MaxID, SinceID, MinID, Limit string
}

// ParsePage is the one reading of Mastodon's page parameters, for every
// surface. A cursor is an id the server gave out (Link headers, entity
// ids): a positive integer, or 0 for none. Anything else is refused with
// 400: reading a malformed or negative cursor as "no cursor" would answer
// the newest page again, and a client following it would loop. (Mastodon
// compares it as given and answers an empty page.) The limit must be an
// integer; it is brought within [1, maxLimit], def when absent.
func ParsePage(p PageParams, def, maxLimit int) (model.Page, error) {
	out := model.Page{Limit: def}
	for _, c := range []struct {
		name string
		raw  string
		dst  *int64
	}{{"max_id", p.MaxID, &out.MaxID}, {"since_id", p.SinceID, &out.SinceID}, {"min_id", p.MinID, &out.MinID}} {
		s := strings.TrimSpace(c.raw)
		if s == "" {
			continue
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return model.Page{}, herr.BadRequest("%s must be an id (a positive integer)", c.name)
		}
		*c.dst = v
	}
	if s := strings.TrimSpace(p.Limit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return model.Page{}, herr.BadRequest("limit must be an integer")
		}
		out.Limit = n
	}
	out.Limit = min(max(out.Limit, 1), maxLimit)
	return out, nil
}
