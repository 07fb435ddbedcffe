package core

import (
	"testing"

	"github.com/herald-social/herald/internal/config"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
)

// BenchmarkRenderStatus renders a typical status: a mention, a hashtag, a
// link and two paragraphs (mentions already resolved, as after lookup).
func BenchmarkRenderStatus(b *testing.B) {
	cfg := config.Default()
	s := &Service{Cfg: cfg}
	body := "Hello @alice and @bob@remote.example! Have a look at https://example.com/articles/2026/07/how-we-built-it?ref=fedi\n\n" +
		"It is a long read, but worth it. #golang #fediverse"
	resolved := map[text.MentionRef]*model.Account{
		{Username: "alice"}:                         {ID: 1, Username: "alice", URL: "https://h.test/@alice"},
		{Username: "bob", Domain: "remote.example"}: {ID: 2, Username: "bob", Domain: "remote.example", URL: "https://remote.example/@bob"},
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if out := s.renderText(body, resolved); len(out) == 0 {
			b.Fatal("empty")
		}
	}
}
