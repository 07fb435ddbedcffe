package server_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/herald-social/herald/activitypub/httpsig"
	"github.com/herald-social/herald/internal/server"
	"github.com/herald-social/herald/internal/testutil"
)

// End-to-end XSS: every payload of the shared corpus
// (internal/text/testdata/xss_payloads.txt, also the sanitiser's) goes in
// as local text (a status, a bio, profile fields, a display name, through
// the client API) and as remote HTML (a Note's content, an actor's name,
// summary and fields, through a signed inbox POST), and comes out of the
// API's JSON and the web UI's pages without scripts, event handlers,
// javascript:/vbscript:/data: URLs, style injection or active elements.
//
// The HTML is judged as a browser would see it: parsed with x/net/html
// (entities decoded, misnesting repaired), then every element and
// attribute is checked. display_name and fields[].name are plain text by
// the Mastodon API's contract (only note and fields[].value are HTML;
// clients escape the others), so they are checked where Herald renders
// them itself, in the web UI.

func loadXSSPayloads(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../text/testdata/xss_payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) < 50 {
		t.Fatalf("only %d payloads", len(out))
	}
	return out
}

// activeTags may run code, load content, submit or restyle the page.
var activeTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Frame: true, atom.Frameset: true,
	atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Svg: true, atom.Math: true,
	atom.Base: true, atom.Meta: true, atom.Link: true, atom.Form: true, atom.Input: true,
	atom.Button: true, atom.Textarea: true, atom.Select: true, atom.Img: true, atom.Video: true,
	atom.Audio: true, atom.Source: true, atom.Xmp: true, atom.Noscript: true, atom.Template: true,
	atom.Details: true, atom.Table: true,
}

// urlAttrs hold URLs (or, for srcdoc and content, documents and refreshes).
var urlAttrs = []string{"href", "src", "action", "formaction", "data", "srcdoc", "background", "poster", "xlink:href", "srcset", "content", "codebase", "dynsrc", "lowsrc", "ping"}

