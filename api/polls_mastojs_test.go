package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/server"
)

// mastoJSPollsScript drives polls and scheduled statuses from masto.js,
// which sends JSON bodies: a poll posted and voted on, a post scheduled,
// listed, moved and deleted.
const mastoJSPollsScript = `
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
const [dir, base, tok1, tok2] = process.argv.slice(2);
const require = createRequire(path.join(dir, "package.json"));
const { createRestAPIClient } = await import(pathToFileURL(require.resolve("masto")).href);
const ann = createRestAPIClient({ url: base, accessToken: tok1 });
const ben = createRestAPIClient({ url: base, accessToken: tok2 });
const out = {};
const st = await ann.v1.statuses.create({ status: "masto.js asks", poll: { options: ["yes", "no"], expiresIn: 600 } });
out.options = st.poll.options.map((o) => o.title);
const p = await ben.v1.polls.$select(st.poll.id).votes.create({ choices: [1] });
out.ownVotes = p.ownVotes;
out.counts = (await ann.v1.polls.$select(st.poll.id).fetch()).options.map((o) => o.votesCount);
const at = new Date(Date.now() + 3600e3);
const s = await ann.v1.statuses.create({ status: "masto.js later", scheduledAt: at.toISOString() });
out.scheduledText = s.params.text;
out.listed = (await ann.v1.scheduledStatuses.list()).map((x) => x.id);
out.scheduledId = s.id;
const moved = await ann.v1.scheduledStatuses.$select(s.id).update({ scheduledAt: new Date(at.getTime() + 3600e3).toISOString() });
out.movedMinutes = Math.round((Date.parse(moved.scheduledAt) - Date.parse(s.scheduledAt)) / 60e3);
await ann.v1.scheduledStatuses.$select(s.id).remove();
out.left = (await ann.v1.scheduledStatuses.list()).length;
console.log(JSON.stringify(out));
`

func TestMastoJSPollsAndScheduled(t *testing.T) {
	dir := os.Getenv("HERALD_CLIENTS_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "herald-clients")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "masto")); err != nil {
		t.Skip("masto.js is not installed (see the clients' install.sh)")
	}
	ts := server.StartTest(t)
	ts.CreateUser(t, "ann", "")
	ts.CreateUser(t, "ben", "")
	script := filepath.Join(t.TempDir(), "polls.mjs")
	if err := os.WriteFile(script, []byte(mastoJSPollsScript), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, script, dir, ts.URL, ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("masto.js: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var out struct {
		Options       []string `json:"options"`
		OwnVotes      []int    `json:"ownVotes"`
		Counts        []int    `json:"counts"`
		ScheduledText string   `json:"scheduledText"`
		Listed        []string `json:"listed"`
		ScheduledID   string   `json:"scheduledId"`
		MovedMinutes  int      `json:"movedMinutes"`
		Left          int      `json:"left"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if strings.Join(out.Options, ",") != "yes,no" || len(out.OwnVotes) != 1 || out.OwnVotes[0] != 1 ||
		len(out.Counts) != 2 || out.Counts[0] != 0 || out.Counts[1] != 1 {
		t.Fatalf("polls from masto.js: %+v", out)
	}
	if out.ScheduledText != "masto.js later" || len(out.Listed) != 1 || out.Listed[0] != out.ScheduledID ||
		out.MovedMinutes != 60 || out.Left != 0 {
		t.Fatalf("scheduled statuses from masto.js: %+v", out)
	}
}
