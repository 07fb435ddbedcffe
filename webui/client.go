package webui

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The web client: timelines, notifications, compose and the actions on a
// post, server-rendered (forms and redirects), for people who never
// install an app.

// Item is one status as the templates show it.
type Item struct {
	ID, URL     string
	Status      *model.Status
	Author      *model.Account
	BoostedBy   *model.Account
	Content     safeHTML
	Spoiler     string
	Visibility  string
	Favourited  bool
	Reblogged   bool
	Pinned      bool
	Mine        bool
	CanBoost    bool
	Media       []MediaItem
	InReplyToID int64
	// Poll and Quote are the status's poll and the post it quotes (nil:
	// none).
	Poll  *PollItem
	Quote *QuoteItem
}

// PollItem is a poll as the viewer sees it: results, and whether a vote
// form is offered (signed in, not voted, not ended, not one's own).
type PollItem struct {
	Options    []PollOptionItem
	Total      int64
	Multiple   bool
	Expired    bool
	Voted      bool
	ShowTotals bool
	CanVote    bool
	Ends       bool
	EndsAt     time.Time
}

// PollOptionItem is one choice of a poll.
type PollOptionItem struct {
	Index   int
	Title   string
	Votes   int64
	Percent int
	Mine    bool
}

// QuoteItem is the post a status quotes, embedded with its author; when
// it may not be shown (pending, refused, revoked, deleted or not visible
// to the viewer) Unavailable says so instead, as Mastodon's web client.
type QuoteItem struct {
	Author      *model.Account
	Content     safeHTML
	Spoiler     string
	URL         string
	Unavailable string
}

// MediaItem is one attachment.
type MediaItem struct {
	Type, URL, Preview, Description string
}

func (w *UI) items(v *core.StatusView, cl *core.Caller) []Item {
	if v == nil {
		return nil
	}
	out := make([]Item, 0, len(v.Statuses))
	for _, st := range v.Statuses {
		it := Item{}
		shown := st
		if st.ReblogOfID != 0 {
			orig := v.Originals[st.ReblogOfID]
			if orig == nil {
				continue
			}
			it.BoostedBy = v.Accounts[st.AccountID]
			shown = orig
		}
		author := v.Accounts[shown.AccountID]
		if author == nil {
			continue
		}
		id := strconv.FormatInt(shown.ID, 10)
		it.ID, it.Status, it.Author = id, shown, author
		it.URL = shown.URL
		if author.Local() {
			it.URL = "/@" + author.Username + "/" + id
		} else if it.URL == "" {
			it.URL = shown.URI
		}
		it.Content = safeHTML(shown.Content) // HTML rendered or sanitised by core
		it.Spoiler = shown.SpoilerText
		it.Visibility = shown.Visibility.String()
		it.InReplyToID = shown.InReplyToID
		f := v.Flags[shown.ID]
		it.Favourited, it.Reblogged, it.Pinned = f.Favourited, f.Reblogged, f.Pinned
		it.Mine = cl != nil && cl.Account != nil && shown.AccountID == cl.Account.ID
		it.CanBoost = shown.Visibility <= model.Unlisted || (it.Mine && shown.Visibility == model.Private)
		for _, m := range v.Media[shown.ID] {
			u := w.svc.AttachmentURLs(m)
			it.Media = append(it.Media, MediaItem{Type: m.Type, URL: u.URL, Preview: u.PreviewURL, Description: m.Description})
		}
		it.Poll = pollItem(v.PollOf(shown), cl)
		it.Quote = quoteItem(v, shown)
		out = append(out, it)
	}
	return out
}

func pollItem(pv *core.PollView, cl *core.Caller) *PollItem {
	if pv == nil {
		return nil
	}
	p := pv.Poll
	it := &PollItem{Total: p.VotesCount, Multiple: p.Multiple, Expired: pv.Expired, Voted: pv.Voted,
		ShowTotals: pv.ShowTotals}
	if p.ExpiresAt != nil {
		it.Ends, it.EndsAt = true, *p.ExpiresAt
	}
	it.CanVote = cl != nil && cl.Account != nil && !pv.Voted && !pv.Expired
	for i, title := range p.Options {
		o := PollOptionItem{Index: i, Title: title, Mine: slices.Contains(pv.OwnVotes, i)}
		if i < len(p.Counts) {
			o.Votes = p.Counts[i]
		}
		if p.VotesCount > 0 {
			o.Percent = int(o.Votes * 100 / p.VotesCount)
		}
		it.Options = append(it.Options, o)
	}
	return it
}

