package api

// Hand-written JSON for the entities of the hot read paths (timelines,
// notifications, verify_credentials). encoding/json's reflection encoder
// was an eighth of a home timeline's CPU; these appenders write the same
// bytes straight into one pooled buffer. The output must stay identical to
// json.NewEncoder(w).Encode(v) (echo's default): entity_json_test.go fills
// every field of every entity through reflection and compares, so a field
// added to an entity and not here fails that test.
//
// Values typed any are written here when they are of the kinds decoded JSON
// holds (media meta), by encoding/json otherwise.

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// JSONSerializer is the echo serializer of the server: the entities that
// have an appender are written by it, everything else (and pretty output)
// by echo's default, which also reads request bodies.
type JSONSerializer struct {
	echo.DefaultJSONSerializer
}

// Serialize writes i as JSON followed by a newline, as json.Encoder does.
func (s JSONSerializer) Serialize(c echo.Context, i any, indent string) error {
	if indent != "" {
		return s.DefaultJSONSerializer.Serialize(c, i, indent)
	}
	w := jsonPool.Get().(*jsonW)
	defer w.release()
	if !w.value(i) {
		return s.DefaultJSONSerializer.Serialize(c, i, indent)
	}
	if w.err != nil {
		return w.err // like json.Encoder: nothing written
	}
	w.b = append(w.b, '\n')
	_, err := c.Response().Write(w.b)
	return err
}

// jsonW is a JSON output buffer; err keeps the first error of a value
// written by encoding/json.
type jsonW struct {
	b   []byte
	err error
}

var jsonPool = sync.Pool{New: func() any { return &jsonW{b: make([]byte, 0, 16<<10)} }}

func (w *jsonW) release() {
	if cap(w.b) > 1<<20 {
		return // a rare huge page: let it go rather than keep it pooled
	}
	w.b, w.err = w.b[:0], nil
	jsonPool.Put(w)
}

// value writes i when it is of a type with an appender and says whether it
// was.
func (w *jsonW) value(i any) bool {
	switch v := i.(type) {
	case []Status:
		w.statuses(v)
	case Status:
		v.appendJSON(w)
	case *Status:
		appendOpt(w, v)
	case Account:
		v.appendJSON(w)
	case *Account:
		appendOpt(w, v)
	case []Account:
		appendList(w, v, (*Account).appendJSON)
	case Notification:
		v.appendJSON(w)
	case []Notification:
		appendList(w, v, (*Notification).appendJSON)
	case Relationship:
		v.appendJSON(w)
	case []Relationship:
		appendList(w, v, (*Relationship).appendJSON)
	case ContextEntity:
		w.raw(`{"ancestors":`)
		w.statuses(v.Ancestors)
		w.raw(`,"descendants":`)
		w.statuses(v.Descendants)
		w.b = append(w.b, '}')
	default:
		return false
	}
	return true
}

// The primitives.

func (w *jsonW) raw(s string) { w.b = append(w.b, s...) }
func (w *jsonW) null()        { w.b = append(w.b, "null"...) }

func (w *jsonW) bool(v bool) {
	if v {
		w.b = append(w.b, "true"...)
	} else {
		w.b = append(w.b, "false"...)
	}
}

func (w *jsonW) int(v int64) { w.b = strconv.AppendInt(w.b, v, 10) }

func (w *jsonW) strPtr(p *string) {
	if p == nil {
		w.null()
	} else {
		w.str(*p)
	}
}

func (w *jsonW) boolPtr(p *bool) {
	if p == nil {
		w.null()
	} else {
		w.bool(*p)
	}
}

func (w *jsonW) int64Ptr(p *int64) {
	if p == nil {
		w.null()
	} else {
		w.int(*p)
	}
}

func (w *jsonW) strs(v []string) {
	appendList(w, v, func(s *string, w *jsonW) { w.str(*s) })
}

