package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// registerHiding mounts what a user keeps to shape what they see and show:
// domain blocks, endorsements, followed and featured tags (the rules are
// core's, hiding.go).
func (a *API) registerHiding(e *echo.Echo) {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	a.handle(e, get, "/api/v1/domain_blocks", a.domainBlocks, user("read:blocks"))
	a.handle(e, post, "/api/v1/domain_blocks", a.domainBlockAction(a.svc.BlockDomainForUser), user("write:blocks"))
	a.handle(e, del, "/api/v1/domain_blocks", a.domainBlockAction(a.svc.UnblockDomainForUser), user("write:blocks"))
	a.handle(e, get, "/api/v1/endorsements", a.ownEndorsements, user("read:accounts"))
	a.handle(e, get, "/api/v1/featured_tags", a.ownFeaturedTags, user("read:accounts"))
	a.handle(e, post, "/api/v1/featured_tags", a.createFeaturedTag, user("write:accounts"))
	a.handle(e, del, "/api/v1/featured_tags/:id", a.deleteFeaturedTag, user("write:accounts"))
	a.handle(e, get, "/api/v1/featured_tags/suggestions", a.featuredTagSuggestions, user("read:accounts"))
	a.handle(e, get, "/api/v1/followed_tags", a.followedTags, user("read:follows"))
}

// FeaturedTag is Mastodon's FeaturedTag entity.
type FeaturedTag struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	URL           string  `json:"url"`
	StatusesCount int64   `json:"statuses_count"`
	LastStatusAt  *string `json:"last_status_at"`
}

// FilterResult is Mastodon's FilterResult entity (Status.filtered).
type FilterResult struct {
	Filter         Filter   `json:"filter"`
	KeywordMatches []string `json:"keyword_matches"`
	StatusMatches  []string `json:"status_matches"`
}

func filterResult(r core.FilterResult) FilterResult {
	out := FilterResult{Filter: filterEntity(r.Filter), KeywordMatches: r.KeywordMatches}
	for _, id := range r.StatusMatches {
		out.StatusMatches = append(out.StatusMatches, idString(id))
	}
	return out
}

func (a *API) featuredTag(f *storage.FeaturedTag) FeaturedTag {
	out := FeaturedTag{ID: idString(f.ID), Name: f.Tag.Name, URL: a.svc.TagURL(f.Tag.Name), StatusesCount: f.StatusesCount}
	if f.LastStatusAt != nil {
		// Mastodon gives the day of the last use.
		d := f.LastStatusAt.UTC().Format("2006-01-02")
		out.LastStatusAt = &d
	}
	return out
}

func (a *API) tagState(t *core.TagState) Tag {
	out := a.tag(t.Tag)
	out.Following, out.Featuring = t.Following, t.Featuring
	return out
}

func (a *API) tagAction(fn func(ctx context.Context, c *core.Caller, name string) (*core.TagState, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		t, err := fn(c.Request().Context(), caller(c), c.Param("name"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a.tagState(t))
	}
}

func (a *API) domainBlocks(c echo.Context) error {
	pg, err := page(c, 100, 200)
	if err != nil {
		return err
	}
	links, err := a.svc.UserDomainBlocks(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, l.Domain)
	}
	if len(links) > 0 {
		setLink(c, links[0].ID, links[len(links)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) domainBlockAction(fn func(ctx context.Context, c *core.Caller, domain string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := params(c)
		if err != nil {
			return err
		}
		if err := fn(c.Request().Context(), caller(c), p.String("domain")); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{})
	}
}

func (a *API) ownEndorsements(c echo.Context) error {
	return a.accountPage(c, func(ctx context.Context, p model.Page) (*core.AccountPage, error) {
		return a.svc.OwnEndorsements(ctx, caller(c), p)
	})
}

func (a *API) accountEndorsements(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return a.accountPage(c, func(ctx context.Context, p model.Page) (*core.AccountPage, error) {
		return a.svc.Endorsements(ctx, id, p)
	})
}

func (a *API) featuredTagList(c echo.Context, accountID int64) error {
	fts, err := a.svc.FeaturedTags(c.Request().Context(), accountID)
	if err != nil {
		return err
	}
	out := make([]FeaturedTag, 0, len(fts))
	for i := range fts {
		out = append(out, a.featuredTag(&fts[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) ownFeaturedTags(c echo.Context) error {
	return a.featuredTagList(c, caller(c).AccountID())
}

func (a *API) accountFeaturedTags(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return a.featuredTagList(c, id)
}

func (a *API) createFeaturedTag(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	ft, err := a.svc.FeatureTag(c.Request().Context(), caller(c), p.String("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.featuredTag(ft))
}

func (a *API) deleteFeaturedTag(c echo.Context) error {
	return actOnID(c, a.svc.UnfeatureTag)
}

func (a *API) featuredTagSuggestions(c echo.Context) error {
	tags, err := a.svc.TagSuggestions(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	states, err := a.svc.TagStates(c.Request().Context(), caller(c), tags)
	if err != nil {
		return err
	}
	out := make([]Tag, 0, len(states))
	for i := range states {
		out = append(out, a.tagState(&states[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) followedTags(c echo.Context) error {
	pg, err := page(c, 100, 200)
	if err != nil {
		return err
	}
	links, err := a.svc.FollowedTags(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	out := make([]Tag, 0, len(links))
	for _, l := range links {
		t := a.tag(l.Tag)
		t.Following = true
		out = append(out, t)
	}
	if len(links) > 0 {
		setLink(c, links[0].ID, links[len(links)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}
