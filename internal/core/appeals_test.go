package core_test

import (
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

// Approving an appeal reverses the account action (here a suspension and
// a disabled login); a moderator without Manage Appeals cannot decide; a
// warning can be appealed within 20 days only, once.
func TestAppealApprovalReversesTheAction(t *testing.T) {
	e := newSocEnv(t)
	ctx := e.ctx
	boss := e.local("boss", false)
	boss.User.Role = model.RoleAdmin
	mod := e.local("mod", false)
	mod.User.Role = "moderator"
	troll := e.local("troll", false)

	for _, typ := range []string{"suspend", "disable"} {
		if err := e.svc.AccountAction(ctx, boss, troll.Account.ID, core.AccountActionParams{Type: typ, Text: "no"}); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := e.svc.AccountWarnings(ctx, troll, model.Page{Limit: 10})
	if err != nil || len(ws) != 2 {
		t.Fatalf("warnings %v %v", ws, err)
	}
	var items []*model.Appeal
	for _, w := range ws {
		a, err := e.svc.Appeal(ctx, troll, w.ID, "please")
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, a)
	}
	if _, err := e.svc.DecideAppeal(ctx, mod, items[0].ID, true); herr.As(err).Status != 403 {
		t.Fatalf("a moderator decided an appeal: %v", err)
	}
	for _, a := range items {
		if _, err := e.svc.DecideAppeal(ctx, boss, a.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	aa, err := e.svc.AdminAccount(ctx, boss, troll.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if aa.Account.SuspendedAt != nil || aa.User.Disabled {
		t.Fatalf("still suspended or disabled: %+v %+v", aa.Account.SuspendedAt, aa.User.Disabled)
	}

	now := time.Now()
	fresh := &model.AccountWarning{CreatedAt: now.Add(-19 * 24 * time.Hour)}
	old := &model.AccountWarning{CreatedAt: now.Add(-21 * 24 * time.Hour)}
	if !core.CanAppeal(fresh, nil, now) || core.CanAppeal(old, nil, now) || core.CanAppeal(fresh, &model.Appeal{}, now) {
		t.Fatal("appeal window")
	}
}
