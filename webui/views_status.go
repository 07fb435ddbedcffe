package webui

import (
	"net/url"
	"strconv"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// statusViews are the pages of this file, by the name handlers render:
// the pages that show posts (timelines, a post and its thread, profiles,
// notifications, requests, search, lists, reports, the annual report,
// the about page) and the partials they share (the status card, the
// compose form, the follow button, the remote-interaction form).
func statusViews() map[string]pageView {
	return map[string]pageView{
		"about":                 {content: aboutView},
		"authorize_interaction": {content: authorizeInteractionView},
		"list":                  {content: listView},
		"lists":                 {content: listsView},
		"notifications":         {content: notificationsView},
		"profile":               {head: profileHead, content: profileView},
		"remote_interaction":    {content: remoteInteractionView},
		"report":                {content: reportView},
		"requests":              {content: requestsView},
		"search":                {content: searchView},
		"status":                {head: statusHead, content: statusView},
		"timeline":              {content: timelineView},
		"wrapstodon":            {head: wrapstodonHead, content: wrapstodonView},
		"admin_report":          {content: adminReportView},
	}
}

// statusCard is a post as pages show it (the "status" partial): its
// author, content or content warning, media, poll, quote and, for someone
// signed in, its actions. The forms return to the page's path, or to its
// ReturnTo when the page's query matters.
func (w *UI) statusCard(m *markup, root page, it Item) {
	csrf := get[string](root, "CSRF")
	back := get[string](root, "Path")
	if r, ok := root["ReturnTo"]; ok {
		back, _ = r.(string)
	}
	signedIn := get[*model.Account](root, "Me") != nil
	hidden := func(anchor bool) {
		m.f(`<input type="hidden" name="authenticity_token" value="%s"><input type="hidden" name="return_to" value="%s">`, csrf, back)
		if anchor {
			m.f(`<input type="hidden" name="anchor" value="s%s">`, it.ID)
		}
	}
	action := "/statuses/" + it.ID + "/"

	m.f(`<article class="card status" id="s%s" aria-labelledby="s%s-by">`+"\n", it.ID, it.ID)
	if it.BoostedBy != nil {
		m.f(`<p class="muted boosted">%s boosted</p>`, dname(it.BoostedBy))
	}
	m.f("\n<header class=\"by\">\n<img class=\"avatar\" src=\"%u\" alt=\"\" width=\"44\" height=\"44\">\n"+
		"<div><a id=\"s%s-by\" href=\"%u\" class=\"name\">%s</a>\n<span class=\"muted acct\">@%s</span></div>\n</header>\n",
		w.avatarURL(it.Author), it.ID, profileURL(it.Author), dname(it.Author), w.acct(it.Author))
	if it.Spoiler != "" {
		m.f("<details class=\"cw\"><summary>%s <span class=\"muted\">(show more)</span></summary>\n<div class=\"content\">%h</div></details>",
			it.Spoiler, safeHTML(it.Content))
	} else {
		m.f(`<div class="content">%h</div>`, safeHTML(it.Content))
	}
	m.raw("\n")
	if len(it.Media) > 0 {
		m.raw(`<div class="media">`)
		for _, md := range it.Media {
			switch md.Type {
			case "image", "gifv":
				src := md.Preview
				if src == "" {
					src = md.URL
				}
				m.f(`<a href="%u"><img src="%u" alt="%s" loading="lazy"></a>`, md.URL, src, md.Description)
			case "video":
				m.f(`<video src="%u" controls preload="none" aria-label="%s"></video>`, md.URL, md.Description)
			case "audio":
				m.f(`<audio src="%u" controls preload="none"></audio>`, md.URL)
			default:
				m.f(`<a href="%u">Attachment</a>`, md.URL)
			}
		}
		m.raw(`</div>`)
	}
	m.raw("\n")
	if pl := it.Poll; pl != nil {
		m.raw(`<div class="poll">`)
		if pl.CanVote {
			m.f("<form method=\"post\" action=\"%u\">\n", action+"vote")
			hidden(true)
			m.f("\n<fieldset><legend class=\"muted\">%s</legend>\n", pick(pl.Multiple, "Choose one or more", "Choose one"))
			for _, o := range pl.Options {
				m.f("<label class=\"poll-choice\"><input type=\"%s\" name=\"choices\" value=\"%d\"> %s</label>\n",
					pick(pl.Multiple, "checkbox", "radio"), o.Index, o.Title)
			}
			m.raw(`</fieldset><button class="small">Vote</button></form>`)
		} else {
			m.raw("<ul class=\"poll-results\">\n")
			for _, o := range pl.Options {
				m.raw("<li")
				m.attrIf(o.Mine, ` class="mine"`)
				width := 0
				if pl.ShowTotals {
					width = o.Percent
				}
				m.f(`><span class="poll-bar" style="width: %d%%"></span><span class="poll-title">%s`, width, o.Title)
				if o.Mine {
					m.raw(` <span class="muted">(your vote)</span>`)
				}
				m.raw("</span>")
				if pl.ShowTotals {
					m.f(`<span class="poll-pct">%d%%</span>`, o.Percent)
				}
				m.raw("</li>\n")
			}
			m.raw("</ul>")
		}
		m.f("\n<p class=\"muted small\">%d %s · ", pl.Total, pick(pl.Total == 1, "vote", "votes"))
		switch {
		case pl.Expired:
			m.raw("Closed")
		case pl.Ends:
			m.f(`Ends <time datetime="%s">%s</time>`, isoDate(pl.EndsAt), fmtDate(pl.EndsAt))
		default:
			m.raw("Open")
		}
		m.raw("</p></div>")
	}
	m.raw("\n")
	if q := it.Quote; q != nil {
		if q.Unavailable != "" {
			m.f(`<p class="quote unavailable muted">%s</p>`, q.Unavailable)
		} else {
			m.f("<blockquote class=\"quote\">\n<header class=\"by\"><img class=\"avatar\" src=\"%u\" alt=\"\" width=\"24\" height=\"24\">"+
				"<div><a href=\"%u\" class=\"name\">%s</a> <span class=\"muted acct\">@%s</span></div></header>\n",
				w.avatarURL(q.Author), profileURL(q.Author), dname(q.Author), w.acct(q.Author))
			if q.Spoiler != "" {
				m.f(`<details class="cw"><summary>%s</summary><div class="content">%h</div></details>`, q.Spoiler, safeHTML(q.Content))
			} else {
				m.f(`<div class="content">%h</div>`, safeHTML(q.Content))
			}
			m.f("\n<a href=\"%u\" class=\"muted small\">Open the quoted post</a></blockquote>", q.URL)
		}
	}
	m.f("\n<footer class=\"meta\">\n<a href=\"%u\" class=\"muted\"><time datetime=\"%s\">%s</time></a>\n<span class=\"muted vis\">%s</span>\n",
		it.URL, isoDate(it.Status.CreatedAt), fmtDate(it.Status.CreatedAt), it.Visibility)
	if n := it.Status.RepliesCount; n != 0 {
		m.f(`<span class="muted">%d replies</span>`, n)
	}
	m.raw("\n")
	if signedIn {
		m.f("<div class=\"actions\">\n<a class=\"btn small secondary\" href=\"%u\">Reply</a>\n", it.URL+"#reply")
		if it.CanBoost {
			m.f("<form method=\"post\" action=\"%u\">\n", action+pick(it.Reblogged, "unreblog", "reblog"))
			hidden(true)
			m.f("\n<button class=\"small secondary\" aria-pressed=\"%s\">%s <span class=\"count\">%d</span></button></form>",
				pick(it.Reblogged, "true", "false"), pick(it.Reblogged, "Unboost", "Boost"), it.Status.ReblogsCount)
		}
		m.f("\n<form method=\"post\" action=\"%u\">\n", action+pick(it.Favourited, "unfavourite", "favourite"))
		hidden(true)
		m.f("\n<button class=\"small secondary\" aria-pressed=\"%s\">%s <span class=\"count\">%d</span></button></form>\n",
			pick(it.Favourited, "true", "false"), pick(it.Favourited, "Unfavourite", "Favourite"), it.Status.FavouritesCount)
		if it.Mine {
			m.f("<form method=\"post\" action=\"%u\" class=\"confirm\" data-confirm=\"Delete this post?\">\n", action+"delete")
			hidden(false)
			m.raw("\n<button class=\"small danger\">Delete</button></form>")
		} else {
			m.f(`<a class="btn small secondary" href="%u">Report</a>`, action+"report")
		}
		m.raw("\n</div>")
	}
	m.raw("\n</footer>\n</article>")
}

// statusCards writes each item's card.
func (w *UI) statusCards(m *markup, root page, items []Item) {
	for _, it := range items {
		w.statusCard(m, root, it)
	}
}

// composeForm is the form that posts (the "compose" partial), a reply
// when the page has ReplyTo.
func (w *UI) composeForm(m *markup, p page) {
	replyTo := get[*model.Status](p, "ReplyTo")
	m.f("<section class=\"card compose\" aria-labelledby=\"compose-h\">\n<h2 id=\"compose-h\">%s</h2>\n"+
		"<form method=\"post\" action=\"/statuses\" enctype=\"multipart/form-data\" class=\"stack\" id=\"reply\">\n"+
		"<input type=\"hidden\" name=\"authenticity_token\" value=\"%s\">\n<input type=\"hidden\" name=\"return_to\" value=\"%s\">\n",
		pick(replyTo != nil, "Reply", "New post"), get[string](p, "CSRF"), get[string](p, "Path"))
	if replyTo != nil {
		m.f(`<input type="hidden" name="in_reply_to_id" value="%d">`, replyTo.ID)
	}
	m.raw("\n<label for=\"spoiler_text\">Content warning <span class=\"muted\">(optional)</span></label>\n" +
		"<input id=\"spoiler_text\" name=\"spoiler_text\" type=\"text\" maxlength=\"500\">\n" +
		"<label for=\"status\">What's on your mind?</label>\n<textarea id=\"status\" name=\"status\" rows=\"4\" data-max=\"")
	m.int(int64(w.svc.Cfg.Limits.MaxStatusChars)) // every compose form posts under the one limit
	m.f("\" required>%s</textarea>\n<p class=\"muted counter\" aria-live=\"polite\" hidden></p>\n<div class=\"row\">\n"+
		"<div><label for=\"visibility\">Visibility</label>\n<select id=\"visibility\" name=\"visibility\">\n", get[string](p, "ReplyMention"))
	vis := get[string](p, "DefaultVisibility")
	for _, o := range [...]struct{ value, label string }{
		{"public", "Public"}, {"unlisted", "Unlisted"}, {"private", "Followers only"}, {"direct", "Mentioned people only"},
	} {
		m.f(`<option value="%s"`, o.value)
		m.attrIf(vis == o.value, " selected")
		m.f(">%s</option>\n", o.label)
	}
	m.raw("</select></div>\n<div><label for=\"media\">Images or video <span class=\"muted\">(up to 4)</span></label>\n" +
		"<input id=\"media\" name=\"media\" type=\"file\" accept=\"image/*,video/*,audio/*\" multiple></div>\n</div>\n" +
		"<label for=\"description\">Image description <span class=\"muted\">(for people who cannot see it)</span></label>\n" +
		"<input id=\"description\" name=\"description\" type=\"text\" maxlength=\"1500\">\n" +
		"<label class=\"check\"><input type=\"checkbox\" name=\"sensitive\" value=\"1\"> Mark media as sensitive</label>\n")
	if fields := get[[]policyField](p, "ComposePolicy"); len(fields) > 0 {
		m.raw("<div class=\"row\">\n")
		for _, f := range fields {
			m.f("<div><label for=\"%s\">%s</label>\n<select id=\"%s\" name=\"%s\">\n<option value=\"\">Default: %s</option>\n",
				f.Name, f.Label, f.Name, f.Name, f.Default)
			for _, pr := range f.Presets {
				m.f("<option value=\"%s\">%s</option>\n", pr.Key, pr.Label)
			}
			m.raw("</select></div>\n")
		}
		m.raw("</div>")
	}
	m.raw("\n<button type=\"submit\">Post</button>\n</form>\n</section>")
}

// followButton is the Follow / Unfollow form of an account (the
// "follow_button" partial); back is where it returns.
func followButton(m *markup, acc *model.Account, rel *model.Relationship, csrf, back string) {
	op := pick(rel.Following || rel.Requested, "unfollow", "follow")
	m.f("<form method=\"post\" action=\"%u\">\n<input type=\"hidden\" name=\"authenticity_token\" value=\"%s\">"+
		"<input type=\"hidden\" name=\"return_to\" value=\"%s\">\n", "/accounts/"+strconv.FormatInt(acc.ID, 10)+"/"+op, csrf, back)
	switch {
	case rel.Following:
		m.raw(`<button class="secondary">Unfollow</button>`)
	case rel.Requested:
		m.raw(`<button class="secondary">Cancel follow request</button>`)
	default:
		m.raw(`<button>Follow</button>`)
	}
	m.raw("</form>")
}

// pageFollowButton is the follow button of the page's Account.
func pageFollowButton(m *markup, p page) {
	followButton(m, get[*model.Account](p, "Account"), get[*model.Relationship](p, "Rel"), get[string](p, "CSRF"), get[string](p, "Back"))
}

// remoteForm asks a visitor for their address on another server, to
// follow or interact from there (the "remote_form" partial).
func remoteForm(m *markup, p page) {
	m.f("<form method=\"post\" action=\"/remote_interaction\" class=\"remote-form\">\n"+
		"<input type=\"hidden\" name=\"authenticity_token\" value=\"%s\"><input type=\"hidden\" name=\"uri\" value=\"%s\">\n"+
		"<p class=\"hint\">Have an account on another server of the fediverse (Mastodon, Herald, …)? Give your address: "+
		"your server opens this there, and you follow or reply from your own account.</p>\n", get[string](p, "CSRF"), get[string](p, "URI"))
	if e := get[string](p, "Error"); e != "" {
		m.f(`<p class="error" role="alert">%s</p>`, e)
	}
	m.f("\n<label for=\"ri-acct\">Your address</label>\n<div class=\"inline-row\"><input type=\"text\" id=\"ri-acct\" name=\"acct\" value=\"%s\" "+
		"placeholder=\"you@your.server\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required>\n"+
		"<button>Go to your server</button></div>\n</form>", get[string](p, "Acct"))
}

// moreLink is the link to the next (older) page, when there is one.
func moreLink(m *markup, p page, label string) {
	if next := get[string](p, "Next"); next != "" {
		m.f(`<p class="more"><a class="btn secondary" href="%u">%s</a></p>`, next, label)
	}
}

// accountHead is the top of an account's profile card: header, avatar,
// names and whether it is locked or a bot.
func (w *UI) accountHead(m *markup, a *model.Account) {
	m.f("<section class=\"card profile\" aria-labelledby=\"p-name\">\n<img class=\"header-img\" src=\"%u\" alt=\"\">\n"+
		"<div class=\"p-top\"><img class=\"avatar big\" src=\"%u\" alt=\"\" width=\"88\" height=\"88\">\n"+
		"<div><h1 id=\"p-name\">%s</h1>\n<p class=\"muted\">@%s", w.headerURL(a), w.avatarURL(a), dname(a), w.acct(a))
	if a.Locked {
		m.raw(` · <span title="Follow requests are reviewed">locked</span>`)
	}
	if a.Bot {
		m.raw(" · bot")
	}
	m.raw("</p>")
}

// accountCounts is an account's posts, following and followers.
func accountCounts(m *markup, a *model.Account) {
	m.f(`<p class="counts"><span><strong>%d</strong> posts</span> <span><strong>%d</strong> following</span> <span><strong>%d</strong> followers</span></p>`,
		a.StatusesCount, a.FollowingCount, a.FollowersCount)
}

func aboutView(w *UI, m *markup, p page) {
	site := get[core.Site](p, "Site")
	m.raw("\n<section class=\"card hero\">\n")
	if len(get[core.Branding](p, "Brand").Logo) > 0 {
		m.raw(`<img src="/branding/logo" alt="" class="hero-logo">`)
	}
	m.f("\n<h1>%s</h1>\n<p class=\"lead\">%s</p>\n", site.Title, site.ShortDescription)
	if d := get[safeHTML](p, "Description"); d != "" {
		m.f(`<div class="prose">%h</div>`, safeHTML(d))
	}
	m.raw("\n<p class=\"actions\">")
	if get[*model.Account](p, "Me") == nil {
		m.raw(`<a class="btn" href="/auth/sign_in">Sign in</a>`)
		if get[bool](p, "CanSignUp") {
			m.raw(` <a class="btn secondary" href="/auth/sign_up">Create an account</a>`)
		}
	}
	m.raw("</p>\n</section>\n")
	if recent := get[[]Item](p, "Recent"); len(recent) > 0 {
		m.raw("<section aria-labelledby=\"recent-h\" class=\"recent\"><h2 id=\"recent-h\" class=\"section\">Recent posts</h2>\n")
		w.statusCards(m, p, recent)
		m.raw("\n</section>")
	}
	m.raw("\n")
	if rules := get[[]*model.Rule](p, "Rules"); len(rules) > 0 {
		m.raw("<section class=\"card\" aria-labelledby=\"rules-h\"><h2 id=\"rules-h\">Rules</h2>\n<ol class=\"rules\">")
		for _, r := range rules {
			m.f("<li>%s", r.Text)
			if r.Hint != "" {
				m.f(`<br><span class="muted">%s</span>`, r.Hint)
			}
			m.raw("</li>")
		}
		m.raw("</ol></section>")
	}
	m.raw("\n")
	if ext := get[safeHTML](p, "Extended"); ext != "" {
		m.f(`<section class="card prose" aria-labelledby="more-h"><h2 id="more-h">More about this instance</h2>%h</section>`, safeHTML(ext))
	}
	m.raw("\n<section class=\"card\" aria-labelledby=\"contact-h\"><h2 id=\"contact-h\">Contact</h2>\n")
	contact := get[*model.Account](p, "Contact")
	if contact != nil {
		m.f(`<p>Administered by <a href="%u">%s (@%s)</a></p>`, "/@"+contact.Username, dname(contact), w.acct(contact))
	}
	m.raw("\n")
	if site.ContactEmail != "" {
		m.f(`<p>E-mail: <a href="%u">%s</a></p>`, "mailto:"+site.ContactEmail, site.ContactEmail)
	}
	m.raw("\n")
	if contact == nil && site.ContactEmail == "" {
		m.raw(`<p class="muted">No contact published.</p>`)
	}
	m.raw("\n<p><a href=\"/terms\">Terms of service</a> · <a href=\"/privacy-policy\">Privacy policy</a></p>\n</section>\n")
	if staff := get[[]*model.Account](p, "StaffAccounts"); len(staff) > 0 {
		m.raw("<section class=\"card\" aria-labelledby=\"staff-h\"><h2 id=\"staff-h\">Staff</h2>\n<ul class=\"people\">")
		for _, a := range staff {
			m.f(`<li><img class="avatar" src="%u" alt="" width="36" height="36"> <a href="%u">%s</a> <span class="muted">@%s</span></li>`,
				w.avatarURL(a), "/@"+a.Username, dname(a), w.acct(a))
		}
		m.raw("</ul></section>")
	}
	m.raw("\n")
	if blocks := get[[]*model.DomainBlock](p, "DomainBlocks"); len(blocks) > 0 {
		m.raw("<section class=\"card\" aria-labelledby=\"mod-h\"><h2 id=\"mod-h\">Moderated servers</h2>\n<ul>")
		for _, b := range blocks {
			m.f("<li>%s – %s", b.Domain, b.Severity)
			if b.PublicComment != "" {
				m.f(": %s", b.PublicComment)
			}
			m.raw("</li>")
		}
		m.raw("</ul></section>")
	}
	m.raw("\n")
}

func authorizeInteractionView(w *UI, m *markup, p page) {
	m.raw("\n")
	if e := get[string](p, "Error"); e != "" {
		m.f("<section class=\"card narrow\"><h1>Not found</h1><p class=\"error\" role=\"alert\">%s</p>\n"+
			"<p class=\"muted\"><code>%s</code></p></section>", e, get[string](p, "Query"))
	}
	m.raw("\n")
	if a := get[*model.Account](p, "Account"); a != nil {
		w.accountHead(m, a)
		m.f("</div></div>\n<div class=\"note\">%h</div>\n", get[safeHTML](p, "Note"))
		accountCounts(m, a)
		m.raw("\n<div class=\"actions\">")
		if get[*model.Relationship](p, "Rel") != nil {
			pageFollowButton(m, p)
		}
		m.f("\n<a class=\"btn secondary\" href=\"%u\">Open profile</a></div>\n</section>", profileURL(a))
	}
	m.raw("\n")
	if it, ok := p["Item"].(Item); ok {
		w.statusCard(m, p, it)
		m.f("\n<p class=\"actions\"><a class=\"btn secondary\" href=\"%u\">Open post</a></p>", it.URL)
	}
	m.raw("\n")
}

func listView(w *UI, m *markup, p page) {
	l := get[*model.List](p, "List")
	members := get[[]*model.Account](p, "Members")
	base := "/lists/" + strconv.FormatInt(l.ID, 10)
	m.f("\n<h1 class=\"section\">%s</h1>\n<details class=\"card list-manage\"><summary>Manage this list (%d %s)</summary>\n"+
		"<form method=\"post\" action=\"%u\" class=\"search-form\">", l.Title, len(members), pick(len(members) == 1, "account", "accounts"), base+"/add")
	csrfField(m, p)
	m.raw("\n<label for=\"list-acct\">Add an account you follow</label>\n<div class=\"inline-row\"><input type=\"text\" id=\"list-acct\" " +
		"name=\"acct\" required placeholder=\"user or user@server\" autocapitalize=\"none\" spellcheck=\"false\"><button>Add</button></div></form>\n")
	if len(members) > 0 {
		m.raw(`<ul class="people results">`)
		for _, a := range members {
			m.f("<li class=\"row-item\"><div class=\"who\"><img class=\"avatar\" src=\"%u\" alt=\"\" width=\"32\" height=\"32\">\n"+
				"<div><a class=\"name\" href=\"%u\">%s</a> <span class=\"muted acct\">@%s</span></div></div>\n<form method=\"post\" action=\"%u\">",
				w.avatarURL(a), profileURL(a), dname(a), w.acct(a), base+"/remove")
			csrfField(m, p)
			m.f(`<input type="hidden" name="account_id" value="%d"><button class="small secondary">Remove</button></form></li>`, a.ID)
		}
		m.raw("</ul>")
	}
	m.f("\n<form method=\"post\" action=\"%u\" class=\"search-form\">", base+"/rename")
	csrfField(m, p)
	m.f("\n<label for=\"list-title\">Title</label>\n<div class=\"inline-row\"><input type=\"text\" id=\"list-title\" name=\"title\" value=\"%s\" "+
		"maxlength=\"100\" required><button class=\"secondary\">Rename</button></div></form>\n"+
		"<form method=\"post\" action=\"%u\" class=\"confirm\" data-confirm=\"Delete this list?\">", l.Title, base+"/delete")
	csrfField(m, p)
	m.raw("<button class=\"small danger\">Delete list</button></form>\n</details>\n")
	if items := get[[]Item](p, "Items"); len(items) > 0 {
		w.statusCards(m, p, items)
	} else {
		m.raw(`<p class="card muted">Nothing in this list's timeline yet.</p>`)
	}
	m.raw("\n")
	moreLink(m, p, "Older posts")
	m.raw("\n")
}

func listsView(w *UI, m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Lists</h1>\n<section class=\"card\">\n")
	if ls := get[[]model.List](p, "Lists"); len(ls) > 0 {
		m.raw(`<ul class="people results">`)
		for _, l := range ls {
			m.f(`<li class="row-item"><a href="%u">%s</a></li>`, "/lists/"+strconv.FormatInt(l.ID, 10), l.Title)
		}
		m.raw("</ul>\n")
	} else {
		m.raw(`<p class="muted">No lists yet. A list is a timeline of the accounts you put in it.</p>`)
	}
	m.raw("\n</section>\n<form method=\"post\" action=\"/lists\" class=\"card search-form\">")
	csrfField(m, p)
	m.raw("\n<label for=\"list-title\">New list</label>\n<div class=\"inline-row\"><input type=\"text\" id=\"list-title\" name=\"title\" " +
		"maxlength=\"100\" required placeholder=\"Title\"><button>Create list</button></div>\n</form>\n")
}