// anyValue writes v through encoding/json (same options as the encoder
// echo uses: HTML escaped).
func (w *jsonW) anyValue(v any) {
	if v == nil {
		w.null()
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.b = append(w.b, b...)
}

// anyFast writes the kinds of values decoded JSON holds (media meta, the
// []any fields) directly and the others through encoding/json.
func (w *jsonW) anyFast(v any) {
	switch x := v.(type) {
	case nil:
		w.null()
	case string:
		w.str(x)
	case bool:
		w.bool(x)
	case float64:
		w.float(x)
	case []any:
		w.anys(x)
	case map[string]any:
		w.anyMap(x)
	case map[string]float64:
		sortedMap(w, x, w.float)
	default:
		w.anyValue(v)
	}
}

// anys writes a []any.
func (w *jsonW) anys(v []any) {
	appendList(w, v, func(x *any, w *jsonW) { w.anyFast(*x) })
}

// anyMap writes a map[string]any.
func (w *jsonW) anyMap(m map[string]any) { sortedMap(w, m, w.anyFast) }

// sortedMap writes a map with its keys sorted, as encoding/json does.
func sortedMap[V any](w *jsonW, m map[string]V, value func(V)) {
	if m == nil {
		w.null()
		return
	}
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		value(m[k])
	}
	w.b = append(w.b, '}')
}

