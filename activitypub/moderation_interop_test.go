package activitypub_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
	"github.com/herald-social/herald/storage"
)

// Moderation between whole Heralds: forwarded reports, admin domain
// blocks (suspend, silence), suspended and deleted local accounts.

// admin makes an admin user and returns its caller.
func (h *herald) admin(t *testing.T, name string) *core.Caller {
	t.Helper()
	h.CreateUser(t, name, model.RoleAdmin)
	return h.caller(t, name)
}

// followAcross makes c (on from) follow user@to and waits for the Accept.
func followAcross(t *testing.T, from *herald, c *core.Caller, to *herald, user string) *model.Account {
	t.Helper()
	there := from.resolve(t, user+"@"+to.Domain)
	if _, err := from.svc.Follow(context.Background(), c, there.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, c.Account.Username+" follows "+user, func() bool { return from.following(c.Account.ID, there.ID) })
	return there
}

func TestReportForwardedToOtherHerald(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	B.admin(t, "boss")
	benOnA := followAcross(t, A, ann, B, "ben")
	bad := post(t, B, ben, core.PostParams{Text: "buy my stuff", Visibility: "public"})
	testutil.Eventually(t, 15*time.Second, "ben's post on A", func() bool { return A.byURI(bad.URI) != nil })

	if _, err := A.svc.CreateReport(ctx, ann, core.ReportParams{
		AccountID: benOnA.ID, StatusIDs: []int64{A.byURI(bad.URI).ID}, Comment: "spam, clearly", Forward: true,
	}); err != nil {
		t.Fatal(err)
	}
	token := B.Token(t, "boss", "admin:read")
	var reports []struct {
		Comment       string `json:"comment"`
		TargetAccount struct {
			Account struct {
				ID string `json:"id"`
			} `json:"account"`
			ID string `json:"id"`
		} `json:"target_account"`
		Account struct {
			Domain   string `json:"domain"`
			Username string `json:"username"`
		} `json:"account"`
		Statuses []struct {
			URI string `json:"uri"`
		} `json:"statuses"`
	}
	testutil.Eventually(t, 15*time.Second, "the forwarded report listed on B", func() bool {
		B.JSON(t, "GET", "/api/v1/admin/reports", token, nil, 200, &reports)
		return len(reports) == 1
	})
	r := reports[0]
	if r.Comment != "spam, clearly" || r.TargetAccount.ID != itoa(ben.Account.ID) ||
		len(r.Statuses) != 1 || r.Statuses[0].URI != bad.URI {
		t.Fatalf("report on B: %+v", r)
	}
	// The reporter is A's instance actor, not ann.
	reporter, err := B.Srv.Store.AccountByURI(ctx, A.URL+"/actor")
	if err != nil {
		t.Fatalf("A's instance actor on B: %v", err)
	}
	if reporter.ActorType != "Application" {
		t.Fatalf("reporter %+v", reporter)
	}
	// B's staff are notified of the remote report (admin.report).
	var notes []struct {
		Type    string `json:"type"`
		Account struct {
			ID string `json:"id"`
		} `json:"account"`
		Report *struct {
			Comment string `json:"comment"`
		} `json:"report"`
	}
	B.JSON(t, "GET", "/api/v1/notifications?types[]=admin.report", B.Token(t, "boss", "read"), nil, 200, &notes)
	if len(notes) != 1 || notes[0].Report == nil || notes[0].Report.Comment != "spam, clearly" || notes[0].Account.ID != itoa(reporter.ID) {
		t.Fatalf("admin.report on B: %+v", notes)
	}
}

