package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/internal/core"
	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/model"
)

func (a *API) registerPolls(e *echo.Echo) {
	a.handle(e, http.MethodGet, "/api/v1/polls/:id", a.getPoll, publicRead("read:statuses"))
	a.handle(e, http.MethodPost, "/api/v1/polls/:id/votes", a.votePoll, user("write:statuses"))
	a.handle(e, http.MethodGet, "/api/v1/scheduled_statuses", a.listScheduled, user("read:statuses"))
	a.handle(e, http.MethodGet, "/api/v1/scheduled_statuses/:id", a.getScheduled, user("read:statuses"))
	a.handle(e, http.MethodPut, "/api/v1/scheduled_statuses/:id", a.updateScheduled, user("write:statuses"))
	a.handle(e, http.MethodDelete, "/api/v1/scheduled_statuses/:id", a.deleteScheduled, user("write:statuses"))
}

// Poll is Mastodon's Poll entity.
type Poll struct {
	ID          string        `json:"id"`
	ExpiresAt   *string       `json:"expires_at"`
	Expired     bool          `json:"expired"`
	Multiple    bool          `json:"multiple"`
	VotesCount  int64         `json:"votes_count"`
	VotersCount *int64        `json:"voters_count"`
	Options     []PollOption  `json:"options"`
	Emojis      []CustomEmoji `json:"emojis"`
	Voted       *bool         `json:"voted,omitempty"`
	OwnVotes    []int         `json:"own_votes,omitempty"`
}

// PollOption is one option of a Poll; votes_count is null while the
// totals are hidden.
type PollOption struct {
	Title      string `json:"title"`
	VotesCount *int64 `json:"votes_count"`
}

// poll renders the poll of st as the view's viewer sees it (nil: none).
func (a *API) poll(v *core.StatusView, st *model.Status, domain string) *Poll {
	pv := v.PollOf(st)
	if pv == nil {
		return nil
	}
	p := pv.Poll
	voters := p.VotersCount
	out := &Poll{ID: idString(st.ID), ExpiresAt: fmtTimePtr(p.ExpiresAt), Expired: pv.Expired, Multiple: p.Multiple,
		VotesCount: p.VotesCount, VotersCount: &voters, Options: make([]PollOption, len(p.Options)),
		Emojis: a.emojisIn(domain, p.Options...)}
	for i, o := range p.Options {
		out.Options[i].Title = o
		if pv.ShowTotals && i < len(p.Counts) {
			n := p.Counts[i]
			out.Options[i].VotesCount = &n
		}
	}
	if v.ViewerID != 0 {
		out.Voted = boolPtr(pv.Voted)
		out.OwnVotes = pv.OwnVotes
	}
	return out
}

func (a *API) pollResponse(c echo.Context, v *core.StatusView, st *model.Status) error {
	domain := ""
	if acc := v.Accounts[st.AccountID]; acc != nil {
		domain = acc.Domain
	}
	p := a.poll(v, st, domain)
	if p == nil {
		return herr.NotFound("poll")
	}
	return c.JSON(http.StatusOK, p)
}

func (a *API) getPoll(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, st, err := a.svc.Poll(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return a.pollResponse(c, v, st)
}

func (a *API) votePoll(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	var choices []int
	for _, s := range p.Strings("choices") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return herr.Unprocessable("Validation failed: choices must be option indexes")
		}
		choices = append(choices, n)
	}
	v, st, err := a.svc.VotePoll(c.Request().Context(), caller(c), id, choices)
	if err != nil {
		return err
	}
	return a.pollResponse(c, v, st)
}

// hasNested reports whether a parameter object was given: key in a JSON
// body (not null), or any key[...] form field.
func (p *Params) hasNested(key string) bool {
	if v, ok := p.json[key]; ok {
		return v != nil
	}
	for k := range p.values {
		if strings.HasPrefix(k, key+"[") {
			return true
		}
	}
	return false
}

// pollParams reads a new post's poll: {"poll": {"options": [...],
// "expires_in": 300, ...}} or poll[options][]=..&poll[expires_in]=.. A
// poll that is given in a shape it cannot be read from is a 422, never
// dropped.
func pollParams(p *Params) (*core.PollParams, error) {
	if !p.hasNested("poll") {
		return nil, nil
	}
	if p.json != nil {
		if _, ok := p.json["poll"].(map[string]any); !ok {
			return nil, herr.Unprocessable("Validation failed: poll must be an object")
		}
	}
	opts, ok := p.nestedStrings([]string{"poll", "options"})
	if !ok {
		return nil, herr.Unprocessable("Validation failed: Poll options can't be blank")
	}
	exp, ok := p.Nested("poll", "expires_in")
	if !ok || strings.TrimSpace(exp) == "" {
		return nil, herr.Unprocessable("Validation failed: Poll expires_in can't be blank")
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(exp), 64)
	if err != nil || secs != secs || secs > 1e12 || secs < -1e12 {
		return nil, herr.Unprocessable("Validation failed: Poll expires_in must be a number of seconds")
	}
	out := &core.PollParams{Options: opts, ExpiresIn: time.Duration(secs) * time.Second}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"multiple", &out.Multiple}, {"hide_totals", &out.HideTotals}} {
		s, ok := p.Nested("poll", f.name)
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "on", "yes", "t":
			*f.dst = true
		case "false", "0", "off", "no", "f", "":
		default:
			return nil, herr.Unprocessable("Validation failed: Poll %s must be a boolean", f.name)
		}
	}
	return out, nil
}

