package core_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func ptr[T any](v T) *T { return &v }

// One rule for the settings the config and the console share: a key set
// in the config file or environment wins; otherwise the console's value
// wins over the embedded default; a form sent back unchanged stores and
// records nothing.
func TestSettingsHaveOneSource(t *testing.T) {
	e := newPolicyEnv(t, nil)
	auditCount := func() int {
		entries, err := e.svc.AuditLog(e.ctx, e.admin, storage.AuditFilter{}, model.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range entries {
			if a.Action == "update_setting" {
				n++
			}
		}
		return n
	}

	// The form sent back as shown: nothing stored, nothing audited, so a
	// later change of the config's default still takes effect.
	cur, err := e.svc.Site(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateSite(e.ctx, e.admin, core.SiteUpdate{Title: ptr(cur.Title), ShortDescription: ptr(cur.ShortDescription),
		RegistrationsMode: ptr(cur.RegistrationsMode), ContactEmail: ptr(cur.ContactEmail), RequireReason: ptr(cur.RequireReason),
		LimitedFederation: ptr(false), TermsOfService: ptr("")}); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(); n != 0 {
		t.Fatalf("an unchanged form was audited %d times", n)
	}
	later := e.withConfig(t, func(c *config.Config) { c.Instance.Title = "New default title" })
	if st, _ := later.Site(e.ctx); st.Title != "New default title" {
		t.Fatalf("an unchanged form froze the title: %q", st.Title)
	}

	// A change is stored and audited once, naming only what changed.
	if _, err := e.svc.UpdateSite(e.ctx, e.admin, core.SiteUpdate{Title: ptr("Console title"), RegistrationsMode: ptr("invite"),
		ShortDescription: ptr(cur.ShortDescription)}); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(); n != 1 {
		t.Fatalf("one change audited %d times", n)
	}
	entries, _ := e.svc.AuditLog(e.ctx, e.admin, storage.AuditFilter{}, model.Page{Limit: 1})
	if d := entries[0].Summary; !strings.Contains(d, "title") || !strings.Contains(d, "registrations_mode=invite") || strings.Contains(d, "short_description") {
		t.Fatalf("audit detail %q", d)
	}

	// Pinned by the operator: the config wins over what the console
	// stored, the console may not change it, and sending it back as it is
	// is fine.
	var logs bytes.Buffer
	pinned := e.withConfig(t, func(c *config.Config) {
		c.Registration.Mode = "closed"
		c.Sources = map[string]string{"registration.mode": "environment HERALD_REGISTRATION_MODE"}
	}, &logs)
	st, err := pinned.Site(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.RegistrationsMode != "closed" || st.Pinned["registrations_mode"] != "environment HERALD_REGISTRATION_MODE" || st.Title != "Console title" {
		t.Fatalf("pinned site: mode %q pinned %v title %q", st.RegistrationsMode, st.Pinned, st.Title)
	}
	_, err = pinned.UpdateSite(e.ctx, e.admin, core.SiteUpdate{RegistrationsMode: ptr("open")})
	if he := herr.As(err); he.Status != 422 || !strings.Contains(he.Msg, "HERALD_REGISTRATION_MODE") {
		t.Fatalf("changing a pinned setting: %v", err)
	}
	if _, err := pinned.UpdateSite(e.ctx, e.admin, core.SiteUpdate{RegistrationsMode: ptr("closed"), Title: ptr("Renamed")}); err != nil {
		t.Fatalf("a pinned setting sent back unchanged: %v", err)
	}
	pinned.LogSettingSources(e.ctx)
	for _, want := range []string{
		`level=WARN msg="setting: the value saved in the console is ignored" setting=registration.mode source="environment HERALD_REGISTRATION_MODE"`,
		`level=INFO msg=setting setting=instance.title source=console`,
		`level=INFO msg=setting setting=instance.contact_email source=default`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("start-up log lacks %q:\n%s", want, logs.String())
		}
	}
}

// withConfig opens a second domain layer on the same database with a
// changed config, as a restart with an edited config file would.
func (e *policyEnv) withConfig(t *testing.T, mutate func(*config.Config), logTo ...*bytes.Buffer) *core.Service {
	t.Helper()
	cfg := e.svc.Cfg
	cfg.Sources = nil
	mutate(&cfg)
	log := slog.New(slog.DiscardHandler)
	if len(logTo) > 0 {
		log = slog.New(slog.NewTextHandler(logTo[0], &slog.HandlerOptions{ReplaceAttr: dropTime}))
	}
	return core.New(cfg, e.store, log)
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