func notificationsView(w *UI, m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Notifications</h1>\n")
	notes := get[[]NoteItem](p, "Notes")
	for _, n := range notes {
		m.raw("<div class=\"note-item\">\n")
		if n.Type == "moderation_warning" {
			m.f("<p class=\"note-moderation\"><strong>%s</strong> <span class=\"muted\">· %s</span></p>\n", n.Text, n.Created)
		} else {
			m.f(`<p><img class="avatar" src="%u" alt="" width="28" height="28"> <a href="%u">%s</a> %s <span class="muted">· %s</span></p>`,
				w.avatarURL(n.From), profileURL(n.From), dname(n.From), n.Text, n.Created)
		}
		m.raw("\n")
		if n.Link != "" {
			m.f(`<p><a class="btn secondary small" href="%u">%s</a></p>`, n.Link, n.LinkText)
		}
		m.raw("\n")
		if n.HasItem {
			w.statusCard(m, p, n.Item)
		}
		m.raw("\n</div>")
	}
	if len(notes) == 0 {
		m.raw(`<p class="card muted">No notifications yet.</p>`)
	}
	m.raw("\n")
	moreLink(m, p, "Older")
	m.raw("\n")
}

func profileHead(w *UI, m *markup, p page) {
	a := get[*model.Account](p, "Account")
	m.f("<link rel=\"alternate\" type=\"application/activity+json\" href=\"%u\">\n"+
		"<link rel=\"alternate\" type=\"application/atom+xml\" title=\"%s\" href=\"%u\">", a.URI, dname(a), get[string](p, "FeedURL"))
}

