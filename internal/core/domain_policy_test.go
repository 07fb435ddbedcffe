package core_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
	"github.com/herald-social/herald/storage/sqlite"
)

// policyEnv is a Service over a real SQLite store, with an admin, and a
// connection of its own to the database file (to break the store).
type policyEnv struct {
	ctx   context.Context
	svc   *core.Service
	admin *core.Caller
	db    *sql.DB
	store storage.Store // for a second Service over the same database
}

func newPolicyEnv(t *testing.T, mutate func(*config.Config)) *policyEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := config.Default()
	cfg.Instance.Domain = "herald.test"
	if mutate != nil {
		mutate(&cfg)
	}
	svc := core.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, u, err := svc.CreateLocalAccount(ctx, core.NewAccountParams{Username: "boss", Email: "boss@herald.test",
		Password: "password123", Role: model.RoleAdmin, Approved: true, Confirm: true})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(filepath.Join(dir, sqlite.DBFile))+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &policyEnv{ctx: ctx, svc: svc, db: db, store: st,
		admin: &core.Caller{Token: &model.Token{UserID: u.ID, Scopes: "admin:read admin:write"}, User: u, Account: a}}
}

func (e *policyEnv) block(t *testing.T, domain, severity string, rejectMedia bool) {
	t.Helper()
	if _, err := e.svc.CreateDomainBlock(e.ctx, e.admin, core.DomainBlockParams{Domain: domain, Severity: &severity, RejectMedia: &rejectMedia}); err != nil {
		t.Fatalf("block %s: %v", domain, err)
	}
}

func (e *policyEnv) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := e.db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// A rule covers its domain and every subdomain, whether it comes from the
// configuration or from the database (an admin's block or allow), with
// the same matching: not a domain that merely ends with the same letters,
// every port unless the rule names one.
func TestDomainPolicySubdomainsConfigAndDatabase(t *testing.T) {
	e := newPolicyEnv(t, func(c *config.Config) {
		c.Federation.BlockedDomains = []string{"cfg-bad.example", "*.cfg-worse.example", "localhost:9999"}
		c.Federation.SilencedDomains = []string{"CFG-quiet.example."}
		c.Federation.RejectMediaDomains = []string{"cfg-nomedia.example"}
	})
	e.block(t, "db-bad.example", "suspend", false)
	e.block(t, "*.db-worse.example", "suspend", false)
	e.block(t, "localhost:9998", "suspend", false)
	e.block(t, "DB-quiet.example.", "silence", false)
	e.block(t, "db-nomedia.example", "noop", true)

	type want struct{ suspended, silenced, noMedia bool }
	cases := map[string]want{
		"good.example": {}, "herald.test": {}, "localhost:9997": {},
		"localhost": {}, "localhost:443": {},
	}
	for _, src := range []string{"cfg", "db"} {
		for name, w := range map[string]want{
			"bad": {suspended: true, noMedia: true}, "worse": {suspended: true, noMedia: true},
			"quiet": {silenced: true}, "nomedia": {noMedia: true},
		} {
			d := src + "-" + name + ".example"
			cases[d] = w
			cases["sub."+d] = w
			cases["a.b."+d] = w
			cases["SUB."+d+":8443"] = w
			cases["not"+d] = want{}
			cases[d+".evil.example"] = want{}
		}
	}
	cases["localhost:9999"] = want{suspended: true, noMedia: true} // config, with a port
	cases["localhost:9998"] = want{suspended: true, noMedia: true} // database, with a port
	for host, w := range cases {
		p, err := e.svc.DomainPolicy(e.ctx, host)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if p.Suspended() != w.suspended || p.Silenced() != w.silenced || p.RejectMedia != w.noMedia {
			t.Errorf("%s: suspended %v silenced %v reject media %v, want %+v", host, p.Suspended(), p.Silenced(), p.RejectMedia, w)
		}
	}
	if p, _ := e.svc.DomainPolicy(e.ctx, ""); !p.Suspended() {
		t.Error("an empty domain is not suspended")
	}
}

