package api

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/herr"
)

// Params are a request's parameters from wherever the client put them:
// the query string, a urlencoded or multipart form, or a JSON body. Mastodon
// accepts all of these and clients use all of them.
type Params struct {
	values url.Values     // query + form, flattened
	json   map[string]any // JSON body, if any
}

const paramsKey = "herald.params"

// maxJSONDepth bounds nesting in JSON bodies.
const maxJSONDepth = 32

// params parses (once) and returns the request's parameters.
func params(c echo.Context) (*Params, error) {
	if p, ok := c.Get(paramsKey).(*Params); ok {
		return p, nil
	}
	r := c.Request()
	p := &Params{values: url.Values{}}
	for k, v := range r.URL.Query() {
		p.values[k] = append(p.values[k], v...)
	}
	// A GET's body is read too: Mastodon reads it, and Mastodon.py sends
	// some GET parameters as a JSON body (familiar_followers).
	if r.Body != nil && r.Method != http.MethodHead {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case ct == "application/json" || strings.HasSuffix(ct, "+json"):
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, bodyError(err)
			}
			if len(strings.TrimSpace(string(body))) > 0 {
				if err := checkJSONDepth(body); err != nil {
					return nil, err
				}
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					return nil, herr.BadRequest("Invalid JSON body: %s", jsonErrorText(err))
				}
				p.json = m
			}
		case ct == "multipart/form-data":
			if err := r.ParseMultipartForm(8 << 20); err != nil {
				return nil, bodyError(err)
			}
			for k, v := range r.MultipartForm.Value {
				p.values[k] = append(p.values[k], v...)
			}
		case ct == "application/x-www-form-urlencoded" || ct == "":
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, bodyError(err)
			}
			if len(body) > 0 {
				form, err := url.ParseQuery(string(body))
				if err != nil {
					return nil, herr.BadRequest("Invalid form body")
				}
				for k, v := range form {
					p.values[k] = append(p.values[k], v...)
				}
			}
		}
	}
	c.Set(paramsKey, p)
	return p, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errorsAs(err, &mbe) || strings.Contains(err.Error(), "too large") {
		return herr.New(http.StatusRequestEntityTooLarge, "Request body too large")
	}
	return herr.BadRequest("Could not read the request body")
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errorsAs(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errorsAs(err, &te) {
		return "the body must be a JSON object"
	}
	return "malformed JSON"
}

// checkJSONDepth refuses documents nested deeper than maxJSONDepth, which
// would otherwise cost stack and time in the decoder.
func checkJSONDepth(b []byte) error {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxJSONDepth {
				return herr.BadRequest("Invalid JSON body: nested too deeply")
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// Has reports whether the parameter was given.
func (p *Params) Has(key string) bool {
	if _, ok := p.json[key]; ok {
		return true
	}
	_, ok := p.values[key]
	if !ok {
		_, ok = p.values[key+"[]"]
	}
	return ok
}

// String returns a parameter as a string ("" when absent). JSON numbers and
// booleans are turned into their text.
func (p *Params) String(key string) string {
	if v, ok := p.json[key]; ok {
		return scalarText(v)
	}
	return p.values.Get(key)
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// Strings returns a list parameter: key[]=a&key[]=b, key=a, or a JSON array.
func (p *Params) Strings(key string) []string {
	if v, ok := p.json[key]; ok {
		switch x := v.(type) {
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				if s := scalarText(e); s != "" {
					out = append(out, s)
				}
			}
			return out
		default:
			if s := scalarText(x); s != "" {
				return []string{s}
			}
			return nil
		}
	}
	if v := p.values[key+"[]"]; len(v) > 0 {
		return v
	}
	// Indexed form: key[0]=a&key[1]=b
	var idx []string
	for k := range p.values {
		if strings.HasPrefix(k, key+"[") && strings.HasSuffix(k, "]") && !strings.Contains(k[len(key)+1:len(k)-1], "[") {
			idx = append(idx, k)
		}
	}
	if len(idx) > 0 {
		sort.Strings(idx)
		var out []string
		for _, k := range idx {
			out = append(out, p.values[k]...)
		}
		return out
	}
	return p.values[key]
}

// Bool reads a boolean as Rails does: true/1/on/yes and false/0/off/no.
// ok is false when absent; a malformed value is a 422.
func (p *Params) Bool(key string) (value bool, ok bool, err error) {
	if !p.Has(key) {
		return false, false, nil
	}
	if v, isJSON := p.json[key]; isJSON {
		if b, isBool := v.(bool); isBool {
			return b, true, nil
		}
		if v == nil {
			return false, false, nil
		}
	}
	switch strings.ToLower(strings.TrimSpace(p.String(key))) {
	case "true", "1", "on", "yes", "t":
		return true, true, nil
	case "false", "0", "off", "no", "f", "":
		return false, true, nil
	}
	return false, true, herr.Unprocessable("Validation failed: %s must be a boolean", key)
}

// BoolOr reads a boolean with a default for when it is absent or invalid.
func (p *Params) BoolOr(key string, def bool) bool {
	v, ok, err := p.Bool(key)
	if !ok || err != nil {
		return def
	}
	return v
}

// Int reads an integer; absent gives def; out of [min, max] is clamped.
func (p *Params) Int(key string, def, min, max int) (int, error) {
	s := strings.TrimSpace(p.String(key))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, herr.BadRequest("%s must be an integer", key)
	}
	if n < min {
		n = min
	}
	if n > max {
		n = max
	}
	return n, nil
}

// ID reads a Herald id parameter (numeric string); absent is 0.
func (p *Params) ID(key string) (int64, error) {
	s := strings.TrimSpace(p.String(key))
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, herr.NotFound(key)
	}
	return v, nil
}

