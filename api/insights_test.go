package api_test

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/server"
)

// metricsDay0 is the first day of the seeded range (three days).
var metricsDay0 = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// at is an id made on day d of the range (d may be negative) at hour h.
func at(d, h int) int64 { return id.At(metricsDay0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)) }

func dayNo(d int) int64 { return metricsDay0.AddDate(0, 0, d).Unix() / 86400 }

// metricsFixture seeds three days of activity (and some before) and
// returns the ids the measures need.
type metricsFixture struct {
	ts                 *server.TestServer
	admin              string
	tagID              int64
	ann, rob, rae, oth int64
}

func seedMetrics(t *testing.T) *metricsFixture {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "admin")
	f := &metricsFixture{ts: ts, admin: ts.Token(t, "boss", "admin:read admin:write read write")}
	f.ann = ts.CreateUser(t, "ann", "").ID
	exec := ts.SeedSQL(t)
	ms := func(d, h int) int64 {
		return metricsDay0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour).UnixMilli()
	}
	account := func(aid int64, name, domain string) {
		exec(`INSERT INTO accounts (id, username, domain, uri, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			aid, name, domain, "https://"+domain+"/users/"+name+strconv.FormatInt(aid, 10), aid>>16, aid>>16)
	}
	// New users: one before the range, one on day 0, one on day 2.
	var users []int64
	for i, d := range []int{-2, 0, 2} {
		uid := at(d, 10)
		account(uid, fmt.Sprintf("new%d", i), "")
		exec(`INSERT INTO users (id, account_id, email, password_hash, created_at) VALUES (?, ?, ?, 'x', ?)`,
			uid, uid, fmt.Sprintf("new%d@example.org", i), uid>>16)
		users = append(users, uid)
	}
	// Active days: u0 on day -1 and 0, u1 on days 0 and 1, u2 on day 2.
	for _, a := range []struct {
		d int
		u int64
	}{{-1, users[0]}, {0, users[0]}, {0, users[1]}, {1, users[1]}, {2, users[2]}} {
		exec(`INSERT INTO user_activity_days (day, user_id) VALUES (?, ?)`, dayNo(a.d), a.u)
	}
	// Remote accounts: two on remote.example (days 0 and 1), one elsewhere.
	f.rob, f.rae, f.oth = at(0, 9), at(1, 9), at(-1, 9)
	account(f.rob, "rob", "remote.example")
	account(f.rae, "rae", "remote.example")
	account(f.oth, "oth", "else.example")
	// Statuses and the #go tag.
	f.tagID = at(-5, 1)
	exec(`INSERT INTO tags (id, name, created_at) VALUES (?, 'go', 0)`, f.tagID)
	status := func(sid, author int64, local int, lang string, replyTo, replyToAccount, reblogOf any, tagged bool) {
		exec(`INSERT INTO statuses (id, uri, account_id, local, language, in_reply_to_id, in_reply_to_account_id, reblog_of_id,
			created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, sid, "https://x.example/s/"+strconv.FormatInt(sid, 10), author, local,
			lang, replyTo, replyToAccount, reblogOf, sid>>16)
		if tagged {
			exec(`INSERT INTO status_tags (tag_id, status_id) VALUES (?, ?)`, f.tagID, sid)
		}
	}
	s1 := at(0, 8)
	status(s1, f.ann, 1, "en", nil, nil, nil, true)          // local, #go
	status(at(0, 10), f.rob, 0, "en", nil, nil, nil, true)   // remote, #go
	status(at(1, 10), f.rae, 0, "de", nil, nil, nil, true)   // remote, #go
	status(at(1, 11), f.rob, 0, "", nil, nil, s1, false)     // a boost of s1
	status(at(2, 11), f.rae, 0, "en", s1, f.ann, nil, false) // a reply to s1
	status(at(-1, 11), f.oth, 0, "fr", nil, nil, nil, true)  // before the range, #go
	exec(`INSERT INTO favourites (id, account_id, status_id, created_at) VALUES (?, ?, ?, ?)`, at(2, 12), f.rob, s1, ms(2, 12))
	// Reports: one against rob (day 1), one against oth (day 0, resolved on day 2).
	exec(`INSERT INTO reports (id, account_id, target_account_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		at(1, 13), f.ann, f.rob, ms(1, 13), ms(1, 13))
	exec(`INSERT INTO reports (id, account_id, target_account_id, created_at, updated_at, action_taken_at) VALUES (?, ?, ?, ?, ?, ?)`,
		at(0, 13), f.ann, f.oth, ms(0, 13), ms(0, 13), ms(2, 9))
	// Media from rob (day 1, 2 KiB), follows both ways with remote.example.
	exec(`INSERT INTO media_attachments (id, account_id, file_key, file_size, created_at, updated_at) VALUES (?, ?, 'k', 2048, ?, ?)`,
		at(1, 14), f.rob, ms(1, 14), ms(1, 14))
	exec(`INSERT INTO follows (id, account_id, target_id, created_at) VALUES (?, ?, ?, ?)`, at(0, 15), f.ann, f.rob, ms(0, 15))
	exec(`INSERT INTO follows (id, account_id, target_id, created_at) VALUES (?, ?, ?, ?)`, at(2, 15), f.rae, f.ann, ms(2, 15))
	return f
}

type measureJSON struct {
	Key           string  `json:"key"`
	Unit          *string `json:"unit"`
	Total         string  `json:"total"`
	HumanValue    string  `json:"human_value"`
	PreviousTotal *string `json:"previous_total"`
	Data          []struct {
		Date  string `json:"date"`
		Value string `json:"value"`
	} `json:"data"`
}

func TestAdminMeasuresEveryKey(t *testing.T) {
	f := seedMetrics(t)
	tag := strconv.FormatInt(f.tagID, 10)
	body := map[string]any{
		"keys": []string{"active_users", "new_users", "interactions", "opened_reports", "resolved_reports", "tag_accounts",
			"tag_uses", "tag_servers", "instance_accounts", "instance_media_attachments", "instance_reports", "instance_statuses",
			"instance_follows", "instance_followers", "no_such_key"},
		"start_at": "2026-03-10", "end_at": "2026-03-12T23:00:00Z",
		"tag_accounts": map[string]string{"id": tag}, "tag_uses": map[string]string{"id": tag}, "tag_servers": map[string]string{"id": tag},
	}
	for _, k := range []string{"instance_accounts", "instance_media_attachments", "instance_reports", "instance_statuses",
		"instance_follows", "instance_followers"} {
		body[k] = map[string]string{"domain": "Remote.example"}
	}
	var out []measureJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/measures", f.admin, body, 200, &out)
	want := map[string]struct {
		daily  string
		total  string
		prev   string // "-": none
		bytes_ bool
	}{
		"active_users":               {"2,1,1", "3", "1", false},
		"new_users":                  {"1,0,1", "2", "1", false},
		"interactions":               {"0,1,2", "3", "0", false},
		"opened_reports":             {"1,1,0", "2", "0", false},
		"resolved_reports":           {"0,0,1", "1", "0", false},
		"tag_accounts":               {"2,1,0", "3", "1", false},
		"tag_uses":                   {"2,1,0", "3", "1", false},
		"tag_servers":                {"1,1,0", "1", "1", false},
		"instance_accounts":          {"1,1,0", "2", "-", false},
		"instance_media_attachments": {"0,2048,0", "2048", "-", true},
		"instance_reports":           {"0,1,0", "1", "-", false},
		"instance_statuses":          {"1,2,1", "4", "-", false},
		"instance_follows":           {"1,0,0", "1", "-", false},
		"instance_followers":         {"0,0,1", "1", "-", false},
	}
	if len(out) != len(want) {
		t.Fatalf("got %d measures, want %d: %+v", len(out), len(want), out)
	}
	for _, m := range out {
		w, ok := want[m.Key]
		if !ok {
			t.Errorf("unexpected measure %q", m.Key)
			continue
		}
		var daily string
		for i, d := range m.Data {
			if i > 0 {
				daily += ","
			}
			daily += d.Value
		}
		if len(m.Data) != 3 || m.Data[0].Date != "2026-03-10T00:00:00.000Z" || m.Data[2].Date != "2026-03-12T00:00:00.000Z" {
			t.Errorf("%s: dates %+v", m.Key, m.Data)
		}
		if daily != w.daily || m.Total != w.total {
			t.Errorf("%s: daily %s total %s, want %s total %s", m.Key, daily, m.Total, w.daily, w.total)
		}
		switch {
		case w.prev == "-" && m.PreviousTotal != nil:
			t.Errorf("%s: previous_total %s, want none", m.Key, *m.PreviousTotal)
		case w.prev != "-" && (m.PreviousTotal == nil || *m.PreviousTotal != w.prev):
			t.Errorf("%s: previous_total %v, want %s", m.Key, m.PreviousTotal, w.prev)
		}
		if w.bytes_ != (m.Unit != nil && *m.Unit == "bytes") || (w.bytes_ && m.HumanValue != "2 KB") {
			t.Errorf("%s: unit %v human %q", m.Key, m.Unit, m.HumanValue)
		}
	}
}

func TestAdminMeasuresValidationAndPermission(t *testing.T) {
	f := seedMetrics(t)
	f.ts.CreateUser(t, "joe", "")
	joe := f.ts.Token(t, "joe", "admin:read")
	ok := map[string]any{"keys": []string{"new_users"}, "start_at": "2026-03-10", "end_at": "2026-03-12"}
	f.ts.JSON(t, "POST", "/api/v1/admin/measures", joe, ok, 403, nil)
	f.ts.JSON(t, "POST", "/api/v1/admin/measures", f.ts.Token(t, "boss", "read"), ok, 403, nil)
	for _, bad := range []map[string]any{
		{"keys": []string{"new_users"}, "end_at": "2026-03-12"},
		{"keys": []string{"new_users"}, "start_at": "yesterday", "end_at": "2026-03-12"},
		{"keys": []string{"new_users"}, "start_at": "2026-03-12", "end_at": "2026-03-10"},
		{"keys": []string{"new_users"}, "start_at": "2020-01-01", "end_at": "2026-03-10"},
		{"keys": []string{"tag_uses"}, "start_at": "2026-03-10", "end_at": "2026-03-12"},
		{"keys": []string{"tag_uses"}, "start_at": "2026-03-10", "end_at": "2026-03-12", "tag_uses": map[string]string{"id": "x"}},
		{"keys": []string{"instance_statuses"}, "start_at": "2026-03-10", "end_at": "2026-03-12"},
	} {
		f.ts.JSON(t, "POST", "/api/v1/admin/measures", f.admin, bad, 422, nil)
	}
	// A form, as Mastodon.py sends it.
	var out []measureJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/measures", f.admin, url.Values{"keys[]": {"new_users", "tag_uses"},
		"start_at": {"2026-03-10"}, "end_at": {"2026-03-12"}, "tag_uses[id]": {strconv.FormatInt(f.tagID, 10)}}, 200, &out)
	if len(out) != 2 || out[0].Total != "2" || out[1].Total != "3" {
		t.Fatalf("form measures: %+v", out)
	}
}

type dimensionJSON struct {
	Key  string `json:"key"`
	Data []struct {
		Key        string `json:"key"`
		HumanKey   string `json:"human_key"`
		Value      string `json:"value"`
		Unit       string `json:"unit"`
		HumanValue string `json:"human_value"`
	} `json:"data"`
}

func TestAdminDimensionsEveryKey(t *testing.T) {
	f := seedMetrics(t)
	tag := strconv.FormatInt(f.tagID, 10)
	var out []dimensionJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/dimensions", f.admin, map[string]any{
		"keys": []string{"languages", "sources", "servers", "space_usage", "software_versions", "tag_servers", "tag_languages",
			"instance_accounts", "instance_languages"},
		"start_at": "2026-03-10", "end_at": "2026-03-12", "limit": 5,
		"tag_servers": map[string]string{"id": tag}, "tag_languages": map[string]string{"id": tag},
		"instance_accounts": map[string]string{"domain": "remote.example"}, "instance_languages": map[string]string{"domain": "remote.example"},
	}, 200, &out)
	got := map[string]string{}
	for _, d := range out {
		s := ""
		for _, v := range d.Data {
			switch d.Key {
			case "space_usage":
				if v.Unit != "bytes" || v.HumanValue == "" {
					t.Errorf("space_usage %+v", v)
				}
				if v.Key == "media" {
					s += "media=" + v.Value + ";"
				} else if n, _ := strconv.Atoi(v.Value); n > 0 {
					s += v.Key + ">0;"
				}
			case "software_versions":
				if v.Value == "" || v.HumanValue != v.Value {
					t.Errorf("software_versions %+v", v)
				}
				s += v.Key + ";"
			default:
				s += v.Key + "(" + v.HumanKey + ")=" + v.Value + ";"
			}
		}
		got[d.Key] = s
	}
	local := f.ts.Domain
	want := map[string]string{
		"languages":          "en(English)=1;",
		"sources":            "web(Website)=2;",
		"servers":            "remote.example(remote.example)=4;",
		"space_usage":        "sqlite>0;media=2048;",
		"software_versions":  "herald;go;sqlite;",
		"tag_servers":        "remote.example(remote.example)=2;" + local + "(" + local + ")=1;",
		"tag_languages":      "en(English)=2;de(German)=1;",
		"instance_accounts":  "rob@remote.example(rob@remote.example)=1;",
		"instance_languages": "en(English)=2;de(German)=1;",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	if len(out) != len(want) {
		t.Errorf("got %d dimensions: %+v", len(out), got)
	}
}

type cohortJSON struct {
	Period    string `json:"period"`
	Frequency string `json:"frequency"`
	Data      []struct {
		Date  string  `json:"date"`
		Rate  float64 `json:"rate"`
		Value string  `json:"value"`
	} `json:"data"`
}

func TestAdminRetentionByDayAndMonth(t *testing.T) {
	f := seedMetrics(t)
	var days []cohortJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/retention", f.admin, map[string]any{"start_at": "2026-03-10", "end_at": "2026-03-12",
		"frequency": "day"}, 200, &days)
	// Cohort of day 0 (new1): active days 0 and 1; day 1: nobody signed
	// up; day 2 (new2): active that day.
	if len(days) != 3 || days[0].Frequency != "day" || days[0].Period != "2026-03-10T00:00:00.000Z" {
		t.Fatalf("daily cohorts: %+v", days)
	}
	vals := func(c cohortJSON) string {
		s := ""
		for _, d := range c.Data {
			s += fmt.Sprintf("%s@%.1f;", d.Value, d.Rate)
		}
		return s
	}
	if vals(days[0]) != "1@1.0;1@1.0;0@0.0;" || vals(days[1]) != "0@0.0;0@0.0;" || vals(days[2]) != "1@1.0;" {
		t.Fatalf("daily cohorts: %s | %s | %s", vals(days[0]), vals(days[1]), vals(days[2]))
	}
	var months []cohortJSON
	f.ts.JSON(t, "POST", "/api/v1/admin/retention", f.admin, map[string]any{"start_at": "2026-03-10", "end_at": "2026-04-02",
		"frequency": "month"}, 200, &months)
	// Months are whole: March holds new0 (8 March) too; all three were
	// active in March; April: none.
	if len(months) != 2 || months[0].Period != "2026-03-01T00:00:00.000Z" || vals(months[0]) != "3@1.0;0@0.0;" || vals(months[1]) != "0@0.0;" {
		t.Fatalf("monthly cohorts: %+v", months)
	}
	f.ts.JSON(t, "POST", "/api/v1/admin/retention", f.admin, map[string]any{"start_at": "2026-03-10", "end_at": "2026-03-12",
		"frequency": "week"}, 422, nil)
}

// A user's requests record their active day once, on core's clock.
func TestActiveUsersRecordedFromRequests(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "boss", "admin")
	ts.CreateUser(t, "ann", "")
	admin, ann := ts.Token(t, "boss", "admin:read"), ts.Token(t, "ann", "read")
	day := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		ts.Srv.Svc.SetClock(func() time.Time { return day.AddDate(0, 0, i) })
		for j := 0; j <= i; j++ { // ann on days 0..2, several times a day
			ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", ann, nil, 200, nil)
		}
	}
	ts.Srv.Svc.SetClock(func() time.Time { return day.AddDate(0, 0, 5) })
	var out []measureJSON
	ts.JSON(t, "POST", "/api/v1/admin/measures", admin, map[string]any{"keys": []string{"active_users"},
		"start_at": "2026-05-03", "end_at": "2026-05-09"}, 200, &out)
	// ann on days 4, 5, 6 May; boss on 9 May (this request).
	s := ""
	for _, d := range out[0].Data {
		s += d.Value
	}
	if s != "0111001" || out[0].Total != "2" {
		t.Fatalf("active users %s total %s", s, out[0].Total)
	}
}
