package activitypub

import (
	"context"
	"database/sql"
	"errors"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for sqlDB on PostgreSQL
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage/sqlite"
)

// The domain policy is core's; the engine only translates it. These tests
// drive it from the database (admin blocks) and through a failing store.

func (ti *testInstance) admin(name string) *core.Caller {
	ti.t.Helper()
	a, u, err := ti.svc.CreateLocalAccount(context.Background(), core.NewAccountParams{
		Username: name, Email: name + "@example.org", Password: "correct horse battery", Role: model.RoleAdmin, Approved: true, Confirm: true})
	if err != nil {
		ti.t.Fatal(err)
	}
	return &core.Caller{Token: &model.Token{UserID: u.ID, Scopes: "admin:read admin:write"}, User: u, Account: a}
}

// sqlDB opens the instance's database file on a connection of its own, to
// break the store under the running instance.
func (ti *testInstance) sqlDB() *sql.DB {
	ti.t.Helper()
	path := filepath.Join(ti.cfg.Storage.DataDir, sqlite.DBFile)
	driver, dsn := "sqlite", "file:"+url.PathEscape(path)+"?_pragma=busy_timeout(10000)"
	if ti.cfg.Storage.Postgres() {
		driver, dsn = "pgx", ti.cfg.Storage.DSN
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		ti.t.Fatal(err)
	}
	ti.t.Cleanup(func() { db.Close() })
	return db
}

// A block that exists only in the database (made by an admin, nothing in
// the configuration) refuses the domain at the inbox and stops deliveries
// to it; lifting it lets the domain in again.
func TestDatabaseDomainBlockRefusesInboxAndDelivery(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	boss := ti.admin("boss")
	p := newFakePeer(t)
	if len(ti.cfg.Federation.BlockedDomains) != 0 {
		t.Fatal("the configuration blocks domains")
	}

	sev := "suspend"
	// The peer is 127.0.0.1:port: a block of the name covers every port.
	block, err := ti.svc.CreateDomainBlock(ctx, boss, core.DomainBlockParams{Domain: "127.0.0.1", Severity: &sev})
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, followActivity(p, "blocked", bob.URI)), nil); status != http.StatusForbidden {
		t.Fatalf("inbox from a domain blocked in the database: %d %s, want 403", status, msg)
	}
	if ds, err := ti.fed.deliveriesFor(ctx, doc{"type": "Create"}, bob.ID, []string{p.url + "/inbox"}); err != nil || len(ds) != 0 {
		t.Fatalf("deliveries built for a blocked domain: %v %v", ds, err)
	}
	// A delivery queued before the block is dropped unsent.
	queueDelivery(t, ti, bob.ID, p.url+"/inbox", ti.url+"/x/blocked")
	testutil.Eventually(t, 10*time.Second, "the delivery dropped", func() bool {
		n, err := ti.store.CountDeliveries(ctx)
		return err == nil && n == 0
	})
	if h := p.hits(); h != 0 {
		t.Fatalf("the blocked domain's inbox was posted to %d times", h)
	}

	if err := ti.svc.DeleteDomainBlock(ctx, boss, block.ID); err != nil {
		t.Fatal(err)
	}
	if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, followActivity(p, "unblocked", bob.URI)), nil); status != http.StatusAccepted {
		t.Fatalf("inbox once the block is lifted: %d %s, want 202", status, msg)
	}
	testutil.Eventually(t, 10*time.Second, "the Accept delivered once the block is lifted", func() bool {
		return p.sawActivity("Accept", nil)
	})
}

// When the domain policy cannot be read (here: the domain_blocks table is
// gone), nothing is exchanged with any remote domain: the inbox answers
// 503 so the sender retries, no delivery is built nor sent, and the queued
// delivery is kept and sent once the policy reads again. Before, the
// engine fell back to the configuration's lists alone, and the database's
// blocks stopped applying.
func TestDomainPolicyErrorFailsClosed(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	bob := ti.createUser("bob")
	boss := ti.admin("boss")
	p := newFakePeer(t)
	db := ti.sqlDB()

	if _, err := db.Exec("ALTER TABLE domain_blocks RENAME TO domain_blocks_away"); err != nil {
		t.Fatal(err)
	}
	// An admin change empties the policy cache, as any would.
	off := false
	if _, err := ti.svc.UpdateSite(ctx, boss, core.SiteUpdate{LimitedFederation: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := ti.svc.DomainPolicy(ctx, "127.0.0.1"); err == nil {
		t.Fatal("the policy was read without its table")
	}

	status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, followActivity(p, "while-broken", bob.URI)), nil)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("inbox while the policy cannot be read: %d %s, want 503", status, msg)
	}
	ds, err := ti.fed.deliveriesFor(ctx, doc{"type": "Create"}, bob.ID, []string{p.url + "/inbox"})
	if !errors.Is(err, errPolicyUnavailable) || len(ds) != 0 {
		t.Fatalf("deliveries built while the policy cannot be read: %v %v", ds, err)
	}
	queueDelivery(t, ti, bob.ID, p.url+"/inbox", ti.url+"/x/postponed")
	testutil.Eventually(t, 10*time.Second, "the delivery postponed", func() bool {
		var lastErr string
		err := db.QueryRow("SELECT last_error FROM jobs WHERE kind = 'deliver'").Scan(&lastErr)
		return err == nil && strings.Contains(lastErr, "domain policy unavailable")
	})
	if h := p.hits(); h != 0 {
		t.Fatalf("posted %d times while the policy cannot be read", h)
	}

	// The policy reads again: the postponed delivery goes out, the peer is
	// accepted.
	if _, err := db.Exec("ALTER TABLE domain_blocks_away RENAME TO domain_blocks"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the postponed delivery sent", func() bool {
		return p.sawActivity("Like", func(o *Object) bool { return string(o.ID) == ti.url+"/x/postponed" })
	})
	if status, msg := p.signedPost(ti.url+"/inbox", mustJSON(t, followActivity(p, "after", bob.URI)), nil); status != http.StatusAccepted {
		t.Fatalf("inbox once the policy reads again: %d %s, want 202", status, msg)
	}
}
