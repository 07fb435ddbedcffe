// Package storetest is the conformance suite of Herald's stores: black-box
// tests of the contracts that the interfaces of package storage promise
// (their doc comments), run through those interfaces and the model types
// alone, never SQL. It owns what every store must do alike; behaviour
// particular to one store stays in that store's own tests.
//
// A store uses it from a test of its own package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storage.Store {
//			s := openAnEmptyStore(t)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// open must return a new, empty, migrated store on each call: every case
// opens its own, so that cases run in parallel and see only their own rows
// (a store whose opening is slow may copy a migrated template, as SQLite's
// run does). There is one sub-test per area (an interface embedded in
// storage.Store, plus Concurrency: writers racing on one row) and one per
// case, so that "go test -run TestConformance/Jobs/PerKey" picks one out.
//
// Time: cases pass explicit instants where an interface takes them (the
// job runtime's claims, votes, invites); where a store reads the clock
// itself (mute ends, media garbage's grace) they use times far enough from
// now. No case sleeps.
//
// Where a doc comment leaves a choice open, a case checks what the domain
// layer (internal/core) relies on and says so.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// testCase is one case of an area: it gets its own store.
type testCase struct {
	name string
	run  func(e *env)
}

// area is the cases of one interface of storage.Store.
type area struct {
	name  string
	cases []testCase
}

// Run runs the suite: one sub-test per area of storage.Store, one per
// case inside it, each on a store made by open.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	areas := []area{
		accountsArea(),
		authArea(),
		settingsArea(),
		outboxArea(),
		statusesArea(),
		interactionsArea(),
		quotesArea(),
		socialArea(),
		timelinesArea(),
		notificationsArea(),
		userDataArea(),
		federationArea(),
		mediaArea(),
		adminArea(),
		realtimeArea(),
		jobsArea(),
		pollsArea(),
		scheduledArea(),
		webhooksArea(),
		delegationsArea(),
		hidingArea(),
		concurrencyArea(),
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range a.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(&env{t: t, s: open(t), ctx: context.Background()})
				})
			}
		})
	}
}

// env is what a case works with: its store and small builders that keep
// the cases short.
type env struct {
	t   *testing.T
	s   storage.Store
	ctx context.Context
	seq atomic.Int64
}

// next returns a number unique within the case (for URIs and names).
func (e *env) next() int64 { return e.seq.Add(1) }

