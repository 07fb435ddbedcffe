package webui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// The role editor: custom roles with their permissions, rank, colour and
// badge. Core's CreateRole, UpdateRole and DeleteRole hold the rules (roles
// below one's own, permissions one holds); the pages show only what
// core's RoleLimits allow.

// roleRow is a role as the editor lists it.
type roleRow struct {
	*model.Role
	Editable, Deletable bool
	Perms               []core.PermissionLabel // the permissions it grants
}

// permChoice is one permission checkbox of the role form.
type permChoice struct {
	core.PermissionLabel
	Checked, Disabled bool
}

func (w *UI) adminRoles(c echo.Context) error { return w.adminRolesPage(c, nil) }

func (w *UI) adminRolesPage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	lim, err := w.svc.RoleLimits(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	roles, err := w.svc.Roles(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	rows := make([]roleRow, 0, len(roles))
	for i := len(roles) - 1; i >= 0; i-- { // most powerful first, as Mastodon lists them
		r := roles[i]
		row := roleRow{Role: r, Editable: lim.MayEdit(r), Deletable: lim.MayDelete(r)}
		for _, l := range core.PermissionLabels {
			if core.Permission(r.Permissions)&l.Flag != 0 {
				row.Perms = append(row.Perms, l)
			}
		}
		rows = append(rows, row)
	}
	if d == nil {
		d = page{}
	}
	d["Roles"], d["Limits"] = rows, lim
	d["Choices"] = permChoices(c, d, "/admin/roles", &model.Role{}, lim)
	return w.admin(c, "roles", "Roles", d)
}

// permChoices are the permission checkboxes for role r: ticked as r
// grants them (or as the form sent them back after an error), and
// disabled where the caller may not change them.
func permChoices(c echo.Context, d page, action string, r *model.Role, lim core.RoleLimits) []permChoice {
	sent := sentForm(d, action)
	var out []permChoice
	for _, l := range core.PermissionLabels {
		if r.Key == model.RoleUser && !core.EveryoneMayHold(l.Flag) {
			continue
		}
		ch := permChoice{PermissionLabel: l, Checked: core.Permission(r.Permissions)&l.Flag != 0, Disabled: !lim.MayGrant(l.Flag)}
		if sent != nil && !ch.Disabled {
			ch.Checked = false
			for _, v := range sent["permissions"] {
				if v == l.Name {
					ch.Checked = true
				}
			}
		}
		out = append(out, ch)
	}
	return out
}

// roleForm reads the role form. Permissions the caller may not change
// (disabled checkboxes, which browsers do not send) keep their value in
// old, so that saving a form never drops them silently; one sent anyway
// stays in, for core to refuse.
func roleForm(c echo.Context, old *model.Role, lim core.RoleLimits) (core.RoleParams, error) {
	form, err := c.FormParams()
	if err != nil {
		return core.RoleParams{}, herr.BadRequest("The form could not be read")
	}
	var perms core.Permission
	for _, name := range form["permissions"] {
		p, ok := core.PermissionNamed(name)
		if !ok {
			return core.RoleParams{}, herr.Unprocessable("Unknown permission %q", name)
		}
		perms |= p
	}
	for _, l := range core.PermissionLabels {
		if !lim.MayGrant(l.Flag) {
			perms |= core.Permission(old.Permissions) & l.Flag
		}
	}
	bits := uint64(perms)
	p := core.RoleParams{Permissions: &bits}
	if old.Key == model.RoleUser {
		return p, nil
	}
	name, color := form.Get("name"), strings.TrimSpace(form.Get("color"))
	pos, err := strconv.Atoi(strings.TrimSpace(form.Get("position")))
	if err != nil {
		return p, herr.Unprocessable("Validation failed: Position must be a whole number")
	}
	hl := form.Get("highlighted") != ""
	p.Name, p.Color, p.Position, p.Highlighted = &name, &color, &pos, &hl
	return p, nil
}

func (w *UI) adminRoleCreate(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	lim, err := w.svc.RoleLimits(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	p, err := roleForm(c, &model.Role{}, lim)
	if err == nil {
		var r *model.Role
		if r, err = w.svc.CreateRole(ctx, cl, p); err == nil {
			return w.done(c, "/admin/roles", "Role "+r.Name+" created.")
		}
	}
	return w.formFailed(c, err, w.adminRolesPage)
}

func (w *UI) adminRole(c echo.Context) error { return w.adminRolePage(c, nil) }

func (w *UI) adminRolePage(c echo.Context, d page) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	lim, err := w.svc.RoleLimits(ctx, cl)
	if err != nil {
		return w.fail(c, err)
	}
	r, err := w.svc.Role(ctx, cl, idParam(c))
	if err != nil {
		return w.fail(c, err)
	}
	if d == nil {
		d = page{}
	}
	action := "/admin/roles/" + c.Param("id") + "/update"
	d["R"], d["Editable"], d["Deletable"], d["Action"], d["Limits"] = r, lim.MayEdit(r), lim.MayDelete(r), action, lim
	d["Choices"] = permChoices(c, d, action, r, lim)
	return w.admin(c, "role", "Role "+roleName(r), d)
}

func (w *UI) adminRoleSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.caller(c)
	id := idParam(c)
	switch c.Param("op") {
	case "update":
		lim, err := w.svc.RoleLimits(ctx, cl)
		if err != nil {
			return w.fail(c, err)
		}
		old, err := w.svc.Role(ctx, cl, id)
		if err != nil {
			return w.fail(c, err)
		}
		p, err := roleForm(c, old, lim)
		if err == nil {
			if _, err = w.svc.UpdateRole(ctx, cl, id, p); err == nil {
				return w.done(c, "/admin/roles", "Role saved.")
			}
		}
		return w.formFailed(c, err, w.adminRolePage)
	case "delete":
		if err := w.svc.DeleteRole(ctx, cl, id); err != nil {
			return w.formFailed(c, err, w.adminRolePage)
		}
		return w.done(c, "/admin/roles", "Role deleted; its users now have no staff role.")
	}
	return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
}