func profileView(w *UI, m *markup, p page) {
	a := get[*model.Account](p, "Account")
	me := get[*model.Account](p, "Me")
	m.raw("\n")
	w.accountHead(m, a)
	m.raw("\n")
	if b := get[*model.Role](p, "Badge"); b != nil {
		m.raw(`<p><span class="role-badge"`)
		if b.Color != "" {
			m.f(` data-color="%s"`, b.Color)
		}
		m.f(">%s</span></p>", b.Name)
	}
	m.f("</div></div>\n<div class=\"note\">%h</div>\n", get[safeHTML](p, "Note"))
	if len(a.Fields) > 0 {
		m.raw(`<dl class="fields">`)
		for _, f := range a.Fields {
			m.raw(`<div class="field`)
			m.attrIf(f.VerifiedAt != nil, " verified")
			m.f("\"><dt>%s</dt>\n<dd>%h", f.Name, safeHTML(f.Value)) // sanitised by core on the way in
			if f.VerifiedAt != nil {
				m.f(` <span class="verified-mark" title="Ownership of this link was checked on %s">✓ verified</span>`, fmtDatePtr(f.VerifiedAt))
			}
			m.raw("</dd></div>")
		}
		m.raw("</dl>")
	}
	m.raw("\n")
	accountCounts(m, a)
	m.raw("\n")
	if get[*model.Relationship](p, "Rel") != nil {
		m.raw(`<div class="actions">`)
		pageFollowButton(m, p)
		m.raw("</div>")
	} else if me == nil {
		m.raw(`<details class="remote"`)
		m.attrIf(get[string](p, "Error") != "", " open")
		m.raw("><summary class=\"btn\">Follow from your server</summary>\n")
		remoteForm(m, p)
		m.raw("</details>")
	}
	m.f("\n<p class=\"muted\"><a href=\"%u\">Atom feed</a>", get[string](p, "FeedURL"))
	if me != nil && me.ID == a.ID {
		m.raw(` · <a href="/settings/profile">Edit profile</a>`)
	}
	m.raw("</p>\n</section>\n")
	if pinned := get[[]Item](p, "Pinned"); len(pinned) > 0 {
		m.raw(`<h2 class="section">Pinned</h2>`)
		w.statusCards(m, p, pinned)
	}
	tab := get[string](p, "Tab")
	u := "/@" + a.Username
	m.raw("\n<h2 class=\"section\">Posts</h2>\n<nav class=\"tabs\" aria-label=\"Posts\">")
	m.tab(u, "Posts", tab, "posts")
	m.raw("\n")
	m.tab(u+"?replies=1", "Posts and replies", tab, "replies")
	m.raw("\n")
	m.tab(u+"?media=1", "Media", tab, "media")
	m.raw("</nav>\n")
	if items := get[[]Item](p, "Items"); len(items) > 0 {
		w.statusCards(m, p, items)
	} else {
		m.f(`<p class="card muted">%s</p>`, pick(tab == "media", "No posts with media yet.", "No posts yet."))
	}
	m.raw("\n")
	moreLink(m, p, "Older posts")
	m.raw("\n")
}