func quoteItem(v *core.StatusView, st *model.Status) *QuoteItem {
	if st.QuoteURI == "" && st.QuoteOfID == 0 {
		return nil
	}
	q := v.Quoted[st.QuoteOfID]
	switch {
	case st.QuoteState == model.QuoteRevoked:
		return &QuoteItem{Unavailable: "The author of the quoted post removed this quote."}
	case st.QuoteState == model.QuoteRejected:
		return &QuoteItem{Unavailable: "The author of the quoted post did not allow this quote."}
	case st.QuoteState == model.QuotePending:
		return &QuoteItem{Unavailable: "This quote is waiting for the quoted author's approval."}
	case q == nil || v.Accounts[q.AccountID] == nil:
		return &QuoteItem{Unavailable: "The quoted post is unavailable."}
	}
	author := v.Accounts[q.AccountID]
	u := q.URL
	if author.Local() {
		u = "/@" + author.Username + "/" + strconv.FormatInt(q.ID, 10)
	} else if u == "" {
		u = q.URI
	}
	return &QuoteItem{Author: author, Content: safeHTML(q.Content), Spoiler: q.SpoilerText, URL: u} // HTML rendered or sanitised by core
}

// pageParams reads the page cursor of a list page (its "older" link
// carries max_id) by core's one rule: a malformed or negative id is a 400.
func pageParams(c echo.Context) (model.Page, error) {
	return core.ParsePage(core.PageParams{MaxID: c.QueryParam("max_id")}, 20, 20)
}

// nextLink is the link to the next (older) page, "" at the end.
func nextLink(c echo.Context, tl *core.Timeline) string {
	if tl == nil || tl.Oldest == 0 || tl.View == nil || len(tl.View.Statuses) < 20 {
		return ""
	}
	q := c.QueryParams()
	q.Set("max_id", strconv.FormatInt(tl.Oldest, 10))
	return c.Request().URL.Path + "?" + q.Encode()
}

func (w *UI) timelinePage(c echo.Context, title string, tl *core.Timeline, empty string, extra ...page) error {
	cl := w.actor(c)
	u := cl.User
	d := page{"Title": title, "Heading": title, "Items": w.items(tl.View, cl),
		"Next": nextLink(c, tl), "Compose": true, "DefaultVisibility": u.DefaultVisibility, "Empty": empty,
		"ComposePolicy": w.composePolicyFields(c.Request().Context(), cl.Account.ID, u.DefaultVisibility)}
	for _, e := range extra {
		maps.Copy(d, e)
	}
	return w.render(c, http.StatusOK, "timeline", d)
}

func (w *UI) homeTimeline(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	tl, err := w.svc.HomeTimeline(c.Request().Context(), w.actor(c), pg)
	if err != nil {
		return w.fail(c, err)
	}
	extra := page{}
	if pg.MaxID == 0 {
		// The instance's announcements not dismissed yet, above the timeline.
		if av, err := w.svc.Announcements(c.Request().Context(), w.actor(c), false); err == nil {
			extra["Announcements"] = announcementItems(av.Announcements)
		}
	}
	return w.timelinePage(c, "Home", tl, "Nothing here yet: follow people, or write your first post.", extra)
}

func (w *UI) localTimeline(c echo.Context) error {
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	tl, err := w.svc.PublicTimeline(c.Request().Context(), w.actor(c), true, false, false, pg)
	if err != nil {
		return w.fail(c, err)
	}
	return w.timelinePage(c, "Local", tl, "No public posts on this instance yet.")
}

// NoteItem is one notification.
type NoteItem struct {
	Type    string
	Text    string
	From    *model.Account
	Item    Item
	HasItem bool
	Created string
	// Link and LinkText point at what a staff or moderation notification
	// is about (the report, the strikes page).
	Link, LinkText string
}

