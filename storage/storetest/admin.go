package storetest

import (
	"slices"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func adminArea() area {
	return area{"Admin", []testCase{
		{"Roles", func(e *env) {
			roles, err := e.s.Roles(e.ctx)
			e.ok(err)
			var keys []string
			for _, r := range roles {
				keys = append(keys, r.Key)
			}
			for _, k := range []string{model.RoleOwner, model.RoleAdmin, model.RoleModerator, model.RoleUser} {
				if !slices.Contains(keys, k) {
					e.t.Fatalf("built-in role %s missing from %v", k, keys)
				}
			}
			r := &model.Role{Name: "Helper", Color: "#123456", Permissions: 5, Position: 10}
			e.ok(e.s.CreateRole(e.ctx, r))
			if r.ID == 0 || r.Key == "" {
				e.t.Fatalf("custom role = %+v", r)
			}
			byKey, err := e.s.RoleByKey(e.ctx, r.Key)
			e.ok(err)
			if byKey.ID != r.ID || byKey.Permissions != 5 {
				e.t.Fatalf("role by key = %+v", byKey)
			}
			r.Name, r.Highlighted = "Helpers", true
			e.ok(e.s.UpdateRole(e.ctx, r))
			byID, err := e.s.RoleByID(e.ctx, r.ID)
			e.ok(err)
			if byID.Name != "Helpers" || !byID.Highlighted {
				e.t.Fatalf("updated role = %+v", byID)
			}
			_, u := e.localUser("alice")
			e.ok(e.s.SetRole(e.ctx, u.ID, r.Key))
			e.ok(e.s.DeleteRole(e.ctx, r.ID))
			_, err = e.s.RoleByID(e.ctx, r.ID)
			e.is(err, storage.ErrNotFound, "deleted role")
			got, _ := e.s.UserByAccountID(e.ctx, u.AccountID)
			if got.Role != model.RoleUser {
				e.t.Fatalf("user of a deleted role has %q", got.Role)
			}
			_, err = e.s.RoleByKey(e.ctx, "nope")
			e.is(err, storage.ErrNotFound, "unknown role key")
		}},
		{"InvitesAndRegistration", func(e *env) {
			boss := e.local("boss")
			inv := &model.Invite{Code: "abc", CreatedBy: boss.ID, Role: model.RoleUser, MaxUses: 1, Comment: "for ann"}
			e.ok(e.s.CreateInvite(e.ctx, inv))
			got, err := e.s.InviteByCode(e.ctx, "abc")
			e.ok(err)
			if got.ID != inv.ID || got.MaxUses != 1 || got.Uses != 0 {
				e.t.Fatalf("invite = %+v", got)
			}
			register := func(name string) error {
				a := &model.Account{Username: name, URI: "https://local.test/users/" + name}
				u := &model.User{Email: name + "@local.test", PasswordHash: "x", Role: model.RoleUser}
				return e.s.RegisterLocalAccount(e.ctx, a, u, &model.Registration{Reason: "hi", IP: "192.0.2.1", InviteID: inv.ID,
					InvitedBy: boss.ID}, inv.ID, time.Now())
			}
			e.ok(register("ann"))
			ann, err := e.s.AccountByUsername(e.ctx, "ann", "")
			e.ok(err)
			reg, err := e.s.Registration(e.ctx, ann.ID)
			e.ok(err)
			if reg.Reason != "hi" || reg.InviteID != inv.ID || reg.InvitedBy != boss.ID {
				e.t.Fatalf("registration = %+v", reg)
			}
			got, _ = e.s.InviteByID(e.ctx, inv.ID)
			if got.Uses != 1 {
				e.t.Fatalf("uses = %d", got.Uses)
			}
			e.is(register("bob"), storage.ErrInviteUnusable, "a used-up invite")
			if _, err := e.s.AccountByUsername(e.ctx, "bob", ""); err == nil {
				e.t.Fatal("a refused registration left an account")
			}
			e.ok(e.s.RevokeInvite(e.ctx, inv.ID, time.Now()))
			got, _ = e.s.InviteByID(e.ctx, inv.ID)
			if got.RevokedAt == nil {
				e.t.Fatal("invite not revoked")
			}
			// A taken name through registration.
			err = e.s.RegisterLocalAccount(e.ctx, &model.Account{Username: "ANN", URI: "https://local.test/users/ann2"},
				&model.User{Email: "x@local.test", PasswordHash: "x", Role: model.RoleUser}, &model.Registration{}, 0, time.Now())
			e.is(err, storage.ErrConflict, "registering a taken name")
			list, err := e.s.Invites(e.ctx, boss.ID, nil, model.Page{Limit: 10})
			e.ok(err)
			if len(list) != 1 {
				e.t.Fatalf("invites = %+v", list)
			}
			now := time.Now()
			active, err := e.s.Invites(e.ctx, 0, &now, model.Page{Limit: 10})
			e.ok(err)
			if len(active) != 0 {
				e.t.Fatalf("active invites = %+v", active)
			}
		}},
		{"ExpiredInviteUnusable", func(e *env) {
			past := time.Now().Add(-time.Hour)
			inv := &model.Invite{Code: "old", Role: model.RoleUser, ExpiresAt: &past}
			e.ok(e.s.CreateInvite(e.ctx, inv))
			err := e.s.RegisterLocalAccount(e.ctx, &model.Account{Username: "ann", URI: "https://local.test/users/ann"},
				&model.User{Email: "ann@local.test", PasswordHash: "x", Role: model.RoleUser}, &model.Registration{}, inv.ID, time.Now())
			e.is(err, storage.ErrInviteUnusable, "an expired invite")
		}},
		{"UserTokensAndIPs", func(e *env) {
			_, u := e.localUser("alice")
			hash := []byte("0123456789abcdef0123456789abcdef")
			e.ok(e.s.CreateUserToken(e.ctx, hash, model.UserToken{UserID: u.ID, Kind: "confirm", ExpiresAt: time.Now().Add(time.Hour)}))
			_, err := e.s.ConsumeUserToken(e.ctx, hash, "reset")
			e.is(err, storage.ErrNotFound, "a token of another kind")
			t, err := e.s.ConsumeUserToken(e.ctx, hash, "confirm")
			e.ok(err)
			if t.UserID != u.ID || t.Kind != "confirm" {
				e.t.Fatalf("token = %+v", t)
			}
			_, err = e.s.ConsumeUserToken(e.ctx, hash, "confirm")
			e.is(err, storage.ErrNotFound, "a token used twice")
			e.ok(e.s.ConfirmUser(e.ctx, u.ID, time.Now()))
			got, _ := e.s.UserByAccountID(e.ctx, u.AccountID)
			if got.ConfirmedAt == nil {
				e.t.Fatal("user not confirmed")
			}
			e.ok(e.s.RecordUserIP(e.ctx, u.ID, "192.0.2.7", time.Now().Add(-time.Hour)))
			e.ok(e.s.RecordUserIP(e.ctx, u.ID, "198.51.100.1", time.Now()))
			aa, err := e.s.AdminAccount(e.ctx, u.AccountID)
			e.ok(err)
			if len(aa.IPs) != 2 || aa.IPs[0].IP != "198.51.100.1" || aa.User == nil || aa.User.ID != u.ID {
				e.t.Fatalf("admin account = %+v", aa)
			}
			byIP, err := e.s.AdminAccounts(e.ctx, storage.AdminAccountFilter{IP: "192.0.2.0/24"}, model.Page{Limit: 10})
			e.ok(err)
			if len(byIP) != 1 || byIP[0].Account.ID != u.AccountID {
				e.t.Fatalf("accounts seen in 192.0.2.0/24 = %d", len(byIP))
			}
		}},
		{"StaffLookups", func(e *env) {
			_, admin := e.localUser("admin")
			_, mod := e.localUser("mod")
			e.local("plain")
			e.ok(e.s.SetRole(e.ctx, admin.ID, model.RoleAdmin))
			e.ok(e.s.SetRole(e.ctx, mod.ID, model.RoleModerator))
			staff := []string{model.RoleAdmin, model.RoleModerator}
			ids, err := e.s.AccountIDsByRoles(e.ctx, staff)
			e.ok(err)
			slices.Sort(ids)
			want := []int64{admin.AccountID, mod.AccountID}
			slices.Sort(want)
			e.equal("staff", ids, want)
			e.ok(e.s.SetStaffEmailPrefs(e.ctx, mod.AccountID, storage.StaffEmailPrefs{Report: false, SignUp: true}))
			prefs, err := e.s.StaffEmailPrefs(e.ctx, mod.AccountID)
			e.ok(err)
			if prefs.Report || !prefs.SignUp {
				e.t.Fatalf("prefs = %+v", prefs)
			}
			mails, err := e.s.StaffEmails(e.ctx, staff, "report")
			e.ok(err)
			if !slices.Equal(mails, []string{"admin@local.test"}) {
				e.t.Fatalf("report mails = %v", mails)
			}
			_, off := e.localUser("offduty")
			e.ok(e.s.SetRole(e.ctx, off.ID, model.RoleModerator))
			yes := true
			e.ok(e.s.ModerateAccount(e.ctx, off.AccountID, storage.AccountModeration{Disabled: &yes}, nil, nil, nil))
			mails, err = e.s.StaffEmails(e.ctx, staff, "sign_up")
			e.ok(err)
			slices.Sort(mails)
			if !slices.Equal(mails, []string{"admin@local.test", "mod@local.test"}) {
				e.t.Fatalf("sign-up mails = %v (a disabled user gets none)", mails)
			}
			who := e.local("newbie")
			e.ok(e.s.CreateStaffNotifications(e.ctx, staff, "admin.sign_up", who.ID, 0))
			for _, id := range want {
				if !e.hasNotification(id, "admin.sign_up", who.ID, 0) {
					e.t.Fatalf("staff %d not notified", id)
				}
			}
			if e.hasNotification(off.AccountID, "admin.sign_up", who.ID, 0) {
				e.t.Fatal("a disabled moderator was notified")
			}
		}},
		{"AdminAccountFilters", func(e *env) {
			_, owner := e.localUser("boss")
			e.ok(e.s.SetRole(e.ctx, owner.ID, model.RoleOwner))
			e.local("alice")
			pa := &model.Account{Username: "pending", URI: "https://local.test/users/pending"}
			e.ok(e.s.CreateLocalAccount(e.ctx, pa, &model.User{Email: "p@local.test", PasswordHash: "x", Role: model.RoleUser, Approved: false}))
			e.remote("alfred", "remote.test")
			e.remote("zed", "other.test")
			get := func(f storage.AdminAccountFilter) []string {
				as, err := e.s.AdminAccounts(e.ctx, f, model.Page{Limit: 20})
				e.ok(err)
				var out []string
				for _, a := range as {
					out = append(out, a.Account.Acct())
				}
				slices.Sort(out)
				return out
			}
			check := func(what string, got []string, want ...string) {
				e.t.Helper()
				if !slices.Equal(got, want) {
					e.t.Fatalf("%s = %v, want %v", what, got, want)
				}
			}
			check("local", get(storage.AdminAccountFilter{Origin: "local"}), "alice", "boss", "pending")
			check("remote", get(storage.AdminAccountFilter{Origin: "remote"}), "alfred@remote.test", "zed@other.test")
			check("username al", get(storage.AdminAccountFilter{Username: "AL"}), "alfred@remote.test", "alice")
			check("by domain", get(storage.AdminAccountFilter{ByDomain: "other.test"}), "zed@other.test")
			check("pending", get(storage.AdminAccountFilter{Status: "pending"}), "pending")
			check("staff", get(storage.AdminAccountFilter{Staff: true, StaffRoleKeys: []string{model.RoleOwner, model.RoleAdmin}}), "boss")
			check("email", get(storage.AdminAccountFilter{Email: "p@local"}), "pending")
		}},
		{"ReportsLifecycle", func(e *env) {
			a, b, mod := e.local("alice"), e.local("bob"), e.local("mod")
			r := e.remote("r", "remote.test")
			st := e.pub(b)
			rep := &model.Report{AccountID: a.ID, TargetAccountID: b.ID, StatusIDs: []int64{st.ID}, Comment: "spam", Category: "spam"}
			e.ok(e.s.CreateReport(e.ctx, rep, nil))
			if rep.ID == 0 {
				e.t.Fatal("CreateReport set no id")
			}
			fed := &model.Report{AccountID: r.ID, TargetAccountID: b.ID, Category: "other", URI: "https://remote.test/flags/1"}
			e.ok(e.s.CreateReport(e.ctx, fed, []model.OutboxEvent{{Kind: model.EventReportForward, ObjectID: 1}}))
			e.federateJobs(1)
			byURI, err := e.s.ReportByURI(e.ctx, "https://remote.test/flags/1")
			e.ok(err)
			if byURI.ID != fed.ID {
				e.t.Fatalf("report by uri = %+v", byURI)
			}
			got, err := e.s.ReportByID(e.ctx, rep.ID)
			e.ok(err)
			if !slices.Equal(got.StatusIDs, []int64{st.ID}) || got.Category != "spam" || got.ActionTakenAt != nil {
				e.t.Fatalf("report = %+v", got)
			}
			now := time.Now()
			got.AssignedID, got.ActionTakenAt, got.ActionTakenByID, got.Category = mod.ID, &now, mod.ID, "violation"
			e.ok(e.s.UpdateReport(e.ctx, got))
			resolved, unresolved := true, false
			open, err := e.s.Reports(e.ctx, storage.ReportFilter{Resolved: &unresolved}, model.Page{Limit: 10})
			e.ok(err)
			if len(open) != 1 || open[0].ID != fed.ID {
				e.t.Fatalf("open reports = %+v", open)
			}
			closed, _ := e.s.Reports(e.ctx, storage.ReportFilter{Resolved: &resolved}, model.Page{Limit: 10})
			if len(closed) != 1 || closed[0].ID != rep.ID || closed[0].Category != "violation" || closed[0].AssignedID != mod.ID {
				e.t.Fatalf("resolved reports = %+v", closed)
			}
			byTarget, _ := e.s.Reports(e.ctx, storage.ReportFilter{TargetAccountID: b.ID}, model.Page{Limit: 10})
			if len(byTarget) != 2 {
				e.t.Fatalf("reports about bob = %d", len(byTarget))
			}
			n := &model.ReportNote{ReportID: rep.ID, AccountID: mod.ID, Content: "looked"}
			e.ok(e.s.CreateReportNote(e.ctx, n))
			notes, err := e.s.ReportNotes(e.ctx, rep.ID)
			e.ok(err)
			if len(notes) != 1 || notes[0].Content != "looked" {
				e.t.Fatalf("notes = %+v", notes)
			}
			e.is(e.s.DeleteReportNote(e.ctx, fed.ID, n.ID), storage.ErrNotFound, "deleting a note through another report")
			e.ok(e.s.DeleteReportNote(e.ctx, rep.ID, n.ID))
			m, err := e.s.ReportsByIDs(e.ctx, []int64{rep.ID, 424242})
			e.ok(err)
			if len(m) != 1 {
				e.t.Fatalf("reports by ids = %v", m)
			}
		}},
		{"ModerationWarningsAppeals", func(e *env) {
			target, mod := e.local("target"), e.local("mod")
			rep := &model.Report{AccountID: mod.ID, TargetAccountID: target.ID, Category: "other"}
			e.ok(e.s.CreateReport(e.ctx, rep, nil))
			yes := true
			w := &model.AccountWarning{AccountID: mod.ID, TargetAccountID: target.ID, Action: "suspend", Text: "bye", ReportID: rep.ID}
			e.ok(e.s.ModerateAccount(e.ctx, target.ID, storage.AccountModeration{Suspended: &yes, Sensitive: &yes}, w, []int64{rep.ID}, nil))
			if e.account(target.ID).SuspendedAt == nil {
				e.t.Fatal("not suspended")
			}
			aa, err := e.s.AdminAccount(e.ctx, target.ID)
			e.ok(err)
			if aa.SensitizedAt == nil {
				e.t.Fatal("not sensitized")
			}
			got, _ := e.s.ReportByID(e.ctx, rep.ID)
			if got.ActionTakenAt == nil || got.ActionTakenByID != mod.ID {
				e.t.Fatalf("report not resolved by the moderation: %+v", got)
			}
			sus, err := e.s.AdminAccounts(e.ctx, storage.AdminAccountFilter{Status: "suspended"}, model.Page{Limit: 10})
			e.ok(err)
			if len(sus) != 1 || sus[0].Account.ID != target.ID {
				e.t.Fatalf("suspended accounts = %d", len(sus))
			}
			found, err := e.s.SearchAccounts(e.ctx, "target", false, 10, 0)
			e.ok(err)
			if len(found) != 0 {
				e.t.Fatal("search finds a suspended account")
			}
			ws, err := e.s.AccountWarnings(e.ctx, target.ID, model.Page{Limit: 10})
			e.ok(err)
			if len(ws) != 1 || ws[0].Action != "suspend" || ws[0].Text != "bye" {
				e.t.Fatalf("warnings = %+v", ws)
			}
			warning, err := e.s.AccountWarning(e.ctx, ws[0].ID)
			e.ok(err)
			if warning.ReportID != rep.ID {
				e.t.Fatalf("warning = %+v", warning)
			}
			ap := &model.Appeal{AccountID: target.ID, WarningID: warning.ID, Text: "sorry"}
			e.ok(e.s.CreateAppeal(e.ctx, ap))
			e.is(e.s.CreateAppeal(e.ctx, &model.Appeal{AccountID: target.ID, WarningID: warning.ID, Text: "again"}), storage.ErrConflict, "a second appeal")
			pending, err := e.s.Appeals(e.ctx, true, 0, model.Page{Limit: 10})
			e.ok(err)
			if len(pending) != 1 || pending[0].ID != ap.ID {
				e.t.Fatalf("pending appeals = %+v", pending)
			}
			e.ok(e.s.DecideAppeal(e.ctx, ap.ID, mod.ID, true))
			e.is(e.s.DecideAppeal(e.ctx, ap.ID, mod.ID, false), storage.ErrConflict, "deciding twice")
			e.is(e.s.DecideAppeal(e.ctx, 424242, mod.ID, false), storage.ErrNotFound, "deciding no appeal")
			byW, err := e.s.AppealsByWarnings(e.ctx, []int64{warning.ID})
			e.ok(err)
			if byW[warning.ID] == nil || byW[warning.ID].State() != "approved" || byW[warning.ID].DecidedBy != mod.ID {
				e.t.Fatalf("appeal = %+v", byW[warning.ID])
			}
			no := false
			e.ok(e.s.ModerateAccount(e.ctx, target.ID, storage.AccountModeration{Suspended: &no}, nil, nil, nil))
			if e.account(target.ID).SuspendedAt != nil {
				e.t.Fatal("still suspended")
			}
		}},
		{"DomainPolicies", func(e *env) {
			b := &model.DomainBlock{Domain: "bad.test", Severity: "suspend", PublicComment: "spam"}
			e.ok(e.s.CreateDomainBlock(e.ctx, b))
			e.is(e.s.CreateDomainBlock(e.ctx, &model.DomainBlock{Domain: "bad.test", Severity: "silence"}), storage.ErrConflict, "a second block of a domain")
			got, err := e.s.DomainBlockByDomain(e.ctx, "bad.test")
			e.ok(err)
			if got.ID != b.ID || got.Severity != "suspend" {
				e.t.Fatalf("block = %+v", got)
			}
			b.Severity, b.RejectMedia = "silence", true
			e.ok(e.s.UpdateDomainBlock(e.ctx, b))
			got, _ = e.s.DomainBlockByID(e.ctx, b.ID)
			if got.Severity != "silence" || !got.RejectMedia {
				e.t.Fatalf("updated block = %+v", got)
			}
			e.ok(e.s.CreateDomainBlock(e.ctx, &model.DomainBlock{Domain: "worse.test", Severity: "suspend"}))
			page, err := e.s.DomainBlocks(e.ctx, model.Page{Limit: 1})
			e.ok(err)
			all, err := e.s.AllDomainBlocks(e.ctx)
			e.ok(err)
			if len(page) != 1 || len(all) != 2 {
				e.t.Fatalf("blocks: page %d, all %d", len(page), len(all))
			}
			e.ok(e.s.DeleteDomainBlock(e.ctx, b.ID))
			_, err = e.s.DomainBlockByDomain(e.ctx, "bad.test")
			e.is(err, storage.ErrNotFound, "deleted block")
			al := &model.DomainAllow{Domain: "good.test"}
			e.ok(e.s.CreateDomainAllow(e.ctx, al))
			again := &model.DomainAllow{Domain: "good.test"}
			e.ok(e.s.CreateDomainAllow(e.ctx, again)) // idempotent: the allow it has
			if again.ID != al.ID {
				e.t.Fatalf("allowing twice made %d and %d", al.ID, again.ID)
			}
			allows, err := e.s.AllDomainAllows(e.ctx)
			e.ok(err)
			if len(allows) != 1 {
				e.t.Fatalf("allows = %+v", allows)
			}
			if p, _ := e.s.DomainAllows(e.ctx, model.Page{Limit: 10}); len(p) != 1 {
				e.t.Fatal("DomainAllows page empty")
			}
			e.ok(e.s.DeleteDomainAllow(e.ctx, al.ID))
			_, err = e.s.DomainAllowByID(e.ctx, al.ID)
			e.is(err, storage.ErrNotFound, "deleted allow")
		}},
		{"AddressAndEmailBlocks", func(e *env) {
			ip := &model.IPBlock{IP: "192.0.2.0/24", Severity: "sign_up_block", Comment: "c"}
			e.ok(e.s.CreateIPBlock(e.ctx, ip))
			ip.Severity = "no_access"
			e.ok(e.s.UpdateIPBlock(e.ctx, ip))
			got, err := e.s.IPBlockByID(e.ctx, ip.ID)
			e.ok(err)
			if got.Severity != "no_access" || got.IP != "192.0.2.0/24" {
				e.t.Fatalf("ip block = %+v", got)
			}
			if l, _ := e.s.IPBlocks(e.ctx, model.Page{Limit: 10}); len(l) != 1 {
				e.t.Fatal("IPBlocks empty")
			}
			e.ok(e.s.DeleteIPBlock(e.ctx, ip.ID))
			_, err = e.s.IPBlockByID(e.ctx, ip.ID)
			e.is(err, storage.ErrNotFound, "deleted ip block")
			eb := &model.EmailDomainBlock{Domain: "spam.test"}
			e.ok(e.s.CreateEmailDomainBlock(e.ctx, eb))
			for _, d := range []string{"spam.test", "mx.spam.test"} {
				got, err := e.s.EmailDomainBlockFor(e.ctx, d)
				e.ok(err)
				if got.ID != eb.ID {
					e.t.Fatalf("block for %s = %+v", d, got)
				}
			}
			_, err = e.s.EmailDomainBlockFor(e.ctx, "notspam.test")
			e.is(err, storage.ErrNotFound, "a domain that only ends like a blocked one")
			if l, _ := e.s.EmailDomainBlocks(e.ctx, model.Page{Limit: 10}); len(l) != 1 {
				e.t.Fatal("EmailDomainBlocks empty")
			}
			e.ok(e.s.DeleteEmailDomainBlock(e.ctx, eb.ID))
			_, err = e.s.EmailDomainBlockByID(e.ctx, eb.ID)
			e.is(err, storage.ErrNotFound, "deleted e-mail block")
			cb := &model.CanonicalEmailBlock{Hash: "abcd"}
			e.ok(e.s.CreateCanonicalEmailBlock(e.ctx, cb))
			bs, err := e.s.CanonicalEmailBlocksByHash(e.ctx, "abcd")
			e.ok(err)
			if len(bs) != 1 || bs[0].ID != cb.ID {
				e.t.Fatalf("canonical blocks = %+v", bs)
			}
			if l, _ := e.s.CanonicalEmailBlocks(e.ctx, model.Page{Limit: 10}); len(l) != 1 {
				e.t.Fatal("CanonicalEmailBlocks empty")
			}
			e.ok(e.s.DeleteCanonicalEmailBlock(e.ctx, cb.ID))
			_, err = e.s.CanonicalEmailBlockByID(e.ctx, cb.ID)
			e.is(err, storage.ErrNotFound, "deleted canonical block")
		}},
		{"AuditLog", func(e *env) {
			a := e.local("admin")
			for _, act := range []string{"suspend", "silence", "suspend"} {
				e.ok(e.s.AddAudit(e.ctx, &model.AuditEntry{AccountID: a.ID, Action: act, TargetType: "Account", TargetID: "7", Summary: act}))
			}
			e.ok(e.s.AddAudit(e.ctx, &model.AuditEntry{Action: "create_domain_block", TargetType: "DomainBlock", TargetID: "1"}))
			all, err := e.s.AuditLog(e.ctx, storage.AuditFilter{}, model.Page{Limit: 10})
			e.ok(err)
			if len(all) != 4 || all[0].Action != "create_domain_block" {
				e.t.Fatalf("audit log = %+v", all)
			}
			sus, _ := e.s.AuditLog(e.ctx, storage.AuditFilter{Action: "suspend"}, model.Page{Limit: 10})
			byAcc, _ := e.s.AuditLog(e.ctx, storage.AuditFilter{AccountID: a.ID}, model.Page{Limit: 10})
			byTarget, _ := e.s.AuditLog(e.ctx, storage.AuditFilter{TargetType: "Account", TargetID: "7"}, model.Page{Limit: 2})
			if len(sus) != 2 || len(byAcc) != 3 || len(byTarget) != 2 {
				e.t.Fatalf("filtered: %d, %d, %d", len(sus), len(byAcc), len(byTarget))
			}
		}},
		{"RulesInOrder", func(e *env) {
			r2 := &model.Rule{Text: "second", Position: 2}
			r1 := &model.Rule{Text: "first", Position: 1, Hint: "h"}
			e.ok(e.s.CreateRule(e.ctx, r2))
			e.ok(e.s.CreateRule(e.ctx, r1))
			rules, err := e.s.Rules(e.ctx)
			e.ok(err)
			if len(rules) != 2 || rules[0].Text != "first" || rules[1].Text != "second" {
				e.t.Fatalf("rules = %+v", rules)
			}
			r1.Position = 3
			e.ok(e.s.UpdateRule(e.ctx, r1))
			rules, _ = e.s.Rules(e.ctx)
			if rules[0].Text != "second" {
				e.t.Fatalf("rules after move = %+v", rules)
			}
			e.ok(e.s.DeleteRule(e.ctx, r2.ID))
			_, err = e.s.RuleByID(e.ctx, r2.ID)
			e.is(err, storage.ErrNotFound, "deleted rule")
		}},
		{"Announcements", func(e *env) {
			a, b := e.local("alice"), e.local("bob")
			now := time.Now()
			pub := &model.Announcement{Text: "hello", Content: "<p>hello</p>", PublishedAt: &now}
			draft := &model.Announcement{Text: "draft", Content: "<p>draft</p>"}
			e.ok(e.s.CreateAnnouncement(e.ctx, pub))
			e.ok(e.s.CreateAnnouncement(e.ctx, draft))
			shown, err := e.s.Announcements(e.ctx, false)
			e.ok(err)
			if len(shown) != 1 || shown[0].ID != pub.ID {
				e.t.Fatalf("published = %+v", shown)
			}
			all, _ := e.s.Announcements(e.ctx, true)
			if len(all) != 2 {
				e.t.Fatalf("with drafts = %d", len(all))
			}
			pub.Text = "hello again"
			e.ok(e.s.UpdateAnnouncement(e.ctx, pub))
			got, _ := e.s.AnnouncementByID(e.ctx, pub.ID)
			if got.Text != "hello again" {
				e.t.Fatalf("updated = %+v", got)
			}
			e.ok(e.s.AddAnnouncementReaction(e.ctx, pub.ID, a.ID, "👍"))
			e.ok(e.s.AddAnnouncementReaction(e.ctx, pub.ID, a.ID, "👍"))
			e.ok(e.s.AddAnnouncementReaction(e.ctx, pub.ID, b.ID, "👍"))
			rs, err := e.s.AnnouncementReactions(e.ctx, a.ID, []int64{pub.ID})
			e.ok(err)
			if len(rs[pub.ID]) != 1 || rs[pub.ID][0].Count != 2 || !rs[pub.ID][0].Me {
				e.t.Fatalf("reactions = %+v", rs)
			}
			e.ok(e.s.RemoveAnnouncementReaction(e.ctx, pub.ID, a.ID, "👍"))
			rs, _ = e.s.AnnouncementReactions(e.ctx, a.ID, []int64{pub.ID})
			if rs[pub.ID][0].Count != 1 || rs[pub.ID][0].Me {
				e.t.Fatalf("after removal = %+v", rs)
			}
			e.ok(e.s.DismissAnnouncement(e.ctx, pub.ID, a.ID))
			d, err := e.s.DismissedAnnouncements(e.ctx, a.ID)
			e.ok(err)
			if !d[pub.ID] {
				e.t.Fatal("not dismissed")
			}
			if d, _ := e.s.DismissedAnnouncements(e.ctx, b.ID); d[pub.ID] {
				e.t.Fatal("dismissed for bob too")
			}
			e.ok(e.s.DeleteAnnouncement(e.ctx, pub.ID))
			_, err = e.s.AnnouncementByID(e.ctx, pub.ID)
			e.is(err, storage.ErrNotFound, "deleted announcement")
		}},
	}}
}
