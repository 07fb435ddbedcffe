package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// The fediverse writes ActivityStreams loosely: a property may be a string
// IRI, an embedded object, an array of either, or null; booleans arrive as
// strings; dates in several shapes. Herald reads the compacted JSON the way
// Mastodon does (no JSON-LD expansion) into Object, whose field types accept
// every such shape and never fail on a surprising one: a value of the wrong
// kind is dropped, not an error. Decode must never panic on any input (see
// FuzzDecode).

// Public is the public collection, and the forms of it seen on input.
const Public = "https://www.w3.org/ns/activitystreams#Public"

func isPublic(iri string) bool {
	return iri == Public || iri == "as:Public" || iri == "Public"
}

// maxEmbedDepth bounds how deep embedded objects are decoded.
const maxEmbedDepth = 8

// Object is any ActivityStreams object, activity, actor, link or collection,
// with the properties Herald reads.
type Object struct {
	ID   Str   `json:"id"`
	Type Types `json:"type"`

	// Activities.
	Actor  Ref `json:"actor"`
	Object Ref `json:"object"`
	Target Ref `json:"target"`

	// Objects.
	AttributedTo Ref     `json:"attributedTo"`
	To           IRIs    `json:"to"`
	Cc           IRIs    `json:"cc"`
	Bto          IRIs    `json:"bto"`
	Bcc          IRIs    `json:"bcc"`
	Content      Str     `json:"content"`
	ContentMap   LangMap `json:"contentMap"`
	Summary      Str     `json:"summary"`
	Name         Str     `json:"name"`
	Sensitive    Bool    `json:"sensitive"`
	Published    Time    `json:"published"`
	Updated      Time    `json:"updated"`
	InReplyTo    Ref     `json:"inReplyTo"`
	URL          URLs    `json:"url"`
	Tag          Objects `json:"tag"`
	Attachment   Objects `json:"attachment"`
	Replies      Ref     `json:"replies"`
	MediaType    Str     `json:"mediaType"`
	Href         Str     `json:"href"`
	Value        Str     `json:"value"`
	Icon         Objects `json:"icon"`
	Image        Objects `json:"image"`
	// Attachments (Document, Image, ...).
	Blurhash   Str    `json:"blurhash"`
	FocalPoint Floats `json:"focalPoint"`
	Width      Int    `json:"width"`
	Height     Int    `json:"height"`
	// Interaction policies (GoToSocial's, Mastodon's canQuote) and the
	// approvals of interactions.
	InteractionPolicy  PolicyDoc `json:"interactionPolicy"`
	ApprovedBy         Str       `json:"approvedBy"`
	ReplyAuthorization Str       `json:"replyAuthorization"`
	QuoteAuthorization Str       `json:"quoteAuthorization"`
	// Quote posts: FEP-044f's quote, and the older names Mastodon also
	// reads (Fedibird's quoteUri, Misskey's _misskey_quote, quoteUrl).
	Quote        Ref `json:"quote"`
	QuoteURI     Str `json:"quoteUri"`
	MisskeyQuote Str `json:"_misskey_quote"`
	QuoteURL     Str `json:"quoteUrl"`
	// On an Announce (GoToSocial).
	AnnounceAuthorization Str `json:"announceAuthorization"`
	// An authorization object's interaction and the post it concerns.
	InteractingObject Str `json:"interactingObject"`
	InteractionTarget Str `json:"interactionTarget"`
	// Interaction requests (ReplyRequest, QuoteRequest, ...) and their
	// answers.
	Instrument Ref `json:"instrument"`
	Result     Ref `json:"result"`
	// Questions.
	OneOf    Objects `json:"oneOf"`
	AnyOf    Objects `json:"anyOf"`
	EndTime  Time    `json:"endTime"`
	Closed   Closure `json:"closed"`
	Voters   Int     `json:"votersCount"`
	Former   Str     `json:"formerType"`
	Deleted  Time    `json:"deleted"`
	TotalNum Int     `json:"totalItems"`

	// Actors.
	PreferredUsername         Str       `json:"preferredUsername"`
	Inbox                     Str       `json:"inbox"`
	Outbox                    Str       `json:"outbox"`
	Followers                 Str       `json:"followers"`
	Following                 Str       `json:"following"`
	Featured                  Str       `json:"featured"`
	Endpoints                 Endpoints `json:"endpoints"`
	PublicKey                 Keys      `json:"publicKey"`
	ManuallyApprovesFollowers Bool      `json:"manuallyApprovesFollowers"`
	Discoverable              Bool      `json:"discoverable"`
	AlsoKnownAs               IRIs      `json:"alsoKnownAs"`
	MovedTo                   Ref       `json:"movedTo"`
	Suspended                 Bool      `json:"suspended"`

	// Keys.
	Owner        Str `json:"owner"`
	PublicKeyPem Str `json:"publicKeyPem"`

	// Collections.
	First        Ref     `json:"first"`
	Next         Ref     `json:"next"`
	Items        Objects `json:"items"`
	OrderedItems Objects `json:"orderedItems"`

	pending json.RawMessage // an embedded object not yet decoded (see Objects)
}

