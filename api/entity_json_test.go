package api

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// filler sets every exported field of a value, recursively, to random
// values chosen to reach every branch of encoding/json's output: strings
// needing escapes (HTML, quotes, control characters, U+2028, invalid
// UTF-8), zero values, nil and empty slices and maps, nil and set
// pointers, any fields holding the typed quotes or plain JSON values.
type filler struct {
	t *testing.T
	r *rand.Rand
}

var fillPieces = []string{
	"", "a", "hello world", "<p>", "</a>", "&amp;", "&", "<script>", ">", `"`, `\`, `\"`, "\n", "\r", "\t", "\b", "\f",
	"\x00", "\x01", "\x1f", "\x7f", "é", "日本語", "🎉", "\u2028", "\u2029", "\xff", "\xc3", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\ufffd", "/", "'", "https://example.com/@a?b=1&c=2", "\u00a0", "\u200b", "\u0085", "\U0010ffff",
}

func (f *filler) str() string {
	var sb strings.Builder
	if f.r.IntN(8) == 0 {
		n := f.r.IntN(9)
		for range n {
			sb.WriteByte(byte(f.r.IntN(256)))
		}
		return sb.String()
	}
	for range f.r.IntN(5) {
		sb.WriteString(fillPieces[f.r.IntN(len(fillPieces))])
	}
	return sb.String()
}

func (f *filler) int() int64 {
	switch f.r.IntN(4) {
	case 0:
		return 0
	case 1:
		return int64(f.r.IntN(100))
	case 2:
		return -f.r.Int64()
	default:
		return f.r.Int64()
	}
}

func (f *filler) float() float64 {
	vals := []float64{0, 1, -1, 0.5, 1e20, 1e21, 1e-6, 1e-7, -2.5e-9, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64}
	if f.r.IntN(2) == 0 {
		return vals[f.r.IntN(len(vals))]
	}
	return (f.r.Float64() - 0.5) * math.Pow(10, float64(f.r.IntN(50)-25))
}

// anyValue is a value for a field typed any.
func (f *filler) anyValue(depth int) any {
	fillNew := func(v any) any {
		f.fill(reflect.ValueOf(v).Elem(), depth+1)
		return v
	}
	switch f.r.IntN(14) {
	case 0:
		return nil
	case 1:
		return f.str()
	case 2:
		return f.float()
	case 3:
		return f.int()
	case 4:
		return f.r.IntN(2) == 0
	case 5:
		if depth > 4 {
			return []any{}
		}
		return []any{f.anyValue(depth + 1), f.anyValue(depth + 1)}
	case 6:
		if depth > 4 {
			return map[string]any{}
		}
		return map[string]any{f.str(): f.anyValue(depth + 1), f.str(): f.anyValue(depth + 1)}
	case 7:
		return (*Quote)(nil)
	case 8:
		return (*ShallowQuote)(nil)
	case 9, 10:
		return fillNew(&Quote{})
	case 11:
		return fillNew(&ShallowQuote{})
	case 12:
		return *fillNew(&FilterResult{}).(*FilterResult)
	default:
		return map[string]float64{"x": f.float(), "y": f.float()}
	}
}

func (f *filler) fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(f.int())
	case reflect.Float64:
		v.SetFloat(f.float())
	case reflect.Pointer:
		if depth > 5 || f.r.IntN(3) == 0 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch k := f.r.IntN(4); {
		case k == 0:
			v.SetZero()
		case k == 1 || depth > 5:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + f.r.IntN(3)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				f.fill(s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch f.r.IntN(3) {
		case 0:
			v.SetZero()
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for range 1 + f.r.IntN(3) {
				k := reflect.New(v.Type().Key()).Elem()
				f.fill(k, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Interface:
		if a := f.anyValue(depth); a != nil {
			v.Set(reflect.ValueOf(a))
		} else {
			v.SetZero()
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i), depth+1)
			}
		}
	default:
		f.t.Fatalf("filler: no rule for %s (a new kind of field: teach the filler and the appender)", v.Type())
	}
}

