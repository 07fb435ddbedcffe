package activitypub

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/herald-social/herald/internal/model"
)

// Fuzz targets for the parsers of what other servers send (besides
// FuzzDecode in vocab_test.go and httpsig's). Seed corpora are under
// testdata/fuzz/<FuzzName>/. Run one with, for example,
//
//	go test ./activitypub -run '^$' -fuzz '^FuzzParseWebFinger$' -fuzztime 60s

// FuzzParseWebFinger: a remote JRD never panics the parser, and an actor id
// it returns is always an http(s) URL.
func FuzzParseWebFinger(f *testing.F) {
	f.Add([]byte(`{"subject":"acct:a@b.example","links":[{"rel":"self","type":"application/activity+json","href":"https://b.example/users/a"}]}`))
	f.Add([]byte(`{"links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"http://b.example/u"}]}`))
	f.Add([]byte(`{"links":[{"rel":"self","type":"text/html","href":"https://b.example/@a"},{"rel":"self","type":"application/activity+json","href":"javascript:alert(1)"}]}`))
	f.Add([]byte(`{"links":{"rel":"self"}}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`{"links":[{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"javascript:alert({uri})"},{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"https://b.example/authorize_interaction?uri={uri}"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// The remote-interaction template is where a browser is sent:
		// always an http(s) URL with a host, holding {uri}.
		if tmpl, err := parseSubscribeTemplate(body); err == nil {
			if !strings.Contains(tmpl, "{uri}") || hostOf(strings.ReplaceAll(tmpl, "{uri}", "x")) == "" {
				t.Fatalf("accepted template %q", tmpl)
			}
		}
		href, err := parseWebFinger(body)
		if err != nil {
			if href != "" {
				t.Fatalf("error %v with href %q", err, href)
			}
			return
		}
		if hostOf(href) == "" {
			t.Fatalf("accepted actor id %q is not an http(s) URL", href)
		}
	})
}

// FuzzActorToAccount: any document, decoded and converted to an account as
// a fetched actor is, never panics, and what is stored is bounded and safe:
// a username without separators, an http(s) id and inbox, sanitised note
// and fields.
func FuzzActorToAccount(f *testing.F) {
	f.Add([]byte(`{"id":"https://r.example/users/a","type":"Person","preferredUsername":"a","inbox":"https://r.example/users/a/inbox","name":"<b>A</b>","summary":"<p>hi<script>x</script></p>","attachment":[{"type":"PropertyValue","name":"w","value":"<a href=\"javascript:x\">y</a>"}],"icon":{"url":"https://r.example/a.png"},"publicKey":{"id":"https://r.example/users/a#k","owner":"https://r.example/users/a","publicKeyPem":"x"}}`))
	f.Add([]byte(`{"id":"https://r.example/s","type":["Service","Person"],"preferredUsername":["a","b"],"inbox":{"id":"https://r.example/i"},"endpoints":{"sharedInbox":"https://r.example/inbox"},"published":"2020-01-01T00:00:00Z","url":[{"type":"Link","href":"https://r.example/@a"}]}`))
	f.Add([]byte(`{"id":"https://r.example/g","type":"Group","preferredUsername":"a b","inbox":"ftp://x"}`))
	fed := &Federation{}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Decode(data)
		if err != nil {
			return
		}
		a, err := fed.actorToAccount(o)
		if err != nil {
			return
		}
		if a.Username == "" || strings.ContainsAny(a.Username, "@/ \t\r\n") || len(a.Username) > 200 {
			t.Fatalf("username %q", a.Username)
		}
		if hostOf(a.URI) == "" || hostOf(a.InboxURL) == "" || a.Domain != hostOf(a.URI) {
			t.Fatalf("id %q inbox %q domain %q", a.URI, a.InboxURL, a.Domain)
		}
		for _, u := range []string{a.URL, a.SharedInboxURL, a.OutboxURL, a.FollowersURL, a.AvatarURL, a.HeaderURL} {
			if u != "" && hostOf(u) == "" {
				t.Fatalf("stored URL %q is not http(s)", u)
			}
		}
		if len(a.Fields) > 16 {
			t.Fatalf("%d fields", len(a.Fields))
		}
		for _, s := range append([]string{a.Note}, fieldValues(a.Fields)...) {
			if bad := unsafeHTML(s); bad != "" {
				t.Fatalf("%s in sanitised HTML %q", bad, s)
			}
		}
		if strings.ContainsAny(a.DisplayName, "\x00") {
			t.Fatalf("display name %q", a.DisplayName)
		}
	})
}

// unsafeHTML reports what in s, read as HTML by a browser, could run code
// or restyle the page: an active element, an event handler or style
// attribute, or a script or data URL. Text that merely mentions
// "javascript:" is harmless and not reported.
func unsafeHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "iframe", "img", "svg", "math", "object", "embed", "form", "base", "meta", "link", "input", "button":
				return "element <" + tok.Data + ">"
			}
			for _, at := range tok.Attr {
				key := strings.ToLower(at.Key)
				v := strings.ToLower(strings.TrimLeft(strings.Map(func(r rune) rune {
					if r == '\t' || r == '\n' || r == '\r' {
						return -1
					}
					return r
				}, at.Val), "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
				switch {
				case strings.HasPrefix(key, "on"):
					return "event handler " + key
				case key == "style":
					return "style attribute"
				case strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:"):
					return key + "=" + at.Val
				}
			}
		}
	}
}

func fieldValues(fs []model.Field) []string {
	out := make([]string, len(fs)) // values are HTML; names are plain text
	for i, f := range fs {
		out[i] = f.Value
	}
	return out
}

// FuzzDiscoveryQuery: the query input of our own WebFinger, host-meta and
// NodeInfo endpoints (what strangers send us) never causes a 5xx, and the
// answers are JSON or XRD. There is no fuzz target for remote NodeInfo
// documents because Herald never fetches any (see webfinger_parse.go).
func FuzzDiscoveryQuery(f *testing.F) {
	ti := newTestInstance(f)
	ti.createUser("alice")
	e := echo.New()
	ti.fed.Register(e)
	f.Add("acct:alice@"+ti.cfg.Instance.Domain, "json", "2.0")
	f.Add(ti.url+"/users/alice", "", "2.1")
	f.Add(ti.url+"/@alice", "xml", "x")
	f.Add("acct:"+ti.cfg.Instance.Domain+"@"+ti.cfg.Instance.Domain, "", "")
	f.Add("@@@", "json\x00", "2.0?x=1")
	f.Add(ti.url+"/users/%zz", "", "")
	f.Fuzz(func(t *testing.T, resource, format, version string) {
		for _, target := range []string{
			"/.well-known/webfinger?resource=" + url.QueryEscape(resource),
			"/.well-known/host-meta?format=" + url.QueryEscape(format),
			"/.well-known/host-meta.json?resource=" + url.QueryEscape(resource),
			"/.well-known/nodeinfo?" + url.QueryEscape(format) + "=" + url.QueryEscape(version),
			"/nodeinfo/2.0?" + url.QueryEscape(resource),
			"/nodeinfo/" + url.PathEscape(version),
		} {
			req := httptest.NewRequest(http.MethodGet, "http://"+ti.cfg.Instance.Domain+"/", nil)
			u, err := url.ParseRequestURI(target)
			if err != nil {
				continue
			}
			req.URL, req.RequestURI = u, target
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
			}
			if rec.Code == http.StatusOK {
				ct := rec.Header().Get("Content-Type")
				if !strings.Contains(ct, "json") && !strings.Contains(ct, "xml") {
					t.Fatalf("GET %s: content type %q", target, ct)
				}
			}
		}
	})
}
