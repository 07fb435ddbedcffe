package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// registerAccounts mounts the account routes: profiles, the social graph
// (follow, block, mute, notes), follow requests, blocks and mutes lists.
// Static segments (verify_credentials, lookup, search, relationships,
// familiar_followers) win over /api/v1/accounts/:id in echo's router.
func (a *API) registerAccounts(e *echo.Echo) {
	get, post := http.MethodGet, http.MethodPost
	a.handle(e, get, "/api/v1/accounts/verify_credentials", a.verifyCredentials, user("profile"))
	a.handle(e, http.MethodPatch, "/api/v1/accounts/update_credentials", a.updateCredentials, user("write:accounts"))
	a.handle(e, get, "/api/v1/accounts", a.getAccounts, publicRead("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/lookup", a.lookupAccount, publicRead("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/search", a.searchAccounts, user("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/relationships", a.relationships, user("read:follows"))
	a.handle(e, get, "/api/v1/accounts/familiar_followers", a.familiarFollowers, user("read:follows"))
	a.handle(e, get, "/api/v1/accounts/:id", a.getAccount, publicRead("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/:id/followers", a.followers, publicRead("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/:id/following", a.following, publicRead("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/:id/featured_tags", a.accountFeaturedTags, publicRead(""))
	a.handle(e, get, "/api/v1/accounts/:id/endorsements", a.accountEndorsements, publicRead("read:accounts"))
	a.handle(e, get, "/api/v1/accounts/:id/identity_proofs", a.emptyListOf, user(""))
	a.handle(e, get, "/api/v1/accounts/:id/lists", a.accountLists, user("read:lists"))

	a.handle(e, post, "/api/v1/accounts/:id/follow", a.follow, user("write:follows"))
	a.handle(e, post, "/api/v1/accounts/:id/unfollow", a.relAction(a.svc.Unfollow), user("write:follows"))
	a.handle(e, post, "/api/v1/accounts/:id/remove_from_followers", a.relAction(a.svc.RemoveFromFollowers), user("write:follows"))
	a.handle(e, post, "/api/v1/accounts/:id/block", a.relAction(a.svc.Block), user("write:blocks"))
	a.handle(e, post, "/api/v1/accounts/:id/unblock", a.relAction(a.svc.Unblock), user("write:blocks"))
	a.handle(e, post, "/api/v1/accounts/:id/mute", a.mute, user("write:mutes"))
	a.handle(e, post, "/api/v1/accounts/:id/unmute", a.relAction(a.svc.Unmute), user("write:mutes"))
	a.handle(e, post, "/api/v1/accounts/:id/note", a.accountNote, user("write:accounts"))
	// Endorsements (featured accounts): pin/unpin are the names before 4.4.
	for _, verb := range []string{"pin", "endorse"} {
		a.handle(e, post, "/api/v1/accounts/:id/"+verb, a.relAction(a.svc.Endorse), user("write:accounts"))
	}
	for _, verb := range []string{"unpin", "unendorse"} {
		a.handle(e, post, "/api/v1/accounts/:id/"+verb, a.relAction(a.svc.Unendorse), user("write:accounts"))
	}

	a.handle(e, get, "/api/v1/follow_requests", a.followRequests, user("read:follows"))
	a.handle(e, post, "/api/v1/follow_requests/:id/authorize", a.relAction(a.svc.AuthorizeFollowRequest), user("write:follows"))
	a.handle(e, post, "/api/v1/follow_requests/:id/reject", a.relAction(a.svc.RejectFollowRequest), user("write:follows"))
	a.handle(e, get, "/api/v1/blocks", a.blocks, user("read:blocks"))
	a.handle(e, get, "/api/v1/mutes", a.mutes, user("read:mutes"))
	a.registerHiding(e)
}

func (a *API) emptyListOf(c echo.Context) error { return c.JSON(http.StatusOK, []any{}) }

func (a *API) verifyCredentials(c echo.Context) error {
	cl := caller(c)
	return c.JSON(http.StatusOK, a.credentialAccount(c.Request().Context(), cl.Account, cl.User))
}

func (a *API) updateCredentials(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	var pp core.ProfileParams
	str := func(key string) *string {
		if !p.Has(key) {
			return nil
		}
		v := p.String(key)
		return &v
	}
	boolean := func(key string) (*bool, error) {
		v, ok, err := p.Bool(key)
		if err != nil || !ok {
			return nil, err
		}
		return &v, nil
	}
	pp.DisplayName = str("display_name")
	pp.Note = str("note")
	if pp.Locked, err = boolean("locked"); err != nil {
		return err
	}
	if pp.Bot, err = boolean("bot"); err != nil {
		return err
	}
	if pp.Discoverable, err = boolean("discoverable"); err != nil {
		return err
	}
	if pp.HideCollections, err = boolean("hide_collections"); err != nil {
		return err
	}
	// attribution_domains[] (form), attribution_domains[0] (masto.js's
	// multipart) or a JSON array; present and empty clears them.
	if domains := p.Strings("attribution_domains"); len(domains) > 0 || p.Has("attribution_domains") {
		pp.AttributionDomains = &domains
	}
	if objs := p.Objects("fields_attributes"); len(objs) > 0 || p.Has("fields_attributes") {
		fields := make([]core.FieldParam, 0, len(objs))
		for _, o := range objs {
			fields = append(fields, core.FieldParam{Name: o["name"], Value: o["value"]})
		}
		pp.Fields = &fields
	}
	if v, ok := p.Nested("source", "privacy"); ok {
		pp.Privacy = &v
	}
	if v, ok := p.Nested("source", "language"); ok {
		pp.Language = &v
	}
	if v, ok := p.Nested("source", "sensitive"); ok {
		b, valid := parseBool(v)
		if !valid {
			return herr.Unprocessable("Validation failed: source[sensitive] must be a boolean")
		}
		pp.Sensitive = &b
	}
	// Mastodon 4.5's default quote policy: the quote rule of the
	// defaults for public and unlisted posts (others cannot be quoted).
	var quote core.PolicyChoice
	if v, ok := p.Nested("source", "quote_policy"); ok {
		r, err := quoteRule(strings.TrimSpace(v), "source[quote_policy]")
		if err != nil {
			return err
		}
		quote = core.PolicyChoice{model.InteractQuote: r}
	}
	if err := a.updateProfileImages(c); err != nil { // avatar, header (media.go)
		return err
	}
	ctx := c.Request().Context()
	acc, u, err := a.svc.UpdateCredentials(ctx, caller(c), pp)
	if err != nil {
		return err
	}
	if quote != nil {
		if _, err := a.svc.SetDefaultRules(ctx, caller(c), []model.Visibility{model.Public, model.Unlisted}, quote); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, a.credentialAccount(ctx, acc, u))
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "on", "yes", "t":
		return true, true
	case "false", "0", "off", "no", "f", "":
		return false, true
	}
	return false, false
}

func (a *API) getAccount(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	acc, err := a.svc.Account(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.account(acc))
}

// idList reads id[] as Herald ids, ignoring malformed ones, at most max.
func idList(p *Params, key string, max int) []int64 {
	var out []int64
	for _, s := range p.Strings(key) {
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || v <= 0 {
			continue
		}
		out = append(out, v)
		if len(out) == max {
			break
		}
	}
	return out
}

func (a *API) getAccounts(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	out, err := a.accounts(c.Request().Context(), idList(p, "id", 40))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) lookupAccount(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	acct := p.String("acct")
	if strings.TrimSpace(acct) == "" {
		return herr.NotFound("account")
	}
	acc, err := a.svc.LookupAcct(c.Request().Context(), acct, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.account(acc))
}

func (a *API) searchAccounts(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	limit, err := p.Int("limit", 40, 1, 80)
	if err != nil {
		return err
	}
	offset, err := p.Int("offset", 0, 0, 10000)
	if err != nil {
		return err
	}
	accs, err := a.svc.SearchAccounts(c.Request().Context(), caller(c), p.String("q"), p.BoolOr("resolve", false), p.BoolOr("following", false), limit, offset)
	if err != nil {
		return err
	}
	out := make([]Account, 0, len(accs))
	for _, acc := range accs {
		out = append(out, a.account(acc))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) relationships(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	ids := idList(p, "id", 100)
	out := make([]Relationship, 0, len(ids))
	if len(ids) > 0 {
		rels, err := a.svc.Relationships(c.Request().Context(), caller(c).AccountID(), ids)
		if err != nil {
			return err
		}
		for i := range rels {
			out = append(out, relationship(&rels[i]))
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) familiarFollowers(c echo.Context) error {
	p, err := params(c)
	if err != nil {
		return err
	}
	type familiar struct {
		ID       string    `json:"id"`
		Accounts []Account `json:"accounts"`
	}
	ids := idList(p, "id", 100)
	m, err := a.svc.FamiliarFollowers(c.Request().Context(), caller(c), ids)
	if err != nil {
		return err
	}
	out := []familiar{}
	for _, id := range ids {
		f := familiar{ID: idString(id), Accounts: []Account{}}
		for _, acc := range m[id] {
			f.Accounts = append(f.Accounts, a.account(acc))
		}
		out = append(out, f)
	}
	return c.JSON(http.StatusOK, out)
}

// accountPage reads the page parameters, loads that page of a list of
// accounts with load and writes it with its Link header.
func (a *API) accountPage(c echo.Context, load func(ctx context.Context, p model.Page) (*core.AccountPage, error)) error {
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	ap, err := load(c.Request().Context(), pg)
	if err != nil {
		return err
	}
	out := make([]Account, 0, len(ap.Accounts))
	for _, acc := range ap.Accounts {
		out = append(out, a.account(acc))
	}
	if ap.Newest != 0 {
		setLink(c, ap.Newest, ap.Oldest)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) followers(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return a.accountPage(c, func(ctx context.Context, p model.Page) (*core.AccountPage, error) {
		return a.svc.Followers(ctx, caller(c), id, p)
	})
}

func (a *API) following(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return a.accountPage(c, func(ctx context.Context, p model.Page) (*core.AccountPage, error) {
		return a.svc.Following(ctx, caller(c), id, p)
	})
}

func (a *API) accountLists(c echo.Context) error {
	return showByID(c, a.svc.ListsContaining, listEntities)
}

// relAction adapts a core action on another account to a handler that
// answers the resulting relationship.
func (a *API) relAction(act func(ctx context.Context, c *core.Caller, id int64) (*model.Relationship, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		rel, err := act(c.Request().Context(), caller(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, relationship(rel))
	}
}

func (a *API) follow(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	var o core.FollowOptions
	if v, ok, err := p.Bool("reblogs"); err != nil {
		return err
	} else if ok {
		o.Reblogs = &v
	}
	if v, ok, err := p.Bool("notify"); err != nil {
		return err
	} else if ok {
		o.Notify = &v
	}
	rel, err := a.svc.Follow(c.Request().Context(), caller(c), id, o)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, relationship(rel))
}

func (a *API) mute(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	notifications := true
	if v, ok, err := p.Bool("notifications"); err != nil {
		return err
	} else if ok {
		notifications = v
	}
	secs, err := p.Int("duration", 0, 0, 100*365*24*3600)
	if err != nil {
		return err
	}
	rel, err := a.svc.Mute(c.Request().Context(), caller(c), id, notifications, time.Duration(secs)*time.Second)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, relationship(rel))
}

func (a *API) accountNote(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	rel, err := a.svc.SetAccountNote(c.Request().Context(), caller(c), id, p.String("comment"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, relationship(rel))
}

func (a *API) followRequests(c echo.Context) error {
	return a.accountPage(c, func(ctx context.Context, p model.Page) (*core.AccountPage, error) {
		return a.svc.FollowRequests(ctx, caller(c), p)
	})
}

func (a *API) blocks(c echo.Context) error {
	return a.accountPage(c, func(ctx context.Context, p model.Page) (*core.AccountPage, error) {
		return a.svc.Blocks(ctx, caller(c), p)
	})
}

func (a *API) mutes(c echo.Context) error {
	pg, err := page(c, 40, 80)
	if err != nil {
		return err
	}
	ap, err := a.svc.Mutes(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	out := make([]MutedAccount, 0, len(ap.Accounts))
	for _, acc := range ap.Accounts {
		out = append(out, MutedAccount{Account: a.account(acc), MuteExpiresAt: fmtTimePtr(ap.ExpiresAt[acc.ID])})
	}
	if ap.Newest != 0 {
		setLink(c, ap.Newest, ap.Oldest)
	}
	return c.JSON(http.StatusOK, out)
}
