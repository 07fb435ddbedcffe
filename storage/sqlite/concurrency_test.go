package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// together runs n calls at once, alternating between two stores (two
// processes), and returns their errors.
func together(n int, a, b *Store, fn func(i int, s *Store) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i, s)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// Writes that read and then write stay right when two processes make them
// at once (on PostgreSQL's READ COMMITTED as under SQLite's one writer):
// one follow row and count for simultaneous follows, the pin limit, one
// lease per key for claims with PerKey 1, every failure day counted.
func TestConcurrentProcessesStayConsistent(t *testing.T) {
	a, b := openStorePair(t)
	ctx := context.Background()
	alice, bob := mkLocal(t, a, "alice"), mkLocal(t, a, "bob")

	for i, err := range together(8, a, b, func(_ int, s *Store) error {
		return s.Follow(ctx, &model.Follow{AccountID: alice.ID, TargetID: bob.ID, ShowReblogs: true}, nil)
	}) {
		if err != nil {
			t.Errorf("follow %d: %v", i, err)
		}
	}
	if n := count(t, a, "SELECT count(*) FROM follows WHERE account_id = ? AND target_id = ?", alice.ID, bob.ID); n != 1 {
		t.Errorf("follow rows = %d, want 1", n)
	}
	if fr, _ := counters(t, a, bob.ID); fr != 1 {
		t.Errorf("followers_count = %d, want 1", fr)
	}

	// Follows each way between four accounts at once: the counters of two
	// accounts are updated in opposite orders (deadlocks on PostgreSQL,
	// which the store runs again).
	var accs []*model.Account
	for i := 0; i < 4; i++ {
		accs = append(accs, mkLocal(t, a, fmt.Sprintf("u%d", i)))
	}
	var pairs [][2]int64
	for i := range accs {
		for j := range accs {
			if i != j {
				pairs = append(pairs, [2]int64{accs[i].ID, accs[j].ID})
			}
		}
	}
	for i, err := range together(len(pairs), a, b, func(i int, s *Store) error {
		return s.Follow(ctx, &model.Follow{AccountID: pairs[i][0], TargetID: pairs[i][1]}, nil)
	}) {
		if err != nil {
			t.Errorf("follow pair %d: %v", i, err)
		}
	}
	for _, acc := range accs {
		if fr, fg := counters(t, a, acc.ID); fr != 3 || fg != 3 {
			t.Errorf("%s: followers %d, following %d; want 3 and 3", acc.Username, fr, fg)
		}
	}

	var statuses []int64
	for i := 0; i < storage.MaxPins+4; i++ {
		statuses = append(statuses, mkStatus(t, a, alice.ID, model.Public))
	}
	for i, err := range together(len(statuses), a, b, func(i int, s *Store) error {
		return s.Pin(ctx, alice.ID, statuses[i], nil)
	}) {
		if err != nil && !errors.Is(err, storage.ErrPinLimit) {
			t.Errorf("pin %d: %v", i, err)
		}
	}
	if n := count(t, a, "SELECT count(*) FROM pins WHERE account_id = ?", alice.ID); n != storage.MaxPins {
		t.Errorf("pins = %d, want %d", n, storage.MaxPins)
	}

	now := time.Now()
	var jobs []storage.Job
	for i := 0; i < 12; i++ {
		jobs = append(jobs, storage.Job{Kind: "race", Key: fmt.Sprintf("k%d", i%3), RunAt: now.Add(-time.Minute)})
	}
	if err := a.InsertJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	perKey := map[string]int{}
	for i, err := range together(8, a, b, func(i int, s *Store) error {
		got, err := s.ClaimJobs(ctx, storage.JobClaim{Kind: "race", Owner: fmt.Sprintf("runner%d", i), Now: now,
			Lease: time.Minute, Limit: 4, PerKey: 1})
		mu.Lock()
		defer mu.Unlock()
		for _, j := range got {
			claimed[j.ID]++
			perKey[j.Key]++
		}
		return err
	}) {
		if err != nil {
			t.Errorf("claim %d: %v", i, err)
		}
	}
	for jid, n := range claimed {
		if n > 1 {
			t.Errorf("job %d claimed %d times", jid, n)
		}
	}
	for key, n := range perKey {
		if n > 1 {
			t.Errorf("key %s: %d jobs leased at once, PerKey 1", key, n)
		}
	}
	if len(perKey) != 3 {
		t.Errorf("keys leased: %v, want all 3", perKey)
	}

	days := []string{"2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06"}
	for i, err := range together(len(days), a, b, func(i int, s *Store) error {
		_, err := s.DomainFailed(ctx, "down.example", days[i], 100)
		return err
	}) {
		if err != nil {
			t.Errorf("domain failed %d: %v", i, err)
		}
	}
	if n := count(t, a, "SELECT failure_days FROM remote_domains WHERE domain = 'down.example'"); n != len(days) {
		t.Errorf("failure days = %d, want %d", n, len(days))
	}
}

// Text with a NUL character (which PostgreSQL's text cannot hold) finds
// nothing rather than failing the query, on both engines.
func TestNulInTextFindsNothing(t *testing.T) {
	s := openStore(t, 1)
	mkLocal(t, s, "alice")
	if _, err := s.AccountByUsername(context.Background(), "alice\x00", ""); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("username with NUL: %v, want ErrNotFound", err)
	}
}