func remoteInteractionView(w *UI, m *markup, p page) {
	m.raw("\n<section class=\"card narrow\" aria-labelledby=\"ri-h\">\n<h1 id=\"ri-h\">Follow from your server</h1>\n")
	remoteForm(m, p)
	m.raw("\n</section>\n")
}

func reportView(w *UI, m *markup, p page) {
	post := get[Item](p, "Post")
	m.raw("\n<h1 class=\"section\">Report a post</h1>\n")
	w.statusCard(m, p, post)
	m.f("\n<form method=\"post\" action=\"%u\" class=\"card report-form\">\n", get[string](p, "Action"))
	csrfField(m, p)
	m.raw("\n")
	if e := get[string](p, "Error"); e != "" {
		m.f(`<p class="error" role="alert">%s</p>`, e)
	}
	m.raw("\n<fieldset><legend>What is wrong with it?</legend>\n")
	category := get[string](p, "Category")
	for _, c := range get[[]struct{ Key, Label string }](p, "Categories") {
		m.f(`<label class="check"><input type="radio" name="category" value="%s"`, c.Key)
		m.attrIf(c.Key == category, " checked")
		m.f("> %s</label>", c.Label)
	}
	m.raw("\n</fieldset>\n")
	if rules := get[[]*model.Rule](p, "Rules"); len(rules) > 0 {
		m.raw("<fieldset><legend>Which rules does it break? <span class=\"muted\">(for “breaks this server's rules”)</span></legend>\n")
		for _, r := range rules {
			m.f(`<label class="check"><input type="checkbox" name="rule_ids" value="%d"> %s</label>`, r.ID, r.Text)
		}
		m.raw("\n</fieldset>")
	}
	m.f("\n<label for=\"report-comment\">Anything the moderators should know</label>\n"+
		"<textarea id=\"report-comment\" name=\"comment\" rows=\"4\" maxlength=\"1000\">%s</textarea>\n", get[string](p, "Comment"))
	if get[bool](p, "Remote") {
		m.f(`<label class="check"><input type="checkbox" name="forward" value="1"> Also send an anonymous copy to %s, the author's server</label>`,
			get[*model.Account](p, "Author").Domain)
	}
	m.f("\n<p class=\"actions\"><button>Send report</button> <a class=\"btn secondary\" href=\"%u\">Cancel</a></p>\n</form>\n", post.URL)
}