func (w *UI) notificationsPage(c echo.Context) error {
	cl := w.actor(c)
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	np, err := w.svc.Notifications(c.Request().Context(), cl, noteFilter(), pg)
	if err != nil {
		return w.fail(c, err)
	}
	items := map[int64]Item{}
	if np.View != nil {
		for _, it := range w.items(np.View, cl) {
			items[it.Status.ID] = it
		}
	}
	verbs := map[string]string{"mention": "mentioned you", "reblog": "boosted your post", "favourite": "favourited your post",
		"follow": "followed you", "follow_request": "asked to follow you", "poll": "a poll ended", "status": "posted",
		"update": "edited a post", "admin.sign_up": "signed up", "admin.report": "filed a report"}
	var out []NoteItem
	for _, n := range np.Notifications {
		ni := NoteItem{Type: n.Type, From: np.Accounts[n.FromAccountID], Created: n.CreatedAt.UTC().Format("2 Jan 2006, 15:04")}
		ni.Text = verbs[n.Type]
		if ni.Text == "" {
			ni.Text = n.Type
		}
		if it, ok := items[n.StatusID]; ok {
			ni.Item, ni.HasItem = it, true
		}
		if r := np.Reports[n.ReportID]; r != nil && n.Type == core.NotifyAdminReport {
			if t := np.Accounts[r.TargetAccountID]; t != nil {
				ni.Text = "filed a report on @" + t.Acct()
			}
			ni.Link, ni.LinkText = "/admin/reports/"+strconv.FormatInt(r.ID, 10), "Open report #"+strconv.FormatInt(r.ID, 10)
		}
		if wn := np.Warnings[n.WarningID]; wn != nil && n.Type == core.NotifyModerationWarning {
			ni.Text = "A moderator took an action on your account: " + strikeLabel(wn.Action) + "."
			ni.Link, ni.LinkText = "/settings/strikes#strike-"+strconv.FormatInt(wn.ID, 10), "See why, and appeal"
		}
		out = append(out, ni)
	}
	next := ""
	if np.Oldest != 0 && len(np.Notifications) > 0 {
		next = "/notifications?max_id=" + strconv.FormatInt(np.Oldest, 10)
	}
	return w.render(c, http.StatusOK, "notifications", page{"Title": "Notifications", "Notes": out, "Next": next})
}

// RequestItem is one interaction waiting for the signed-in author.
type RequestItem struct {
	ID       int64
	Text     string
	From     *model.Account
	Item     Item // the post interacted with
	HasItem  bool
	Reply    Item // the held reply
	HasReply bool
	Created  string
}

// requestsPage lists the interactions waiting for the user's approval
// (core's interaction requests; GoToSocial's /api/v1/interaction_requests).
func (w *UI) requestsPage(c echo.Context) error {
	cl := w.actor(c)
	pg, err := pageParams(c)
	if err != nil {
		return w.fail(c, err)
	}
	rp, err := w.svc.InteractionRequests(c.Request().Context(), cl, storage.InteractionRequestFilter{}, pg)
	if err != nil {
		return w.fail(c, err)
	}
	items := map[int64]Item{}
	for _, it := range w.items(rp.View, cl) {
		items[it.Status.ID] = it
	}
	verbs := map[model.InteractionKind]string{model.InteractReply: "replied to your post", model.InteractFavourite: "favourited your post",
		model.InteractReblog: "boosted your post", model.InteractQuote: "quoted your post"}
	var out []RequestItem
	for _, r := range rp.Requests {
		ri := RequestItem{ID: r.ID, Text: verbs[r.Kind], From: rp.Accounts[r.AccountID], Created: r.CreatedAt.UTC().Format("2 Jan 2006, 15:04")}
		if ri.From == nil {
			continue
		}
		ri.Item, ri.HasItem = items[r.StatusID]
		if r.ReplyID != 0 {
			ri.Reply, ri.HasReply = items[r.ReplyID]
		}
		out = append(out, ri)
	}
	next := ""
	if rp.Oldest != 0 && len(rp.Requests) > 0 {
		next = "/requests?max_id=" + strconv.FormatInt(rp.Oldest, 10)
	}
	return w.render(c, http.StatusOK, "requests", page{"Title": "Requests", "Requests": out, "Next": next})
}

// requestAnswer approves (authorize) or rejects an interaction request.
func (w *UI) requestAnswer(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such request.")
	}
	var accept bool
	switch c.Param("op") {
	case "authorize":
		accept = true
	case "reject":
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if _, err := w.svc.AnswerInteractionRequest(c.Request().Context(), w.actor(c), id, accept); err != nil {
		return w.fail(c, err)
	}
	w.recordActing(c, w.actor(c), "interaction_requests", id)
	msg := "Rejected."
	if accept {
		msg = "Approved."
	}
	return w.done(c, "/requests", msg)
}

const maxComposeMedia = 4