// float writes f as encoding/json does: like ES6, 'f' format unless tiny
// or huge, then 'e' with an unpadded exponent; NaN and infinities are
// encoding/json's error.
func (w *jsonW) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		w.anyValue(f)
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	w.b = b
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string the way encoding/json does with HTML
// escaping: ", \ and control characters escaped (\b \f \n \r \t short),
// <, > and & as \u003c..., invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func (w *jsonW) str(s string) {
	b := append(w.b, '"')
	start, i := 0, 0
	for {
		// Skip the run of bytes written as they are: 8 at a time, then
		// one at a time up to the one that is not.
		for i+8 <= len(s) {
			t := s[i : i+8]
			x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			if escapeIn8(x) {
				break
			}
			i += 8
		}
		for i < len(s) && jsonSafe[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	w.b = append(b, '"')
}

const (
	bytes1 = 0x0101010101010101
	bytes8 = 0x8080808080808080
)

// escapeIn8 says whether any of 8 bytes is not written as it is: not ASCII,
// below 0x20, or one of the quote, backslash, <, > and &. Each test is exact as a yes/no (a
// borrow only runs on past a byte that matched).
func escapeIn8(x uint64) bool {
	const q, bs, lt, gt, amp = bytes1 * '"', bytes1 * '\\', bytes1 * '<', bytes1 * '>', bytes1 * '&'
	v := x | (x - bytes1*0x20) |
		(x^q-bytes1)&^(x^q) | (x^bs-bytes1)&^(x^bs) |
		(x^lt-bytes1)&^(x^lt) | (x^gt-bytes1)&^(x^gt) | (x^amp-bytes1)&^(x^amp)
	return v&bytes8 != 0
}

// jsonSafe marks the ASCII bytes written as they are (one entry per byte
// value: no bounds check in the loop).
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// The entities, fields in declaration order (encoding/json's order);
// omitempty fields are left out when empty as encoding/json does.

// appendList writes a slice of entities: null when nil.
func appendList[T any](w *jsonW, v []T, one func(*T, *jsonW)) {
	if v == nil {
		w.null()
		return
	}
	w.b = append(w.b, '[')
	for k := range v {
		if k > 0 {
			w.b = append(w.b, ',')
		}
		one(&v[k], w)
	}
	w.b = append(w.b, ']')
}

// appendOpt writes a pointer entity: null, or the entity.
func appendOpt[T any, P interface {
	*T
	appendJSON(*jsonW)
}](w *jsonW, v P) {
	if v == nil {
		w.null()
		return
	}
	v.appendJSON(w)
}

func (w *jsonW) statuses(v []Status) { appendList(w, v, (*Status).appendJSON) }

func (s *Status) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(s.ID)
	w.raw(`,"uri":`)
	w.str(s.URI)
	w.raw(`,"url":`)
	w.strPtr(s.URL)
	w.raw(`,"created_at":`)
	w.str(s.CreatedAt)
	w.raw(`,"account":`)
	s.Account.appendJSON(w)
	w.raw(`,"content":`)
	w.str(s.Content)
	w.raw(`,"visibility":`)
	w.str(s.Visibility)
	w.raw(`,"sensitive":`)
	w.bool(s.Sensitive)
	w.raw(`,"spoiler_text":`)
	w.str(s.SpoilerText)
	w.raw(`,"media_attachments":`)
	appendList(w, s.MediaAttachments, (*MediaAttachment).appendJSON)
	if s.Application != nil {
		w.raw(`,"application":{"name":`)
		w.str(s.Application.Name)
		w.raw(`,"website":`)
		w.strPtr(s.Application.Website)
		w.b = append(w.b, '}')
	}
	w.raw(`,"mentions":`)
	appendList(w, s.Mentions, (*StatusMention).appendJSON)
	w.raw(`,"tags":`)
	appendList(w, s.Tags, (*StatusTag).appendJSON)
	w.raw(`,"emojis":`)
	w.emojis(s.Emojis)
	w.raw(`,"reblogs_count":`)
	w.int(s.ReblogsCount)
	w.raw(`,"favourites_count":`)
	w.int(s.FavouritesCount)
	w.raw(`,"replies_count":`)
	w.int(s.RepliesCount)
	w.raw(`,"quotes_count":`)
	w.int(s.QuotesCount)
	w.raw(`,"quote_approval":{"automatic":`)
	w.strs(s.QuoteApproval.Automatic)
	w.raw(`,"manual":`)
	w.strs(s.QuoteApproval.Manual)
	w.raw(`,"current_user":`)
	w.str(s.QuoteApproval.CurrentUser)
	w.raw(`},"tagged_collections":`)
	w.anys(s.TaggedCollections)
	w.raw(`,"in_reply_to_id":`)
	w.strPtr(s.InReplyToID)
	w.raw(`,"in_reply_to_account_id":`)
	w.strPtr(s.InReplyToAccountID)
	w.raw(`,"reblog":`)
	appendOpt(w, s.Reblog)
	w.raw(`,"poll":`)
	appendOpt(w, s.Poll)
	w.raw(`,"card":`)
	appendOpt(w, s.Card)
	w.raw(`,"quote":`)
	switch q := s.Quote.(type) {
	case nil:
		w.null()
	case *Quote:
		if q == nil {
			w.null()
		} else {
			w.raw(`{"state":`)
			w.str(q.State)
			w.raw(`,"quoted_status":`)
			appendOpt(w, q.QuotedStatus)
			w.b = append(w.b, '}')
		}
	case *ShallowQuote:
		if q == nil {
			w.null()
		} else {
			w.raw(`{"state":`)
			w.str(q.State)
			w.raw(`,"quoted_status_id":`)
			w.strPtr(q.QuotedStatusID)
			w.b = append(w.b, '}')
		}
	default:
		w.anyFast(q)
	}
	w.raw(`,"language":`)
	w.strPtr(s.Language)
	if s.Text != nil {
		w.raw(`,"text":`)
		w.str(*s.Text)
	}
	w.raw(`,"edited_at":`)
	w.strPtr(s.EditedAt)
	if s.Favourited != nil {
		w.raw(`,"favourited":`)
		w.bool(*s.Favourited)
	}
	if s.Reblogged != nil {
		w.raw(`,"reblogged":`)
		w.bool(*s.Reblogged)
	}
	if s.Muted != nil {
		w.raw(`,"muted":`)
		w.bool(*s.Muted)
	}
	if s.Bookmarked != nil {
		w.raw(`,"bookmarked":`)
		w.bool(*s.Bookmarked)
	}
	if s.Pinned != nil {
		w.raw(`,"pinned":`)
		w.bool(*s.Pinned)
	}
	if len(s.Filtered) > 0 {
		w.raw(`,"filtered":`)
		w.anys(s.Filtered)
	}
	if p := s.InteractionPolicy; p != nil {
		w.raw(`,"interaction_policy":{"can_favourite":`)
		w.policyRules(&p.CanFavourite)
		w.raw(`,"can_reply":`)
		w.policyRules(&p.CanReply)
		w.raw(`,"can_reblog":`)
		w.policyRules(&p.CanReblog)
		w.raw(`,"can_quote":`)
		w.policyRules(&p.CanQuote)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, '}')
}

func (w *jsonW) policyRules(r *PolicyRules) {
	w.raw(`{"automatic_approval":`)
	w.strs(r.AutomaticApproval)
	w.raw(`,"manual_approval":`)
	w.strs(r.ManualApproval)
	w.raw(`,"always":`)
	w.strs(r.Always)
	w.raw(`,"with_approval":`)
	w.strs(r.WithApproval)
	w.b = append(w.b, '}')
}

