package text

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MentionRef is an @mention found in plain text: Username, and Domain (""
// when the mention named none). Domain is lowercased, and keeps its port
// when one was given ("localhost:8080").
type MentionRef struct{ Username, Domain string }

// Parsed is what a status's plain text contains.
type Parsed struct {
	// Mentions in order of first appearance, without duplicates (usernames
	// compare case-insensitively).
	Mentions []MentionRef
	// Tags are normalised: lowercase, deduplicated, in order of first
	// appearance, without the leading '#'.
	Tags []string
	// URLs are the http(s) links, deduplicated, in order of first appearance.
	URLs []string
}

// maxUsernameLen is the longest username a mention may name.
const maxUsernameLen = 30

// urlLength is what every URL counts for in [Length], whatever its size.
const urlLength = 23

type entityKind uint8

const (
	entURL entityKind = iota + 1
	entMention
	entTag
)

// entity is one link, mention or hashtag found by scan, as byte offsets into
// the scanned string.
type entity struct {
	kind       entityKind
	start, end int
	// schemeLen is the length of "http://" or "https://" for entURL.
	schemeLen int
	// username and domain for entMention; domain is lowercased.
	username, domain string
}

var (
	// hostRE is the host part of a URL we autolink: a DNS name (unicode
	// labels allowed) or a bracketed IPv6 literal, with an optional port.
	// Both are compiled on first use: their Unicode classes make them
	// the costliest regular expressions here.
	hostRE = lazyRegexp(`^(?:(?:[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}_-]*[\p{L}\p{N}\p{M}])?\.)*[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}_-]*[\p{L}\p{N}\p{M}])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`)
	// domainPrefixRE matches the domain of a remote mention at the start of
	// the text after the second '@': labels separated by dots, optional port.
	domainPrefixRE = lazyRegexp(`^[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?(?:\.[\p{L}\p{N}\p{M}](?:[\p{L}\p{N}\p{M}-]*[\p{L}\p{N}\p{M}])?)*(?::[0-9]{1,5})?`)
)

// isWordRune reports whether r is a "word" character: letter, combining
// mark, decimal digit or underscore.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isUsernameByte reports whether c may appear in a username.
func isUsernameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isTagSeparator reports whether r may join the words of a hashtag (as
// Mastodon allows "#foo·bar"); it may not start or end one.
func isTagSeparator(r rune) bool {
	return r == '\u00B7' || r == '\u30FB' || r == '\u200C'
}

// scan appends to ents the URLs, mentions and hashtags of s, in order and
// without overlaps. URLs win over what they contain (a "#fragment" or an
// "/@user" path is part of the link).
func scan(s string, ents []entity) []entity {
	for i := 0; i < len(s); i++ {
		var (
			e  entity
			ok bool
		)
		// Only ASCII bytes start an entity, and those never occur inside a
		// multi-byte UTF-8 sequence, so stepping by bytes is safe.
		switch s[i] {
		case 'h', 'H':
			e, ok = matchURL(s, i)
		case '@':
			e, ok = matchMention(s, i)
		case '#':
			e, ok = matchTag(s, i)
		}
		if ok {
			ents = append(ents, e)
			i = e.end - 1
		}
	}
	return ents
}

// lastRune is the rune before byte offset i, or -1 at the start of s.
func lastRune(s string, i int) rune {
	if i == 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// urlStop reports whether r ends a URL candidate.
func urlStop(r rune) bool {
	switch {
	case r == '<' || r == '>' || r == '"' || r == '`' || r == utf8.RuneError:
		return true
	case r < 0x80:
		return r <= ' ' || r == 0x7f
	case unicode.IsSpace(r) || unicode.IsControl(r):
		return true
	case 0x3000 <= r && r <= 0x303F: // CJK punctuation: 、。「」 etc.
		return true
	case 0xFF01 <= r && r <= 0xFF0F, 0xFF1A <= r && r <= 0xFF20: // fullwidth punctuation
		return true
	}
	return false
}

// matchURL matches an http(s) URL starting at s[i].
func matchURL(s string, i int) (entity, bool) {
	rest := s[i:]
	var schemeLen int
	switch {
	case len(rest) > 8 && strings.EqualFold(rest[:8], "https://"):
		schemeLen = 8
	case len(rest) > 7 && strings.EqualFold(rest[:7], "http://"):
		schemeLen = 7
	default:
		return entity{}, false
	}
	// Like Twitter's extractor: not glued to a preceding letter or digit
	// ("xhttp://"), nor part of "@https://…", "$…" or "#…".
	switch r := lastRune(s, i); {
	case r < 0:
	case r < 0x80 && (isUsernameByte(byte(r)) && r != '_' || r == '@' || r == '$' || r == '#'):
		return entity{}, false
	case r == '＠' || r == '＃':
		return entity{}, false
	}
	j := i + schemeLen
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if urlStop(r) {
			break
		}
		j += n
	}
	u := trimURL(s[i:j])
	if len(u) <= schemeLen {
		return entity{}, false
	}
	host := u[schemeLen:]
	if k := strings.IndexAny(host, "/?#"); k >= 0 {
		host = host[:k]
	}
	if !hostRE().MatchString(host) {
		return entity{}, false
	}
	return entity{kind: entURL, start: i, end: i + len(u), schemeLen: schemeLen}, true
}

// trimURL drops what usually follows a link rather than belonging to it:
// trailing sentence punctuation and closing brackets that have no opening
// partner inside the URL ("(see https://example.com/a_(b))" keeps "_(b)").
func trimURL(u string) string {
	for u != "" {
		r, n := utf8.DecodeLastRuneInString(u)
		switch {
		case strings.ContainsRune(".,;:!?'*…", r):
		case r == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
		case r == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
		case r == '}' && strings.Count(u, "{") < strings.Count(u, "}"):
		default:
			return u
		}
		u = u[:len(u)-n]
	}
	return u
}

// matchMention matches "@user" or "@user@domain[:port]" starting at s[i].
func matchMention(s string, i int) (entity, bool) {
	// Not inside a word or an e-mail address ("a@b.c"), a path ("/@user"),
	// a query ("?x=@y") or after another '@'.
	if r := lastRune(s, i); r >= 0 && (isWordRune(r) || strings.ContainsRune("/=@.+-", r)) {
		return entity{}, false
	}
	j := i + 1
	for j < len(s) && isUsernameByte(s[j]) {
		j++
	}
	if n := j - (i + 1); n == 0 || n > maxUsernameLen {
		return entity{}, false
	}
	// "@jürgen" is not a mention of "@j".
	if r, _ := utf8.DecodeRuneInString(s[j:]); j < len(s) && isWordRune(r) {
		return entity{}, false
	}
	e := entity{kind: entMention, start: i, end: j, username: s[i+1 : j]}
	if j+1 < len(s) && s[j] == '@' {
		if m := domainPrefixRE().FindStringIndex(s[j+1:]); m != nil {
			end := j + 1 + m[1]
			if r, _ := utf8.DecodeRuneInString(s[end:]); end == len(s) || !isWordRune(r) {
				e.domain = strings.ToLower(s[j+1 : end])
				e.end = end
			}
		}
	}
	return e, true
}

// matchTag matches "#tag" starting at s[i]: word characters (joined by the
// separators Mastodon allows), at least one of them a letter.
func matchTag(s string, i int) (entity, bool) {
	if r := lastRune(s, i); r >= 0 && (isWordRune(r) || r == '/' || r == '=' || r == ')') {
		return entity{}, false
	}
	j, end := i+1, i+1
	hasLetter := false
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		switch {
		case isWordRune(r):
			if !hasLetter && unicode.IsLetter(r) {
				hasLetter = true
			}
			j += n
			end = j
			continue
		case isTagSeparator(r) && end > i+1:
			j += n
			continue
		}
		break
	}
	if !hasLetter {
		return entity{}, false
	}
	return entity{kind: entTag, start: i, end: end}, true
}

// normTag is the normalised form of a hashtag name (without '#').
func normTag(tag string) string {
	return strings.ToLower(tag)
}

// normNewlines turns CRLF and lone CR into LF.
func normNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Parse finds the mentions, hashtags and http(s) URLs of a status's plain
// text.
//
// Mentions are "@user", "@user@host.tld" or "@user@host:port", usernames
// being [A-Za-z0-9_]{1,30}; a mention starts at the beginning of the text or
// after a non-word character, so "a@b.c" (an e-mail address) is none.
// Hashtags are '#' and unicode letters, digits and underscores, not purely
// numeric, not inside a word or a URL. URLs lose trailing punctuation and
// unbalanced closing brackets.
func Parse(s string) Parsed {
	var buf [16]entity
	ents := scan(s, buf[:0])
	var p Parsed
	for _, e := range ents {
		switch e.kind {
		case entURL:
			u := s[e.start:e.end]
			if !containsString(p.URLs, u) {
				p.URLs = append(p.URLs, u)
			}
		case entMention:
			m := MentionRef{Username: e.username, Domain: e.domain}
			dup := false
			for _, o := range p.Mentions {
				if o.Domain == m.Domain && strings.EqualFold(o.Username, m.Username) {
					dup = true
					break
				}
			}
			if !dup {
				p.Mentions = append(p.Mentions, m)
			}
		case entTag:
			t := normTag(s[e.start+1 : e.end])
			if !containsString(p.Tags, t) {
				p.Tags = append(p.Tags, t)
			}
		}
	}
	return p
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Length counts a status's length as Mastodon does: characters (runes), where
// every URL counts 23 whatever its length and a remote mention
// "@user@domain" counts only as "@user". Like Mastodon, which strips a
// status's text before validating it, surrounding whitespace does not count
// and CRLF counts as one character.
func Length(s string) int {
	s = strings.TrimSpace(normNewlines(s))
	n := utf8.RuneCountInString(s)
	var buf [16]entity
	for _, e := range scan(s, buf[:0]) {
		switch e.kind {
		case entURL:
			n += urlLength - utf8.RuneCountInString(s[e.start:e.end])
		case entMention:
			if e.domain != "" {
				// The domain is what follows "@user"; its runes do not count.
				n -= utf8.RuneCountInString(s[e.start+1+len(e.username) : e.end])
			}
		}
	}
	return n
}

// lazyRegexp compiles expr when it is first used.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
