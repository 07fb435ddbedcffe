package text

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Parsed
	}{
		{"empty", "", Parsed{}},
		{"plain", "just words, no entities.", Parsed{}},
		{"local mention", "hi @alice", Parsed{Mentions: []MentionRef{{"alice", ""}}}},
		{"remote mention", "@bob@remote.example hi", Parsed{Mentions: []MentionRef{{"bob", "remote.example"}}}},
		{"domain lowercased", "@Bob@Remote.Example", Parsed{Mentions: []MentionRef{{"Bob", "remote.example"}}}},
		{"mention with port", "@carol@localhost:8080", Parsed{Mentions: []MentionRef{{"carol", "localhost:8080"}}}},
		{"unicode domain", "@dan@bücher.example", Parsed{Mentions: []MentionRef{{"dan", "bücher.example"}}}},
		{"trailing dot not domain", "ask @bob@remote.example.", Parsed{Mentions: []MentionRef{{"bob", "remote.example"}}}},
		{"bare second at", "@alice@ hi", Parsed{Mentions: []MentionRef{{"alice", ""}}}},
		{"in parentheses", "(@alice)", Parsed{Mentions: []MentionRef{{"alice", ""}}}},
		{"after newline", "x\n@alice", Parsed{Mentions: []MentionRef{{"alice", ""}}}},
		{"deduplicated", "@Alice @alice @bob@r.example @bob@R.example", Parsed{Mentions: []MentionRef{{"Alice", ""}, {"bob", "r.example"}}}},
		{"email", "mail alice@example.com or first.last@herald.example", Parsed{}},
		{"inside word", "x@alice", Parsed{}},
		{"unicode inside word", "é@alice", Parsed{}},
		{"username 30", "@" + strings.Repeat("a", 30), Parsed{Mentions: []MentionRef{{strings.Repeat("a", 30), ""}}}},
		{"username 31", "@" + strings.Repeat("a", 31), Parsed{}},
		{"username then non-ascii letter", "@jürgen", Parsed{}},
		{"username then dot", "@alice.bob", Parsed{Mentions: []MentionRef{{"alice", ""}}}},
		{"at alone", "@ @@ @!", Parsed{}},
		{"mention in url path", "https://example.com/@alice", Parsed{URLs: []string{"https://example.com/@alice"}}},

		{"tags normalised", "#Go #go #GO #Rust", Parsed{Tags: []string{"go", "rust"}}},
		{"numeric tag", "#123 #1st #2024", Parsed{Tags: []string{"1st"}}},
		{"unicode tags", "#日本語 #Café #Ελλάδα", Parsed{Tags: []string{"日本語", "café", "ελλάδα"}}},
		{"tag with underscore", "#hello_world", Parsed{Tags: []string{"hello_world"}}},
		{"underscore only", "#_ #__", Parsed{}},
		{"tag punctuation", "#tag. #two, (#three)", Parsed{Tags: []string{"tag", "two", "three"}}},
		{"tag separator", "#foo·bar #baz·", Parsed{Tags: []string{"foo·bar", "baz"}}},
		{"tag inside word", "word#tag C#", Parsed{}},
		{"tag in url fragment", "https://example.com/page#section", Parsed{URLs: []string{"https://example.com/page#section"}}},
		{"double hash", "##tag", Parsed{Tags: []string{"tag"}}},

		{"url", "see https://example.com/a?b=c&d=e.", Parsed{URLs: []string{"https://example.com/a?b=c&d=e"}}},
		{"url parens", "(https://example.com/x)", Parsed{URLs: []string{"https://example.com/x"}}},
		{"url balanced parens", "https://en.wikipedia.org/wiki/Go_(lang))", Parsed{URLs: []string{"https://en.wikipedia.org/wiki/Go_(lang)"}}},
		{"url port", "http://localhost:3000/path", Parsed{URLs: []string{"http://localhost:3000/path"}}},
		{"url ipv6", "http://[::1]:8080/x", Parsed{URLs: []string{"http://[::1]:8080/x"}}},
		{"url uppercase scheme", "HTTPS://EXAMPLE.COM", Parsed{URLs: []string{"HTTPS://EXAMPLE.COM"}}},
		{"url dedupe", "https://a.example https://a.example", Parsed{URLs: []string{"https://a.example"}}},
		{"url then cjk", "見てhttps://example.com/foo。", Parsed{URLs: []string{"https://example.com/foo"}}},
		{"not urls", "https:// ftp://x.example xhttp://x.example http://.", Parsed{}},
		{"url quotes", `"https://example.com/q" and 'https://example.com/s'`, Parsed{URLs: []string{"https://example.com/q", "https://example.com/s"}}},

		{"all together", "@alice@herald.example look #Go https://go.dev/doc#x, @bob",
			Parsed{
				Mentions: []MentionRef{{"alice", "herald.example"}, {"bob", ""}},
				Tags:     []string{"go"},
				URLs:     []string{"https://go.dev/doc#x"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLength(t *testing.T) {
	url100 := "https://example.com/" + strings.Repeat("a", 80)
	long := strings.Repeat("x", 399) + " " + url100
	if n := utf8.RuneCountInString(long); n != 500 || len(url100) != 100 {
		t.Fatalf("bad fixture: %d runes, URL %d", n, len(url100))
	}
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "hello", 5},
		{"runes not bytes", "héllo 🎉", 7},
		{"surrounding space", "  hi  \n", 2},
		{"crlf is one", "a\r\nb", 3},
		{"short url counts 23", "https://a.co", 23},
		{"url plus text", "see https://a.co!", 4 + 23 + 1},
		{"500 chars with a 100-char url", long, 399 + 1 + 23},
		{"local mention", "@alice", 6},
		{"remote mention counts as @user", "@bob@remote.example", 4},
		{"remote mention with port", "hi @carol@localhost:8080", 3 + 6},
		{"email counts fully", "alice@example.com", 17},
		{"hashtag counts fully", "#fediverse", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Length(tt.in); got != tt.want {
				t.Errorf("Length(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
