// Package text owns turning status text into HTML as Mastodon does, and
// sanitising HTML that arrives from remote servers.
//
// Local statuses are plain text: [Parse] finds their mentions, hashtags and
// links, [Render] turns them into Mastodon-style HTML, and [Length] counts
// them against the character limit the way Mastodon does. Remote content is
// HTML: [SanitizeRemote] reduces it to the element set Mastodon allows,
// [PlainText] flattens HTML to text, and [SanitizeName] cleans display and
// field names.
//
// The package does no I/O: resolving a mention to an account or building a
// tag page's URL is left to callbacks in [RenderOptions]. All regular
// expressions and the sanitising policy are compiled once at package
// initialisation, and every function is safe for concurrent use.
package text
