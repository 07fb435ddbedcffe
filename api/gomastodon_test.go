package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/herald-social/herald/internal/server"
)

// TestGoMastodonClient drives Herald with a third-party Mastodon client
// library: sign-in, post, timeline, follow, favourite, notifications.
func TestGoMastodonClient(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "user")
	ts.CreateUser(t, "ben", "user")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Server: ts.URL, ClientName: "go-mastodon test",
		Scopes: "read write follow push", RedirectURIs: "urn:ietf:wg:oauth:2.0:oob", Website: "https://example.org"})
	if err != nil {
		t.Fatalf("register app: %v", err)
	}
	login := func(email string) *mastodon.Client {
		c := mastodon.NewClient(&mastodon.Config{Server: ts.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
		if err := c.Authenticate(ctx, email, server.TestPassword); err != nil {
			t.Fatalf("authenticate %s: %v", email, err)
		}
		return c
	}
	ann, ben := login("ann@example.org"), login("ben@example.org")

	me, err := ann.GetAccountCurrentUser(ctx)
	if err != nil || me.Username != "ann" {
		t.Fatalf("current user: %v %+v", err, me)
	}
	benAcct, err := ann.AccountLookup(ctx, "ben")
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	rel, err := ann.AccountFollow(ctx, benAcct.ID)
	if err != nil || !rel.Following {
		t.Fatalf("follow: %v %+v", err, rel)
	}
	post, err := ben.PostStatus(ctx, &mastodon.Toot{Status: "Hello from #herald, @ann!", Visibility: "public"})
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	if !strings.Contains(post.Content, "mention") || len(post.Tags) != 1 || post.Tags[0].Name != "herald" {
		t.Fatalf("rendered post: %+v", post)
	}
	home, err := ann.GetTimelineHome(ctx, &mastodon.Pagination{Limit: 20})
	if err != nil {
		t.Fatalf("home: %v", err)
	}
	if len(home) == 0 || home[0].ID != post.ID {
		t.Fatalf("followed account's post not first in home: %d statuses", len(home))
	}
	fav, err := ann.Favourite(ctx, post.ID)
	if err != nil || !fav.Favourited.(bool) || fav.FavouritesCount != 1 {
		t.Fatalf("favourite: %v %+v", err, fav)
	}
	notes, err := ben.GetNotifications(ctx, nil)
	if err != nil {
		t.Fatalf("notifications: %v", err)
	}
	kinds := map[string]bool{}
	for _, n := range notes {
		kinds[n.Type] = true
		if n.Account.Username != "ann" {
			t.Fatalf("notification from %s", n.Account.Username)
		}
	}
	if !kinds["follow"] || !kinds["favourite"] {
		t.Fatalf("ben's notifications: %v", kinds)
	}
	annNotes, err := ann.GetNotifications(ctx, nil)
	if err != nil || len(annNotes) != 1 || annNotes[0].Type != "mention" || annNotes[0].Status.ID != post.ID {
		t.Fatalf("ann's mention notification: %v %+v", err, annNotes)
	}
}
