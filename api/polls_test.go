package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/server"
)

type apiPoll struct {
	ID          string  `json:"id"`
	ExpiresAt   *string `json:"expires_at"`
	Expired     bool    `json:"expired"`
	Multiple    bool    `json:"multiple"`
	VotesCount  int64   `json:"votes_count"`
	VotersCount *int64  `json:"voters_count"`
	Options     []struct {
		Title      string `json:"title"`
		VotesCount *int64 `json:"votes_count"`
	} `json:"options"`
	Voted    *bool `json:"voted"`
	OwnVotes []int `json:"own_votes"`
}

type apiPollStatus struct {
	ID   string   `json:"id"`
	Poll *apiPoll `json:"poll"`
}

// goMastodonClients registers an app and signs in the given users.
func goMastodonClients(t *testing.T, ctx context.Context, ts *server.TestServer, users ...string) []*mastodon.Client {
	t.Helper()
	app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Server: ts.URL, ClientName: "go-mastodon polls",
		Scopes: "read write follow", RedirectURIs: "urn:ietf:wg:oauth:2.0:oob"})
	if err != nil {
		t.Fatalf("register app: %v", err)
	}
	var out []*mastodon.Client
	for _, u := range users {
		ts.CreateUser(t, u, "user")
		c := mastodon.NewClient(&mastodon.Config{Server: ts.URL, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
		if err := c.Authenticate(ctx, u+"@example.org", server.TestPassword); err != nil {
			t.Fatalf("authenticate %s: %v", u, err)
		}
		out = append(out, c)
	}
	return out
}

func apiStatus(t *testing.T, err error) int {
	t.Helper()
	var e *mastodon.APIError
	if !errors.As(err, &e) {
		t.Fatalf("want an API error, got %v", err)
	}
	return e.StatusCode
}

// A poll made, read, voted on and ended through go-mastodon (which sends
// the form-encoded poll[options][] most apps send).
func TestPollsGoMastodon(t *testing.T) {
	ts := server.StartTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl := goMastodonClients(t, ctx, ts, "ann", "ben", "cat")
	ann, ben, cat := cl[0], cl[1], cl[2]

	st, err := ann.PostStatus(ctx, &mastodon.Toot{Status: "Tea or coffee?", Visibility: "public",
		Poll: &mastodon.TootPoll{Options: []string{"tea", "coffee", "neither"}, ExpiresInSeconds: 600}})
	if err != nil {
		t.Fatalf("post poll: %v", err)
	}
	if st.Poll == nil || len(st.Poll.Options) != 3 || st.Poll.Options[1].Title != "coffee" || st.Poll.Multiple || st.Poll.Expired {
		t.Fatalf("posted poll: %+v", st.Poll)
	}
	if d := time.Until(st.Poll.ExpiresAt); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("expires_at %v is not ten minutes ahead", st.Poll.ExpiresAt)
	}
	pollID := st.Poll.ID
	p, err := ben.PollVote(ctx, pollID, 1)
	if err != nil {
		t.Fatalf("vote: %v", err)
	}
	if !p.Voted || len(p.OwnVotes) != 1 || p.OwnVotes[0] != 1 || p.VotesCount != 1 || p.VotersCount != 1 || p.Options[1].VotesCount != 1 {
		t.Fatalf("after the vote: %+v", p)
	}
	if _, err := cat.PollVote(ctx, pollID, 0, 1); apiStatus(t, err) != 422 {
		t.Fatalf("two choices on a single-choice poll: %v", err)
	}
	if _, err := cat.PollVote(ctx, pollID, 7); apiStatus(t, err) != 422 {
		t.Fatalf("a choice out of range: %v", err)
	}
	if _, err := ben.PollVote(ctx, pollID, 0); apiStatus(t, err) != 422 {
		t.Fatalf("a second vote: %v", err)
	}
	if _, err := ann.PollVote(ctx, pollID, 0); apiStatus(t, err) != 422 {
		t.Fatalf("a vote on one's own poll: %v", err)
	}
	if _, err := cat.PollVote(ctx, pollID, 0); err != nil {
		t.Fatalf("cat's vote: %v", err)
	}
	got, err := ann.GetPoll(ctx, pollID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Voted || len(got.OwnVotes) != 0 || got.VotesCount != 2 || got.Options[0].VotesCount != 1 {
		t.Fatalf("the author's view: %+v", got)
	}
	// The status carries the poll as the viewer sees it.
	bs, err := ben.GetStatus(ctx, st.ID)
	if err != nil || bs.Poll == nil || !bs.Poll.Voted || bs.Poll.OwnVotes[0] != 1 {
		t.Fatalf("ben's status: %v %+v", err, bs)
	}

	// Expiry is a job at expires_at: move the clock past it.
	ts.Srv.Svc.SetClock(func() time.Time { return time.Now().Add(11 * time.Minute) })
	ts.Srv.Jobs.Wake(core.JobPollExpire)
	if err := ts.Srv.Jobs.Drained(ctx, core.JobPollExpire); err != nil {
		t.Fatal(err)
	}
	got, err = ben.GetPoll(ctx, pollID)
	if err != nil || !got.Expired {
		t.Fatalf("after expiry: %v %+v", err, got)
	}
	for _, c := range []*mastodon.Client{ann, ben, cat} {
		ns, err := c.GetNotifications(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range ns {
			if n.Type == "poll" && n.Status != nil && n.Status.ID == st.ID && n.Status.Poll != nil && n.Status.Poll.Expired {
				found = true
			}
		}
		if !found {
			t.Fatalf("no poll notification: %+v", ns)
		}
	}
	if _, _, err := ts.Srv.Svc.VotePoll(ctx, nil, 0, nil); err == nil {
		t.Fatal("a vote without a caller passed")
	}
	ts.CreateUser(t, "dan", "user")
	dan := ts.Token(t, "dan", "read write")
	code, _, body := ts.Do(t, "POST", "/api/v1/polls/"+string(pollID)+"/votes", dan, url.Values{"choices[]": {"0"}})
	if code != 422 || !strings.Contains(string(body), "ended") {
		t.Fatalf("a vote on an ended poll: %d %s", code, body)
	}
}

// Polls as Tusky and Ivory send them (a urlencoded form) and as web
// clients do (JSON), and the shapes that must be refused rather than
// dropped.
func TestPollsFormAndJSON(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "user")
	ts.CreateUser(t, "ben", "user")
	ann, ben := ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write")

	var st apiPollStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, url.Values{"status": {"form poll"}, "poll[options][]": {"a", "b"},
		"poll[expires_in]": {"300"}, "poll[multiple]": {"true"}, "poll[hide_totals]": {"true"}}, 200, &st)
	if st.Poll == nil || len(st.Poll.Options) != 2 || !st.Poll.Multiple || st.Poll.Options[0].VotesCount == nil {
		t.Fatalf("form poll: %+v", st.Poll)
	}
	// Indexed options (poll[options][0]) are read too.
	var idx apiPollStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, url.Values{"status": {"indexed"}, "poll[options][0]": {"x"},
		"poll[options][1]": {"y"}, "poll[expires_in]": {"86400"}}, 200, &idx)
	if idx.Poll == nil || idx.Poll.Options[0].Title != "x" || idx.Poll.Options[1].Title != "y" {
		t.Fatalf("indexed poll: %+v", idx.Poll)
	}
	var js apiPollStatus
	ts.JSON(t, "POST", "/api/v1/statuses", ann, `{"status":"json poll","poll":{"options":["one","two","three"],"expires_in":3600}}`, 200, &js)
	if js.Poll == nil || len(js.Poll.Options) != 3 || js.Poll.Multiple {
		t.Fatalf("json poll: %+v", js.Poll)
	}

	// Multiple choices; totals hidden from voters until the end.
	var p apiPoll
	ts.JSON(t, "POST", "/api/v1/polls/"+st.ID+"/votes", ben, `{"choices":[0,1]}`, 200, &p)
	if p.VotesCount != 2 || *p.VotersCount != 1 || p.Options[0].VotesCount != nil || len(p.OwnVotes) != 2 {
		t.Fatalf("hidden totals for a voter: %+v", p)
	}
	ts.JSON(t, "GET", "/api/v1/polls/"+st.ID, ann, nil, 200, &p)
	if p.Options[0].VotesCount == nil || *p.Options[0].VotesCount != 1 {
		t.Fatalf("the author sees the totals: %+v", p)
	}
	// Anonymous readers get the poll without voted/own_votes.
	var anon map[string]any
	ts.JSON(t, "GET", "/api/v1/polls/"+st.ID, "", nil, 200, &anon)
	if _, ok := anon["voted"]; ok {
		t.Fatalf("anonymous poll: %v", anon)
	}

	bad := []struct {
		name string
		body any
	}{
		{"one option", url.Values{"status": {"x"}, "poll[options][]": {"a"}, "poll[expires_in]": {"300"}}},
		{"five options", url.Values{"status": {"x"}, "poll[options][]": {"a", "b", "c", "d", "e"}, "poll[expires_in]": {"300"}}},
		{"duplicates", url.Values{"status": {"x"}, "poll[options][]": {"a", "a"}, "poll[expires_in]": {"300"}}},
		{"long option", url.Values{"status": {"x"}, "poll[options][]": {"a", strings.Repeat("b", 51)}, "poll[expires_in]": {"300"}}},
		{"no expiry", url.Values{"status": {"x"}, "poll[options][]": {"a", "b"}}},
		{"bad expiry", url.Values{"status": {"x"}, "poll[options][]": {"a", "b"}, "poll[expires_in]": {"soon"}}},
		{"too short", url.Values{"status": {"x"}, "poll[options][]": {"a", "b"}, "poll[expires_in]": {"60"}}},
		{"too long", url.Values{"status": {"x"}, "poll[options][]": {"a", "b"}, "poll[expires_in]": {"99999999"}}},
		{"bad multiple", url.Values{"status": {"x"}, "poll[options][]": {"a", "b"}, "poll[expires_in]": {"300"}, "poll[multiple]": {"maybe"}}},
		{"no options", url.Values{"status": {"x"}, "poll[expires_in]": {"300"}}},
		{"json not an object", `{"status":"x","poll":"a,b"}`},
		{"json options not a list", `{"status":"x","poll":{"options":{"a":1},"expires_in":300}}`},
	}
	for _, b := range bad {
		code, _, body := ts.Do(t, "POST", "/api/v1/statuses", ann, b.body)
		if code != 422 {
			t.Errorf("%s: %d %s", b.name, code, body)
		}
	}
	// No media with a poll.
	m := uploadTestImage(t, ts, ann)
	code, _, body := ts.Do(t, "POST", "/api/v1/statuses", ann, url.Values{"status": {"x"}, "poll[options][]": {"a", "b"},
		"poll[expires_in]": {"300"}, "media_ids[]": {m}})
	if code != 422 {
		t.Fatalf("poll with media: %d %s", code, body)
	}
	// Nothing of the refused posts was published.
	var mine []json.RawMessage
	ts.JSON(t, "GET", "/api/v1/accounts/"+accountID(t, ts, ann)+"/statuses", ann, nil, 200, &mine)
	if len(mine) != 3 {
		t.Fatalf("ann has %d statuses, want the 3 polls", len(mine))
	}
	// Votes: bad choices and unknown polls.
	for _, c := range []struct {
		path string
		body any
		want int
	}{
		{"/api/v1/polls/" + js.ID + "/votes", url.Values{"choices[]": {"x"}}, 422},
		{"/api/v1/polls/" + js.ID + "/votes", url.Values{}, 422},
		{"/api/v1/polls/" + js.ID + "/votes", url.Values{"choices[]": {"-1"}}, 422},
		{"/api/v1/polls/12345/votes", url.Values{"choices[]": {"0"}}, 404},
	} {
		if code, _, body := ts.Do(t, "POST", c.path, ben, c.body); code != c.want {
			t.Errorf("vote %v: %d %s", c.body, code, body)
		}
	}
	// The instance advertises the limits it applies.
	var inst struct {
		Configuration struct {
			Polls map[string]int `json:"polls"`
		} `json:"configuration"`
	}
	ts.JSON(t, "GET", "/api/v2/instance", "", nil, 200, &inst)
	if inst.Configuration.Polls["max_options"] != core.MaxPollOptions || inst.Configuration.Polls["min_expiration"] != 300 {
		t.Fatalf("instance polls: %v", inst.Configuration.Polls)
	}
}

// uploadTestImage uploads a small image and returns its id.
func uploadTestImage(t *testing.T, ts *server.TestServer, token string) string {
	t.Helper()
	var m mediaJSON
	if st := upload(t, ts, "POST", "/api/v2/media", token, nil,
		map[string]formFile{"file": {"p.jpg", "image/jpeg", gpsJPEG(t, 64, 32)}}, &m); st != 200 {
		t.Fatalf("upload: %d", st)
	}
	return m.ID
}

// accountID is the id of the token's account.
func accountID(t *testing.T, ts *server.TestServer, token string) string {
	t.Helper()
	var a struct {
		ID string `json:"id"`
	}
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", token, nil, 200, &a)
	return a.ID
}
