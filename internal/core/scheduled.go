package core

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Scheduled posts, as Mastodon's: at least five minutes ahead, at most
// 300 waiting per account and 25 on one day.
const (
	MinScheduleAhead  = 5 * time.Minute
	MaxScheduled      = 300
	MaxScheduledDaily = 25
	// JobPublishScheduled publishes a scheduled post at its time,
	// jobRef{scheduled status id}.
	JobPublishScheduled = "status.publish_scheduled"
)

// ScheduledParams are a scheduled post's parameters as stored and shown
// (Mastodon's ScheduledStatus params).
type ScheduledParams struct {
	Text          string         `json:"text"`
	SpoilerText   string         `json:"spoiler_text"`
	Sensitive     *bool          `json:"sensitive"`
	Visibility    string         `json:"visibility"`
	InReplyToID   string         `json:"in_reply_to_id"`
	Language      string         `json:"language"`
	MediaIDs      []string       `json:"media_ids"`
	Poll          *ScheduledPoll `json:"poll"`
	ApplicationID string         `json:"application_id"`
	Idempotency   string         `json:"idempotency"`
	// InteractionPolicy is Herald's own: the policy asked for.
	InteractionPolicy PolicyChoice `json:"interaction_policy,omitempty"`
}

// ScheduledPoll is the poll of a scheduled post.
type ScheduledPoll struct {
	Options    []string `json:"options"`
	ExpiresIn  string   `json:"expires_in"`
	Multiple   bool     `json:"multiple"`
	HideTotals bool     `json:"hide_totals"`
}

// ScheduledView is a scheduled post with what its entity shows.
type ScheduledView struct {
	Scheduled *model.ScheduledStatus
	Params    ScheduledParams
	Media     []*model.MediaAttachment
}

func scheduledJob(ssID int64, at time.Time) storage.Job {
	j := mediaJob(JobPublishScheduled, ssID, "")
	j.RunAt = at
	return j
}

func scheduledJobKey(ssID int64) string {
	return JobPublishScheduled + ":" + strconv.FormatInt(ssID, 10)
}

// checkScheduledAt refuses a time less than five minutes ahead.
func (s *Service) checkScheduledAt(at time.Time) error {
	if at.Before(s.Now().Add(MinScheduleAhead)) {
		return herr.Unprocessable("Validation failed: Scheduled at The scheduled date must be in the future")
	}
	return nil
}

// ScheduleStatus validates a post as PostStatus would and keeps it to
// publish at at, with its job queued in the same transaction.
func (s *Service) ScheduleStatus(ctx context.Context, c *Caller, p PostParams, at time.Time) (*ScheduledView, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if err := s.checkScheduledAt(at); err != nil {
		return nil, err
	}
	mediaIDs, err := s.checkStatusMedia(ctx, c, p.MediaIDs, 0)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Text) == "" && len(mediaIDs) == 0 {
		return nil, herr.Unprocessable("Validation failed: Text can't be blank")
	}
	if err := s.checkLength(p.Text, p.SpoilerText); err != nil {
		return nil, err
	}
	sp := ScheduledParams{Text: p.Text, SpoilerText: strings.TrimSpace(p.SpoilerText), Sensitive: p.Sensitive,
		Language: strings.TrimSpace(p.Language), MediaIDs: []string{}, Idempotency: strings.TrimSpace(p.IdempotencyKey),
		InteractionPolicy: p.InteractionPolicy}
	if p.Poll != nil {
		if len(mediaIDs) > 0 {
			return nil, herr.Unprocessable("Validation failed: A post with a poll cannot have media attachments")
		}
		if _, err := s.newPoll(p.Poll, at); err != nil {
			return nil, err
		}
		sp.Poll = &ScheduledPoll{Options: p.Poll.Options, ExpiresIn: strconv.FormatInt(int64(p.Poll.ExpiresIn/time.Second), 10),
			Multiple: p.Poll.Multiple, HideTotals: p.Poll.HideTotals}
	}
	vis := model.Public
	if c.User != nil {
		if v, ok := model.ParseVisibility(c.User.DefaultVisibility); ok {
			vis = v
		}
	}
	if p.Visibility != "" {
		v, ok := model.ParseVisibility(p.Visibility)
		if !ok {
			return nil, herr.Unprocessable("Validation failed: Visibility is not included in the list")
		}
		vis = v
	}
	sp.Visibility = vis.String()
	if p.InReplyToID != 0 {
		if _, _, err := s.visibleStatus(ctx, c.Account.ID, p.InReplyToID); err != nil {
			return nil, err
		}
		sp.InReplyToID = strconv.FormatInt(p.InReplyToID, 10)
	}
	for _, m := range mediaIDs {
		sp.MediaIDs = append(sp.MediaIDs, strconv.FormatInt(m, 10))
	}
	if c.Token.AppID != 0 {
		sp.ApplicationID = strconv.FormatInt(c.Token.AppID, 10)
	}
	raw, err := json.Marshal(sp)
	if err != nil {
		return nil, herr.Internal(err)
	}
	ss := &model.ScheduledStatus{ID: id.New(), AccountID: c.Account.ID, ScheduledAt: at.UTC().Truncate(time.Millisecond),
		Params: string(raw), MediaIDs: mediaIDs, AppID: c.Token.AppID, CreatedAt: s.Now().UTC()}
	if err := s.store.CreateScheduledStatus(ctx, ss, scheduledJob(ss.ID, ss.ScheduledAt), MaxScheduled, MaxScheduledDaily); err != nil {
		return nil, scheduledErr(err)
	}
	return s.scheduledView(ctx, ss)
}

func scheduledErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrScheduledLimit):
		return herr.Unprocessable("Validation failed: You have exceeded the limit of scheduled posts")
	case errors.Is(err, storage.ErrMediaNotAttachable):
		return herr.Unprocessable("Validation failed: Media attachments are invalid")
	case errors.Is(err, storage.ErrNotFound):
		return herr.NotFound("scheduled status")
	}
	return herr.Internal(err)
}

func (s *Service) scheduledView(ctx context.Context, ss *model.ScheduledStatus) (*ScheduledView, error) {
	v := &ScheduledView{Scheduled: ss}
	_ = json.Unmarshal([]byte(ss.Params), &v.Params)
	if v.Params.MediaIDs == nil {
		v.Params.MediaIDs = []string{}
	}
	for _, mid := range ss.MediaIDs {
		m, err := s.store.MediaByID(ctx, mid)
		if err == nil {
			v.Media = append(v.Media, m)
		}
	}
	return v, nil
}

// ownScheduled loads one of the caller's scheduled posts.
func (s *Service) ownScheduled(ctx context.Context, c *Caller, ssID int64) (*model.ScheduledStatus, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	ss, err := s.store.ScheduledStatusByID(ctx, ssID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && ss.AccountID != c.Account.ID) {
		return nil, herr.NotFound("scheduled status")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return ss, nil
}

// ScheduledStatus returns one of the caller's scheduled posts.
func (s *Service) ScheduledStatus(ctx context.Context, c *Caller, ssID int64) (*ScheduledView, error) {
	ss, err := s.ownScheduled(ctx, c, ssID)
	if err != nil {
		return nil, err
	}
	return s.scheduledView(ctx, ss)
}

// ScheduledStatuses pages through the caller's scheduled posts.
func (s *Service) ScheduledStatuses(ctx context.Context, c *Caller, p model.Page) ([]*ScheduledView, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	list, err := s.store.ScheduledStatuses(ctx, c.Account.ID, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	out := make([]*ScheduledView, 0, len(list))
	for _, ss := range list {
		v, err := s.scheduledView(ctx, ss)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// RescheduleStatus moves one of the caller's scheduled posts (the only
// change Mastodon allows).
func (s *Service) RescheduleStatus(ctx context.Context, c *Caller, ssID int64, at time.Time) (*ScheduledView, error) {
	if _, err := s.ownScheduled(ctx, c, ssID); err != nil {
		return nil, err
	}
	if err := s.checkScheduledAt(at); err != nil {
		return nil, err
	}
	at = at.UTC().Truncate(time.Millisecond)
	if err := s.store.RescheduleStatus(ctx, ssID, at, scheduledJob(ssID, at), MaxScheduledDaily); err != nil {
		return nil, scheduledErr(err)
	}
	return s.ScheduledStatus(ctx, c, ssID)
}

// CancelScheduledStatus deletes one of the caller's scheduled posts.
func (s *Service) CancelScheduledStatus(ctx context.Context, c *Caller, ssID int64) error {
	if _, err := s.ownScheduled(ctx, c, ssID); err != nil {
		return err
	}
	if err := s.store.DeleteScheduledStatus(ctx, ssID, scheduledJobKey(ssID)); err != nil {
		return scheduledErr(err)
	}
	return nil
}

// publishScheduled posts a scheduled post through the normal post path.
// The status and the schedule's deletion are one transaction, and the
// post's idempotency key is the schedule's: a job run again after a crash
// finds the schedule gone (or the post made) and posts nothing twice.
func (s *Service) publishScheduled(ctx context.Context, ssID int64) error {
	ss, err := s.store.ScheduledStatusByID(ctx, ssID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // published or cancelled
	}
	if err != nil {
		return err
	}
	if now := s.Now(); ss.ScheduledAt.After(now) {
		return jobs.Snooze(ss.ScheduledAt.Sub(now), "scheduled later") // moved while this job waited
	}
	var sp ScheduledParams
	if err := json.Unmarshal([]byte(ss.Params), &sp); err != nil {
		return jobs.Permanent(err)
	}
	acc, err := s.store.AccountByID(ctx, ss.AccountID)
	if err != nil {
		return jobs.Permanent(err)
	}
	user, err := s.store.UserByAccountID(ctx, ss.AccountID)
	if err != nil {
		return jobs.Permanent(err)
	}
	if acc.SuspendedAt != nil {
		return jobs.Permanent(errors.New("the account is suspended"))
	}
	c := &Caller{Token: &model.Token{UserID: user.ID, AppID: ss.AppID, Scopes: "write:statuses"}, User: user, Account: acc}
	p := PostParams{Text: sp.Text, SpoilerText: sp.SpoilerText, Sensitive: sp.Sensitive, Visibility: sp.Visibility,
		Language: sp.Language, MediaIDs: sp.MediaIDs, InteractionPolicy: sp.InteractionPolicy,
		IdempotencyKey: "scheduled:" + strconv.FormatInt(ss.ID, 10), scheduledID: ss.ID}
	p.InReplyToID, _ = strconv.ParseInt(sp.InReplyToID, 10, 64)
	if sp.Poll != nil {
		secs, _ := strconv.ParseInt(sp.Poll.ExpiresIn, 10, 64)
		p.Poll = &PollParams{Options: sp.Poll.Options, ExpiresIn: time.Duration(secs) * time.Second,
			Multiple: sp.Poll.Multiple, HideTotals: sp.Poll.HideTotals}
	}
	_, err = s.PostStatus(ctx, c, p)
	var he *herr.Error
	if errors.As(err, &he) && he.Status == 404 && p.InReplyToID != 0 {
		// The post it answered is gone (or hidden now): post it alone.
		p.InReplyToID = 0
		_, err = s.PostStatus(ctx, c, p)
	}
	if errors.As(err, &he) && he.Status < 500 {
		s.Log.Info("scheduled post not published", "scheduled_status", ss.ID, "err", err)
		if derr := s.store.DeleteScheduledStatus(ctx, ss.ID, ""); derr != nil && !errors.Is(derr, storage.ErrNotFound) {
			return derr
		}
		return nil
	}
	return err
}

func (s *Service) registerScheduledJobs(r *jobs.Runner) {
	r.Handle(jobs.Kind{Name: JobPublishScheduled, Workers: 1, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		var p jobRef
		if err := jobs.Decode(job, &p); err != nil {
			return nil, err
		}
		return nil, s.publishScheduled(ctx, p.ID)
	}})
}