// dangers lists what is dangerous in an HTML document (full, or a
// fragment when fragment is true): active elements, event handlers, style
// attributes, and script or data URLs. Each entry is one finding.
func dangers(src string, fragment bool) []string {
	var nodes []*html.Node
	if fragment {
		ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		ns, err := html.ParseFragment(strings.NewReader(src), ctx)
		if err != nil {
			return []string{"unparsable: " + err.Error()}
		}
		nodes = ns
	} else {
		n, err := html.Parse(strings.NewReader(src))
		if err != nil {
			return []string{"unparsable: " + err.Error()}
		}
		nodes = []*html.Node{n}
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if (activeTags[n.DataAtom] && !pageChrome(n)) || n.Namespace != "" {
				out = append(out, "element <"+n.Data+">")
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"):
					out = append(out, fmt.Sprintf("event handler %s on <%s>", key, n.Data))
				case key == "style":
					out = append(out, fmt.Sprintf("style attribute on <%s>", n.Data))
				case key == "content" && !hasAttr(n, "http-equiv"):
					// <meta name=... content=...> is text, not a refresh.
				case slices.Contains(urlAttrs, key):
					if isScriptURL(a.Val) {
						out = append(out, fmt.Sprintf("%s=%q on <%s>", key, a.Val, n.Data))
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return out
}

// pageChrome is an element the web UI itself puts around posts: an
// author's avatar (class "avatar", an address of this instance). Injected
// markup cannot carry it: the sanitiser drops class attributes.
func pageChrome(n *html.Node) bool {
	if n.DataAtom != atom.Img {
		return false
	}
	var class, src string
	for _, a := range n.Attr {
		switch a.Key {
		case "class":
			class = a.Val
		case "src":
			src = a.Val
		}
	}
	return strings.HasPrefix(class, "avatar") && strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "//")
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

// isScriptURL reports a URL a browser would run or render as a document:
// javascript:, vbscript: or data:, after the browser's own cleanup
// (leading controls and spaces, tabs and newlines anywhere).
func isScriptURL(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	v = strings.ToLower(strings.TrimLeft(v, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
	if i := strings.Index(v, "url="); i >= 0 { // <meta content="0;url=...">
		v = strings.TrimSpace(v[i+4:])
	}
	for _, s := range []string{"javascript:", "vbscript:", "data:", "livescript:"} {
		if strings.HasPrefix(v, s) || strings.Contains(v, " "+s) {
			return true
		}
	}
	return false
}

// newDangers returns the findings of page that the baseline page does not
// have (the layout's own stylesheet link and forms are not the payload's).
func newDangers(baseline, page []string) []string {
	left := slices.Clone(baseline)
	var out []string
	for _, d := range page {
		if i := slices.Index(left, d); i >= 0 {
			left = slices.Delete(left, i, i+1)
			continue
		}
		out = append(out, d)
	}
	return out
}

func pageHTML(t *testing.T, ts *server.TestServer, path string) (int, string) {
	t.Helper()
	status, h, b := ts.Do(t, "GET", path, "", nil)
	if status == 200 && !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: content type %q", path, h.Get("Content-Type"))
	}
	return status, string(b)
}

type apiField struct{ Name, Value string }

type apiAccount struct {
	ID          string     `json:"id"`
	Acct        string     `json:"acct"`
	DisplayName string     `json:"display_name"`
	Note        string     `json:"note"`
	Fields      []apiField `json:"fields"`
}

// checkAccountJSON checks the HTML members of an account entity.
func checkAccountJSON(t *testing.T, what string, a apiAccount) {
	t.Helper()
	if d := dangers(a.Note, true); len(d) > 0 {
		t.Errorf("%s: API note %q: %v", what, a.Note, d)
	}
	for _, f := range a.Fields {
		if d := dangers(f.Value, true); len(d) > 0 {
			t.Errorf("%s: API field value %q: %v", what, f.Value, d)
		}
	}
}

func TestXSSLocal(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write")
	payloads := loadXSSPayloads(t)

	_, base := pageHTML(t, ts, "/@alice")
	baseline := dangers(base, false)
	_, homeBase := pageHTML(t, ts, "/")
	homeBaseline := dangers(homeBase, false)
	var acct apiAccount
	ts.JSON(t, "GET", "/api/v1/accounts/verify_credentials", tok, nil, 200, &acct)

	refusedNames := 0
	for i, p := range payloads {
		what := fmt.Sprintf("payload %d %q", i, p)
		// A status.
		var st struct {
			ID      string `json:"id"`
			Content string `json:"content"`
		}
		ts.JSON(t, "POST", "/api/v1/statuses", tok, map[string]any{"status": p, "visibility": "public"}, 200, &st)
		if d := dangers(st.Content, true); len(d) > 0 {
			t.Errorf("%s: status content %q: %v", what, st.Content, d)
		}
		ts.JSON(t, "GET", "/api/v1/statuses/"+st.ID, "", nil, 200, &st)
		if d := dangers(st.Content, true); len(d) > 0 {
			t.Errorf("%s: fetched status content %q: %v", what, st.Content, d)
		}
		// Bio and profile fields (name and value).
		fieldText := p
		if len(fieldText) > 255 {
			fieldText = fieldText[:255]
		}
		var got apiAccount
		ts.JSON(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{
			"note":              p,
			"fields_attributes": map[string]any{"0": map[string]string{"name": fieldText, "value": fieldText}},
		}, 200, &got)
		checkAccountJSON(t, what+" (update_credentials)", got)
		// The display name is limited in length; a refused one is fine.
		if status, _, b := ts.Do(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{"display_name": p}); status != 200 {
			if status >= 500 {
				t.Fatalf("%s: display name: %d %s", what, status, b)
			}
			refusedNames++
			short := p
			if len(short) > 30 {
				short = short[:30]
			}
			ts.Do(t, "PATCH", "/api/v1/accounts/update_credentials", tok, map[string]any{"display_name": short})
		}
		ts.JSON(t, "GET", "/api/v1/accounts/"+acct.ID, "", nil, 200, &got)
		checkAccountJSON(t, what+" (account)", got)
		if len(got.Fields) == 0 {
			t.Errorf("%s: the profile field was not stored", what)
		}
		// The web UI: the profile page and the home page.
		if status, page := pageHTML(t, ts, "/@alice"); status != 200 {
			t.Fatalf("%s: profile page %d", what, status)
		} else if d := newDangers(baseline, dangers(page, false)); len(d) > 0 {
			t.Errorf("%s: profile page: %v", what, d)
		}
		if _, page := pageHTML(t, ts, "/"); len(newDangers(homeBaseline, dangers(page, false))) > 0 {
			t.Errorf("%s: home page: %v", what, newDangers(homeBaseline, dangers(page, false)))
		}
	}
	t.Logf("%d payloads; %d display names refused as too long and set truncated", len(payloads), refusedNames)
}

// xssRemote is a remote server whose actors /users/u<N> carry payload N
// in their name, summary and fields; it signs inbox POSTs as them.
type xssRemote struct {
	url      string
	key      *rsa.PrivateKey
	pub      string
	payloads []string
}

var xssKey struct {
	once sync.Once
	key  *rsa.PrivateKey
}

func newXSSRemote(t *testing.T, payloads []string) *xssRemote {
	t.Helper()
	xssKey.once.Do(func() {
		k, err := httpsig.GenerateKey(2048)
		if err != nil {
			panic(err)
		}
		xssKey.key = k
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &xssRemote{url: "http://" + ln.Addr().String(), key: xssKey.key, payloads: payloads}
	r.pub, _ = httpsig.EncodePublicKeyPEM(&r.key.PublicKey)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{name}", func(w http.ResponseWriter, req *http.Request) {
		var n int
		if _, err := fmt.Sscanf(req.PathValue("name"), "u%d", &n); err != nil || n < 0 || n >= len(payloads) {
			http.NotFound(w, req)
			return
		}
		p := payloads[n]
		id := r.actor(n)
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":                id,
			"type":              "Person",
			"preferredUsername": fmt.Sprintf("u%d", n),
			"name":              p,
			"summary":           p,
			"url":               id,
			"inbox":             id + "/inbox",
			"attachment": []any{
				map[string]string{"type": "PropertyValue", "name": p, "value": p},
			},
			"publicKey": map[string]string{"id": id + "#main-key", "owner": id, "publicKeyPem": r.pub},
		})
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, req *http.Request) { w.WriteHeader(http.StatusAccepted) })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *xssRemote) actor(n int) string { return fmt.Sprintf("%s/users/u%d", r.url, n) }

// deliver POSTs a Create of a public Note with content payload n, signed
// by actor u<n>.
// The Note mentions the local account local, so that it is wanted here.
func (r *xssRemote) deliver(t *testing.T, inbox, local string, n int) {
	t.Helper()
	actor := r.actor(n)
	note := map[string]any{
		"id": fmt.Sprintf("%s/notes/%d", actor, n), "type": "Note", "attributedTo": actor,
		"content": r.payloads[n], "summary": nil, "published": time.Now().UTC().Format(time.RFC3339),
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{local},
		"tag": []any{map[string]string{"type": "Mention", "href": local, "name": "@alice"}},
		"url": fmt.Sprintf("%s/notes/%d", actor, n),
	}
	act := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       fmt.Sprintf("%s/notes/%d/activity", actor, n), "type": "Create", "actor": actor,
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{local}, "object": note,
	}
	body, _ := json.Marshal(act)
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, actor+"#main-key", r.key, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("inbox POST for payload %d: %d %s", n, resp.StatusCode, msg)
	}
}