func requestsView(w *UI, m *markup, p page) {
	m.raw("\n<h1 class=\"section\">Requests</h1>\n<p class=\"muted\">Replies, favourites, boosts and quotes of your posts that wait for your approval.</p>\n")
	reqs := get[[]RequestItem](p, "Requests")
	for _, r := range reqs {
		m.f("<div class=\"note-item\">\n<p><img class=\"avatar\" src=\"%u\" alt=\"\" width=\"28\" height=\"28\"> <a href=\"%u\">%s</a> %s <span class=\"muted\">· %s</span></p>\n",
			w.avatarURL(r.From), profileURL(r.From), dname(r.From), r.Text, r.Created)
		if r.HasReply {
			w.statusCard(m, p, r.Reply)
		}
		m.raw("\n")
		if r.HasItem {
			m.raw(`<p class="muted">Your post:</p>`)
			w.statusCard(m, p, r.Item)
		}
		id := strconv.FormatInt(r.ID, 10)
		m.raw("\n<div class=\"actions\">\n")
		postButton(m, p, "/requests/"+id+"/authorize", "small", "Approve")
		m.raw("\n")
		postButton(m, p, "/requests/"+id+"/reject", "small danger", "Reject")
		m.raw("\n</div>\n</div>")
	}
	if len(reqs) == 0 {
		m.raw(`<p class="card muted">Nothing waits for your approval.</p>`)
	}
	m.raw("\n")
	moreLink(m, p, "Older")
	m.raw("\n")
}