func (m *MediaAttachment) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(m.ID)
	w.raw(`,"type":`)
	w.str(m.Type)
	w.raw(`,"url":`)
	w.strPtr(m.URL)
	w.raw(`,"preview_url":`)
	w.strPtr(m.PreviewURL)
	w.raw(`,"remote_url":`)
	w.strPtr(m.RemoteURL)
	w.raw(`,"preview_remote_url":`)
	w.strPtr(m.PreviewRemoteURL)
	w.raw(`,"text_url":`)
	w.strPtr(m.TextURL)
	w.raw(`,"meta":`)
	w.anyMap(m.Meta)
	w.raw(`,"description":`)
	w.strPtr(m.Description)
	w.raw(`,"blurhash":`)
	w.strPtr(m.Blurhash)
	w.b = append(w.b, '}')
}

func (w *jsonW) emojis(v []CustomEmoji) { appendList(w, v, (*CustomEmoji).appendJSON) }

func (e *CustomEmoji) appendJSON(w *jsonW) {
	w.raw(`{"shortcode":`)
	w.str(e.Shortcode)
	w.raw(`,"url":`)
	w.str(e.URL)
	w.raw(`,"static_url":`)
	w.str(e.StaticURL)
	w.raw(`,"visible_in_picker":`)
	w.bool(e.VisibleInPicker)
	if e.Category != "" {
		w.raw(`,"category":`)
		w.str(e.Category)
	}
	w.b = append(w.b, '}')
}