// checkSame compares the appender's output for v with encoding/json's.
func checkSame(t *testing.T, v any) {
	t.Helper()
	var want bytes.Buffer
	wantErr := json.NewEncoder(&want).Encode(v)
	w := &jsonW{}
	if !w.value(v) {
		t.Fatalf("%T has no appender", v)
	}
	if wantErr != nil || w.err != nil {
		if (wantErr == nil) != (w.err == nil) {
			t.Fatalf("%T: encoding/json error %v, appender error %v", v, wantErr, w.err)
		}
		return
	}
	got := append(w.b, '\n')
	if !bytes.Equal(got, want.Bytes()) {
		g, e := string(got), want.String()
		i := 0
		for i < len(g) && i < len(e) && g[i] == e[i] {
			i++
		}
		lo := max(0, i-120)
		t.Fatalf("%T differs at byte %d:\nappender: %q\nencoding/json: %q", v, i, g[lo:min(len(g), i+80)], e[lo:min(len(e), i+80)])
	}
}

func TestEntityJSONMatchesEncodingJSON(t *testing.T) {
	const fills = 2000
	f := &filler{t: t, r: rand.New(rand.NewPCG(19, 2026))}
	t.Run("Status", func(t *testing.T) {
		var prev Status
		for range fills {
			var s Status
			f.fill(reflect.ValueOf(&s).Elem(), 0)
			checkSame(t, s)
			checkSame(t, &s)
			checkSame(t, []Status{prev, s})
			checkSame(t, ContextEntity{Ancestors: []Status{s}, Descendants: []Status{prev}})
			prev = s
		}
	})
	t.Run("Account", func(t *testing.T) {
		var prev Account
		for range fills {
			var a Account
			f.fill(reflect.ValueOf(&a).Elem(), 0)
			checkSame(t, a)
			checkSame(t, &a)
			checkSame(t, []Account{prev, a})
			prev = a
		}
	})
	t.Run("Notification", func(t *testing.T) {
		var prev Notification
		for range fills {
			var n Notification
			f.fill(reflect.ValueOf(&n).Elem(), 0)
			checkSame(t, n)
			checkSame(t, []Notification{prev, n})
			prev = n
		}
	})
	t.Run("Relationship", func(t *testing.T) {
		var prev Relationship
		for range fills {
			var r Relationship
			f.fill(reflect.ValueOf(&r).Elem(), 0)
			checkSame(t, r)
			checkSame(t, []Relationship{prev, r})
			prev = r
		}
	})
	t.Run("ContextEntity", func(t *testing.T) {
		for range fills / 10 {
			var c ContextEntity
			f.fill(reflect.ValueOf(&c).Elem(), 0)
			checkSame(t, c)
		}
	})
	t.Run("zero and nil", func(t *testing.T) {
		for _, v := range []any{Status{}, (*Status)(nil), []Status(nil), []Status{}, Account{}, (*Account)(nil),
			[]Account(nil), []Account{}, Notification{}, []Notification(nil), []Notification{}, Relationship{},
			[]Relationship(nil), []Relationship{}, ContextEntity{}} {
			checkSame(t, v)
		}
	})
	t.Run("every string byte", func(t *testing.T) {
		// Each byte and a few runes alone and between text, as a status's
		// content.
		for c := range 256 {
			for _, s := range []string{string(rune(c)), string([]byte{byte(c)}), "x" + string([]byte{byte(c)}) + "y"} {
				checkSame(t, Status{Content: s})
			}
			// At each place of the 8-byte words the appender tests at once.
			for at := range 17 {
				b := []byte("abcdefghijklmnopq")
				b[at] = byte(c)
				checkSame(t, Status{Content: string(b), SpoilerText: string(b[:at+1])})
			}
		}
	})
}

// An any value encoding/json cannot write fails the whole value, as it does
// with encoding/json, and nothing is written.
func TestEntityJSONError(t *testing.T) {
	e := echo.New()
	e.JSONSerializer = JSONSerializer{}
	for _, v := range []any{
		Status{Quote: math.NaN()},
		[]Status{{}, {Filtered: []any{math.Inf(1)}}},
		Account{},
	} {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
		err := c.JSON(http.StatusOK, v)
		var want bytes.Buffer
		wantErr := json.NewEncoder(&want).Encode(v)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%T: error %v, encoding/json's %v", v, err, wantErr)
		}
		if err != nil && rec.Body.Len() != 0 {
			t.Fatalf("%T: wrote %q on error", v, rec.Body.String())
		}
		if err == nil && rec.Body.String() != want.String() {
			t.Fatalf("%T: wrote %q, want %q", v, rec.Body.String(), want.String())
		}
	}
}

