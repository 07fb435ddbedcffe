package storetest

import (
	"fmt"
	"sync"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Cases where several writers race on one row: a store that reads and then
// writes without a lock (or a unique rule) breaks them under concurrency
// (issue 20: READ COMMITTED, several processes).

// race runs f(i) for i in [0, n) at once and returns the errors.
func race(n int, f func(i int) error) []error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func concurrencyArea() area {
	return area{"Concurrency", []testCase{
		{"FollowersCountedUnderRace", func(e *env) {
			t := e.local("target")
			var fans []*model.Account
			for i := 0; i < 8; i++ {
				fans = append(fans, e.local(fmt.Sprintf("fan%d", i)))
			}
			for _, err := range race(16, func(i int) error { // each fan twice
				return e.s.Follow(e.ctx, &model.Follow{AccountID: fans[i%8].ID, TargetID: t.ID}, nil)
			}) {
				e.ok(err)
			}
			if n := e.account(t.ID).FollowersCount; n != 8 {
				e.t.Fatalf("followers_count = %d, want 8", n)
			}
			for _, err := range race(16, func(i int) error {
				_, err := e.s.Unfollow(e.ctx, fans[i%8].ID, t.ID, nil)
				return err
			}) {
				e.ok(err)
			}
			if n := e.account(t.ID).FollowersCount; n != 0 {
				e.t.Fatalf("followers_count after unfollows = %d", n)
			}
		}},
		{"FavouriteAndBoostOnceUnderRace", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			st := e.pub(a)
			for _, err := range race(6, func(int) error { return e.s.Favourite(e.ctx, b.ID, st.ID, "", nil) }) {
				e.ok(err)
			}
			boosts := make([]*model.Status, 6)
			for _, err := range race(6, func(i int) error {
				var err error
				boosts[i], err = e.s.Reblog(e.ctx, e.boostOf(b, st), nil)
				return err
			}) {
				e.ok(err)
			}
			for _, x := range boosts {
				if x.ID != boosts[0].ID {
					e.t.Fatalf("two boosts of one status: %d and %d", x.ID, boosts[0].ID)
				}
			}
			got := e.status(st.ID)
			if got.FavouritesCount != 1 || got.ReblogsCount != 1 {
				e.t.Fatalf("favourites %d, reblogs %d", got.FavouritesCount, got.ReblogsCount)
			}
		}},
		{"IdempotentPostUnderRace", func(e *env) {
			a := e.local("alice")
			out := make([]*model.Status, 5)
			for _, err := range race(5, func(i int) error {
				var err error
				out[i], _, err = e.s.CreateStatus(e.ctx, storage.NewStatus{Status: e.newStatus(a, post{}), IdempotencyKey: "same"})
				return err
			}) {
				e.ok(err)
			}
			for _, st := range out {
				if st.ID != out[0].ID {
					e.t.Fatalf("one key made statuses %d and %d", st.ID, out[0].ID)
				}
			}
			if n := e.account(a.ID).StatusesCount; n != 1 {
				e.t.Fatalf("statuses_count = %d", n)
			}
		}},
		{"RemoteStatusOnceUnderRace", func(e *env) {
			r := e.remote("r", "remote.test")
			proto := e.newStatus(r, post{})
			out := make([]*model.Status, 5)
			for _, err := range race(5, func(i int) error {
				st := *proto
				var err error
				out[i], _, err = e.s.CreateStatus(e.ctx, storage.NewStatus{Status: &st})
				return err
			}) {
				e.ok(err)
			}
			for _, st := range out {
				if st.ID != out[0].ID {
					e.t.Fatalf("one URI stored as %d and %d", st.ID, out[0].ID)
				}
			}
			if n := e.account(r.ID).StatusesCount; n != 1 {
				e.t.Fatalf("statuses_count = %d", n)
			}
		}},
		{"UsernameTakenOnceUnderRace", func(e *env) {
			errs := race(5, func(i int) error {
				return e.s.RegisterLocalAccount(e.ctx, &model.Account{Username: "Same", URI: fmt.Sprintf("https://local.test/users/same%d", i)},
					&model.User{Email: fmt.Sprintf("same%d@local.test", i), PasswordHash: "x", Role: model.RoleUser},
					&model.Registration{}, 0, time.Now())
			})
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !isErr(err, storage.ErrConflict) {
					e.t.Fatal(err)
				}
			}
			if ok != 1 {
				e.t.Fatalf("%d accounts took one name", ok)
			}
		}},
		{"InviteUsesUnderRace", func(e *env) {
			inv := &model.Invite{Code: "two", Role: model.RoleUser, MaxUses: 2}
			e.ok(e.s.CreateInvite(e.ctx, inv))
			errs := race(6, func(i int) error {
				name := fmt.Sprintf("user%d", i)
				return e.s.RegisterLocalAccount(e.ctx, &model.Account{Username: name, URI: "https://local.test/users/" + name},
					&model.User{Email: name + "@local.test", PasswordHash: "x", Role: model.RoleUser},
					&model.Registration{InviteID: inv.ID}, inv.ID, time.Now())
			})
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !isErr(err, storage.ErrInviteUnusable) {
					e.t.Fatal(err)
				}
			}
			got, _ := e.s.InviteByID(e.ctx, inv.ID)
			if ok != 2 || got.Uses != 2 {
				e.t.Fatalf("%d sign-ups on an invite of 2 uses (uses %d)", ok, got.Uses)
			}
		}},
		{"PinLimitUnderRace", func(e *env) {
			a := e.local("alice")
			var sts []*model.Status
			for i := 0; i < storage.MaxPins+4; i++ {
				sts = append(sts, e.pub(a))
			}
			errs := race(len(sts), func(i int) error { return e.s.Pin(e.ctx, a.ID, sts[i].ID, nil) })
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !isErr(err, storage.ErrPinLimit) {
					e.t.Fatal(err)
				}
			}
			pinned, err := e.s.AccountStatuses(e.ctx, a.ID, model.Direct, storage.AccountStatusFilter{Pinned: true}, model.Page{Limit: 20})
			e.ok(err)
			if ok != storage.MaxPins || len(pinned) != storage.MaxPins {
				e.t.Fatalf("%d pins accepted, %d pinned", ok, len(pinned))
			}
		}},
		{"DomainFailuresUnderRace", func(e *env) {
			days := []string{"2024-01-01", "2024-01-02", "2024-01-03"}
			for _, err := range race(9, func(i int) error {
				_, err := e.s.DomainFailed(e.ctx, "dead.test", days[i%3], 3)
				return err
			}) {
				e.ok(err)
			}
			doms, err := e.s.UnavailableDomains(e.ctx)
			e.ok(err)
			if len(doms) != 1 {
				e.t.Fatalf("unavailable = %v after failures on 3 days", doms)
			}
		}},
	}}
}
