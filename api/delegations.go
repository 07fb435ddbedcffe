package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
)

// Delegation (Herald's own API; Mastodon has none): the owner of an
// account manages its members under /api/v1/delegations, staff under
// /api/v1/admin/accounts/:id/delegations; /api/v1/delegations/accounts
// lists the accounts the caller may act for. The activity log of an
// account is .../log (?member_id= keeps one member's entries). Core
// decides who may do what (internal/core/delegations.go).

// Delegation is a member's access to an account.
type Delegation struct {
	Account     Account  `json:"account"`
	Member      Account  `json:"member"`
	Permissions []string `json:"permissions"`
	GrantedBy   *Account `json:"granted_by"`
	CreatedAt   string   `json:"created_at"`
}

// DelegationLogEntry is one entry of an account's activity log.
type DelegationLogEntry struct {
	ID         string `json:"id"`
	AccountID  string `json:"account_id"`
	MemberID   string `json:"member_id"`
	Member     string `json:"member"` // the member's username then
	ActorID    string `json:"actor_id,omitempty"`
	Action     string `json:"action"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	CreatedAt  string `json:"created_at"`
}

func (a *API) delegation(v *core.DelegationView) Delegation {
	out := Delegation{Account: a.account(v.Account), Member: a.account(v.Member), Permissions: v.Permissions,
		CreatedAt: fmtTime(v.CreatedAt)}
	if out.Permissions == nil {
		out.Permissions = []string{}
	}
	if v.GrantedBy != nil {
		g := a.account(v.GrantedBy)
		out.GrantedBy = &g
	}
	return out
}

func delegationLogEntry(e *model.DelegationAction) DelegationLogEntry {
	out := DelegationLogEntry{ID: idString(e.ID), AccountID: idString(e.AccountID), MemberID: idString(e.MemberID),
		Member: e.Member, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, CreatedAt: fmtTime(e.CreatedAt)}
	if e.ActorID != 0 {
		out.ActorID = idString(e.ActorID)
	}
	return out
}

func (a *API) registerDelegations(e *echo.Echo) {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	// The owner's, for their own account.
	own := func(c echo.Context) (int64, error) { return caller(c).AccountID(), nil }
	a.handle(e, get, "/api/v1/delegations", a.listDelegations(own), user("read:accounts"))
	a.handle(e, post, "/api/v1/delegations", a.grantDelegation(own), user("write:accounts"))
	a.handle(e, del, "/api/v1/delegations/:member_id", a.revokeDelegation(own), user("write:accounts"))
	a.handle(e, get, "/api/v1/delegations/log", a.delegationLog(own), user("read:accounts"))
	a.handle(e, get, "/api/v1/delegations/accounts", a.myDelegations, user("read:accounts"))
	// Staff's, for any local account.
	byID := func(c echo.Context) (int64, error) { return pathID(c, "id") }
	const base = "/api/v1/admin/accounts/:id/delegations"
	a.handle(e, get, base, a.listDelegations(byID), user("admin:read:accounts"))
	a.handle(e, post, base, a.grantDelegation(byID), user("admin:write:accounts"))
	a.handle(e, del, base+"/:member_id", a.revokeDelegation(byID), user("admin:write:accounts"))
	a.handle(e, get, base+"/log", a.delegationLog(byID), user("admin:read:accounts"))
}

func (a *API) renderDelegations(c echo.Context, vs []*core.DelegationView) error {
	out := make([]Delegation, 0, len(vs))
	for _, v := range vs {
		out = append(out, a.delegation(v))
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) listDelegations(target func(echo.Context) (int64, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := target(c)
		if err != nil {
			return err
		}
		vs, err := a.svc.AccountDelegations(c.Request().Context(), caller(c), id)
		if err != nil {
			return err
		}
		return a.renderDelegations(c, vs)
	}
}

func (a *API) myDelegations(c echo.Context) error {
	vs, err := a.svc.MyDelegations(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return a.renderDelegations(c, vs)
}

// grantDelegation reads member (a local username) and permissions[].
func (a *API) grantDelegation(target func(echo.Context) (int64, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := target(c)
		if err != nil {
			return err
		}
		p, err := params(c)
		if err != nil {
			return err
		}
		var perms []string
		for _, v := range p.Strings("permissions") {
			perms = append(perms, strings.Fields(strings.ReplaceAll(v, ",", " "))...)
		}
		v, err := a.svc.GrantDelegation(c.Request().Context(), caller(c), id, p.String("member"), perms)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a.delegation(v))
	}
}

func (a *API) revokeDelegation(target func(echo.Context) (int64, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := target(c)
		if err != nil {
			return err
		}
		// A malformed member is no member: core answers 404, once it
		// checked that the caller may manage the account's delegations.
		member, _ := strconv.ParseInt(c.Param("member_id"), 10, 64)
		if err := a.svc.RevokeDelegation(c.Request().Context(), caller(c), id, member); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{})
	}
}

func (a *API) delegationLog(target func(echo.Context) (int64, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := target(c)
		if err != nil {
			return err
		}
		p, err := params(c)
		if err != nil {
			return err
		}
		var member int64
		if p.Has("member_id") {
			if member, err = p.ID("member_id"); err != nil {
				return err
			}
		}
		return listRecords(c, 40, 200, func(ctx context.Context, cl *core.Caller, pg model.Page) ([]*model.DelegationAction, error) {
			return a.svc.DelegationLog(ctx, cl, id, member, pg)
		}, func(e *model.DelegationAction) int64 { return e.ID }, delegationLogEntry)
	}
}

// objectKey is where a handler names what it made (a new status), for the
// activity log.
const objectKey = "herald.object"

// setObject names the object a request made, for the activity log of a
// delegated caller.
func setObject(c echo.Context, typ string, id int64) { c.Set(objectKey, [2]string{typ, idString(id)}) }

// recordDelegated logs a successful write of a delegated caller in the
// account's activity log (core decides what is kept and where it goes).
// It runs as the answer's status is written, so the entry is stored
// before the client hears of success, and a refused request (an error
// status) is not logged. The object is what the handler named, else the
// route's :id and the path segment before it (/api/v1/statuses/:id/reblog:
// statuses 123).
func (a *API) recordDelegated(c echo.Context, cl *core.Caller) {
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	if st := c.Response().Status; st >= 400 {
		return
	}
	var typ, id string
	if v, ok := c.Get(objectKey).([2]string); ok {
		typ, id = v[0], v[1]
	} else if id = c.Param("id"); id != "" {
		path := c.Path()
		if i := strings.Index(path, "/:id"); i > 0 {
			typ = path[strings.LastIndex(path[:i], "/")+1 : i]
		}
	}
	a.svc.RecordDelegatedAction(c.Request().Context(), cl, c.Request().Method+" "+c.Path(), typ, id)
}

// DelegationEvent is the object of the delegation.* webhook events: an
// entry of an account's activity log with the account and the member.
type DelegationEvent struct {
	DelegationLogEntry
	Account Account  `json:"account"`
	Member  *Account `json:"member"` // null when the member's account is gone
}

func (a *API) delegationEvent(e *core.DelegationLogEntry) DelegationEvent {
	out := DelegationEvent{DelegationLogEntry: delegationLogEntry(e.DelegationAction), Account: a.account(e.Account)}
	if e.Member != nil {
		m := a.account(e.Member)
		out.Member = &m
	}
	return out
}