// Through echo: the fast path, pretty output and other types (both by
// encoding/json) and reading bodies are all as echo's default serializer.
func TestJSONSerializerThroughEcho(t *testing.T) {
	fast, def := echo.New(), echo.New()
	fast.JSONSerializer = JSONSerializer{}
	f := &filler{t: t, r: rand.New(rand.NewPCG(7, 7))}
	var s Status
	f.fill(reflect.ValueOf(&s).Elem(), 0)
	for _, target := range []string{"/", "/?pretty"} {
		for _, v := range []any{[]Status{s, s}, s.Account, map[string]any{"a": "<b>"}, []any{}, List{Title: "&"}} {
			out := func(e *echo.Echo) string {
				rec := httptest.NewRecorder()
				c := e.NewContext(httptest.NewRequest(http.MethodGet, target, nil), rec)
				if err := c.JSON(http.StatusCreated, v); err != nil {
					t.Fatal(err)
				}
				if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != echo.MIMEApplicationJSON {
					t.Fatalf("%T: status %d, type %q", v, rec.Code, rec.Header().Get("Content-Type"))
				}
				return rec.Body.String()
			}
			if got, want := out(fast), out(def); got != want {
				t.Fatalf("%s %T:\n%q\nwant\n%q", target, v, got, want)
			}
		}
	}
	c := fast.NewContext(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"title":1}`)), httptest.NewRecorder())
	var l List
	err := c.Echo().JSONSerializer.Deserialize(c, &l)
	if he, ok := err.(*echo.HTTPError); !ok || he.Code != http.StatusBadRequest {
		t.Fatalf("Deserialize of a wrong type: %v, want echo's 400", err)
	}
}

// benchPage is a page of 40 statuses shaped like a home timeline's: one
// author in four, some media, mentions, tags, emojis, a card, a few
// reblogs, the viewer's flags.
func benchPage() []Status {
	t, f := true, false
	str := func(s string) *string { return &s }
	acc := func(i int) Account {
		return Account{ID: idString(int64(100 + i)), Username: "user" + idString(int64(i)), Acct: "user" + idString(int64(i)) + "@remote.example",
			URL: "https://remote.example/@user", URI: "https://remote.example/users/user", DisplayName: "User & Co :blob:",
			Note:   `<p>Writes about <a href="https://remote.example/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a> and things.</p>`,
			Avatar: "https://herald.example/system/accounts/avatars/original/a.png", AvatarStatic: "https://herald.example/system/accounts/avatars/original/a.png",
			Header: "https://herald.example/headers/original/missing.png", HeaderStatic: "https://herald.example/headers/original/missing.png",
			Fields:       []Field{{Name: "Site", Value: `<a href="https://example.org" rel="me nofollow noopener">example.org</a>`, VerifiedAt: str("2026-01-02T03:04:05.000Z")}},
			Emojis:       []CustomEmoji{{Shortcode: "blob", URL: "https://herald.example/emoji/blob.png", StaticURL: "https://herald.example/emoji/blob.png"}},
			Discoverable: &t, Indexable: true, HideCollections: &f, CreatedAt: "2025-06-01T00:00:00.000Z", LastStatusAt: str("2026-12-01"),
			StatusesCount: 1234, FollowersCount: 567, FollowingCount: 89, ShowMedia: true, ShowFeatured: true,
			FeatureApproval: FeatureApproval{Automatic: []string{}, Manual: []string{}, CurrentUser: "missing"}, Roles: []AccountRole{}}
	}
	rules := PolicyRules{AutomaticApproval: []string{"public"}, ManualApproval: []string{}, Always: []string{"public"}, WithApproval: []string{}}
	policy := &InteractionPolicy{CanFavourite: rules, CanReply: rules, CanReblog: rules, CanQuote: rules}
	status := func(i int) Status {
		s := Status{ID: idString(int64(1_000_000 + i)), URI: "https://remote.example/users/user/statuses/1", URL: str("https://remote.example/@user/1"),
			CreatedAt: "2026-12-03T10:00:00.000Z", Account: acc(i % 10), Visibility: "public", SpoilerText: "",
			Content: `<p>Hello <span class="h-card"><a href="https://herald.example/@alice" class="u-url mention">@<span>alice</span></a></span>, ` +
				`this is status number ` + idString(int64(i)) + ` with some "quoted" text, an emoji :blob: and a link ` +
				`<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener" target="_blank">example.org/a</a> &amp; more words to make it a ` +
				`typical length for a post on the fediverse, which is a few hundred characters of HTML.</p>`,
			MediaAttachments: []MediaAttachment{}, Mentions: []StatusMention{{ID: "1", Username: "alice", URL: "https://herald.example/@alice", Acct: "alice"}},
			Tags: []StatusTag{{Name: "go", URL: "https://herald.example/tags/go"}}, Emojis: []CustomEmoji{{Shortcode: "blob", URL: "https://herald.example/emoji/blob.png", StaticURL: "https://herald.example/emoji/blob.png"}},
			ReblogsCount: 3, FavouritesCount: 12, RepliesCount: 1, QuoteApproval: QuoteApproval{Automatic: []string{"public"}, Manual: []string{}, CurrentUser: "automatic"},
			TaggedCollections: []any{}, Language: str("en"), Favourited: &f, Reblogged: &f, Muted: &f, Bookmarked: &f, Filtered: []any{}, InteractionPolicy: policy}
		if i%3 == 0 {
			s.MediaAttachments = []MediaAttachment{{ID: "9", Type: "image", URL: str("https://herald.example/media/1.png"), PreviewURL: str("https://herald.example/media/1s.png"),
				RemoteURL: str("https://remote.example/1.png"), Description: str("A cat <3"), Blurhash: str("UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH"),
				Meta: map[string]any{"original": map[string]any{"width": 1200.0, "height": 800.0, "size": "1200x800", "aspect": 1.5},
					"small": map[string]any{"width": 400.0, "height": 267.0, "size": "400x267", "aspect": 1.4981273408239701}}}}
		}
		if i%5 == 0 {
			s.Card = &PreviewCard{URL: "https://example.org/a", Title: "An article", Description: "About things", Type: "link", Authors: []any{},
				ProviderName: "Example", Image: str("https://herald.example/cards/1.png"), Width: 400, Height: 200}
		}
		if i%7 == 0 {
			r := s
			s.Reblog, s.Content, s.URL, s.Language, s.Account = &r, "", nil, nil, acc(i%10+1)
		}
		return s
	}
	page := make([]Status, 40)
	for i := range page {
		page[i] = status(i)
	}
	return page
}

// cpuTime is the process's CPU time: on a shared machine it varies less
// than the wall time a benchmark reports.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func BenchmarkStatusPageJSON(b *testing.B) {
	page := benchPage()
	var w0 jsonW
	w0.value(page)
	b.Logf("page of %d statuses: %d bytes", len(page), len(w0.b))
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if err := json.NewEncoder(io.Discard).Encode(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appender", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			w := jsonPool.Get().(*jsonW)
			w.value(page)
			w.b = append(w.b, '\n')
			_, _ = io.Discard.Write(w.b)
			w.release()
		}
	})
}

func BenchmarkJSONString(b *testing.B) {
	for name, s := range map[string]string{
		"html":     benchPage()[1].Content,
		"url":      "https://herald.example/system/media_attachments/files/000/000/001/original/abcdef0123456789.png",
		"japanese": "日本語のテキストです。これは典型的な投稿の長さに近いものです。日本語のテキストです。",
	} {
		b.Run(name+"/appender", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			w := &jsonW{}
			for b.Loop() {
				w.b = w.b[:0]
				w.str(s)
			}
		})
		b.Run(name+"/encoding_json", func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			for b.Loop() {
				buf.Reset()
				_ = enc.Encode(s)
			}
		})
	}
}
