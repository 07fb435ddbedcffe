package api_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// mastodonPyPollsScript drives polls and scheduled statuses from
// Mastodon.py: a multiple-choice poll posted (a form with
// poll[options][]), voted on by a second account and read back; a post
// scheduled, listed, moved and deleted.
const mastodonPyPollsScript = `
import json, sys, datetime
from mastodon import Mastodon
base, tok1, tok2 = sys.argv[1], sys.argv[2], sys.argv[3]
def client(tok):
    return Mastodon(access_token=tok, api_base_url=base, version_check_mode="none", mastodon_version="4.3.0", request_timeout=15)
ann, ben = client(tok1), client(tok2)
out = {}
st = ann.status_post("Mastodon.py asks", poll=ann.make_poll(["red", "green", "blue"], expires_in=900, multiple=True))
out["options"] = [o["title"] for o in st["poll"]["options"]]
out["multiple"] = st["poll"]["multiple"]
ben.poll_vote(st["poll"]["id"], [0, 2])  # this Mastodon.py returns nothing: read it back
p = ben.poll(st["poll"]["id"])
out["own_votes"] = p["own_votes"]
out["voted"] = p["voted"]
p = ann.poll(st["poll"]["id"])
out["counts"] = [o["votes_count"] for o in p["options"]]
try:
    ben.poll_vote(st["poll"]["id"], [1])
    out["second_vote"] = "accepted"
except Exception as e:
    out["second_vote"] = type(e).__name__
at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
s = ann.status_post("Mastodon.py later", scheduled_at=at)
out["scheduled_text"] = s["params"]["text"]
out["listed"] = [str(x["id"]) for x in ann.scheduled_statuses()]
out["scheduled_id"] = str(s["id"])
s2 = ann.scheduled_status_update(s["id"], at + datetime.timedelta(hours=1))
out["moved_hours"] = round((s2["scheduled_at"] - s["scheduled_at"]).total_seconds() / 3600)
ann.scheduled_status_delete(s["id"])
out["left"] = len(ann.scheduled_statuses())
print(json.dumps(out))
`

func TestMastodonPyPollsAndScheduled(t *testing.T) {
	py := ""
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(cand); err == nil && exec.Command(p, "-c", "import mastodon").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("python3 with the mastodon module is not installed")
	}
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "ben", "")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", mastodonPyPollsScript, ts.URL, ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("Mastodon.py: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var out struct {
		Options       []string `json:"options"`
		Multiple      bool     `json:"multiple"`
		OwnVotes      []int    `json:"own_votes"`
		Voted         bool     `json:"voted"`
		Counts        []int    `json:"counts"`
		SecondVote    string   `json:"second_vote"`
		ScheduledText string   `json:"scheduled_text"`
		Listed        []string `json:"listed"`
		ScheduledID   string   `json:"scheduled_id"`
		MovedHours    int      `json:"moved_hours"`
		Left          int      `json:"left"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if strings.Join(out.Options, ",") != "red,green,blue" || !out.Multiple || !out.Voted || len(out.OwnVotes) != 2 ||
		len(out.Counts) != 3 || out.Counts[0] != 1 || out.Counts[1] != 0 || out.Counts[2] != 1 ||
		out.SecondVote != "MastodonAPIError" && out.SecondVote != "MastodonUnprocessableEntityError" {
		t.Fatalf("polls from Mastodon.py: %+v", out)
	}
	if out.ScheduledText != "Mastodon.py later" || len(out.Listed) != 1 || out.Listed[0] != out.ScheduledID ||
		out.MovedHours != 1 || out.Left != 0 {
		t.Fatalf("scheduled statuses from Mastodon.py: %+v", out)
	}
}
