package webui

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// home is the signed-in user's timeline, or the about page with the
// latest public posts of this server.
func (w *UI) home(c echo.Context) error {
	if w.caller(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/home")
	}
	return w.aboutPage(c, true)
}

func (w *UI) about(c echo.Context) error { return w.aboutPage(c, false) }

// landingPosts and landingTTL bound the landing page's recent posts: a few,
// read at most once per TTL whoever visits (an anonymous page, the same
// for everyone), so a busy front page costs one timeline query per TTL.
const (
	landingPosts = 5
	landingTTL   = 30 * time.Second
)

type landingCache struct {
	mu    sync.Mutex
	at    time.Time
	items []Item
}

// recentPublicPosts are the latest public posts of local accounts, as
// anyone may see them (the anonymous view of the local timeline: public
// posts only, suspended accounts left out), when the instance lets
// anonymous readers see posts at all.
func (w *UI) recentPublicPosts(ctx context.Context) []Item {
	if !w.svc.AnonymousReadsAllowed(ctx) {
		return nil
	}
	lc := &w.landing
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if !lc.at.IsZero() && time.Since(lc.at) < landingTTL {
		return lc.items
	}
	tl, err := w.svc.PublicTimeline(ctx, nil, true, false, false, model.Page{Limit: landingPosts})
	if err != nil {
		return lc.items // the last good list; tried again next time
	}
	var items []Item
	for _, it := range w.items(tl.View, nil) {
		if it.Visibility == model.Public.String() {
			items = append(items, it)
		}
	}
	lc.at, lc.items = time.Now(), items
	return items
}

func (w *UI) aboutPage(c echo.Context, landing bool) error {
	ctx := c.Request().Context()
	site, _ := w.svc.Site(ctx)
	rules, _ := w.svc.Rules(ctx)
	d := page{"Title": "About", "Rules": rules, "CanSignUp": core.RegistrationsOpen(site.RegistrationsMode),
		"Description": safeHTML(core.RenderSiteText(site.Description)), "Extended": safeHTML(core.RenderSiteText(site.ExtendedDescription))}
	if site.ContactAccount != "" {
		if a, err := w.svc.LocalAccount(ctx, site.ContactAccount); err == nil {
			d["Contact"] = a
		}
	}
	if site.ShowStaff {
		if accs, err := w.svc.StaffAccounts(ctx, 40); err == nil {
			d["StaffAccounts"] = accs
		}
	}
	if blocks, err := w.svc.PublicDomainBlocks(ctx); err == nil {
		d["DomainBlocks"] = blocks
	}
	if landing {
		d["Recent"] = w.recentPublicPosts(ctx)
	}
	return w.render(c, http.StatusOK, "about", d)
}

func (w *UI) legal(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		site, _ := w.svc.Site(c.Request().Context())
		title, body := "Terms of service", site.TermsOfService
		if kind == "privacy" {
			title, body = "Privacy policy", site.PrivacyPolicy
		}
		if strings.TrimSpace(body) == "" {
			body = "This instance has not published a " + strings.ToLower(title) + " yet."
		}
		return w.render(c, http.StatusOK, "legal", page{"Title": title, "Body": safeHTML(core.RenderSiteText(body))})
	}
}

// publicAllowed: on an instance closed to anonymous readers (public pages
// off, or limited federation), profiles, statuses and tags need a
// signed-in user; core decides, for the client API too.
func (w *UI) publicAllowed(c echo.Context) bool {
	return w.caller(c) != nil || w.svc.AnonymousReadsAllowed(c.Request().Context())
}

func (w *UI) needSignIn(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/auth/sign_in?return_to="+c.Request().URL.EscapedPath())
}