func searchView(w *UI, m *markup, p page) {
	query := get[string](p, "Query")
	m.f("\n<h1 class=\"section\">Search</h1>\n<form method=\"get\" action=\"/search\" class=\"card search-form\" role=\"search\">\n"+
		"<label for=\"search-q\">People, hashtags, or the address of a post</label>\n"+
		"<div class=\"inline-row\"><input type=\"search\" id=\"search-q\" name=\"q\" value=\"%s\" placeholder=\"name, @user@server, #tag or https://…\" "+
		"autocapitalize=\"none\" spellcheck=\"false\">\n<button>Search</button></div>\n"+
		"<p class=\"hint muted\">A full address such as @someone@their.server finds accounts on other servers too.</p>\n</form>\n", query)
	if get[bool](p, "Searched") {
		accs := get[[]accountRow](p, "Accounts")
		tags := get[[]storage.HashtagRef](p, "Tags")
		items := get[[]Item](p, "Items")
		m.raw("\n")
		if len(accs) > 0 {
			m.raw("<h2 class=\"section\">People</h2>\n<section class=\"card\"><ul class=\"people results\">")
			for _, r := range accs {
				m.f("<li class=\"row-item\">\n<div class=\"who\"><img class=\"avatar\" src=\"%u\" alt=\"\" width=\"44\" height=\"44\">\n"+
					"<div><a class=\"name\" href=\"%u\">%s</a> <span class=\"muted acct\">@%s</span></div></div>\n",
					w.avatarURL(r.Account), r.URL, dname(r.Account), w.acct(r.Account))
				if r.Rel != nil {
					csrf, _ := r.CSRF.(string)
					followButton(m, r.Account, r.Rel, csrf, r.Back)
				}
				m.raw("</li>")
			}
			m.raw("</ul></section>")
		}
		m.raw("\n")
		if len(tags) > 0 {
			m.raw("<h2 class=\"section\">Hashtags</h2>\n<section class=\"card\"><ul class=\"people\">")
			for _, t := range tags {
				m.f(`<li><a href="%u">#%s</a></li>`, "/tags/"+t.Name, t.Name)
			}
			m.raw("</ul></section>")
		}
		m.raw("\n")
		if len(items) > 0 {
			m.raw(`<h2 class="section">Posts</h2>`)
			w.statusCards(m, p, items)
		}
		m.raw("\n")
		if len(accs) == 0 && len(tags) == 0 && len(items) == 0 {
			m.f(`<p class="card muted">Nothing found for “%s”.</p>`, query)
		}
		m.raw("\n")
	}
	m.raw("\n")
}

