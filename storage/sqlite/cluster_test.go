package sqlite

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/internal/testutil/pgtest"
	"github.com/herald-social/herald/storage"
)

// Two live processes never hold the same id node: each holds its node on
// a connection of its own, and a process's node is free again once its
// connection ends (a crash ends it as well as Close). The nodes are not a
// sequence either: a long-lived process keeps its node however many
// others come and go.
func TestProcessesNeverShareAnIDNode(t *testing.T) {
	t.Cleanup(func() { id.SetNode(0) })
	ctx := context.Background()
	dsn := pgtest.DSNFrom(t, PostgresSchemaKey(), MigratePostgres)
	long, err := OpenPostgres(ctx, dsn, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer long.Close()
	// The other processes: their own connections alone (what ClaimNode
	// uses), without a pool and migrations each.
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	type proc struct{ *Store }
	open := func() proc { return proc{&Store{cluster: newPgCluster(cfg)}} }
	kept, err := long.ClaimNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// More processes come and go than there are nodes: none ever takes
	// the long-lived process's node, and none takes another live one's.
	live := map[int64]proc{kept: {long}}
	for range 1<<id.NodeBits + 4 {
		s := open()
		n, err := s.ClaimNode(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if live[n].Store != nil {
			t.Fatalf("node %d handed to a second live process", n)
		}
		live[n] = s
		if len(live) > 3 {
			// One ends (as if killed: its connection goes away).
			for k, o := range live {
				if k != kept {
					o.closeCluster()
					delete(live, k)
					break
				}
			}
		}
	}
	for k, o := range live {
		if k != kept {
			o.closeCluster()
		}
	}
	// A node freed by its process is taken again by the next one.
	a := open()
	defer a.closeCluster()
	na, err := a.ClaimNode(ctx)
	if err != nil || na == kept {
		t.Fatalf("node %d, %v", na, err)
	}
	a.closeCluster()
	testutil.Eventually(t, 10*time.Second, "the freed node taken again", func() bool {
		b := open()
		defer b.closeCluster()
		nb, err := b.ClaimNode(ctx)
		return err == nil && nb == na
	})
}

// A hint published by one process reaches every other listening one, in
// order, and not the publisher itself.
func TestBusCarriesHintsToOtherProcesses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pgtest.DSNFrom(t, PostgresSchemaKey(), MigratePostgres)
	var stores []*Store
	var mu sync.Mutex
	heard := make([][]string, 2)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	for i := range 2 {
		s, err := OpenPostgres(ctx, dsn, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.ClaimNode(ctx); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Listen(ctx, log, func(h []string) {
				mu.Lock()
				heard[i] = append(heard[i], h...)
				mu.Unlock()
			})
		}()
	}
	defer wg.Wait()
	defer cancel()
	// Listening starts asynchronously: publish until the first is heard.
	testutil.Eventually(t, 10*time.Second, "the bus listening", func() bool {
		if err := stores[0].Publish(ctx, "ping"); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return len(heard[1]) > 0
	})
	if err := stores[0].Publish(ctx, "one", "two", "three"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "three hints heard", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := len(heard[1])
		return n >= 3 && heard[1][n-3] == "one" && heard[1][n-2] == "two" && heard[1][n-1] == "three"
	})
	mu.Lock()
	defer mu.Unlock()
	if len(heard[0]) != 0 {
		t.Fatalf("the publisher heard its own hints: %v", heard[0])
	}
	if err := stores[0].Publish(ctx, "two\nlines"); err == nil {
		t.Fatal("a hint of two lines was published")
	}
}

// Processes exchanging rate-limit counts at the same time lose none: the
// totals are the sums, and old windows go.
func TestRateCountsAddUpAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSNFrom(t, PostgresSchemaKey(), MigratePostgres)
	var stores []*Store
	for range 2 {
		s, err := OpenPostgres(ctx, dsn, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	counts := []storage.RateCount{{Key: "a:1", Start: 60000, N: 1}, {Key: "a:2", Start: 60000, N: 2}}
	var wg sync.WaitGroup
	for _, s := range stores {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.ExchangeRateCounts(ctx, "api", counts); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	got, err := stores[0].ExchangeRateCounts(ctx, "api", []storage.RateCount{{Key: "a:1", Start: 60000, N: 0}, {Key: "a:2", Start: 60000, N: 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"a:1": 20, "a:2": 41}
	for _, c := range got {
		if c.N != want[c.Key] {
			t.Errorf("%s: %d, want %d", c.Key, c.N, want[c.Key])
		}
	}
	if err := stores[1].PruneRateCounts(ctx, 120000); err != nil {
		t.Fatal(err)
	}
	got, _ = stores[0].ExchangeRateCounts(ctx, "api", []storage.RateCount{{Key: "a:1", Start: 60000, N: 1}})
	if len(got) != 1 || got[0].N != 1 {
		t.Fatalf("after pruning: %+v", got)
	}
}

// The auth cache's version read, which every authenticated request makes
// on PostgreSQL (SQLite answers it from the WAL index without a query),
// and a hint published on the bus.
func BenchmarkPostgresPerRequest(b *testing.B) {
	ctx := context.Background()
	s, err := OpenPostgres(ctx, pgtest.DSNFrom(b, PostgresSchemaKey(), MigratePostgres), 4)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.Run("AuthVersion", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.AuthVersion(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Publish", func(b *testing.B) {
		for b.Loop() {
			if err := s.Publish(ctx, "c 1 117721291522194176 117721291522194177"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