// profile is /@username: the ActivityPub actor for AP clients, an HTML
// page for people, an Atom feed at /@username.atom.
func (w *UI) profile(c echo.Context) error {
	username := c.Param("username")
	if w.Fed != nil && w.Fed.WantsActivityJSON(c.Request()) {
		return w.Fed.ServeActor(c, strings.TrimSuffix(username, ".atom"))
	}
	c.Response().Header().Set("Vary", "Accept")
	if !w.publicAllowed(c) {
		return w.needSignIn(c)
	}
	ctx := c.Request().Context()
	if name, ok := strings.CutSuffix(username, ".atom"); ok {
		return w.atomFeed(c, name)
	}
	acc, err := w.svc.LocalAccount(ctx, username)
	if err != nil || acc.SuspendedAt != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This account does not exist.")
	}
	cl := w.caller(c)
	p, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	tab := "posts"
	if c.QueryParam("media") != "" {
		tab = "media"
	} else if c.QueryParam("replies") != "" {
		tab = "replies"
	}
	tl, err := w.svc.AccountStatuses(ctx, cl, acc.ID, storage.AccountStatusFilter{ExcludeReplies: tab == "posts", OnlyMedia: tab == "media"}, p)
	if err != nil {
		return w.fail(c, err)
	}
	d := page{"Title": displayName(acc) + " (@" + acc.Username + ")", "Account": acc, "Note": safeHTML(acc.Note),
		"Items": w.items(tl.View, cl), "Next": nextLink(c, tl), "FeedURL": "/@" + acc.Username + ".atom",
		"OG": w.og(displayName(acc), text.PlainText(acc.Note), w.svc.LocalProfileURL(acc.Username), w.absolute(w.svc.AccountImageURL(acc, "avatar")), "profile")}
	if p.MaxID == 0 && tab == "posts" {
		if pinned, err := w.svc.AccountStatuses(ctx, cl, acc.ID, storage.AccountStatusFilter{Pinned: true}, model.Page{Limit: 5}); err == nil {
			d["Pinned"] = w.items(pinned.View, cl)
		}
	}
	d["URI"], d["Back"], d["Tab"] = acc.URI, "/@"+acc.Username, tab
	if badge, err := w.svc.BadgeOf(ctx, acc.ID); err == nil && badge != nil {
		d["Badge"] = badge
	}
	if me := w.actor(c); me != nil && me.Account.ID != acc.ID {
		if rel, err := w.svc.Relationship(ctx, me.Account.ID, acc.ID); err == nil {
			d["Rel"] = rel
		}
	}
	return w.render(c, http.StatusOK, "profile", d)
}

func displayName(a *model.Account) string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

func (w *UI) absolute(u string) string {
	if u == "" || strings.HasPrefix(u, "http") {
		return u
	}
	return w.svc.Base() + u
}

// og is the OpenGraph data of a page.
func (w *UI) og(title, desc, url, image, typ string) map[string]string {
	if len([]rune(desc)) > 300 {
		desc = string([]rune(desc)[:300]) + "…"
	}
	if image == "" {
		image = w.svc.Base() + "/avatars/original/missing.png"
	}
	return map[string]string{"title": title, "description": desc, "url": url, "image": image, "type": typ}
}

// statusPage is /@username/:id with its thread.
func (w *UI) statusPage(c echo.Context) error {
	if w.Fed != nil && w.Fed.WantsActivityJSON(c.Request()) {
		return w.Fed.ServeStatus(c, c.Param("username"), c.Param("id"))
	}
	c.Response().Header().Set("Vary", "Accept")
	if !w.publicAllowed(c) {
		return w.needSignIn(c)
	}
	ctx := c.Request().Context()
	notFound := func() error {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This post does not exist or is not visible to you.")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return notFound()
	}
	cl := w.caller(c)
	st, err := w.svc.Status(ctx, cl, id)
	if err != nil || st.ReblogOfID != 0 {
		return notFound()
	}
	author, err := w.svc.Account(ctx, st.AccountID)
	if err != nil || !strings.EqualFold(author.Username, c.Param("username")) || !author.Local() {
		return notFound()
	}
	main, err := w.svc.View(ctx, cl.AccountID(), []*model.Status{st}, core.ViewOptions{})
	if err != nil || len(main.Statuses) == 0 {
		return notFound()
	}
	sc, err := w.svc.Context(ctx, cl, id)
	if err != nil {
		return w.fail(c, err)
	}
	keep := func(sts []*model.Status) *core.StatusView {
		v := *sc.View
		v.Statuses = nil
		for _, s := range sts {
			if sc.View.Has(s.ID) {
				v.Statuses = append(v.Statuses, s)
			}
		}
		return &v
	}
	plain := text.PlainText(st.Content)
	if st.SpoilerText != "" {
		plain = "CW: " + st.SpoilerText
	}
	d := page{"Title": displayName(author) + ": " + truncate(plain, 60), "Main": w.items(main, cl)[0],
		"Ancestors": w.items(keep(sc.Ancestors), cl), "Descendants": w.items(keep(sc.Descendants), cl),
		"OG": w.og(displayName(author)+" (@"+author.Username+"@"+w.svc.Cfg.Instance.Domain+")", plain,
			w.svc.LocalStatusURL(author.Username, c.Param("id")), w.absolute(w.svc.AccountImageURL(author, "avatar")), "article")}
	d["URI"] = st.URI
	if cl != nil {
		d["ReplyTo"] = st
		d["ReplyMention"] = "@" + author.Acct() + " "
		if author.ID == cl.Account.ID {
			d["ReplyMention"] = ""
		}
		d["DefaultVisibility"] = st.Visibility.String()
		d["ComposePolicy"] = w.composePolicyFields(c.Request().Context(), cl.Account.ID, st.Visibility.String())
	}
	return w.render(c, http.StatusOK, "status", d)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// tagPage is /tags/:tag: the public posts with the hashtag.
func (w *UI) tagPage(c echo.Context) error {
	if !w.publicAllowed(c) {
		return w.needSignIn(c)
	}
	tag := strings.ToLower(strings.TrimPrefix(c.Param("tag"), "#"))
	cl := w.caller(c)
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	tl, err := w.svc.TagTimeline(c.Request().Context(), cl, storage.TagQuery{Any: []string{tag}}, false, pg)
	if err != nil {
		return w.fail(c, err)
	}
	return w.render(c, http.StatusOK, "timeline", page{"Title": "#" + tag, "Heading": "#" + tag, "Items": w.items(tl.View, cl),
		"Next": nextLink(c, tl), "Empty": "No public posts with this hashtag yet.",
		"OG": w.og("#"+tag, "Posts tagged #"+tag, w.svc.TagURL(tag), "", "website")})
}

// Atom feed of a profile's public posts.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel    string `xml:"rel,attr"`
	Type   string `xml:"type,attr,omitempty"`
	Length int64  `xml:"length,attr,omitempty"`
	Href   string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Published string      `xml:"published"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"` // the post's page, then its media (rel="enclosure")
	Summary   string      `xml:"summary,omitempty"`
	Content   atomContent `xml:"content"`
}

