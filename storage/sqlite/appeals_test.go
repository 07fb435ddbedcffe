package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Staff e-mail toggles filter StaffEmails by kind; staff notifications
// about two reports by one reporter are two notifications.
func TestStaffEmailPrefsAndNotifications(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	mod := mkLocal(t, s, "mod")
	alice := mkLocal(t, s, "alice")
	troll := mkLocal(t, s, "troll")
	if err := s.SetRole(ctx, mod.ID, "moderator"); err != nil {
		t.Fatal(err)
	}
	keys := []string{"moderator"}
	if err := s.SetStaffEmailPrefs(ctx, mod.ID, storage.StaffEmailPrefs{Report: false, SignUp: true}); err != nil {
		t.Fatal(err)
	}
	if to, err := s.StaffEmails(ctx, keys, "report"); err != nil || len(to) != 0 {
		t.Fatalf("report mail to %v, %v", to, err)
	}
	if to, err := s.StaffEmails(ctx, keys, "sign_up"); err != nil || !slices.Equal(to, []string{"mod@x.test"}) {
		t.Fatalf("sign-up mail to %v, %v", to, err)
	}
	if p, err := s.StaffEmailPrefs(ctx, mod.ID); err != nil || p.Report || !p.SignUp {
		t.Fatalf("prefs %+v, %v", p, err)
	}

	for range 2 {
		r := &model.Report{AccountID: alice.ID, TargetAccountID: troll.ID, Category: "other"}
		if err := s.CreateReport(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateStaffNotifications(ctx, keys, "admin.report", alice.ID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM notifications WHERE account_id = ? AND type = 'admin.report' AND report_id IS NOT NULL", mod.ID); n != 2 {
		t.Fatalf("%d admin.report notifications, want 2", n)
	}

	// Appeals: one per warning; decided once.
	w := &model.AccountWarning{AccountID: mod.ID, TargetAccountID: troll.ID, Action: "none", Text: "stop"}
	if err := s.ModerateAccount(ctx, troll.ID, storage.AccountModeration{}, w, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM notifications WHERE account_id = ? AND type = 'moderation_warning' AND warning_id = ?", troll.ID, w.ID); n != 1 {
		t.Fatalf("%d moderation_warning notifications", n)
	}
	a := &model.Appeal{AccountID: troll.ID, WarningID: w.ID, Text: "no"}
	if err := s.CreateAppeal(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAppeal(ctx, &model.Appeal{AccountID: troll.ID, WarningID: w.ID, Text: "again"}); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second appeal: %v", err)
	}
	if err := s.DecideAppeal(ctx, a.ID, mod.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.DecideAppeal(ctx, a.ID, mod.ID, true); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("second decision: %v", err)
	}
	if err := s.DecideAppeal(ctx, 12345, mod.ID, true); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unknown appeal: %v", err)
	}
	got, _ := s.AppealsByWarnings(ctx, []int64{w.ID})
	if got[w.ID] == nil || got[w.ID].State() != "rejected" {
		t.Fatalf("appeal: %+v", got[w.ID])
	}
}
