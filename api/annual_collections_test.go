package api_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/server"
)

type wrappedReports struct {
	AnnualReports []struct {
		Year          int             `json:"year"`
		SchemaVersion int             `json:"schema_version"`
		AccountID     string          `json:"account_id"`
		ShareURL      *string         `json:"share_url"`
		Data          json.RawMessage `json:"data"`
	} `json:"annual_reports"`
	Accounts []struct {
		ID string `json:"id"`
	} `json:"accounts"`
	Statuses []struct {
		ID string `json:"id"`
	} `json:"statuses"`
}

func TestAnnualReports(t *testing.T) {
	ts := server.StartTest(t)
	ann := ts.CreateUser(t, "ann", "")
	ben := ts.CreateUser(t, "ben", "")
	tok := ts.Token(t, "ann", "read write")
	exec := ts.SeedSQL(t)
	// ann's 2025: three posts in March (one tagged #go, one boosted twice),
	// a reply to ben in July; ben follows her in May.
	post := func(when time.Time, extra string, args ...any) int64 {
		sid := id.At(when)
		exec(`INSERT INTO statuses (id, uri, account_id, local, created_at) VALUES (?, ?, ?, 1, ?)`,
			sid, "http://x.example/s/"+strconv.FormatInt(sid, 10), ann.ID, sid>>16)
		if extra != "" {
			exec(extra, append([]any{sid}, args...)...)
		}
		return sid
	}
	march := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
	top := post(march, `UPDATE statuses SET reblogs_count = 2, favourites_count = 1 WHERE id = ?`)
	tagged := post(march.Add(time.Hour), "")
	exec(`INSERT INTO tags (id, name, created_at) VALUES (1, 'go', 0)`)
	exec(`INSERT INTO status_tags (tag_id, status_id) VALUES (1, ?)`, tagged)
	post(march.Add(2*time.Hour), "")
	reply := post(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), "")
	exec(`UPDATE statuses SET in_reply_to_id = 1, in_reply_to_account_id = ? WHERE id = ?`, ben.ID, reply)
	exec(`INSERT INTO follows (id, account_id, target_id, created_at) VALUES (?, ?, ?, 0)`,
		id.At(time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC)), ben.ID, ann.ID)
	post(time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC), "") // another year

	// Outside the campaign (before 10 December), nothing is generated.
	ts.Srv.Svc.SetClock(func() time.Time { return time.Date(2025, 12, 1, 12, 0, 0, 0, time.UTC) })
	var state struct {
		State string `json:"state"`
	}
	ts.JSON(t, "GET", "/api/v1/annual_reports/2025/state", tok, nil, 200, &state)
	if state.State != "ineligible" {
		t.Fatalf("state before the campaign: %q", state.State)
	}
	ts.JSON(t, "POST", "/api/v1/annual_reports/2025/generate", tok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/annual_reports/2025", tok, nil, 404, nil)

	ts.Srv.Svc.SetClock(func() time.Time { return time.Date(2025, 12, 15, 12, 0, 0, 0, time.UTC) })
	ts.JSON(t, "GET", "/api/v1/annual_reports/2025/state", tok, nil, 200, &state)
	if state.State != "eligible" {
		t.Fatalf("state during the campaign: %q", state.State)
	}
	ts.JSON(t, "POST", "/api/v1/annual_reports/2025/generate", tok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/annual_reports/2025/state", tok, nil, 200, &state)
	if state.State != "available" {
		t.Fatalf("state after generating: %q", state.State)
	}
	var w wrappedReports
	ts.JSON(t, "GET", "/api/v1/annual_reports", tok, nil, 200, &w)
	if len(w.AnnualReports) != 1 || w.AnnualReports[0].Year != 2025 || w.AnnualReports[0].SchemaVersion != 2 ||
		w.AnnualReports[0].AccountID != strconv.FormatInt(ann.ID, 10) || len(w.Accounts) != 1 {
		t.Fatalf("reports: %+v", w)
	}
	var data struct {
		Archetype  string `json:"archetype"`
		TimeSeries []struct {
			Month     int   `json:"month"`
			Statuses  int64 `json:"statuses"`
			Followers int64 `json:"followers"`
		} `json:"time_series"`
		TopHashtags []struct {
			Name  string `json:"name"`
			Count int64  `json:"count"`
		} `json:"top_hashtags"`
		TopStatuses struct {
			ByReblogs    *string `json:"by_reblogs"`
			ByReplies    *string `json:"by_replies"`
			ByFavourites *string `json:"by_favourites"`
		} `json:"top_statuses"`
	}
	if err := json.Unmarshal(w.AnnualReports[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	topID := strconv.FormatInt(top, 10)
	if data.Archetype != "lurker" || len(data.TimeSeries) != 12 || data.TimeSeries[2].Statuses != 3 ||
		data.TimeSeries[6].Statuses != 1 || data.TimeSeries[4].Followers != 1 || len(data.TopHashtags) != 1 ||
		data.TopHashtags[0].Name != "go" || data.TopStatuses.ByReblogs == nil || *data.TopStatuses.ByReblogs != topID ||
		data.TopStatuses.ByReplies != nil || data.TopStatuses.ByFavourites == nil {
		t.Fatalf("report data: %s", w.AnnualReports[0].Data)
	}
	if len(w.Statuses) != 1 || w.Statuses[0].ID != topID {
		t.Fatalf("report statuses: %+v", w.Statuses)
	}
	ts.JSON(t, "POST", "/api/v1/annual_reports/2025/read", tok, nil, 200, nil)
	ts.JSON(t, "POST", "/api/v1/annual_reports/2024/read", tok, nil, 404, nil)
	ts.JSON(t, "GET", "/api/v1/annual_reports/abc", tok, nil, 404, nil)
	// Another user has none; a token without read:accounts is refused.
	ts.JSON(t, "GET", "/api/v1/annual_reports", ts.Token(t, "ben", "read"), nil, 200, &w)
	if len(w.AnnualReports) != 0 {
		t.Fatalf("ben's reports: %+v", w)
	}
	ts.JSON(t, "GET", "/api/v1/annual_reports", ts.Token(t, "ann", "read:statuses"), nil, 403, nil)
}

type collectionJSON struct {
	ID           string  `json:"id"`
	AccountID    string  `json:"account_id"`
	Name         string  `json:"name"`
	Description  string  `json:"description"`
	Language     *string `json:"language"`
	Local        bool    `json:"local"`
	Sensitive    bool    `json:"sensitive"`
	Discoverable bool    `json:"discoverable"`
	Tag          *struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"tag"`
	ItemCount int `json:"item_count"`
	Items     []struct {
		ID        string `json:"id"`
		AccountID string `json:"account_id"`
		State     string `json:"state"`
	} `json:"items"`
}

func TestCollections(t *testing.T) {
	ts := server.StartTest(t)
	ann, ben, cat := ts.CreateUser(t, "ann", ""), ts.CreateUser(t, "ben", ""), ts.CreateUser(t, "cat", "")
	annTok, benTok := ts.Token(t, "ann", "read write"), ts.Token(t, "ben", "read write")
	sid := func(v int64) string { return strconv.FormatInt(v, 10) }
	var w struct {
		Collection collectionJSON `json:"collection"`
	}
	ts.JSON(t, "POST", "/api/v1/collections", annTok, map[string]any{"name": "Nice accounts", "description": "Very nice",
		"language": "en", "tag_name": "#Accounts", "sensitive": false, "discoverable": true,
		"account_ids": []string{sid(ben.ID), sid(cat.ID)}}, 200, &w)
	c := w.Collection
	if c.Name != "Nice accounts" || c.AccountID != sid(ann.ID) || c.Tag == nil || c.Tag.Name != "accounts" || c.ItemCount != 2 ||
		len(c.Items) != 2 || c.Items[0].AccountID != sid(ben.ID) || c.Items[0].State != "accepted" || !c.Local || *c.Language != "en" {
		t.Fatalf("created: %+v", c)
	}
	// Validation (422), other people's collections (403).
	ts.JSON(t, "POST", "/api/v1/collections", annTok, map[string]any{"description": "no name"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/collections", annTok, map[string]any{"name": "This name is much longer than forty characters, really"}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/collections", annTok, map[string]any{"name": "x", "account_ids": []string{"999"}}, 422, nil)
	ts.JSON(t, "PATCH", "/api/v1/collections/"+c.ID, benTok, map[string]any{"name": "mine"}, 403, nil)
	ts.JSON(t, "DELETE", "/api/v1/collections/"+c.ID, benTok, nil, 403, nil)

	ts.JSON(t, "PATCH", "/api/v1/collections/"+c.ID, annTok, map[string]any{"name": "Nicer", "discoverable": false, "tag_name": ""}, 200, &w)
	if w.Collection.Name != "Nicer" || w.Collection.Discoverable || w.Collection.Tag != nil || w.Collection.Description != "Very nice" {
		t.Fatalf("updated: %+v", w.Collection)
	}
	// Read: by id (anyone, with the accounts), and the account's list
	// (the undiscoverable one only for its owner).
	var one struct {
		Collection collectionJSON `json:"collection"`
		Accounts   []struct {
			ID string `json:"id"`
		} `json:"accounts"`
	}
	ts.JSON(t, "GET", "/api/v1/collections/"+c.ID, "", nil, 200, &one)
	if one.Collection.ID != c.ID || len(one.Accounts) != 3 || one.Accounts[0].ID != sid(ann.ID) {
		t.Fatalf("fetched: %+v", one)
	}
	var list struct {
		Collections []collectionJSON `json:"collections"`
	}
	ts.JSON(t, "GET", "/api/v1/accounts/"+sid(ann.ID)+"/collections", benTok, nil, 200, &list)
	if len(list.Collections) != 0 {
		t.Fatalf("ben sees ann's undiscoverable collection: %+v", list)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/"+sid(ann.ID)+"/collections", annTok, nil, 200, &list)
	if len(list.Collections) != 1 {
		t.Fatalf("ann's own collections: %+v", list)
	}
	// Items: add, the same again (422), remove; ben takes himself out.
	var item struct {
		CollectionItem struct {
			ID        string `json:"id"`
			AccountID string `json:"account_id"`
			State     string `json:"state"`
		} `json:"collection_item"`
	}
	dan := ts.CreateUser(t, "dan", "")
	ts.JSON(t, "POST", "/api/v1/collections/"+c.ID+"/items", annTok, map[string]any{"account_id": sid(dan.ID)}, 200, &item)
	if item.CollectionItem.AccountID != sid(dan.ID) || item.CollectionItem.State != "accepted" {
		t.Fatalf("item: %+v", item)
	}
	ts.JSON(t, "POST", "/api/v1/collections/"+c.ID+"/items", annTok, map[string]any{"account_id": sid(dan.ID)}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/collections/"+c.ID+"/items", annTok, map[string]any{}, 422, nil)
	ts.JSON(t, "POST", "/api/v1/collections/"+c.ID+"/items", benTok, map[string]any{"account_id": sid(dan.ID)}, 403, nil)
	ts.JSON(t, "DELETE", "/api/v1/collections/"+c.ID+"/items/"+item.CollectionItem.ID, annTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/accounts/"+sid(ben.ID)+"/in_collections", benTok, nil, 200, &list)
	if len(list.Collections) != 1 || list.Collections[0].ID != c.ID {
		t.Fatalf("ben's in_collections: %+v", list)
	}
	// cat blocks ben: cat no longer sees ben in the collection.
	ts.JSON(t, "POST", "/api/v1/accounts/"+sid(ben.ID)+"/block", ts.Token(t, "cat", "read write follow"), nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/collections/"+c.ID, ts.Token(t, "cat", "read"), nil, 200, &one)
	if len(one.Collection.Items) != 1 || one.Collection.Items[0].AccountID != sid(cat.ID) {
		t.Fatalf("cat sees the account she blocks: %+v", one.Collection.Items)
	}
	benItem := c.Items[0].ID
	ts.JSON(t, "POST", "/api/v1/collections/"+c.ID+"/items/"+c.Items[1].ID+"/revoke", benTok, nil, 403, nil) // cat's
	ts.JSON(t, "POST", "/api/v1/collections/"+c.ID+"/items/"+benItem+"/revoke", benTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/collections/"+c.ID, benTok, nil, 200, &one)
	if one.Collection.ItemCount != 1 || len(one.Collection.Items) != 1 || one.Collection.Items[0].AccountID != sid(cat.ID) {
		t.Fatalf("after ben revoked: %+v", one.Collection)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/"+sid(ben.ID)+"/in_collections", benTok, nil, 200, &list)
	if len(list.Collections) != 0 {
		t.Fatalf("ben still in: %+v", list)
	}
	ts.JSON(t, "GET", "/api/v1/accounts/"+sid(ann.ID)+"/in_collections", benTok, nil, 403, nil)
	// Scopes: write:collections is needed to create.
	ts.JSON(t, "POST", "/api/v1/collections", ts.Token(t, "ann", "read write:statuses"), map[string]any{"name": "x"}, 403, nil)
	ts.JSON(t, "DELETE", "/api/v1/collections/"+c.ID, annTok, nil, 200, nil)
	ts.JSON(t, "GET", "/api/v1/collections/"+c.ID, annTok, nil, 404, nil)
}
