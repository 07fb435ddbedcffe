package webui

import (
	"net/http"
	"strconv"

	"github.com/herald-social/herald/internal/herr"
	"github.com/labstack/echo/v4"
)

// archetypeText names a report's archetype for people (Mastodon's five).
var archetypeText = map[string][2]string{
	"lurker":   {"The lurker", "Reads a lot, posts now and then."},
	"booster":  {"The booster", "Shares what others post more than anything."},
	"pollster": {"The pollster", "Asks the crowd, often with a poll."},
	"replier":  {"The replier", "Always in the conversation."},
	"oracle":   {"The oracle", "Posts their own thoughts more than anyone."},
}

// wrapstodon is an annual report's share page, Mastodon's
// /@username/wrapstodon/YEAR/SHARE_KEY: the link its owner shares (the
// report's share_url). Core decides whether it exists and which of its
// posts the visitor may see.
func (w *UI) wrapstodon(c echo.Context) error {
	if !w.publicAllowed(c) {
		return w.needSignIn(c)
	}
	notFound := func() error {
		return w.errorPage(c, http.StatusNotFound, "Not found", "This annual report does not exist.")
	}
	year, err := strconv.Atoi(c.Param("year"))
	if err != nil {
		return notFound()
	}
	cl := w.caller(c)
	r, err := w.svc.SharedAnnualReport(c.Request().Context(), cl, c.Param("username"), year, c.Param("key"))
	if err != nil && herr.As(err).Status >= 500 {
		return err // a failure here, not a missing report
	} else if err != nil {
		return notFound()
	}
	var posts, followers int64
	for _, m := range r.Data.TimeSeries {
		posts += m.Statuses
		followers += m.Followers
	}
	arch := archetypeText[r.Data.Archetype]
	if arch[0] == "" {
		arch = [2]string{r.Data.Archetype, ""}
	}
	tags := r.Data.TopHashtags
	if len(tags) > 5 {
		tags = tags[:5]
	}
	name := displayName(r.Account)
	title := "Wrapstodon " + strconv.Itoa(r.Year) + ": " + name
	desc := "The year " + strconv.Itoa(r.Year) + " of " + name + " on " + w.svc.Cfg.Instance.Domain + "."
	d := page{"Title": title, "Account": r.Account, "Year": r.Year, "Archetype": arch[0], "ArchetypeText": arch[1],
		"Posts": posts, "Followers": followers, "Tags": tags, "Items": w.items(r.Posts, cl),
		"OG": w.og(title, desc, w.svc.AnnualReportShareURL(r.Account.Username, r.Year, c.Param("key")),
			w.absolute(w.svc.AccountImageURL(r.Account, "avatar")), "website")}
	return w.render(c, http.StatusOK, "wrapstodon", d)
}
