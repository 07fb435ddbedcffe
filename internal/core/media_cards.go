package core

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Link preview limits.
const (
	maxCardPageBytes = 1 << 20 // of HTML read to find the head's meta tags
	cardRefreshAfter = 14 * 24 * time.Hour
	maxCardTitle     = 255
	maxCardText      = 1000
)

// cardJob is the job that makes the preview card of a status's first link
// (none without a link), keyed by the link's host; PostStatus queues it
// in the post's own transaction.
func cardJob(st *model.Status) []storage.Job {
	link := FirstLink(st.Content)
	if link == "" {
		return nil
	}
	return []storage.Job{mediaJob(JobMediaCard, st.ID, hostOf(link))}
}

// FetchCard makes the preview card of a status from its first link (not a
// mention or hashtag), unless it has attachments: OpenGraph and Twitter
// meta tags of the page, fetched through the guarded client. A URL's card
// is reused for 14 days. Direct messages get no card: a link sent in
// private may be a one-time link (a sign-in or reset link) that a fetch
// would use up, and the fetch would tell the link's host that it was sent.
func (s *MediaService) FetchCard(ctx context.Context, statusID int64) error {
	st, err := s.store.StatusByID(ctx, statusID)
	if err != nil {
		return storeErr(err)
	}
	if st.ReblogOfID != 0 || st.Visibility == model.Direct {
		return nil
	}
	if m, err := s.store.MediaOfStatuses(ctx, []int64{statusID}); err == nil && len(m[statusID]) > 0 {
		return nil
	}
	link := FirstLink(st.Content)
	if link == "" {
		return nil
	}
	card, err := s.store.CardByURL(ctx, link)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return herr.Internal(err)
	}
	if card == nil || time.Since(card.FetchedAt) > cardRefreshAfter {
		var nc *model.PreviewCard
		err := s.mediaSt().once(ctx, "card:"+link, func(ctx context.Context) error {
			nc = s.buildCard(ctx, link)
			return s.store.UpsertCard(ctx, nc)
		})
		if err != nil {
			return herr.Internal(err)
		}
		if nc == nil {
			if card, err = s.store.CardByURL(ctx, link); err != nil {
				return storeErr(err)
			}
		} else {
			card = nc
		}
		// The image of the card replaced is garbage: the sweep deletes it.
	}
	if card.Failed {
		return nil
	}
	if err := s.store.SetStatusCard(ctx, statusID, card.ID); err != nil {
		return herr.Internal(err)
	}
	s.notify(ChangeStatusEdited, st.AccountID, st.ID)
	return nil
}

// FirstLink returns the first http(s) link of status HTML that is not a
// mention or a hashtag.
func FirstLink(content string) string {
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "a" || !hasAttr {
				continue
			}
			var href, class, rel string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "href":
					href = string(v)
				case "class":
					class = string(v)
				case "rel":
					rel = string(v)
				}
				if !more {
					break
				}
			}
			if strings.Contains(class, "mention") || strings.Contains(class, "hashtag") || strings.Contains(" "+rel+" ", " tag ") {
				continue
			}
			u, err := url.Parse(href)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				continue
			}
			// The link's text starting with # or @ marks a tag or mention too.
			if z.Next() == html.TextToken {
				if t := strings.TrimSpace(string(z.Text())); strings.HasPrefix(t, "#") || strings.HasPrefix(t, "@") {
					continue
				}
			}
			u.Fragment = ""
			return u.String()
		}
	}
}

// buildCard fetches a page and reads its card; a page that cannot be read
// or has no title gives a Failed card (remembered, so it is not fetched
// again for every post).
func (s *MediaService) buildCard(ctx context.Context, link string) *model.PreviewCard {
	card := &model.PreviewCard{URL: link, Type: "link", FetchedAt: time.Now().UTC(), Failed: true}
	u, err := s.remoteURLAllowed(link)
	if err != nil {
		return card
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return card
	}
	req.Header.Set("Accept", "text/html, application/xhtml+xml;q=0.9")
	resp, err := s.mediaSt().client.Do(req)
	if err != nil {
		return card
	}
	defer resp.Body.Close()
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || (ct != "text/html" && ct != "application/xhtml+xml") {
		return card
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, maxCardPageBytes))
	meta := readPageMeta(page)
	base := resp.Request.URL // after redirects
	pick := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(meta[k]); v != "" {
				return v
			}
		}
		return ""
	}
	card.Title = clip(pick("og:title", "twitter:title", "<title>"), maxCardTitle)
	if card.Title == "" {
		return card
	}
	card.Failed = false
	card.Description = clip(pick("og:description", "twitter:description", "description"), maxCardText)
	card.ProviderName = clip(pick("og:site_name", "application-name"), maxCardTitle)
	if a := pick("author", "article:author"); a != "" && !strings.Contains(a, "://") {
		card.AuthorName = clip(a, maxCardTitle)
	}
	if lang := strings.ToLower(pick("<lang>", "og:locale")); len(lang) >= 2 {
		card.Language = lang[:2]
	}
	if t, err := time.Parse(time.RFC3339, pick("article:published_time")); err == nil {
		t = t.UTC()
		card.PublishedAt = &t
	}
	if img := pick("og:image:secure_url", "og:image:url", "og:image", "twitter:image", "twitter:image:src"); img != "" {
		if iu, err := base.Parse(img); err == nil && (iu.Scheme == "https" || iu.Scheme == "http") {
			card.ImageRemoteURL = iu.String()
			s.fetchCardImage(ctx, card)
		}
	}
	return card
}

