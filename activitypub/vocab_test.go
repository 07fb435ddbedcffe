package activitypub

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-social/herald/internal/model"
)

// Documents as real servers write them (abridged): each must decode into
// the fields Herald reads.
var decodeCases = []struct {
	name  string
	json  string
	check func(t *testing.T, o *Object)
}{
	{"mastodon create", `{"@context":["https://www.w3.org/ns/activitystreams",{"sensitive":"as:sensitive"}],
		"id":"https://m.example/users/a/statuses/1/activity","type":"Create","actor":"https://m.example/users/a",
		"object":{"id":"https://m.example/users/a/statuses/1","type":"Note","attributedTo":"https://m.example/users/a",
		"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://m.example/users/a/followers"],
		"content":"<p>hi</p>","contentMap":{"en":"<p>hi</p>"},"sensitive":false,"summary":null,
		"tag":[{"type":"Mention","href":"https://h.example/users/b","name":"@b@h.example"},{"type":"Hashtag","name":"#Go"}],
		"published":"2024-01-02T03:04:05Z","inReplyTo":null}}`,
		func(t *testing.T, o *Object) {
			n := o.Object.Obj
			if !o.Type.Is("Create") || n == nil || !n.Type.Is("Note") || !n.To.HasPublic() || len(n.Tag) != 2 {
				t.Fatalf("%+v", o)
			}
			if html, lang := n.ContentHTML(); html != "<p>hi</p>" || lang != "en" {
				t.Fatalf("content %q %q", html, lang)
			}
			if n.Published.Year() != 2024 || n.InReplyTo.ID != "" || n.Summary != "" {
				t.Fatalf("fields %+v", n)
			}
		}},
	{"loose shapes", `{"id":"https://x.example/1","type":["Note","Object"],"to":"as:Public","cc":[{"id":"https://x.example/f"},42,null],
		"sensitive":"true","attributedTo":[{"id":"https://x.example/u","type":"Person"}],"url":[{"type":"Link","href":"https://x.example/p","mediaType":"text/html"}],
		"name":["first","second"],"published":"2024-01-02T03:04:05.123+02:00","inReplyTo":{"id":"https://x.example/0"},"tag":{"type":"Hashtag","name":"#one"}}`,
		func(t *testing.T, o *Object) {
			if !o.Type.Is("Note") || !o.To.HasPublic() || !o.Cc.Has("https://x.example/f") || !bool(o.Sensitive) {
				t.Fatalf("%+v", o)
			}
			if o.AttributedTo.ID != "https://x.example/u" || o.URL.HTML() != "https://x.example/p" || o.Name != "first" {
				t.Fatalf("%+v", o)
			}
			if o.InReplyTo.ID != "https://x.example/0" || len(o.Tag) != 1 || o.Published.IsZero() {
				t.Fatalf("%+v", o)
			}
		}},
	{"gotosocial key document", `{"id":"https://g.example/users/u/main-key","type":"CryptographicKey","owner":"https://g.example/users/u","publicKeyPem":"PEM"}`,
		func(t *testing.T, o *Object) {
			if o.Owner != "https://g.example/users/u" || o.PublicKeyPem != "PEM" || o.IsActor() {
				t.Fatalf("%+v", o)
			}
		}},
	{"actor with key array", `{"id":"https://p.example/u","type":"Person","preferredUsername":"u","inbox":"https://p.example/u/inbox",
		"endpoints":{"sharedInbox":"https://p.example/inbox"},"publicKey":[{"id":"https://p.example/u#k","owner":"https://p.example/u","publicKeyPem":"P"}],
		"manuallyApprovesFollowers":true,"icon":{"type":"Image","url":"https://p.example/a.png"},"attachment":[{"type":"PropertyValue","name":"n","value":"v"}]}`,
		func(t *testing.T, o *Object) {
			k, ok := o.PublicKey.Find("https://p.example/u#k")
			if !o.IsActor() || !ok || k.PublicKeyPem != "P" || o.Endpoints.SharedInbox != "https://p.example/inbox" || !bool(o.ManuallyApprovesFollowers) {
				t.Fatalf("%+v", o)
			}
			if iconURL(o.Icon) != "https://p.example/a.png" || len(o.Attachment) != 1 || o.Attachment[0].Value != "v" {
				t.Fatalf("%+v", o)
			}
		}},
	{"undo with embedded follow", `{"type":"Undo","actor":"https://a.example/u","object":{"type":"Follow","id":"https://a.example/f/1","actor":"https://a.example/u","object":"https://h.example/users/b"}}`,
		func(t *testing.T, o *Object) {
			if o.Object.Obj == nil || o.Object.Obj.Object.ID != "https://h.example/users/b" || o.Object.ID != "https://a.example/f/1" {
				t.Fatalf("%+v", o.Object)
			}
		}},
	{"question", `{"type":"Question","id":"https://q.example/1","oneOf":[{"type":"Note","name":"yes","replies":{"type":"Collection","totalItems":3}},{"type":"Note","name":"no"}]}`,
		func(t *testing.T, o *Object) {
			if len(o.OneOf) != 2 || o.OneOf[0].Name != "yes" || o.OneOf[0].Replies.Obj == nil || o.OneOf[0].Replies.Obj.TotalNum != 3 {
				t.Fatalf("%+v", o.OneOf)
			}
		}},
}