func TestAdminDomainSuspension(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	boss := A.admin(t, "boss")
	benOnA := followAcross(t, A, ann, B, "ben")
	annOnB := followAcross(t, B, ben, A, "ann")
	_ = annOnB

	sev := "suspend"
	if _, err := A.svc.CreateDomainBlock(ctx, boss, core.DomainBlockParams{Domain: B.Domain, Severity: &sev}); err != nil {
		t.Fatal(err)
	}
	// Existing accounts of B are suspended on A, and their follows gone.
	a, err := A.Srv.Store.AccountByID(ctx, benOnA.ID)
	if err != nil || a.SuspendedAt == nil {
		t.Fatalf("ben on A after the block: %+v %v", a, err)
	}
	if A.following(ann.Account.ID, benOnA.ID) || A.following(benOnA.ID, ann.Account.ID) {
		t.Fatal("follows with the suspended domain survived")
	}
	// B's posts are refused at A's inbox (403), A's are not sent to B.
	fromB := post(t, B, ben, core.PostParams{Text: "@ann@" + A.Domain + " can you hear me", Visibility: "public"})
	fromA := post(t, A, ann, core.PostParams{Text: "@ben@" + B.Domain + " hello?", Visibility: "public"})
	waitDeliveriesDone(t, B)
	waitDeliveriesDone(t, A)
	if A.byURI(fromB.URI) != nil {
		t.Fatal("a post from the suspended domain arrived")
	}
	if B.byURI(fromA.URI) != nil {
		t.Fatal("a post reached the suspended domain")
	}
	// And nothing is fetched from it.
	if _, err := A.svc.LookupAcct(ctx, "ben@"+B.Domain, true); err == nil {
		if acc, _ := A.Srv.Store.AccountByID(ctx, benOnA.ID); acc.SuspendedAt == nil {
			t.Fatal("lookup revived the suspended account")
		}
	}
}

func waitDeliveriesDone(t *testing.T, h *herald) {
	t.Helper()
	testutil.Eventually(t, 15*time.Second, "deliveries drained on "+h.Domain, func() bool {
		n, err := h.Srv.Store.CountDeliveries(context.Background())
		return err == nil && n == 0
	})
}

func TestSilencedDomainFollowsBecomeRequests(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false) // unlocked
	boss := B.admin(t, "boss")
	sev := "silence"
	if _, err := B.svc.CreateDomainBlock(ctx, boss, core.DomainBlockParams{Domain: A.Domain, Severity: &sev}); err != nil {
		t.Fatal(err)
	}
	benOnA := A.resolve(t, "ben@"+B.Domain)
	if _, err := A.svc.Follow(ctx, ann, benOnA.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ann's follow is a request at ben", func() bool {
		n, _ := B.Srv.Store.CountFollowRequests(ctx, ben.Account.ID)
		return n == 1
	})
	annOnB, err := B.Srv.Store.AccountByURI(ctx, ann.Account.URI)
	if err != nil || annOnB.SilencedAt == nil {
		t.Fatalf("ann on B is not silenced: %+v %v", annOnB, err)
	}
	if A.following(ann.Account.ID, benOnA.ID) {
		t.Fatal("following before authorisation")
	}
	if _, err := B.svc.AuthorizeFollowRequest(ctx, ben, annOnB.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ann follows ben once authorised", func() bool { return A.following(ann.Account.ID, benOnA.ID) })
}

func TestSuspendedAndDeletedLocalAccount(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	boss := B.admin(t, "boss")
	benOnA := followAcross(t, A, ann, B, "ben")

	if err := B.svc.AccountAction(ctx, boss, ben.Account.ID, core.AccountActionParams{Type: "suspend"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", "/outbox", "/followers", "/following", "/collections/featured"} {
		if status := getAS(t, ben.Account.URI+path); status != 410 {
			t.Fatalf("GET %s of a suspended account: %d, want 410", path, status)
		}
	}
	if _, err := B.svc.DeleteAccountData(ctx, boss, ben.Account.ID); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "ben deleted on B", func() bool {
		_, err := B.Srv.Store.AccountByID(ctx, ben.Account.ID)
		return errors.Is(err, storage.ErrNotFound)
	})
	if status := getAS(t, ben.Account.URI); status != 410 {
		t.Fatalf("GET of a deleted account's actor: %d, want 410", status)
	}
	testutil.Eventually(t, 15*time.Second, "the Delete reached A (ben gone there)", func() bool {
		_, err := A.Srv.Store.AccountByID(ctx, benOnA.ID)
		return errors.Is(err, storage.ErrNotFound)
	})
}

