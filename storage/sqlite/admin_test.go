package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func TestReportWithForwardEventInOneTransaction(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	alice := mkLocal(t, s, "alice")
	rob := mkRemote(t, s, "rob", "remote.example")
	st := mkStatus(t, s, rob.ID, model.Public)
	r := &model.Report{AccountID: alice.ID, TargetAccountID: rob.ID, StatusIDs: []int64{st}, Comment: "spam", Category: "spam", Forwarded: true}
	ev := []model.OutboxEvent{{Kind: model.EventReportForward, Payload: `{"target_id":1}`}}
	if err := s.CreateReport(ctx, r, ev); err != nil {
		t.Fatal(err)
	}
	evs, err := s.PendingEvents(ctx, 10)
	if err != nil || len(evs) != 1 || evs[0].Kind != model.EventReportForward || evs[0].ObjectID != r.ID || evs[0].AccountID != 0 {
		t.Fatalf("events: %+v %v", evs, err)
	}
	got, err := s.ReportByID(ctx, r.ID)
	if err != nil || len(got.StatusIDs) != 1 || got.StatusIDs[0] != st || !got.Forwarded {
		t.Fatalf("report: %+v %v", got, err)
	}
	// A failing report leaves no event behind.
	bad := &model.Report{AccountID: alice.ID, TargetAccountID: 42}
	if err := s.CreateReport(ctx, bad, []model.OutboxEvent{{Kind: model.EventReportForward}}); err == nil {
		t.Fatal("report about a missing account stored")
	}
	if evs, _ := s.PendingEvents(ctx, 10); len(evs) != 1 {
		t.Fatalf("events after a failed report: %d", len(evs))
	}
}

func TestInviteUsesAreAtomic(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	inv := &model.Invite{Code: "abc", Role: "user", MaxUses: 1, ExpiresAt: &exp}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) error {
		a := &model.Account{Username: name, URI: "http://x.test/users/" + name}
		u := &model.User{Email: name + "@x.test", PasswordHash: "x", Role: "user", Approved: true, Locale: "en", DefaultVisibility: "public"}
		return s.RegisterLocalAccount(ctx, a, u, &model.Registration{IP: "192.0.2.1"}, inv.ID, time.Now())
	}
	if err := mk("one"); err != nil {
		t.Fatal(err)
	}
	if err := mk("two"); !errors.Is(err, storage.ErrInviteUnusable) {
		t.Fatalf("second use: %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM accounts WHERE username = 'two'"); n != 0 {
		t.Fatal("account made with a used-up invite")
	}
	// The address is recorded and searchable by range.
	list, err := s.AdminAccounts(ctx, storage.AdminAccountFilter{IP: "192.0.2.0/24"}, model.Page{Limit: 10})
	if err != nil || len(list) != 1 || list[0].Account.Username != "one" || list[0].Registration == nil || list[0].Registration.InviteID != inv.ID {
		t.Fatalf("by ip: %+v %v", list, err)
	}
}
