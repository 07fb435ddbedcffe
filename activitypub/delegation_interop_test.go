package activitypub_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/testutil"
)

// Issue 17's two-instance test of delegation: on A, mia is a member of
// @city and posts through a token she authorised as @city. B receives the
// post as @city's and nothing in it names mia, while A's activity log of
// @city does.
func TestDelegatedPostArrivesAsTheAccount(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	city := A.user(t, "city", false)
	mia := A.user(t, "mia", false)
	bea := B.user(t, "bea", false)

	cityOnB := B.resolve(t, "city@"+A.Domain)
	if _, err := B.svc.Follow(ctx, bea, cityOnB.ID, core.FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "bea follows city", func() bool { return B.following(bea.Account.ID, cityOnB.ID) })

	if _, err := A.svc.GrantDelegation(ctx, city, city.Account.ID, "mia", []string{core.DelegationPost}); err != nil {
		t.Fatal(err)
	}
	// The token mia's app gets once she chose @city on the consent screen.
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	A.JSON(t, "POST", "/api/v1/apps", "", map[string]any{"client_name": "Team app", "redirect_uris": core.OOB, "scopes": "read write"}, 200, &app)
	appRow, err := A.svc.AppByClientID(ctx, app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := A.svc.IssueCodeAs(ctx, appRow, mia.Account.ID, city.Account.ID, core.OOB, []string{"read", "write"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	A.JSON(t, "POST", "/oauth/token", "", map[string]any{"grant_type": "authorization_code", "client_id": app.ClientID,
		"client_secret": app.ClientSecret, "code": code, "redirect_uri": core.OOB}, 200, &tok)

	var st struct{ ID, URI string }
	A.JSON(t, "POST", "/api/v1/statuses", tok.AccessToken, map[string]any{"status": "The library opens late on Sunday."}, 200, &st)
	testutil.Eventually(t, 15*time.Second, "city's post on B", func() bool { return B.homeHas(t, bea, st.URI) })
	onB := B.byURI(st.URI)
	if onB.AccountID != cityOnB.ID {
		t.Fatalf("the post on B is by account %d, want @city (%d)", onB.AccountID, cityOnB.ID)
	}
	if strings.Contains(onB.Content, "mia") {
		t.Errorf("the post on B names the member: %q", onB.Content)
	}
	log, err := A.svc.DelegationLog(ctx, city, city.Account.ID, 0, model.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || log[0].Member != "mia" || log[0].ObjectID != st.ID {
		t.Fatalf("city's activity log on A: %+v", log)
	}
	if fmt.Sprint(log[0].MemberID) != fmt.Sprint(mia.Account.ID) {
		t.Errorf("member id %d, want %d", log[0].MemberID, mia.Account.ID)
	}
}