// Decode parses an ActivityStreams document. It fails only on input that
// is not a JSON object.
func Decode(data []byte) (*Object, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, errors.New("activitypub: not a JSON object")
	}
	var o Object
	if err := decodeObject(data, &o, 0); err != nil {
		return nil, err
	}
	return &o, nil
}

// depth travels through UnmarshalJSON calls via a package-level limit on
// nesting: encoding/json gives no context, so embedded objects are decoded
// explicitly by decodeObject with a depth argument.
func decodeObject(data []byte, o *Object, depth int) error {
	if depth > maxEmbedDepth {
		return errors.New("activitypub: objects nested too deep")
	}
	// Decode with the plain field types first; Ref/Objects keep their raw
	// JSON, and are expanded here with the depth.
	if err := json.Unmarshal(data, (*rawObject)(o)); err != nil {
		return err
	}
	for _, r := range []*Ref{&o.Actor, &o.Object, &o.Target, &o.AttributedTo, &o.InReplyTo, &o.Replies, &o.MovedTo, &o.First, &o.Next,
		&o.Instrument, &o.Result} {
		r.expand(depth + 1)
	}
	for _, l := range []*Objects{&o.Tag, &o.Attachment, &o.Icon, &o.Image, &o.OneOf, &o.AnyOf, &o.Items, &o.OrderedItems} {
		l.expand(depth + 1)
	}
	return nil
}

// rawObject has Object's fields without Object's methods (none today), so
// that json.Unmarshal does not recurse through a custom UnmarshalJSON.
type rawObject Object

// Str is a string that tolerates null and non-string values (dropped).
type Str string

func (s *Str) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = Str(v)
	} else {
		// An array of strings: take the first (seen for "name").
		var vs []json.RawMessage
		if json.Unmarshal(b, &vs) == nil && len(vs) > 0 {
			var first string
			if json.Unmarshal(vs[0], &first) == nil {
				*s = Str(first)
			}
		}
	}
	return nil
}

func (s Str) String() string { return string(s) }

// Bool is a boolean that tolerates "true"/"false" strings and null.
type Bool bool

func (v *Bool) UnmarshalJSON(b []byte) error {
	var x any
	if json.Unmarshal(b, &x) != nil {
		return nil
	}
	switch t := x.(type) {
	case bool:
		*v = Bool(t)
	case string:
		*v = Bool(strings.EqualFold(t, "true") || t == "1")
	case float64:
		*v = Bool(t != 0)
	}
	return nil
}

// Floats is a list of numbers that tolerates anything else (dropped).
type Floats []float64

func (v *Floats) UnmarshalJSON(b []byte) error {
	*v = nil
	var xs []any
	if json.Unmarshal(b, &xs) != nil || len(xs) > 16 {
		return nil
	}
	for _, x := range xs {
		n, ok := x.(float64)
		if !ok {
			*v = nil
			return nil
		}
		*v = append(*v, n)
	}
	return nil
}

// Int is a number that tolerates strings and null.
type Int int64

func (v *Int) UnmarshalJSON(b []byte) error {
	var x any
	if json.Unmarshal(b, &x) != nil {
		return nil
	}
	switch t := x.(type) {
	case float64:
		if t >= -9e18 && t <= 9e18 {
			*v = Int(t)
		}
	case string:
		var n json.Number = json.Number(t)
		if i, err := n.Int64(); err == nil {
			*v = Int(i)
		}
	}
	return nil
}

// Time is an xsd:dateTime; unparsable values are left zero.
type Time struct{ time.Time }

func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}

// Types is "type", a string or an array of strings.
type Types []string

func (t *Types) UnmarshalJSON(b []byte) error {
	*t = nil
	for _, s := range stringsOf(b) {
		*t = append(*t, s)
	}
	return nil
}

// Is reports whether one of the types is name.
func (t Types) Is(names ...string) bool {
	for _, have := range t {
		for _, n := range names {
			if have == n {
				return true
			}
		}
	}
	return false
}

// First is the first type, or "".
func (t Types) First() string {
	if len(t) == 0 {
		return ""
	}
	return t[0]
}

