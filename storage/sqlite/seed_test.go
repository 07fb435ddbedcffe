package sqlite

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

func seedKeys(t testing.TB) (string, string) {
	k, err := httpsig.GenerateKey(0)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := httpsig.EncodePrivateKeyPEM(k)
	pub, _ := httpsig.EncodePublicKeyPEM(&k.PublicKey)
	return priv, pub
}

// TestSeedIsConsistent seeds a small database and checks that its home
// feeds hold exactly what fan-out on write would have written, that the
// counters match, and that the seeded accounts work with the store.
func TestSeedIsConsistent(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	priv, pub := seedKeys(t)
	n := 3000
	if v, _ := strconv.Atoi(os.Getenv("HERALD_SEED_STATUSES")); v > 0 {
		n = v // timing a big seed: HERALD_SEED_STATUSES=1000000 go test -run TestSeed -v
	}
	spec := SeedSpec{
		BaseURL: "http://127.0.0.1:1", Statuses: n, LocalAccounts: max(n/200, 5), RemoteAccounts: max(n/50, 10),
		RemoteDomains: max(n/1000, 2), Follows: 20, RemoteFollows: 2, PrivateKeyPEM: priv, PublicKeyPEM: pub,
		PasswordHash: "x", Tokens: 3, FanoutInboxes: []string{"http://127.0.0.1:2/inbox", "http://127.0.0.1:3/inbox"},
		Sender: "http://127.0.0.1:4/users/sender", SenderInbox: "http://127.0.0.1:4/users/sender/inbox", SenderFollowers: 2,
	}
	start := time.Now()
	res, err := Seed(ctx, s, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d statuses in %v: %v", n, time.Since(start), res.Rows)
	if got := res.Rows["statuses"]; got != int64(n) {
		t.Fatalf("%d statuses", got)
	}
	// Home feed rows = own local statuses + one per local follower.
	var want, got int64
	if err := s.r.QueryRow(`SELECT (SELECT count(*) FROM statuses WHERE local = 1) +
		(SELECT count(*) FROM statuses s JOIN follows f ON f.target_id = s.account_id JOIN accounts a ON a.id = f.account_id AND a.domain = '')`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow("SELECT count(*) FROM home_feed").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != want || got == 0 {
		t.Fatalf("home_feed has %d rows, fan-out would write %d", got, want)
	}
	var bad int64
	if err := s.r.QueryRow(`SELECT count(*) FROM accounts a WHERE statuses_count <> (SELECT count(*) FROM statuses s WHERE s.account_id = a.id)
		OR followers_count <> (SELECT count(*) FROM follows f WHERE f.target_id = a.id)`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d accounts with wrong counters (%v)", bad, err)
	}
	if len(res.Tokens) != 3 || res.FanoutToken == "" {
		t.Fatalf("tokens: %v %q", res.Tokens, res.FanoutToken)
	}
	tok, err := s.TokenByValue(ctx, res.Tokens[1])
	if err != nil || tok.UserID != res.AccountIDs[1] {
		t.Fatalf("token: %+v %v", tok, err)
	}
	reader, err := s.AccountByID(ctx, res.AccountIDs[0])
	if err != nil || reader.Username != "user0" || reader.PrivateKeyPEM != priv {
		t.Fatalf("reader: %+v %v", reader, err)
	}
	page, err := s.HomeTimeline(ctx, reader.ID, model.Page{Limit: 40})
	if err != nil || len(page) == 0 {
		t.Fatalf("home: %d statuses, %v", len(page), err)
	}
	pub0, err := s.PublicTimeline(ctx, false, false, model.Page{Limit: 40})
	if err != nil || len(pub0) != 40 {
		t.Fatalf("public: %d statuses, %v", len(pub0), err)
	}
	// The fan-out account reaches every sink; locals reach their remote followers.
	fan, err := s.AccountByURI(ctx, "http://127.0.0.1:1/users/fanout")
	if err != nil {
		t.Fatal(err)
	}
	inboxes, err := s.FollowerInboxes(ctx, fan.ID)
	if err != nil || len(inboxes) != 2 {
		t.Fatalf("fan-out inboxes: %v %v", inboxes, err)
	}
	// A status posted through the store fans out as the seeded ones did.
	st := &model.Status{AccountID: reader.ID, Local: true, URI: "http://127.0.0.1:1/users/user0/statuses/new", Content: "<p>new</p>"}
	if _, _, err := s.CreateStatus(ctx, storage.NewStatus{Status: st}); err != nil {
		t.Fatal(err)
	}
	var followers, rows int64
	s.r.QueryRow(`SELECT count(*) FROM follows f JOIN accounts a ON a.id = f.account_id AND a.domain = '' WHERE f.target_id = ?`, reader.ID).Scan(&followers)
	s.r.QueryRow(`SELECT count(*) FROM home_feed WHERE status_id = ?`, st.ID).Scan(&rows)
	if rows != followers+1 {
		t.Fatalf("new status: %d feed rows, want %d", rows, followers+1)
	}
}