// getAS GETs an ActivityPub document (unsigned) and returns the status.
func getAS(t *testing.T, url string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func itoa(n int64) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{digits[n%10]}, b...)
		n /= 10
	}
	return string(b)
}

// A moderator takes down a reported post: it is deleted here and on the
// servers that had it, marked sensitive elsewhere; its author's warning
// keeps what the posts said; the report is resolved.
func TestModeratorTakesDownAReportedPost(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	ben := B.user(t, "ben", false)
	A.admin(t, "boss")
	followAcross(t, B, ben, A, "ann")
	doxx := post(t, A, ann, core.PostParams{Text: "Resident Jane Doe, 12 High St, case 4711", Visibility: "public"})
	other := post(t, A, ann, core.PostParams{Text: "a picture of the fair", Visibility: "public"})
	testutil.Eventually(t, 15*time.Second, "ann's posts on B", func() bool { return B.byURI(doxx.URI) != nil && B.byURI(other.URI) != nil })

	reporter := A.user(t, "rita", false)
	r, err := A.svc.CreateReport(ctx, reporter, core.ReportParams{AccountID: ann.Account.ID, StatusIDs: []int64{doxx.ID}, Comment: "personal data"})
	if err != nil {
		t.Fatal(err)
	}
	token := A.Token(t, "boss", "admin:read admin:write")
	var w struct {
		Action    string   `json:"action"`
		Text      string   `json:"text"`
		StatusIDs []string `json:"status_ids"`
	}
	A.JSON(t, "POST", "/api/v1/admin/status_actions", token, map[string]any{"type": "delete", "report_id": itoa(r.ID),
		"text": "Personal data of a resident"}, 200, &w)
	if w.Action != "delete_statuses" || len(w.StatusIDs) != 1 || w.StatusIDs[0] != itoa(doxx.ID) {
		t.Fatalf("warning: %+v", w)
	}
	if _, err := A.Srv.Store.StatusByID(ctx, doxx.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the post is still here: %v", err)
	}
	testutil.Eventually(t, 15*time.Second, "the Delete reaches B", func() bool { return B.byURI(doxx.URI) == nil })
	rep, err := A.Srv.Store.ReportByID(ctx, r.ID)
	if err != nil || rep.ActionTakenAt == nil {
		t.Fatalf("report not resolved: %+v %v", rep, err)
	}
	ws, err := A.Srv.Store.AccountWarnings(ctx, ann.Account.ID, model.Page{Limit: 5})
	if err != nil || len(ws) != 1 || len(ws[0].Statuses) != 1 || ws[0].Statuses[0].Content == "" || ws[0].Text != "Personal data of a resident" {
		t.Fatalf("the warning does not keep the post: %+v %v", ws, err)
	}

	// Marking sensitive: an edit that federates.
	A.JSON(t, "POST", "/api/v1/admin/status_actions", token, map[string]any{"type": "mark_as_sensitive",
		"status_ids": []string{itoa(other.ID)}}, 200, nil)
	testutil.Eventually(t, 15*time.Second, "the post sensitive on B", func() bool {
		st := B.byURI(other.URI)
		return st != nil && st.Sensitive
	})

	// Refusals: a user without Manage Reports, posts of two accounts, no posts.
	A.JSON(t, "POST", "/api/v1/admin/status_actions", A.Token(t, "rita", "admin:read admin:write"), map[string]any{"type": "delete",
		"status_ids": []string{itoa(other.ID)}}, 403, nil)
	mine := post(t, A, reporter, core.PostParams{Text: "mine", Visibility: "public"})
	A.JSON(t, "POST", "/api/v1/admin/status_actions", token, map[string]any{"type": "delete",
		"status_ids": []string{itoa(other.ID), itoa(mine.ID)}}, 422, nil)
	A.JSON(t, "POST", "/api/v1/admin/status_actions", token, map[string]any{"type": "delete"}, 422, nil)
	A.JSON(t, "POST", "/api/v1/admin/status_actions", token, map[string]any{"type": "explode", "status_ids": []string{itoa(mine.ID)}}, 422, nil)
}