// stringsOf reads a string, or the strings (and objects' ids) of an array.
func stringsOf(b []byte) []string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var arr []json.RawMessage
	if json.Unmarshal(b, &arr) != nil {
		var obj struct {
			ID Str `json:"id"`
		}
		if json.Unmarshal(b, &obj) == nil && obj.ID != "" {
			return []string{string(obj.ID)}
		}
		return nil
	}
	var out []string
	for _, raw := range arr {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			if v != "" {
				out = append(out, v)
			}
			continue
		}
		var obj struct {
			ID Str `json:"id"`
		}
		if json.Unmarshal(raw, &obj) == nil && obj.ID != "" {
			out = append(out, string(obj.ID))
		}
	}
	return out
}

// IRIs is an addressing property (to, cc, alsoKnownAs...): a string, an
// object with an id, or an array of those.
type IRIs []string

func (v *IRIs) UnmarshalJSON(b []byte) error {
	*v = stringsOf(b)
	return nil
}

// Has reports whether iri is among the values.
func (v IRIs) Has(iri string) bool {
	for _, s := range v {
		if s == iri {
			return true
		}
	}
	return false
}

// HasPublic reports whether the public collection is among the values.
func (v IRIs) HasPublic() bool {
	for _, s := range v {
		if isPublic(s) {
			return true
		}
	}
	return false
}

// LangMap is contentMap/nameMap: language → value.
type LangMap map[string]string

func (m *LangMap) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	out := LangMap{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	*m = out
	return nil
}

// Ref is a property naming one object: an IRI or an embedded object (of
// an array, the first element).
type Ref struct {
	ID  string
	Obj *Object // embedded, when it was
	raw json.RawMessage
}

func (r *Ref) UnmarshalJSON(b []byte) error {
	*r = Ref{}
	var s string
	if json.Unmarshal(b, &s) == nil {
		r.ID = s
		return nil
	}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var arr []json.RawMessage
		if json.Unmarshal(b, &arr) != nil || len(arr) == 0 {
			return nil
		}
		return r.UnmarshalJSON(arr[0])
	}
	if len(b) > 0 && b[0] == '{' {
		r.raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

func (r *Ref) expand(depth int) {
	if r.raw == nil {
		return
	}
	raw := r.raw
	r.raw = nil
	var o Object
	if decodeObject(raw, &o, depth) != nil {
		return
	}
	r.Obj = &o
	r.ID = string(o.ID)
}

// IsZero reports an absent reference.
func (r Ref) IsZero() bool { return r.ID == "" && r.Obj == nil }

// Objects is a property holding objects: one, or an array; IRIs in it
// become objects with only an id.
type Objects []*Object

func (l *Objects) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	var items []json.RawMessage
	if len(b) > 0 && b[0] == '[' {
		if json.Unmarshal(b, &items) != nil {
			return nil
		}
	} else {
		items = []json.RawMessage{b}
	}
	for _, raw := range items {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		switch raw[0] {
		case '"':
			var s string
			if json.Unmarshal(raw, &s) == nil && s != "" {
				*l = append(*l, &Object{ID: Str(s)})
			}
		case '{':
			*l = append(*l, &Object{pending: append(json.RawMessage(nil), raw...)})
		}
		if len(*l) >= maxListItems {
			break
		}
	}
	return nil
}

// maxListItems bounds how many items of one property are kept.
const maxListItems = 256

func (l *Objects) expand(depth int) {
	out := (*l)[:0]
	for _, o := range *l {
		if o.pending == nil {
			out = append(out, o)
			continue
		}
		raw := o.pending
		var n Object
		if decodeObject(raw, &n, depth) == nil {
			out = append(out, &n)
		}
	}
	*l = out
}

// URLs is "url": a string, a Link, or an array of them.
type URLs []URLValue

// URLValue is one url entry.
type URLValue struct {
	Href      string
	MediaType string
}

func (u *URLs) UnmarshalJSON(b []byte) error {
	*u = nil
	var s string
	if json.Unmarshal(b, &s) == nil {
		if s != "" {
			*u = URLs{{Href: s}}
		}
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(b, &items) != nil {
		items = []json.RawMessage{b}
	}
	for _, raw := range items {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				*u = append(*u, URLValue{Href: s})
			}
			continue
		}
		var link struct {
			Href      Str `json:"href"`
			MediaType Str `json:"mediaType"`
		}
		if json.Unmarshal(raw, &link) == nil && link.Href != "" {
			*u = append(*u, URLValue{Href: string(link.Href), MediaType: string(link.MediaType)})
		}
	}
	return nil
}

// HTML returns the first text/html URL, or the first URL.
func (u URLs) HTML() string {
	for _, v := range u {
		if v.MediaType == "text/html" {
			return v.Href
		}
	}
	if len(u) > 0 {
		return u[0].Href
	}
	return ""
}