// compose posts a status from the form (multipart when media is attached).
func (w *UI) compose(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	back := safeReturn(c.FormValue("return_to"))
	if back == "/" {
		back = "/home"
	}
	p := core.PostParams{Text: c.FormValue("status"), SpoilerText: c.FormValue("spoiler_text"),
		Visibility: c.FormValue("visibility"), IdempotencyKey: c.FormValue("idempotency")}
	policy, err := composePolicy(c)
	if err != nil {
		return w.errorPage(c, http.StatusUnprocessableEntity, "Not posted", herr.As(err).Msg+" Go back to keep your text.")
	}
	p.InteractionPolicy = policy
	if c.FormValue("sensitive") != "" || p.SpoilerText != "" {
		t := true
		p.Sensitive = &t
	}
	if v := c.FormValue("in_reply_to_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return w.errorPage(c, http.StatusBadRequest, "Not posted", "The post you reply to does not exist.")
		}
		p.InReplyToID = id
	}
	if form, err := c.MultipartForm(); err == nil && form != nil {
		files := form.File["media"]
		descs := form.Value["description"]
		if len(files) > maxComposeMedia {
			return w.errorPage(c, http.StatusUnprocessableEntity, "Not posted", "At most 4 images or videos per post.")
		}
		for i, fh := range files {
			if fh.Size == 0 {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return err
			}
			var desc *string
			if i < len(descs) && strings.TrimSpace(descs[i]) != "" {
				d := strings.TrimSpace(descs[i])
				desc = &d
			}
			m, err := w.svc.UploadMedia(ctx, cl, core.UploadParams{File: bytes.NewReader(data), Size: int64(len(data)), Description: desc})
			if err != nil {
				return w.fail(c, err)
			}
			p.MediaIDs = append(p.MediaIDs, strconv.FormatInt(m.ID, 10))
		}
	}
	st, err := w.svc.PostStatus(ctx, cl, p)
	if err != nil {
		he := herr.As(err)
		if he.Status >= 500 {
			return err
		}
		return w.errorPage(c, he.Status, "Not posted", he.Msg+" Go back to keep your text.")
	}
	w.recordActing(c, cl, "statuses", st.ID)
	msg := "Posted."
	if st.PendingApproval {
		msg = "Sent: the author you answer must approve it before others see it."
	}
	if c.FormValue("then") == "status" {
		return w.done(c, "/@"+cl.Account.Username+"/"+strconv.FormatInt(st.ID, 10), msg)
	}
	return w.done(c, back, msg)
}

// statusAction is favourite, unfavourite, reblog, unreblog, bookmark,
// unbookmark, pin, unpin and delete.
func (w *UI) statusAction(c echo.Context) error {
	ctx := c.Request().Context()
	cl := w.actor(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such post.")
	}
	back := safeReturn(c.FormValue("return_to"))
	msg := ""
	switch c.Param("op") {
	case "favourite":
		var st *model.Status
		if st, err = w.svc.Favourite(ctx, cl, id); err == nil {
			// Not favourited yet: it waits for the author's approval.
			if v, verr := w.svc.View(ctx, cl.Account.ID, []*model.Status{st}, core.ViewOptions{}); verr == nil && !v.Flags[st.ID].Favourited {
				msg = "Sent: the author must approve your favourite before it counts."
			}
		}
	case "unfavourite":
		_, err = w.svc.Unfavourite(ctx, cl, id)
	case "reblog":
		var boost *model.Status
		if boost, err = w.svc.Reblog(ctx, cl, id, ""); err == nil && (boost.PendingApproval || boost.ReblogOfID == 0) {
			msg = "Sent: the author must approve your boost before others see it."
		}
	case "unreblog":
		_, err = w.svc.Unreblog(ctx, cl, id)
	case "bookmark":
		_, err = w.svc.Bookmark(ctx, cl, id)
	case "unbookmark":
		_, err = w.svc.Unbookmark(ctx, cl, id)
	case "pin":
		_, err = w.svc.Pin(ctx, cl, id)
	case "unpin":
		_, err = w.svc.Unpin(ctx, cl, id)
	case "vote":
		var choices []int
		if err := c.Request().ParseForm(); err == nil {
			for _, v := range c.Request().PostForm["choices"] {
				if n, perr := strconv.Atoi(v); perr == nil {
					choices = append(choices, n)
				}
			}
		}
		if _, _, err = w.svc.VotePoll(ctx, cl, id, choices); err == nil {
			msg = "Vote sent."
		}
	case "delete":
		_, err = w.svc.DeleteStatus(ctx, cl, id)
		msg = "Post deleted."
		if strings.HasSuffix(back, "/"+c.Param("id")) {
			back = "/@" + cl.Account.Username
		}
	default:
		return w.errorPage(c, http.StatusNotFound, "Not found", "No such action.")
	}
	if err != nil {
		return w.fail(c, err)
	}
	w.recordActing(c, cl, "statuses", id)
	if back == "/" {
		back = "/home"
	}
	return w.done(c, back+anchor(c.FormValue("anchor")), msg)
}

func anchor(a string) string {
	if a == "" || strings.ContainsAny(a, "\"'<> ") || len(a) > 40 {
		return ""
	}
	return "#" + url.PathEscape(a)
}

func noteFilter() storage.NotificationFilter { return storage.NotificationFilter{} }
