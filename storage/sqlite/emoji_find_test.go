package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// TestFindEmojisPagesByDomainAndShortcode: the console's emoji list pages
// by (domain, shortcode) with a keyset cursor (local first, no row twice or
// missed), filters by origin, domain, category and part of the shortcode,
// and reads the domain through its index.
func TestFindEmojisPagesByDomainAndShortcode(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	mk := func(code, domain, cat string) {
		t.Helper()
		if err := s.CreateEmoji(ctx, &model.CustomEmoji{Shortcode: code, Domain: domain, Category: cat, FileKey: "emojis/x/" + code + ".png"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		cat := "Civic"
		if i%3 == 0 {
			cat = "Parks"
		}
		mk(fmt.Sprintf("local_%02d", i), "", cat)
		mk(fmt.Sprintf("remote_%02d", i), "a.example", "")
		mk(fmt.Sprintf("remote_%02d", i), "b.example", "")
	}
	var all []string
	f := storage.EmojiFilter{Limit: 7}
	for {
		page, err := s.FindEmojis(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			all = append(all, e.Domain+"/"+e.Shortcode)
		}
		if len(page) < f.Limit {
			break
		}
		last := page[len(page)-1]
		f.After, f.AfterDomain, f.AfterShortcode = true, last.Domain, last.Shortcode
	}
	if len(all) != 90 || all[0] != "/local_00" || all[29] != "/local_29" || all[30] != "a.example/remote_00" || all[89] != "b.example/remote_29" {
		t.Fatalf("paged list: %d rows, %v ... %v", len(all), all[:2], all[len(all)-2:])
	}
	count := func(f storage.EmojiFilter) int {
		t.Helper()
		list, err := s.FindEmojis(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	for name, tc := range map[string]struct {
		f    storage.EmojiFilter
		want int
	}{
		"local":        {storage.EmojiFilter{Origin: "local"}, 30},
		"remote":       {storage.EmojiFilter{Origin: "remote"}, 60},
		"domain":       {storage.EmojiFilter{Domain: "b.example"}, 30},
		"category":     {storage.EmojiFilter{Category: "Parks"}, 10},
		"query":        {storage.EmojiFilter{Query: "TE_1"}, 20}, // remote_10..19 on two domains
		"query+origin": {storage.EmojiFilter{Origin: "local", Query: "_2"}, 10},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
	cats, err := s.EmojiCategories(ctx)
	if err != nil || strings.Join(cats, ",") != "Civic,Parks" {
		t.Errorf("categories %v %v", cats, err)
	}
	if s.Postgres() {
		return // the plan check below reads SQLite's EXPLAIN QUERY PLAN
	}
	var plan strings.Builder
	rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT id FROM custom_emojis WHERE domain = ? AND (domain > ? OR (domain = ? AND shortcode > ?)) ORDER BY domain, shortcode LIMIT 50", "a.example", "a.example", "a.example", "x")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, notused int
		var detail string
		_ = rows.Scan(&id, &parent, &notused, &detail)
		plan.WriteString(detail + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "custom_emojis_domain_shortcode") || strings.Contains(plan.String(), "TEMP B-TREE") {
		t.Errorf("the list does not use its index:\n%s", plan.String())
	}
}