// fetchCardImage caches a card's image (scaled to fit 640×640) with its
// blurhash; a card without its image is still a card.
func (s *MediaService) fetchCardImage(ctx context.Context, card *model.PreviewCard) {
	f, err := s.fetchRemote(ctx, card.ImageRemoteURL, "cache/cards", 0, true)
	if err != nil {
		return
	}
	img, err := s.processImage(ctx, f.Data, media.ImageOptions{MaxBytes: s.Cfg.Media.MaxImageBytes, MaxPixels: s.Cfg.Media.MaxPixels,
		BoxW: cardImageSize, BoxH: cardImageSize, Blurhash: true})
	if err != nil {
		return
	}
	key := media.NewKey("cache/cards", "original"+img.Original.Type.Ext)
	if _, err := s.Files().Put(ctx, key, bytes.NewReader(img.Original.Data)); err != nil {
		return
	}
	card.ImageKey, card.Blurhash = key, img.Blurhash
	card.Width, card.Height = img.Original.Width, img.Original.Height
}

// cardImageFile returns a card's cached image, fetching it again when the
// cache was pruned.
func (s *MediaService) cardImageFile(ctx context.Context, cardID int64) (string, error) {
	var key string
	err := s.mediaSt().once(ctx, "cardimage:"+strconv.FormatInt(cardID, 10), func(ctx context.Context) error {
		c, err := s.store.CardByID(ctx, cardID)
		if err != nil {
			return err
		}
		if c.ImageKey != "" || c.ImageRemoteURL == "" {
			key = c.ImageKey
			return nil
		}
		s.fetchCardImage(ctx, c)
		if c.ImageKey == "" {
			return errors.New("no image")
		}
		key = c.ImageKey
		return s.store.UpsertCard(ctx, c)
	})
	if err != nil || key == "" {
		return "", herr.NotFound("card")
	}
	return key, nil
}

// CardImageURL is the URL a card's image is shown with ("" for none).
func (s *MediaService) CardImageURL(c *model.PreviewCard) string {
	if c.ImageKey != "" {
		return s.MediaURL(c.ImageKey)
	}
	if c.ImageRemoteURL != "" && !s.rejectsMedia(hostOf(c.ImageRemoteURL)) {
		return s.proxyURL("cards", c.ID, "original")
	}
	return ""
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

func clip(v string, n int) string {
	v = strings.Join(strings.Fields(strings.ToValidUTF8(v, "")), " ")
	if utf8.RuneCountInString(v) <= n {
		return v
	}
	r := []rune(v)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// readPageMeta reads the <head> of an HTML page: meta property/name →
// content, "<title>" and "<lang>" (of <html>). It stops at <body>.
func readPageMeta(page []byte) map[string]string {
	out := map[string]string{}
	z := html.NewTokenizer(bytes.NewReader(page))
	z.SetMaxBuf(maxCardPageBytes)
	inTitle := false
	for tokens := 0; tokens < 20000; tokens++ {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.TextToken:
			if inTitle && out["<title>"] == "" {
				out["<title>"] = html.UnescapeString(string(z.Text()))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "title" {
				inTitle = false
			}
			if string(name) == "head" {
				return out
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return out
			case "title":
				inTitle = tt == html.StartTagToken
			case "html", "meta":
				attrs := map[string]string{}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					attrs[strings.ToLower(string(k))] = string(v)
				}
				if string(name) == "html" {
					out["<lang>"] = attrs["lang"]
					continue
				}
				key := attrs["property"]
				if key == "" {
					key = attrs["name"]
				}
				key = strings.ToLower(strings.TrimSpace(key))
				if key != "" && out[key] == "" {
					out[key] = attrs["content"]
				}
			}
		}
	}
	return out
}