func TestDecode(t *testing.T) {
	for _, c := range decodeCases {
		t.Run(c.name, func(t *testing.T) {
			o, err := Decode([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, o)
		})
	}
	for _, bad := range []string{"", "[]", "null", `"x"`, "{", `{"id":`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) did not fail", bad)
		}
	}
	// Deep nesting is cut, not followed.
	deep := strings.Repeat(`{"type":"Announce","object":`, 50) + `"x"` + strings.Repeat("}", 50)
	o, err := Decode([]byte(deep))
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for r := o.Object; r.Obj != nil; r = r.Obj.Object {
		depth++
	}
	if depth > maxEmbedDepth+1 {
		t.Fatalf("decoded %d levels", depth)
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c.json))
	}
	f.Add([]byte(`{"object":[[[[{"object":[{"tag":[{"href":1}]}]}]]]],"to":[[1]],"publicKey":[{"id":{}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode(data)
		if err != nil {
			return
		}
		// Everything Herald reads from a decoded object must be safe.
		_ = o.IsActor()
		_, _ = o.ContentHTML()
		_ = o.URL.HTML()
		_ = iconURL(o.Icon)
		_ = visibilityOf(o, "https://x.example/followers")
		_ = isStatusType(o)
		_, _ = o.PublicKey.Find("k")
		if o.Object.Obj != nil {
			_, _ = o.Object.Obj.ContentHTML()
		}
		fed := &Federation{}
		_ = fed.convertContent(o, "")
	})
}

// TestFuzzSeedsDecode replays testdata/fuzz (also run by go test itself)
// and checks the seed files are valid corpus entries.
func TestFuzzSeedsPresent(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	if len(files) == 0 {
		t.Fatal("no seeds under testdata/fuzz/FuzzDecode")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || !strings.HasPrefix(string(b), "go test fuzz v1\n") {
			t.Fatalf("%s: not a corpus file", f)
		}
	}
}

func TestWantsActivityJSON(t *testing.T) {
	cases := map[string]bool{
		"":                          false,
		"*/*":                       false,
		"text/html":                 false,
		"application/activity+json": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		`application/ld+json;profile=https://www.w3.org/ns/activitystreams`:    true,
		"application/activity+json, application/ld+json":                       true,
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8":      false,
		"text/html;q=0.5, application/activity+json":                           true,
		"application/activity+json;q=0.1, text/html":                           false,
		"application/json":            true,
		"application/json, text/html": false,
	}
	for accept, want := range cases {
		r, _ := http.NewRequest("GET", "/users/x", nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		if got := WantsActivityJSON(r); got != want {
			t.Errorf("Accept %q: %v, want %v", accept, got, want)
		}
	}
}

func TestAddressing(t *testing.T) {
	m := []*model.Account{{URI: "https://r.example/u"}}
	f := "https://h.example/users/a/followers"
	check := func(vis model.Visibility, wantTo, wantCc []string) {
		t.Helper()
		to, cc := addressing(vis, f, m)
		if strings.Join(to, " ") != strings.Join(wantTo, " ") || strings.Join(cc, " ") != strings.Join(wantCc, " ") {
			t.Errorf("%v: to %v cc %v", vis, to, cc)
		}
		// And back: what the receiver derives.
		o := &Object{To: to, Cc: cc}
		if got := visibilityOf(o, f); got != vis {
			t.Errorf("%v round-trips as %v", vis, got)
		}
	}
	check(model.Public, []string{Public}, []string{f, m[0].URI})
	check(model.Unlisted, []string{f}, []string{Public, m[0].URI})
	check(model.Private, []string{f, m[0].URI}, nil)
	check(model.Direct, []string{m[0].URI}, nil)
	if visibilityOf(&Object{To: IRIs{"as:Public"}}, f) != model.Public || visibilityOf(&Object{Cc: IRIs{"Public"}}, f) != model.Unlisted {
		t.Error("as:Public / Public forms")
	}
	_ = json.Valid
}