// scheduledAt reads scheduled_at (RFC 3339, as Mastodon's clients send
// it); ok is false when it is absent.
func scheduledAt(p *Params) (time.Time, bool, error) {
	s := strings.TrimSpace(p.String("scheduled_at"))
	if s == "" {
		return time.Time{}, false, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, true, herr.Unprocessable("Validation failed: Scheduled at is not a valid date")
}

// ScheduledStatus is Mastodon's ScheduledStatus entity.
type ScheduledStatus struct {
	ID               string            `json:"id"`
	ScheduledAt      string            `json:"scheduled_at"`
	Params           ScheduledParams   `json:"params"`
	MediaAttachments []MediaAttachment `json:"media_attachments"`
}

// ScheduledParams are the parameters of a ScheduledStatus.
type ScheduledParams struct {
	Text          string         `json:"text"`
	Poll          *ScheduledPoll `json:"poll"`
	MediaIDs      []string       `json:"media_ids"`
	Sensitive     *bool          `json:"sensitive"`
	SpoilerText   *string        `json:"spoiler_text"`
	Visibility    string         `json:"visibility"`
	InReplyToID   *string        `json:"in_reply_to_id"`
	Language      *string        `json:"language"`
	ApplicationID *int64         `json:"application_id"`
	ScheduledAt   *string        `json:"scheduled_at"`
	Idempotency   *string        `json:"idempotency"`
	WithRateLimit bool           `json:"with_rate_limit"`
}

// ScheduledPoll is the poll of a ScheduledStatus's params.
type ScheduledPoll struct {
	Options    []string `json:"options"`
	ExpiresIn  string   `json:"expires_in"`
	Multiple   bool     `json:"multiple"`
	HideTotals bool     `json:"hide_totals"`
}

func (a *API) scheduledStatus(v *core.ScheduledView) ScheduledStatus {
	sp := v.Params
	out := ScheduledStatus{ID: idString(v.Scheduled.ID), ScheduledAt: fmtTime(v.Scheduled.ScheduledAt),
		MediaAttachments: a.mediaAttachments(v.Media),
		Params: ScheduledParams{Text: sp.Text, MediaIDs: sp.MediaIDs, Sensitive: sp.Sensitive, SpoilerText: strPtr(sp.SpoilerText),
			Visibility: sp.Visibility, InReplyToID: strPtr(sp.InReplyToID), Language: strPtr(sp.Language),
			Idempotency: strPtr(sp.Idempotency)}}
	if n, err := strconv.ParseInt(sp.ApplicationID, 10, 64); err == nil {
		out.Params.ApplicationID = &n
	}
	if sp.Poll != nil {
		out.Params.Poll = &ScheduledPoll{Options: sp.Poll.Options, ExpiresIn: sp.Poll.ExpiresIn, Multiple: sp.Poll.Multiple,
			HideTotals: sp.Poll.HideTotals}
	}
	return out
}

func (a *API) listScheduled(c echo.Context) error {
	pg, err := page(c, 20, 40)
	if err != nil {
		return err
	}
	list, err := a.svc.ScheduledStatuses(c.Request().Context(), caller(c), pg)
	if err != nil {
		return err
	}
	out := make([]ScheduledStatus, 0, len(list))
	for _, v := range list {
		out = append(out, a.scheduledStatus(v))
	}
	if len(list) > 0 {
		setLink(c, list[0].Scheduled.ID, list[len(list)-1].Scheduled.ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getScheduled(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := a.svc.ScheduledStatus(c.Request().Context(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.scheduledStatus(v))
}

func (a *API) updateScheduled(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := params(c)
	if err != nil {
		return err
	}
	at, ok, err := scheduledAt(p)
	if err != nil {
		return err
	}
	if !ok {
		return herr.Unprocessable("Validation failed: Scheduled at can't be blank")
	}
	v, err := a.svc.RescheduleStatus(c.Request().Context(), caller(c), id, at)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.scheduledStatus(v))
}

func (a *API) deleteScheduled(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.CancelScheduledStatus(c.Request().Context(), caller(c), id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{})
}