// ok fails the case at once on an error.
func (e *env) ok(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// is fails the case unless err is target.
func (e *env) is(err, target error, what string) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// local creates a local account and its user.
func (e *env) local(name string) *model.Account {
	e.t.Helper()
	a, _ := e.localUser(name)
	return a
}

// localUser creates a local account and returns its user too.
func (e *env) localUser(name string) (*model.Account, *model.User) {
	e.t.Helper()
	a := &model.Account{Username: name, URI: "https://local.test/users/" + name, URL: "https://local.test/@" + name,
		Discoverable: true, KeyID: "https://local.test/users/" + name + "#main-key",
		PublicKeyPEM: "pub-" + name, PrivateKeyPEM: "priv-" + name}
	u := &model.User{Email: name + "@local.test", PasswordHash: "hash", Role: model.RoleUser, Approved: true,
		Locale: "en", DefaultVisibility: "public"}
	e.ok(e.s.CreateLocalAccount(e.ctx, a, u))
	if a.ID == 0 || u.ID == 0 {
		e.t.Fatalf("CreateLocalAccount set no ids: account %d, user %d", a.ID, u.ID)
	}
	return a, u
}

// remote creates (or refreshes) a remote account of domain.
func (e *env) remote(name, domain string) *model.Account {
	e.t.Helper()
	a := &model.Account{Username: name, Domain: domain, URI: "https://" + domain + "/users/" + name,
		URL: "https://" + domain + "/@" + name, InboxURL: "https://" + domain + "/users/" + name + "/inbox",
		SharedInboxURL: "https://" + domain + "/inbox", KeyID: "https://" + domain + "/users/" + name + "#main-key",
		PublicKeyPEM: "pub-" + name, Discoverable: true}
	e.ok(e.s.UpsertRemoteAccount(e.ctx, a))
	if a.ID == 0 {
		e.t.Fatal("UpsertRemoteAccount set no id")
	}
	return a
}

// account reads an account back.
func (e *env) account(id int64) *model.Account {
	e.t.Helper()
	a, err := e.s.AccountByID(e.ctx, id)
	e.ok(err)
	return a
}

// status reads a status back.
func (e *env) status(id int64) *model.Status {
	e.t.Helper()
	st, err := e.s.StatusByID(e.ctx, id)
	e.ok(err)
	return st
}

// post is what a builder may set on a new status.
type post struct {
	vis      model.Visibility
	replyTo  *model.Status
	mentions []int64
	tags     []string
	at       time.Time
	text     string
	pending  bool
	poll     *model.Poll
	media    []int64
	quote    *model.Status
	qstate   string
}

// post creates a status of author (local or remote) with the options.
func (e *env) post(author *model.Account, p post) *model.Status {
	e.t.Helper()
	st := e.newStatus(author, p)
	n := storage.NewStatus{Status: st, MentionIDs: p.mentions, Tags: p.tags, Poll: p.poll, MediaIDs: p.media}
	out, existed, err := e.s.CreateStatus(e.ctx, n)
	e.ok(err)
	if existed {
		e.t.Fatalf("CreateStatus: a new status %s existed", st.URI)
	}
	if out.ID == 0 {
		e.t.Fatal("CreateStatus set no id")
	}
	return out
}

// newStatus makes, without storing it, a status of author.
func (e *env) newStatus(author *model.Account, p post) *model.Status {
	n := e.next()
	host := "local.test"
	if author.Domain != "" {
		host = author.Domain
	}
	text := p.text
	if text == "" {
		text = fmt.Sprintf("post %d", n)
	}
	st := &model.Status{URI: fmt.Sprintf("https://%s/statuses/%s/%d", host, author.Username, n),
		URL: fmt.Sprintf("https://%s/@%s/%d", host, author.Username, n), AccountID: author.ID, Local: author.Domain == "",
		Content: "<p>" + text + "</p>", Text: text, Visibility: p.vis, Language: "en", PendingApproval: p.pending}
	if !p.at.IsZero() {
		st.CreatedAt = p.at
	}
	if p.replyTo != nil {
		st.InReplyToID, st.InReplyToAccountID, st.InReplyToURI = p.replyTo.ID, p.replyTo.AccountID, p.replyTo.URI
	}
	if p.quote != nil {
		st.QuoteOfID, st.QuoteURI, st.QuoteState = p.quote.ID, p.quote.URI, p.qstate
		if st.QuoteState == "" {
			st.QuoteState = model.QuoteAccepted
		}
	}
	return st
}

// pub creates a public status of author.
func (e *env) pub(author *model.Account) *model.Status {
	e.t.Helper()
	return e.post(author, post{})
}

// follow makes a follow b.
func (e *env) follow(a, b *model.Account) {
	e.t.Helper()
	e.ok(e.s.Follow(e.ctx, &model.Follow{AccountID: a.ID, TargetID: b.ID, ShowReblogs: true,
		URI: fmt.Sprintf("https://%s/follows/%d", hostOf(a), e.next())}, nil))
}

func hostOf(a *model.Account) string {
	if a.Domain == "" {
		return "local.test"
	}
	return a.Domain
}

// ids returns the ids of statuses, in order.
func ids(sts []*model.Status) []int64 {
	out := make([]int64, len(sts))
	for i, s := range sts {
		out[i] = s.ID
	}
	return out
}

// sids returns the ids of statuses given as *model.Status, in order.
func sids(sts ...*model.Status) []int64 { return ids(sts) }

// linkIDs returns the account ids of a list of account links.
func linkIDs(ls []storage.AccountLink) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.AccountID
	}
	return out
}

// notifTypes returns the "type:from" of notifications, in order.
func (e *env) notifications(accountID int64) []*model.Notification {
	e.t.Helper()
	ns, err := e.s.Notifications(e.ctx, accountID, storage.NotificationFilter{}, model.Page{Limit: 100})
	e.ok(err)
	return ns
}

// hasNotification reports whether accountID has a notification of typ from
// fromID (about statusID when not 0).
func (e *env) hasNotification(accountID int64, typ string, fromID, statusID int64) bool {
	e.t.Helper()
	for _, n := range e.notifications(accountID) {
		if n.Type == typ && n.FromAccountID == fromID && (statusID == 0 || n.StatusID == statusID) {
			return true
		}
	}
	return false
}

// home returns the ids of accountID's home timeline (newest first).
func (e *env) home(accountID int64) []int64 {
	e.t.Helper()
	sts, err := e.s.HomeTimeline(e.ctx, accountID, model.Page{Limit: 100})
	e.ok(err)
	return ids(sts)
}

// equal fails unless got equals want (int64 slices; nil and empty alike).
func (e *env) equal(what string, got, want []int64) {
	e.t.Helper()
	if len(got) != len(want) {
		e.t.Fatalf("%s = %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			e.t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

// contains reports whether xs holds x.
func contains(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// base is a fixed instant the cases build explicit times from.
var base = time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)

// isErr is errors.Is.
func isErr(err, target error) bool { return errors.Is(err, target) }
