package api_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// An actor on one server whose url names a profile on another server must
// not pass for that profile (issue 12): search finds remote accounts by
// id, trusts a url only on the actor's own host, and resolve=true fetches
// the URL rather than matching stored urls.
func TestSearchByProfileURLIgnoresImpersonators(t *testing.T) {
	victim := server.StartTest(t) // the real @boss lives here
	victim.CreateUser(t, "boss", "")
	searcher := server.StartTest(t)
	searcher.CreateUser(t, "carol", "")
	tok := searcher.Token(t, "carol", "read write")
	bossURL := victim.URL + "/@boss"

	// evil.example: an actor that claims boss's profile as its url.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	evil := "http://" + ln.Addr().String()
	mallory := evil + "/users/boss"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/boss", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams", "id": mallory, "type": "Person",
			"preferredUsername": "boss", "name": "The Boss", "inbox": mallory + "/inbox", "url": bossURL,
		})
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	type result struct {
		Accounts []struct {
			ID, Acct, URL string
		} `json:"accounts"`
	}
	search := func(q string, resolve bool) result {
		t.Helper()
		var r result
		path := "/api/v2/search?type=accounts&q=" + url.QueryEscape(q)
		if resolve {
			path += "&resolve=true"
		}
		searcher.JSON(t, "GET", path, tok, nil, 200, &r)
		return r
	}

	// The impersonator is stored without the foreign url.
	r := search(mallory, true)
	if len(r.Accounts) != 1 || r.Accounts[0].URL != mallory {
		t.Fatalf("impersonator as stored: %+v", r)
	}
	malloryID := r.Accounts[0].ID

	// Rows stored before urls were checked may still hold a foreign one.
	ctx := context.Background()
	st := searcher.Srv.Store
	acc, err := st.AccountByURI(ctx, mallory)
	if err != nil {
		t.Fatal(err)
	}
	acc.URL = bossURL
	if err := st.UpsertRemoteAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}

	// Without resolving, boss is not known here yet: nothing.
	if r := search(bossURL, false); len(r.Accounts) != 0 {
		t.Fatalf("search for %s without resolve: %+v", bossURL, r)
	}
	// Resolving fetches the profile: the real boss.
	r = search(bossURL, true)
	if len(r.Accounts) != 1 || r.Accounts[0].ID == malloryID || r.Accounts[0].Acct != "boss@"+victim.Domain {
		t.Fatalf("search for %s with resolve: %+v", bossURL, r)
	}
	realID := r.Accounts[0].ID
	// Now known, the real one is found without resolving too.
	if r := search(bossURL, false); len(r.Accounts) != 1 || r.Accounts[0].ID != realID {
		t.Fatalf("search for %s once known: %+v", bossURL, r)
	}
}
