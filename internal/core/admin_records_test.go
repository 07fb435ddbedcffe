package core_test

import (
	"errors"
	"testing"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The moderators' records share one flow (admin_records.go): a missing
// record is a 404 whether it is read, changed or removed; a caller without
// the permission is refused and nothing changes; a unique conflict is the
// 422 of the field taken; every change is audited once.
func TestAdminRecordsFlow(t *testing.T) {
	e := newSocEnv(t)
	ctx := e.ctx
	boss := e.local("boss", false)
	boss.User.Role = model.RoleAdmin
	alice := e.local("alice", false)
	status := func(err error) int {
		if err == nil {
			return 200
		}
		return herr.As(err).Status
	}
	text := "Be kind"
	const missing = 424242

	for name, err := range map[string]error{
		"ip block":              errOf(e.svc.IPBlock(ctx, boss, missing)),
		"update ip block":       errOf(e.svc.UpdateIPBlock(ctx, boss, missing, core.IPBlockParams{})),
		"delete ip block":       e.svc.DeleteIPBlock(ctx, boss, missing),
		"delete email block":    e.svc.DeleteEmailDomainBlock(ctx, boss, missing),
		"delete canonical":      e.svc.DeleteCanonicalEmailBlock(ctx, boss, missing),
		"update domain block":   errOf(e.svc.UpdateDomainBlock(ctx, boss, missing, core.DomainBlockParams{})),
		"delete domain block":   e.svc.DeleteDomainBlock(ctx, boss, missing),
		"delete domain allow":   e.svc.DeleteDomainAllow(ctx, boss, missing),
		"update rule":           errOf(e.svc.UpdateRule(ctx, boss, missing, core.RuleParams{Text: &text})),
		"delete rule":           e.svc.DeleteRule(ctx, boss, missing),
		"update announcement":   errOf(e.svc.UpdateAnnouncement(ctx, boss, missing, core.AnnouncementParams{Text: &text})),
		"delete announcement":   e.svc.DeleteAnnouncement(ctx, boss, missing),
		"role":                  errOf(e.svc.Role(ctx, boss, missing)),
		"report":                errOf(e.svc.AdminReport(ctx, boss, missing)),
		"canonical email block": errOf(e.svc.CanonicalEmailBlock(ctx, boss, missing)),
	} {
		if got := status(err); got != 404 {
			t.Errorf("%s of a missing record: %d (%v), want 404", name, got, err)
		}
	}

	r, err := e.svc.CreateRule(ctx, boss, core.RuleParams{Text: &text})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteRule(ctx, alice, r.ID); status(err) != 403 {
		t.Errorf("a user deletes a rule: %v, want 403", err)
	}
	if _, err := e.svc.UpdateRule(ctx, alice, r.ID, core.RuleParams{Text: &text}); status(err) != 403 {
		t.Errorf("a user changes a rule: %v, want 403", err)
	}
	if _, err := e.store.RuleByID(ctx, r.ID); err != nil {
		t.Fatalf("the rule is gone after refused calls: %v", err)
	}
	changed := "Be very kind"
	if r, err = e.svc.UpdateRule(ctx, boss, r.ID, core.RuleParams{Text: &changed}); err != nil || r.Text != changed {
		t.Fatalf("update rule: %+v, %v", r, err)
	}
	if err := e.svc.DeleteRule(ctx, boss, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RuleByID(ctx, r.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the deleted rule: %v", err)
	}

	ip := "192.0.2.0/24"
	sev := core.IPSignUpBlock
	b1, err := e.svc.CreateIPBlock(ctx, boss, core.IPBlockParams{IP: &ip, Severity: &sev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateIPBlock(ctx, boss, core.IPBlockParams{IP: &ip, Severity: &sev}); status(err) != 422 ||
		herr.As(err).Msg != "Validation failed: Ip has already been taken" {
		t.Errorf("the same range again: %v", err)
	}
	other := "198.51.100.7"
	b2, err := e.svc.CreateIPBlock(ctx, boss, core.IPBlockParams{IP: &other, Severity: &sev})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateIPBlock(ctx, boss, b2.ID, core.IPBlockParams{IP: &ip}); status(err) != 422 {
		t.Errorf("a block moved onto another's range: %v", err)
	}
	if err := e.svc.DeleteIPBlock(ctx, boss, b1.ID); err != nil {
		t.Fatal(err)
	}

	log, err := e.svc.AuditLog(ctx, boss, storage.AuditFilter{}, model.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range log {
		count[a.Action]++
	}
	want := map[string]int{"create_rule": 1, "update_rule": 1, "destroy_rule": 1, "create_ip_block": 2, "destroy_ip_block": 1}
	for action, n := range want {
		if count[action] != n {
			t.Errorf("audit log has %d %s, want %d (%v)", count[action], action, n, count)
		}
	}
	if len(count) != len(want) {
		t.Errorf("audit log: %v, want %v", count, want)
	}
}

func errOf[T any](_ T, err error) error { return err }