// Allow-list mode, from the configuration or the run-time setting, allows
// the configured and the database's allowed domains and their subdomains.
func TestDomainPolicyAllowListConfigAndDatabase(t *testing.T) {
	for _, viaSetting := range []bool{false, true} {
		e := newPolicyEnv(t, func(c *config.Config) {
			c.Federation.AllowlistMode = !viaSetting
			c.Federation.AllowedDomains = []string{"cfg-friend.example"}
			c.Federation.BlockedDomains = []string{"bad.cfg-friend.example"}
		})
		if viaSetting {
			on := true
			if _, err := e.svc.UpdateSite(e.ctx, e.admin, core.SiteUpdate{LimitedFederation: &on}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreateDomainAllow(e.ctx, e.admin, "db-friend.example"); err != nil {
			t.Fatal(err)
		}
		e.block(t, "bad.db-friend.example", "suspend", false)
		for host, allowed := range map[string]bool{
			"cfg-friend.example": true, "www.cfg-friend.example": true, "bad.cfg-friend.example": false, "notcfg-friend.example": false,
			"db-friend.example": true, "www.db-friend.example": true, "bad.db-friend.example": false, "notdb-friend.example": false,
			"other.example": false, "herald.test": true,
		} {
			p, err := e.svc.DomainPolicy(e.ctx, host)
			if err != nil {
				t.Fatal(err)
			}
			if p.Suspended() == allowed {
				t.Errorf("setting %v: %s: %+v, allowed %v", viaSetting, host, p, allowed)
			}
		}
	}
}

// When the rules cannot be read the policy fails closed: every remote
// domain is suspended (Unknown), with the error. Before, an error reading
// the run-time limited federation setting was ignored (the configuration
// alone applied), and the engine fell back to the configuration's lists
// when the domain blocks could not be read.
func TestDomainPolicyFailsClosed(t *testing.T) {
	e := newPolicyEnv(t, nil)
	on := true
	if _, err := e.svc.UpdateSite(e.ctx, e.admin, core.SiteUpdate{LimitedFederation: &on}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateDomainAllow(e.ctx, e.admin, "friend.example"); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.DomainPolicy(e.ctx, "friend.example"); err != nil || p.Suspended() {
		t.Fatalf("allowed domain: %+v %v", p, err)
	}

	check := func(what string) {
		t.Helper()
		for _, host := range []string{"friend.example", "other.example"} {
			p, err := e.svc.DomainPolicy(e.ctx, host)
			if err == nil || !p.Suspended() || !p.Unknown || !p.RejectMedia || !p.RejectReports {
				t.Errorf("%s: %s: %+v %v, want suspended and an error", what, host, p, err)
			}
		}
		if limited, err := e.svc.LimitedFederation(e.ctx); err == nil || !limited {
			t.Errorf("%s: limited federation %v %v", what, limited, err)
		}
		// Our own domain is never a remote one.
		if p, err := e.svc.DomainPolicy(e.ctx, "herald.test"); err != nil || p.Suspended() {
			t.Errorf("%s: own domain %+v %v", what, p, err)
		}
	}

	// The run-time settings cannot be read (an allow change empties the
	// cache, as every admin change does).
	e.exec(t, "ALTER TABLE settings RENAME TO settings_away")
	if _, err := e.svc.CreateDomainAllow(e.ctx, e.admin, "pal.example"); err != nil {
		t.Fatal(err)
	}
	check("settings unreadable")
	e.exec(t, "ALTER TABLE settings_away RENAME TO settings")
	if p, err := e.svc.DomainPolicy(e.ctx, "other.example"); err != nil || !p.NotAllowed || p.Unknown {
		t.Fatalf("settings readable again: %+v %v", p, err)
	}

	// The domain blocks cannot be read.
	e.exec(t, "ALTER TABLE domain_blocks RENAME TO domain_blocks_away")
	if _, err := e.svc.CreateDomainAllow(e.ctx, e.admin, "pal2.example"); err != nil { // empties the cache
		t.Fatal(err)
	}
	check("domain blocks unreadable")
	e.exec(t, "ALTER TABLE domain_blocks_away RENAME TO domain_blocks")
	if p, err := e.svc.DomainPolicy(e.ctx, "friend.example"); err != nil || p.Suspended() {
		t.Fatalf("domain blocks readable again: %+v %v", p, err)
	}
}