func TestXSSRemote(t *testing.T) {
	ts := server.StartTest(t)
	ts.CreateUser(t, "alice", "user")
	tok := ts.Token(t, "alice", "read write follow")
	payloads := loadXSSPayloads(t)
	remote := newXSSRemote(t, payloads)
	host := strings.TrimPrefix(remote.url, "http://")

	_, homeBase := pageHTML(t, ts, "/")
	homeBaseline := dangers(homeBase, false)
	_, profBase := pageHTML(t, ts, "/@alice")
	profBaseline := dangers(profBase, false)

	for n := range payloads {
		remote.deliver(t, ts.URL+"/inbox", ts.URL+"/users/alice", n)
	}
	deadline := time.Now().Add(60 * time.Second) // for all of them
	for n, p := range payloads {
		what := fmt.Sprintf("payload %d %q", n, p)
		acct := fmt.Sprintf("u%d@%s", n, host)
		var a apiAccount
		var statuses []struct {
			ID      string `json:"id"`
			URI     string `json:"uri"`
			Content string `json:"content"`
		}
		testutil.Eventually(t, time.Until(deadline), what+": the remote status", func() bool {
			status, _, b := ts.Do(t, "GET", "/api/v1/accounts/lookup?acct="+url.QueryEscape(acct), tok, nil)
			if status != 200 || json.Unmarshal(b, &a) != nil {
				return false
			}
			status, _, b = ts.Do(t, "GET", "/api/v1/accounts/"+a.ID+"/statuses", tok, nil)
			return status == 200 && json.Unmarshal(b, &statuses) == nil && len(statuses) > 0
		})
		checkAccountJSON(t, what+" (remote account)", a)
		for _, st := range statuses {
			if d := dangers(st.Content, true); len(d) > 0 {
				t.Errorf("%s: remote status content %q: %v", what, st.Content, d)
			}
		}
		// The status as fetched by id, and in the public timeline.
		var one struct {
			Content string     `json:"content"`
			Account apiAccount `json:"account"`
		}
		ts.JSON(t, "GET", "/api/v1/statuses/"+statuses[0].ID, tok, nil, 200, &one)
		if d := dangers(one.Content, true); len(d) > 0 {
			t.Errorf("%s: remote status by id %q: %v", what, one.Content, d)
		}
		checkAccountJSON(t, what+" (status account)", one.Account)
		// The web UI has no page of its own for remote accounts or
		// statuses yet; whatever it answers for them must be safe.
		for _, path := range []string{"/@" + acct, "/@" + acct + "/" + statuses[0].ID} {
			status, page := pageHTML(t, ts, path)
			if status >= 500 {
				t.Errorf("%s: GET %s: %d", what, path, status)
			}
			if d := newDangers(profBaseline, dangers(page, false)); len(d) > 0 {
				t.Errorf("%s: GET %s: %v", what, path, d)
			}
		}
	}
	var timeline []struct {
		Content string     `json:"content"`
		Account apiAccount `json:"account"`
	}
	ts.JSON(t, "GET", "/api/v1/timelines/public?limit=40", tok, nil, 200, &timeline)
	if len(timeline) == 0 {
		t.Error("public timeline is empty")
	}
	for _, st := range timeline {
		if d := dangers(st.Content, true); len(d) > 0 {
			t.Errorf("public timeline content %q: %v", st.Content, d)
		}
		checkAccountJSON(t, "public timeline account", st.Account)
	}
	if _, page := pageHTML(t, ts, "/"); len(newDangers(homeBaseline, dangers(page, false))) > 0 {
		t.Errorf("home page after remote payloads: %v", newDangers(homeBaseline, dangers(page, false)))
	}
}
