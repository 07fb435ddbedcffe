package activitypub_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/core"
)

// TestCollectionsAcrossHeralds: a collection on A is served as Mastodon's
// FeaturedCollection, linked from ann's actor (featuredCollections), and B
// reads it with its signed fetches (A requires them): name, summary in
// its language, topic and the featured accounts, A's own and B's; a
// collection that is not discoverable is not listed; the client API's uri
// is the object's id.
func TestCollectionsAcrossHeralds(t *testing.T) {
	ctx := context.Background()
	A, B := startHerald(t), startHerald(t)
	ann := A.user(t, "ann", false)
	amy := A.user(t, "amy", false)
	B.user(t, "ben", false)
	benOnA := A.resolve(t, "ben@"+B.Domain)

	str := func(s string) *string { return &s }
	no := false
	shown, err := A.svc.CreateCollection(ctx, ann, core.CollectionParams{Name: str("Good reads"), Description: str("people worth following"),
		Language: str("en"), TagName: str("reads"), AccountIDs: []int64{amy.Account.ID, benOnA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := A.svc.CreateCollection(ctx, ann, core.CollectionParams{Name: str("Private picks"), Discoverable: &no})
	if err != nil {
		t.Fatal(err)
	}

	cols, err := B.Srv.Fed.FetchFeaturedCollections(ctx, ann.Account.URI)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 1 {
		t.Fatalf("B read %d collections: %+v", len(cols), cols)
	}
	c := cols[0]
	if c.ID != A.svc.CollectionURI("ann", shown.Collection.ID) || c.Name != "Good reads" || c.Summary != "people worth following" ||
		c.Language != "en" || c.Topic != "reads" || !c.Discoverable || c.Sensitive ||
		strings.Join(c.Featured, " ") != amy.Account.URI+" "+benOnA.URI {
		t.Fatalf("collection as B read it: %+v", c)
	}

	// A requires signed fetches (authorized fetch, its default).
	for _, p := range []string{"/users/ann/featured_collections", "/users/ann/featured_collections/" + itoa(shown.Collection.ID),
		"/users/ann/featured_collections/" + itoa(hidden.Collection.ID)} {
		if code := fetchAS(t, A, p); code != http.StatusUnauthorized {
			t.Fatalf("unsigned fetch of %s: %d", p, code)
		}
	}
	var entity struct {
		Collection struct {
			URI string `json:"uri"`
		} `json:"collection"`
	}
	A.JSON(t, "GET", "/api/v1/collections/"+itoa(shown.Collection.ID), "", nil, 200, &entity)
	if entity.Collection.URI != c.ID {
		t.Fatalf("API uri %q, object id %q", entity.Collection.URI, c.ID)
	}
}

func fetchAS(t *testing.T, h *herald, path string) int {
	t.Helper()
	req, err := http.NewRequest("GET", h.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