func statusHead(w *UI, m *markup, p page) {
	main := get[Item](p, "Main")
	m.f(`<link rel="alternate" type="application/activity+json" href="%u">`, main.Status.URI)
}

func statusView(w *UI, m *markup, p page) {
	m.raw("\n")
	w.statusCards(m, p, get[[]Item](p, "Ancestors"))
	m.raw("\n<div class=\"focus\">")
	w.statusCard(m, p, get[Item](p, "Main"))
	m.raw("</div>\n")
	if get[*model.Account](p, "Me") == nil {
		m.raw("<details class=\"card remote\"><summary class=\"btn secondary\">Reply, boost or favourite from your server</summary>\n")
		remoteForm(m, p)
		m.raw("</details>")
	}
	m.raw("\n")
	if get[*model.Status](p, "ReplyTo") != nil {
		w.composeForm(m, p)
	}
	m.raw("\n")
	if desc := get[[]Item](p, "Descendants"); len(desc) > 0 {
		m.raw(`<h2 class="section">Replies</h2>`)
		w.statusCards(m, p, desc)
	}
	m.raw("\n")
}

func timelineView(w *UI, m *markup, p page) {
	m.f("\n<h1 class=\"section\">%s</h1>\n", get[string](p, "Heading"))
	for _, a := range get[[]announcementItem](p, "Announcements") {
		m.raw("<section class=\"card announcement\" aria-label=\"Announcement\">\n<p class=\"muted hint\">Announcement")
		if at := a.At.PublishedAt; at != nil {
			m.f(` · <time datetime="%s">%s</time>`, isoDate(*at), fmtDate(*at))
		}
		m.f("</p>\n<div class=\"content\">%h</div>\n<form method=\"post\" action=\"%u\">",
			safeHTML(a.Content), "/announcements/"+strconv.FormatInt(a.ID, 10)+"/dismiss")
		csrfField(m, p)
		m.raw("<button class=\"small secondary\">Dismiss</button></form>\n</section>")
	}
	m.raw("\n")
	if get[bool](p, "Compose") {
		w.composeForm(m, p)
	}
	m.raw("\n")
	if items := get[[]Item](p, "Items"); len(items) > 0 {
		w.statusCards(m, p, items)
	} else {
		m.f(`<p class="card muted">%s</p>`, get[string](p, "Empty"))
	}
	m.raw("\n")
	moreLink(m, p, "Older posts")
	m.raw("\n")
}

func wrapstodonHead(w *UI, m *markup, p page) {
	m.raw(`<meta name="robots" content="noindex, noarchive">`)
}

func wrapstodonView(w *UI, m *markup, p page) {
	a := get[*model.Account](p, "Account")
	m.f("\n<section class=\"card wrapstodon\" aria-labelledby=\"w-title\">\n<h1 id=\"w-title\">Wrapstodon %d</h1>\n"+
		"<p class=\"p-top\"><img class=\"avatar\" src=\"%u\" alt=\"\" width=\"48\" height=\"48\">\n"+
		"<span><a href=\"%u\"><strong>%s</strong></a><br><span class=\"muted\">@%s</span></span></p>\n<h2 class=\"archetype\">%s</h2>\n",
		get[int](p, "Year"), w.avatarURL(a), "/@"+a.Username, dname(a), w.acct(a), get[string](p, "Archetype"))
	if t := get[string](p, "ArchetypeText"); t != "" {
		m.f("<p>%s</p>", t)
	}
	m.f("\n<p class=\"counts\"><span><strong>%d</strong> posts this year</span> <span><strong>%d</strong> new followers</span></p>\n",
		get[int64](p, "Posts"), get[int64](p, "Followers"))
	if tags := get[[]core.AnnualReportHashtag](p, "Tags"); len(tags) > 0 {
		m.raw("<h2 class=\"section\">Most used hashtags</h2>\n<ul class=\"top-tags\">")
		for _, t := range tags {
			m.f(`<li><a href="%u">#%s</a> <span class="muted">%d posts</span></li>`, "/tags/"+t.Name, t.Name, t.Count)
		}
		m.raw("</ul>")
	}
	m.raw("\n</section>\n")
	if items := get[[]Item](p, "Items"); len(items) > 0 {
		m.raw(`<h2 class="section">Highlighted posts</h2>`)
		w.statusCards(m, p, items)
	}
	m.raw("\n")
}