func (p *Poll) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(p.ID)
	w.raw(`,"expires_at":`)
	w.strPtr(p.ExpiresAt)
	w.raw(`,"expired":`)
	w.bool(p.Expired)
	w.raw(`,"multiple":`)
	w.bool(p.Multiple)
	w.raw(`,"votes_count":`)
	w.int(p.VotesCount)
	w.raw(`,"voters_count":`)
	w.int64Ptr(p.VotersCount)
	w.raw(`,"options":`)
	appendList(w, p.Options, (*PollOption).appendJSON)
	w.raw(`,"emojis":`)
	w.emojis(p.Emojis)
	if p.Voted != nil {
		w.raw(`,"voted":`)
		w.bool(*p.Voted)
	}
	if len(p.OwnVotes) > 0 {
		w.raw(`,"own_votes":[`)
		for k, n := range p.OwnVotes {
			if k > 0 {
				w.b = append(w.b, ',')
			}
			w.int(int64(n))
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
}

func (c *PreviewCard) appendJSON(w *jsonW) {
	w.raw(`{"url":`)
	w.str(c.URL)
	w.raw(`,"title":`)
	w.str(c.Title)
	w.raw(`,"description":`)
	w.str(c.Description)
	w.raw(`,"type":`)
	w.str(c.Type)
	w.raw(`,"authors":`)
	w.anys(c.Authors)
	w.raw(`,"author_name":`)
	w.str(c.AuthorName)
	w.raw(`,"author_url":`)
	w.str(c.AuthorURL)
	w.raw(`,"provider_name":`)
	w.str(c.ProviderName)
	w.raw(`,"provider_url":`)
	w.str(c.ProviderURL)
	w.raw(`,"html":`)
	w.str(c.HTML)
	w.raw(`,"width":`)
	w.int(int64(c.Width))
	w.raw(`,"height":`)
	w.int(int64(c.Height))
	w.raw(`,"image":`)
	w.strPtr(c.Image)
	w.raw(`,"image_description":`)
	w.str(c.ImageDescription)
	w.raw(`,"embed_url":`)
	w.str(c.EmbedURL)
	w.raw(`,"blurhash":`)
	w.strPtr(c.Blurhash)
	w.raw(`,"language":`)
	w.strPtr(c.Language)
	w.raw(`,"published_at":`)
	w.strPtr(c.PublishedAt)
	w.b = append(w.b, '}')
}

func (a *Account) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(a.ID)
	w.raw(`,"username":`)
	w.str(a.Username)
	w.raw(`,"acct":`)
	w.str(a.Acct)
	w.raw(`,"url":`)
	w.str(a.URL)
	w.raw(`,"uri":`)
	w.str(a.URI)
	w.raw(`,"display_name":`)
	w.str(a.DisplayName)
	w.raw(`,"note":`)
	w.str(a.Note)
	w.raw(`,"avatar":`)
	w.str(a.Avatar)
	w.raw(`,"avatar_static":`)
	w.str(a.AvatarStatic)
	w.raw(`,"avatar_description":`)
	w.str(a.AvatarDescription)
	w.raw(`,"header":`)
	w.str(a.Header)
	w.raw(`,"header_static":`)
	w.str(a.HeaderStatic)
	w.raw(`,"header_description":`)
	w.str(a.HeaderDescription)
	w.raw(`,"locked":`)
	w.bool(a.Locked)
	w.raw(`,"fields":`)
	w.fields(a.Fields)
	w.raw(`,"emojis":`)
	w.emojis(a.Emojis)
	w.raw(`,"bot":`)
	w.bool(a.Bot)
	w.raw(`,"group":`)
	w.bool(a.Group)
	w.raw(`,"discoverable":`)
	w.boolPtr(a.Discoverable)
	w.raw(`,"indexable":`)
	w.bool(a.Indexable)
	w.raw(`,"hide_collections":`)
	w.boolPtr(a.HideCollections)
	w.raw(`,"noindex":`)
	w.bool(a.Noindex)
	if a.Suspended {
		w.raw(`,"suspended":true`)
	}
	if a.Limited {
		w.raw(`,"limited":true`)
	}
	w.raw(`,"created_at":`)
	w.str(a.CreatedAt)
	w.raw(`,"last_status_at":`)
	w.strPtr(a.LastStatusAt)
	w.raw(`,"statuses_count":`)
	w.int(a.StatusesCount)
	w.raw(`,"followers_count":`)
	w.int(a.FollowersCount)
	w.raw(`,"following_count":`)
	w.int(a.FollowingCount)
	w.raw(`,"show_media":`)
	w.bool(a.ShowMedia)
	w.raw(`,"show_media_replies":`)
	w.bool(a.ShowMediaReplies)
	w.raw(`,"show_featured":`)
	w.bool(a.ShowFeatured)
	w.raw(`,"feature_approval":{"automatic":`)
	w.strs(a.FeatureApproval.Automatic)
	w.raw(`,"manual":`)
	w.strs(a.FeatureApproval.Manual)
	w.raw(`,"current_user":`)
	w.str(a.FeatureApproval.CurrentUser)
	w.raw(`},"roles":`)
	appendList(w, a.Roles, (*AccountRole).appendJSON)
	if a.Moved != nil {
		w.raw(`,"moved":`)
		a.Moved.appendJSON(w)
	}
	if s := a.Source; s != nil {
		w.raw(`,"source":{"privacy":`)
		w.str(s.Privacy)
		w.raw(`,"sensitive":`)
		w.bool(s.Sensitive)
		w.raw(`,"language":`)
		w.str(s.Language)
		w.raw(`,"note":`)
		w.str(s.Note)
		w.raw(`,"fields":`)
		w.fields(s.Fields)
		w.raw(`,"follow_requests_count":`)
		w.int(s.FollowRequestsCount)
		w.raw(`,"hide_collections":`)
		w.bool(s.HideCollections)
		w.raw(`,"discoverable":`)
		w.bool(s.Discoverable)
		w.raw(`,"indexable":`)
		w.bool(s.Indexable)
		w.raw(`,"attribution_domains":`)
		w.strs(s.AttributionDomains)
		w.raw(`,"quote_policy":`)
		w.str(s.QuotePolicy)
		w.b = append(w.b, '}')
	}
	if a.Role != nil {
		w.raw(`,"role":`)
		a.Role.appendJSON(w)
	}
	w.b = append(w.b, '}')
}

func (w *jsonW) fields(v []Field) { appendList(w, v, (*Field).appendJSON) }

func (f *Field) appendJSON(w *jsonW) {
	w.raw(`{"name":`)
	w.str(f.Name)
	w.raw(`,"value":`)
	w.str(f.Value)
	w.raw(`,"verified_at":`)
	w.strPtr(f.VerifiedAt)
	w.b = append(w.b, '}')
}

func (r *AccountRole) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(r.ID)
	w.raw(`,"name":`)
	w.str(r.Name)
	w.raw(`,"color":`)
	w.str(r.Color)
	if r.Permissions != "" {
		w.raw(`,"permissions":`)
		w.str(r.Permissions)
	}
	w.raw(`,"highlighted":`)
	w.bool(r.Highlighted)
	w.b = append(w.b, '}')
}