var indexedKey = regexp.MustCompile(`^([a-z_]+)\[([^\]]+)\]\[([a-z_]+)\]$`)

// Objects reads a list of objects: key[0][name]=..&key[0][value]=.. in
// forms, or a JSON array (or object keyed by index) of objects.
func (p *Params) Objects(key string) []map[string]string {
	if v, ok := p.json[key]; ok {
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return indexLess(keys[i], keys[j]) })
			for _, k := range keys {
				items = append(items, x[k])
			}
		}
		var out []map[string]string
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				o := map[string]string{}
				for k, v := range m {
					o[k] = scalarText(v)
				}
				out = append(out, o)
			}
		}
		return out
	}
	groups := map[string]map[string]string{}
	for k, v := range p.values {
		m := indexedKey.FindStringSubmatch(k)
		if m == nil || m[1] != key || len(v) == 0 {
			continue
		}
		if groups[m[2]] == nil {
			groups[m[2]] = map[string]string{}
		}
		groups[m[2]][m[3]] = v[0]
	}
	// key[][name]=..&key[][value]=.. (Rails array-of-hashes form)
	// The i-th value of every key[][sub] makes the i-th object.
	for k, vs := range p.values {
		sub, ok := strings.CutPrefix(k, key+"[][")
		if !ok || !strings.HasSuffix(sub, "]") || strings.Contains(sub, "[") {
			continue
		}
		sub = strings.TrimSuffix(sub, "]")
		for i, v := range vs {
			g := fmt.Sprintf("~%06d", i)
			if groups[g] == nil {
				groups[g] = map[string]string{}
			}
			groups[g][sub] = v
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return indexLess(keys[i], keys[j]) })
	out := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, groups[k])
	}
	return out
}

// Nested reads key[sub] (form) or {"key": {"sub": ...}} (JSON) as a string.
func (p *Params) Nested(key, sub string) (string, bool) {
	if v, ok := p.json[key]; ok {
		if m, ok := v.(map[string]any); ok {
			if s, ok := m[sub]; ok {
				return scalarText(s), true
			}
		}
		return "", false
	}
	if v, ok := p.values[key+"["+sub+"]"]; ok && len(v) > 0 {
		return v[0], true
	}
	return "", false
}

func indexLess(a, b string) bool {
	ai, errA := strconv.Atoi(a)
	bi, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return ai < bi
	}
	return a < b
}

// nestedStrings reads a list nested under objects: path a, b, c is
// {"a": {"b": {"c": [...]}}} in JSON and a[b][c][]=.. (or a[b][c]=..,
// a[b][c][0]=..) in forms. ok is false when it is absent; empty values
// are dropped (a form's way to send an empty list).
func (p *Params) nestedStrings(path []string) (values []string, ok bool) {
	if len(path) == 0 {
		return nil, false
	}
	if p.json != nil {
		var cur any = p.json
		for _, k := range path {
			m, isMap := cur.(map[string]any)
			if !isMap {
				return nil, false
			}
			if cur, ok = m[k]; !ok {
				return nil, false
			}
		}
		switch x := cur.(type) {
		case []any:
			for _, e := range x {
				if s := scalarText(e); s != "" {
					values = append(values, s)
				}
			}
		default:
			if s := scalarText(x); s != "" {
				values = []string{s}
			}
		}
		return values, true
	}
	key := path[0]
	for _, k := range path[1:] {
		key += "[" + k + "]"
	}
	var keys []string
	for k := range p.values {
		if k == key || k == key+"[]" || (strings.HasPrefix(k, key+"[") && strings.HasSuffix(k, "]") && !strings.Contains(k[len(key)+1:], "[")) {
			keys = append(keys, k)
		}
	}
	// key[0], key[1], ... in index order.
	sort.Slice(keys, func(i, j int) bool {
		return indexLess(strings.Trim(keys[i][len(key):], "[]"), strings.Trim(keys[j][len(key):], "[]"))
	})
	for _, k := range keys {
		ok = true
		for _, v := range p.values[k] {
			if v != "" {
				values = append(values, v)
			}
		}
	}
	return values, ok
}