func adminReportView(w *UI, m *markup, p page) {
	r := get[ReportRow](p, "R")
	id := strconv.FormatInt(r.ID, 10)
	base := "/admin/reports/" + id
	statuses := get[[]Item](p, "Statuses")
	m.f("\n<h1 class=\"section\">Report #%d</h1>\n", r.ID)
	adminNav(m, p)
	m.f("\n<section class=\"card\">\n<dl class=\"facts\">\n<dt>About</dt><dd><a href=\"%u\">@%s</a></dd>\n<dt>Filed by</dt><dd>",
		"/admin/accounts/"+strconv.FormatInt(r.TargetAccountID, 10)+"?report_id="+url.QueryEscape(id), w.acct(r.Target))
	if r.Reporter != nil {
		m.f("@%s", w.acct(r.Reporter))
	}
	if r.Forwarded {
		m.raw(" (forwarded)")
	}
	m.f("</dd>\n<dt>Category</dt><dd class=\"report-category\">%s</dd>\n", reportCategory(r.Category))
	if rules := get[[]*model.Rule](p, "Rules"); len(rules) > 0 {
		m.raw(`<dt>Rules cited</dt><dd><ul class="report-rules">`)
		for _, rl := range rules {
			m.f("<li>%s", rl.Text)
			if rl.DeletedAt != nil {
				m.raw(` <span class="muted">(rule removed since)</span>`)
			}
			m.raw("</li>")
		}
		m.raw("</ul></dd>")
	}
	m.raw("\n<dt>Comment</dt><dd>")
	if r.Comment != "" {
		m.text(r.Comment)
	} else {
		m.raw(`<span class="muted">none</span>`)
	}
	m.f("</dd>\n<dt>Filed</dt><dd>%s</dd>\n<dt>Assigned to</dt><dd>", fmtDate(r.CreatedAt))
	if r.Assigned != nil {
		m.f("@%s", w.acct(r.Assigned))
	} else {
		m.raw("nobody")
	}
	m.raw("</dd>\n<dt>State</dt><dd class=\"report-state\">")
	if r.ActionTakenAt != nil {
		m.f("Resolved %s", fmtDatePtr(r.ActionTakenAt))
	} else {
		m.raw("Open")
	}
	m.raw("</dd>\n</dl>\n<div class=\"actions\">\n")
	if r.ActionTakenAt != nil {
		postButton(m, p, base+"/reopen", "secondary", "Reopen")
		m.raw("\n")
	} else {
		postButton(m, p, base+"/resolve", "", "Resolve")
	}
	m.raw("\n")
	if r.Assigned != nil {
		postButton(m, p, base+"/unassign", "secondary", "Unassign")
		m.raw("\n")
	} else {
		postButton(m, p, base+"/assign", "secondary", "Assign to me")
	}
	m.raw("\n</div>\n</section>\n")
	if len(statuses) > 0 {
		m.raw(`<h2 class="section">Reported posts</h2>`)
		w.statusCards(m, p, statuses)
	}
	m.raw("\n")
	if r.ActionTakenAt == nil {
		action := base + "/action"
		m.f("<section class=\"card\"><h2>Take action against @%s</h2>\n<form method=\"post\" action=\"%u\" class=\"stack\">\n", w.acct(r.Target), action)
		csrfField(m, p)
		m.raw("\n")
		if e := formErr(p, action); e != "" {
			m.f(`<p class="error form-error" role="alert">%s</p>`, e)
		}
		m.raw("\n<label for=\"type\">Action</label>\n<select id=\"type\" name=\"type\">")
		if len(statuses) > 0 {
			m.raw("<option value=\"delete_statuses\">Delete the chosen posts</option>\n" +
				"<option value=\"mark_statuses_as_sensitive\">Mark the chosen posts sensitive</option>")
		}
		m.raw("\n<option value=\"none\">Warning only</option><option value=\"sensitive\">Force media sensitive</option>\n" +
			"<option value=\"disable\">Disable login</option><option value=\"silence\">Limit</option><option value=\"suspend\">Suspend</option></select>\n")
		if len(statuses) > 0 {
			m.raw("<fieldset class=\"stack\"><legend>Posts (for the actions on posts)</legend>\n")
			for _, it := range statuses {
				m.f(`<label class="check"><input type="checkbox" name="status_ids" value="%d" checked> %s <span class="muted">%s</span></label>`,
					it.Status.ID, excerpt(it.Status.Text, 80), fmtDate(it.Status.CreatedAt))
			}
			m.raw("\n</fieldset>")
		}
		m.f("\n<label for=\"text\">Message to the account</label>\n<textarea id=\"text\" name=\"text\" rows=\"2\" maxlength=\"5000\">%s</textarea>\n"+
			"<button type=\"submit\" class=\"danger\">Take action and resolve</button>\n</form></section>", formVal(p, action, "text", ""))
	}
	m.raw("\n<section class=\"card\"><h2>Notes</h2>\n")
	noteAccs := get[map[int64]*model.Account](p, "NoteAccounts")
	for _, n := range get[[]*model.ReportNote](p, "Notes") {
		m.raw(`<div class="note-item"><p><strong>`)
		if a := noteAccs[n.AccountID]; a != nil {
			m.f("@%s", w.acct(a))
		}
		m.f(`</strong> <span class="muted">%s</span></p><p>%s</p></div>`, fmtDate(n.CreatedAt), n.Content)
	}
	m.f("\n<form method=\"post\" action=\"%u\" class=\"stack\">\n", base+"/note")
	csrfField(m, p)
	m.raw("\n<label for=\"content\">Add a note</label>\n<textarea id=\"content\" name=\"content\" rows=\"2\" required maxlength=\"500\"></textarea>\n" +
		"<div class=\"actions\"><button type=\"submit\" class=\"secondary\">Add note</button>\n")
	if r.ActionTakenAt == nil {
		m.raw(`<button type="submit" name="and_resolve" value="1">Add note and resolve</button>`)
	}
	m.raw("</div>\n</form></section>\n")
}
