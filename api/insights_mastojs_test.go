package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mastoJSInsightsScript drives the admin measures, dimensions, retention
// and trends, the public trends, collections and annual reports from
// masto.js (JSON bodies, camelCase turned into Mastodon's names).
const mastoJSInsightsScript = `
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
const [dir, base, adminTok, annTok, tagId, day] = process.argv.slice(2);
const require = createRequire(path.join(dir, "package.json"));
const { createRestAPIClient } = await import(pathToFileURL(require.resolve("masto")).href);
const admin = createRestAPIClient({ url: base, accessToken: adminTok });
const ann = createRestAPIClient({ url: base, accessToken: annTok });
const anon = createRestAPIClient({ url: base });
const out = {};
const ms = await admin.v1.admin.measures.create({ keys: ["new_users", "tag_uses"], startAt: day, endAt: day, tagUses: { id: tagId } });
out.measures = ms.map((m) => m.key + "=" + m.total + "/" + m.previousTotal + "/" + m.data.length);
const ds = await admin.v1.admin.dimensions.create({ keys: ["software_versions"] });
out.software = ds[0].data.map((d) => d.key);
const rs = await admin.v1.admin.retention.create({ startAt: day, endAt: day, frequency: "day" });
out.cohorts = rs.map((c) => c.frequency + ":" + c.data.length);
out.adminTags = (await admin.v1.admin.trends.tags.list()).map((t) => t.name + ":" + t.requiresReview);
out.publicBefore = (await anon.v1.trends.tags.list()).map((t) => t.name);
const approved = await admin.v1.admin.trends.tags.$select(tagId).approve();
out.approved = approved.name + ":" + approved.trendable;
out.publicAfter = (await anon.v1.trends.tags.list()).map((t) => t.name + ":" + t.history.length);
out.links = (await anon.v1.trends.links.list()).length;
out.statuses = (await anon.v1.trends.statuses.list()).length;
const me = await ann.v1.accounts.verifyCredentials();
const created = await ann.v1.collections.create({ name: "From masto.js", tagName: "mastojs", accountIds: [] });
out.collection = created.collection.name + ":" + created.collection.tag.name + ":" + created.collection.itemCount;
const fetched = await ann.v1.collections.$select(created.collection.id).fetch();
out.fetchedAccounts = fetched.accounts.length;
const listed = await ann.v1.accounts.$select(me.id).collections.list();
out.listed = listed.collections.length;
out.reports = (await ann.v1.annualReports.list()).annualReports.length;
out.state = (await ann.v1.annualReports.$select("2025").state.fetch()).state;
console.log(JSON.stringify(out));
`

func TestMastoJSInsights(t *testing.T) {
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
	f := seedTrends(t)
	script := filepath.Join(t.TempDir(), "insights.mjs")
	if err := os.WriteFile(script, []byte(mastoJSInsightsScript), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	day := f.now.Format("2006-01-02")
	cmd := exec.Command(node, script, dir, f.ts.URL, f.admin, f.ts.Token(t, "ann", "read write"), strconv.FormatInt(f.beta, 10), day)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("masto.js: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var out struct {
		Measures        []string `json:"measures"`
		Software        []string `json:"software"`
		Cohorts         []string `json:"cohorts"`
		AdminTags       []string `json:"adminTags"`
		PublicBefore    []string `json:"publicBefore"`
		Approved        string   `json:"approved"`
		PublicAfter     []string `json:"publicAfter"`
		Links           int      `json:"links"`
		Statuses        int      `json:"statuses"`
		Collection      string   `json:"collection"`
		FetchedAccounts int      `json:"fetchedAccounts"`
		Listed          int      `json:"listed"`
		Reports         int      `json:"reports"`
		State           string   `json:"state"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	// On T's day: beta used once (ann, 3 h before T); no user signed up.
	if strings.Join(out.Measures, ",") != "new_users=0/0/1,tag_uses=1/0/1" || strings.Join(out.Software, ",") != "herald,go,sqlite" ||
		strings.Join(out.Cohorts, ",") != "day:1" {
		t.Fatalf("admin metrics from masto.js: %+v", out)
	}
	if strings.Join(out.AdminTags, ",") != "alpha:true,beta:true" || len(out.PublicBefore) != 0 || out.Approved != "beta:true" ||
		strings.Join(out.PublicAfter, ",") != "beta:7" || out.Links != 0 || out.Statuses != 0 {
		t.Fatalf("trends from masto.js: %+v", out)
	}
	if out.Collection != "From masto.js:mastojs:0" || out.FetchedAccounts != 1 || out.Listed != 1 || out.Reports != 0 ||
		out.State != "ineligible" {
		t.Fatalf("collections and annual reports from masto.js: %+v", out)
	}
}