func (w *UI) atomFeed(c echo.Context, username string) error {
	ctx := c.Request().Context()
	acc, err := w.svc.LocalAccount(ctx, username)
	if err != nil || acc.SuspendedAt != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This account does not exist.")
	}
	// Anonymous view: public posts only, whoever asks.
	tl, err := w.svc.AccountStatuses(ctx, nil, acc.ID, storage.AccountStatusFilter{ExcludeReplies: true, ExcludeReblogs: true}, model.Page{Limit: 20})
	if err != nil {
		return w.fail(c, err)
	}
	profile := w.svc.LocalProfileURL(acc.Username)
	f := atomFeed{ID: profile + ".atom", Title: displayName(acc) + " (@" + acc.Username + "@" + w.svc.Cfg.Instance.Domain + ")",
		Updated: acc.UpdatedAt.UTC().Format(time.RFC3339),
		Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: profile}, {Rel: "self", Type: "application/atom+xml", Href: profile + ".atom"}},
		Author:  atomAuthor{Name: displayName(acc), URI: profile}}
	for _, st := range tl.View.Statuses {
		if st.Visibility != model.Public {
			continue
		}
		url := w.svc.LocalStatusURL(acc.Username, strconv.FormatInt(st.ID, 10))
		updated := st.CreatedAt
		if st.EditedAt != nil {
			updated = *st.EditedAt
		}
		if updated.After(parseTime(f.Updated)) {
			f.Updated = updated.UTC().Format(time.RFC3339)
		}
		links := []atomLink{{Rel: "alternate", Type: "text/html", Href: url}}
		for _, m := range tl.View.Media[st.ID] {
			if m.FileKey == "" {
				continue // not processed yet
			}
			links = append(links, atomLink{Rel: "enclosure", Type: m.ContentType, Length: m.FileSize, Href: w.svc.AttachmentURLs(m).URL})
		}
		f.Entries = append(f.Entries, atomEntry{ID: url, Title: truncate(text.PlainText(st.Content), 80),
			Published: st.CreatedAt.UTC().Format(time.RFC3339), Updated: updated.UTC().Format(time.RFC3339),
			Links: links, Summary: st.SpoilerText,
			Content: atomContent{Type: "html", Body: st.Content}})
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// brandingCSS carries the accent colour (pages allow no inline style).
func (w *UI) brandingCSS(c echo.Context) error {
	b := w.svc.GetBranding(c.Request().Context())
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", []byte(":root { --accent: "+b.Accent+"; --on-accent: "+b.OnAccent+"; }\n"))
}

func (w *UI) brandingLogo(c echo.Context) error {
	b := w.svc.GetBranding(c.Request().Context())
	if b.Logo == nil {
		return w.pngHandler(func() []byte { return w.avatarPNG })(c)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, b.LogoType, b.Logo)
}