func (n *Notification) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(n.ID)
	w.raw(`,"type":`)
	w.str(n.Type)
	w.raw(`,"group_key":`)
	w.str(n.GroupKey)
	w.raw(`,"created_at":`)
	w.str(n.CreatedAt)
	w.raw(`,"account":`)
	n.Account.appendJSON(w)
	if n.Status != nil {
		w.raw(`,"status":`)
		n.Status.appendJSON(w)
	}
	if r := n.Report; r != nil {
		w.raw(`,"report":{"id":`)
		w.str(r.ID)
		w.raw(`,"action_taken":`)
		w.bool(r.ActionTaken)
		w.raw(`,"action_taken_at":`)
		w.strPtr(r.ActionTakenAt)
		w.raw(`,"category":`)
		w.str(r.Category)
		w.raw(`,"comment":`)
		w.str(r.Comment)
		w.raw(`,"forwarded":`)
		w.bool(r.Forwarded)
		w.raw(`,"created_at":`)
		w.str(r.CreatedAt)
		w.raw(`,"status_ids":`)
		w.strs(r.StatusIDs)
		w.raw(`,"rule_ids":`)
		w.strs(r.RuleIDs)
		w.raw(`,"target_account":`)
		r.TargetAccount.appendJSON(w)
		w.b = append(w.b, '}')
	}
	if m := n.ModerationWarning; m != nil {
		w.raw(`,"moderation_warning":{"id":`)
		w.str(m.ID)
		w.raw(`,"action":`)
		w.str(m.Action)
		w.raw(`,"text":`)
		w.str(m.Text)
		w.raw(`,"status_ids":`)
		w.strs(m.StatusIDs)
		w.raw(`,"target_account":`)
		appendOpt(w, m.TargetAccount)
		w.raw(`,"appeal":`)
		if m.Appeal == nil {
			w.null()
		} else {
			w.raw(`{"text":`)
			w.str(m.Appeal.Text)
			w.raw(`,"state":`)
			w.str(m.Appeal.State)
			w.b = append(w.b, '}')
		}
		w.raw(`,"created_at":`)
		w.str(m.CreatedAt)
		w.raw(`,"overruled_at":`)
		w.strPtr(m.OverruledAt)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, '}')
}

func (r *Relationship) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(r.ID)
	w.raw(`,"following":`)
	w.bool(r.Following)
	w.raw(`,"showing_reblogs":`)
	w.bool(r.ShowingReblogs)
	w.raw(`,"notifying":`)
	w.bool(r.Notifying)
	w.raw(`,"languages":`)
	w.strs(r.Languages)
	w.raw(`,"followed_by":`)
	w.bool(r.FollowedBy)
	w.raw(`,"blocking":`)
	w.bool(r.Blocking)
	w.raw(`,"blocked_by":`)
	w.bool(r.BlockedBy)
	w.raw(`,"muting":`)
	w.bool(r.Muting)
	w.raw(`,"muting_notifications":`)
	w.bool(r.MutingNotifications)
	w.raw(`,"requested":`)
	w.bool(r.Requested)
	w.raw(`,"requested_by":`)
	w.bool(r.RequestedBy)
	w.raw(`,"domain_blocking":`)
	w.bool(r.DomainBlocking)
	w.raw(`,"endorsed":`)
	w.bool(r.Endorsed)
	w.raw(`,"note":`)
	w.str(r.Note)
	w.b = append(w.b, '}')
}

func (m *StatusMention) appendJSON(w *jsonW) {
	w.raw(`{"id":`)
	w.str(m.ID)
	w.raw(`,"username":`)
	w.str(m.Username)
	w.raw(`,"url":`)
	w.str(m.URL)
	w.raw(`,"acct":`)
	w.str(m.Acct)
	w.b = append(w.b, '}')
}

func (t *StatusTag) appendJSON(w *jsonW) {
	w.raw(`{"name":`)
	w.str(t.Name)
	w.raw(`,"url":`)
	w.str(t.URL)
	w.b = append(w.b, '}')
}

func (o *PollOption) appendJSON(w *jsonW) {
	w.raw(`{"title":`)
	w.str(o.Title)
	w.raw(`,"votes_count":`)
	w.int64Ptr(o.VotesCount)
	w.b = append(w.b, '}')
}