// PolicyDoc is a post's interactionPolicy (GoToSocial): for each kind of
// interaction, who is approved automatically and who manually. Present
// reports whether the post declared one at all (absent, null or {}: it
// did not); each SubPolicy likewise.
type PolicyDoc struct {
	Present                                  bool
	CanLike, CanReply, CanAnnounce, CanQuote SubPolicy
}

// SubPolicy is one kind's rule: automaticApproval (or the older always)
// and manualApproval (or approvalRequired), each a string or a list.
type SubPolicy struct {
	Present           bool
	Automatic, Manual IRIs
}

func (p *PolicyDoc) UnmarshalJSON(b []byte) error {
	*p = PolicyDoc{}
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	for key, into := range map[string]*SubPolicy{"canLike": &p.CanLike, "canReply": &p.CanReply, "canAnnounce": &p.CanAnnounce, "canQuote": &p.CanQuote} {
		v, ok := raw[key]
		if !ok {
			continue
		}
		var sub map[string]json.RawMessage
		if json.Unmarshal(v, &sub) != nil || len(sub) == 0 {
			continue
		}
		into.Present, p.Present = true, true
		for _, k := range []string{"automaticApproval", "always"} {
			into.Automatic = append(into.Automatic, stringsOf(sub[k])...)
		}
		for _, k := range []string{"manualApproval", "approvalRequired"} {
			into.Manual = append(into.Manual, stringsOf(sub[k])...)
		}
		if len(into.Automatic) > maxListItems || len(into.Manual) > maxListItems {
			*into = SubPolicy{Present: true} // absurd: nobody but the author
		}
	}
	return nil
}

// Endpoints is the actor's endpoints object.
type Endpoints struct {
	SharedInbox string
}

func (e *Endpoints) UnmarshalJSON(b []byte) error {
	var v struct {
		SharedInbox Str `json:"sharedInbox"`
	}
	if json.Unmarshal(b, &v) == nil {
		e.SharedInbox = string(v.SharedInbox)
	}
	return nil
}

// Key is a publicKey entry.
type Key struct {
	ID           string
	Owner        string
	PublicKeyPem string
}

// Keys is publicKey: one key object, an array of them, or an IRI.
type Keys []Key

func (k *Keys) UnmarshalJSON(b []byte) error {
	*k = nil
	b = bytes.TrimSpace(b)
	var items []json.RawMessage
	if len(b) > 0 && b[0] == '[' {
		if json.Unmarshal(b, &items) != nil {
			return nil
		}
	} else {
		items = []json.RawMessage{b}
	}
	for _, raw := range items {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				*k = append(*k, Key{ID: s})
			}
			continue
		}
		var v struct {
			ID           Str `json:"id"`
			Owner        Str `json:"owner"`
			PublicKeyPem Str `json:"publicKeyPem"`
		}
		if json.Unmarshal(raw, &v) == nil {
			*k = append(*k, Key{ID: string(v.ID), Owner: string(v.Owner), PublicKeyPem: string(v.PublicKeyPem)})
		}
		if len(*k) >= 16 {
			break
		}
	}
	return nil
}

// Find returns the key with that id.
func (k Keys) Find(keyID string) (Key, bool) {
	for _, key := range k {
		if key.ID == keyID {
			return key, true
		}
	}
	return Key{}, false
}

// --- helpers on Object ---

// IRI returns the object's id.
func (o *Object) IRI() string {
	if o == nil {
		return ""
	}
	return string(o.ID)
}

// IconURL is the URL of the first image in an icon/image property.
func iconURL(l Objects) string {
	for _, o := range l {
		if u := o.URL.HTML(); u != "" {
			return u
		}
		if o.Href != "" {
			return string(o.Href)
		}
		if o.ID != "" && len(o.Type) == 0 {
			return string(o.ID)
		}
	}
	return ""
}

// ContentHTML returns content, or the first contentMap value.
func (o *Object) ContentHTML() (html, lang string) {
	if o.Content != "" {
		for l, v := range o.ContentMap {
			if v == string(o.Content) {
				return v, l
			}
		}
		return string(o.Content), ""
	}
	// Deterministic choice: the alphabetically first language.
	best := ""
	for l := range o.ContentMap {
		if best == "" || l < best {
			best = l
		}
	}
	if best != "" {
		return o.ContentMap[best], best
	}
	return "", ""
}

// actorTypes are the ActivityStreams actor types.
var actorTypes = []string{"Person", "Service", "Application", "Group", "Organization"}

// IsActor reports an actor document.
func (o *Object) IsActor() bool { return o.Type.Is(actorTypes...) }
