package core

import (
	"context"
	"errors"
	"net/textproto"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/jobs"
	"github.com/herald-social/herald/internal/mail"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/storage"
)

// The background work of core, run by the job runtime (internal/jobs).
// A job is a row of the store whose payload names what it works on by id,
// so that it outlives the process that queued it.
const (
	// JobMediaProcess reads the metadata of an uploaded video or audio
	// file (an async upload), payload jobRef{media id}.
	JobMediaProcess = "media.process"
	// JobMediaCard makes the preview card of a status, jobRef{status id}.
	JobMediaCard = "media.card"
	// JobMediaEmoji caches a remote emoji's image, jobRef{emoji id}.
	JobMediaEmoji = "media.emoji"
	// JobMediaAttachment caches a remote attachment's file, jobRef{media id}.
	JobMediaAttachment = "media.attachment"
	// JobMediaAccountImages caches a remote account's avatar and header,
	// jobRef{account id}.
	JobMediaAccountImages = "media.account_images"
	// JobMediaSweep deletes the files no row names (every minute).
	JobMediaSweep = "media.sweep"
	// JobMediaPrune prunes the remote media cache (daily).
	JobMediaPrune = "media.prune"
	// JobMail sends one mail, mailJob.
	JobMail = "mail"
	// JobMutesSweep deletes the timed mutes that ended (hourly).
	JobMutesSweep = "mutes.sweep"
)

// Media job timings and limits.
const (
	mediaSweepEvery = time.Minute
	mediaPruneEvery = 24 * time.Hour
	// mediaWorkers is how many jobs of each media kind a process works at
	// once; fetches hold at most remoteFetchesAtOnce downloads between them.
	mediaWorkers = 2
	// fetchAttempts: a remote file that cannot be had after this many
	// tries is left to be fetched when shown.
	fetchAttempts = 3
	// mailAttempts spans about an hour and a half of a mail server's
	// outage (jobs.DefaultBackoff doubles from 10 s).
	mailAttempts = 10
)

// jobRef is the payload of the media jobs: the id of the row worked on
// (an attachment, a status, an emoji or an account, by kind).
type jobRef struct {
	ID int64 `json:"id"`
}

// mailJob is the payload of a mail job: the message as sendMail renders it.
// It holds the mail's links (a password reset's token) until the mail is
// sent or dropped, when the job row is deleted; the database holds the
// keys and secrets of the instance anyway.
type mailJob struct {
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
}

// RegisterJobs registers core's job kinds and periodic jobs on r; the
// server calls it before it runs r.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	// Due times are read on core's clock: a test that moves it (a poll's
	// end, a scheduled post's time) moves them.
	r.UseClock(s.Now)
	m := s.MediaService
	r.Handle(jobs.Kind{Name: JobMediaProcess, Workers: mediaWorkers, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		var p jobRef
		if err := jobs.Decode(job, &p); err != nil {
			return nil, err
		}
		return nil, m.processAV(ctx, p.ID)
	}})
	// Remote fetches are keyed by the remote host, one at a time each: a
	// slow or dead host holds one worker, never all of them.
	fetch := func(name string, run func(ctx context.Context, id int64) error) {
		r.Handle(jobs.Kind{Name: name, Workers: mediaWorkers, PerKey: 1, MaxAttempts: fetchAttempts, Backoff: fetchBackoff,
			Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
				var p jobRef
				if err := jobs.Decode(job, &p); err != nil {
					return nil, err
				}
				return nil, fetchJobError(run(ctx, p.ID))
			}})
	}
	fetch(JobMediaCard, m.FetchCard)
	fetch(JobMediaEmoji, func(ctx context.Context, id int64) error {
		_, err := m.cacheRemoteEmoji(ctx, id)
		return err
	})
	fetch(JobMediaAttachment, func(ctx context.Context, id int64) error {
		_, err := m.cacheRemoteMedia(ctx, id)
		return err
	})
	fetch(JobMediaAccountImages, func(ctx context.Context, id int64) error {
		// Best effort, as when shown: a failure is fetched again then.
		_, _ = m.AccountImageFile(ctx, id, "avatar")
		_, _ = m.AccountImageFile(ctx, id, "header")
		return nil
	})

	// The sweeps: one at a time across processes (one key, PerKey 1); a
	// sweep that fails is not retried, the next period's does its work.
	r.Handle(jobs.Kind{Name: JobMediaSweep, PerKey: 1, MaxAttempts: 1, Run: func(ctx context.Context, _ *storage.Job) ([]storage.Job, error) {
		n := m.SweepMediaGarbage(ctx)
		m.Log.Debug("media: swept", "files", n)
		return nil, nil
	}})
	r.Handle(jobs.Kind{Name: JobMediaPrune, PerKey: 1, MaxAttempts: 3, Run: func(ctx context.Context, _ *storage.Job) ([]storage.Job, error) {
		res, err := m.PruneMedia(ctx, m.Cfg.Media.RemoteCacheTTL.Duration)
		if err != nil {
			return nil, err
		}
		if res.Total() > 0 || res.Files > 0 {
			m.Log.Info("media: pruned", "attachments", res.Attachments, "account_images", res.AccountImages,
				"emojis", res.Emojis, "card_images", res.CardImages, "unattached", res.Unattached, "files", res.Files)
		}
		return nil, nil
	}})
	r.Every(jobs.Periodic{Name: JobMediaSweep, Every: mediaSweepEvery, Job: storage.Job{Kind: JobMediaSweep, Key: JobMediaSweep}})
	r.Every(jobs.Periodic{Name: JobMediaPrune, Every: mediaPruneEvery, Job: storage.Job{Kind: JobMediaPrune, Key: JobMediaPrune}})
	// Expired mutes: reads ignore them already; the sweep keeps the table small.
	r.Handle(jobs.Kind{Name: JobMutesSweep, PerKey: 1, MaxAttempts: 1, Run: func(ctx context.Context, _ *storage.Job) ([]storage.Job, error) {
		return nil, s.sweepExpiredMutes(ctx)
	}})
	r.Every(jobs.Periodic{Name: JobMutesSweep, Every: time.Hour, Job: storage.Job{Kind: JobMutesSweep, Key: JobMutesSweep}})

	r.Handle(jobs.Kind{Name: JobMail, Workers: 2, MaxAttempts: mailAttempts, Run: func(ctx context.Context, job *storage.Job) ([]storage.Job, error) {
		var p mailJob
		if err := jobs.Decode(job, &p); err != nil {
			return nil, err
		}
		return nil, s.AdminService.deliverMail(ctx, p)
	}})
	s.registerPollJobs(r)
	s.registerScheduledJobs(r)
	s.RegisterFollowerMoves(r)
	s.registerTrendJobs(r)
}

// fetchBackoff waits out the memory of a failed fetch (mediaRetryAfter,
// during which a new try would fail at once without fetching) before the
// usual backoff.
func fetchBackoff(attempt int) time.Duration {
	return mediaRetryAfter + jobs.DefaultBackoff(attempt)
}

// fetchJobError turns the error of a fetch into the job's outcome: what
// another try cannot change (the row is gone, the domain's media is
// rejected, the file is too large or no media) drops the job; the rest (a
// host down, a timeout, a busy decoder) is tried again.
func fetchJobError(err error) error {
	var he *herr.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, errMediaRejected),
		errors.Is(err, media.ErrTooLarge), errors.Is(err, media.ErrTooManyPixels),
		errors.Is(err, media.ErrUnsupported), errors.Is(err, media.ErrCorrupt),
		errors.As(err, &he) && he.Status == 404:
		return jobs.Permanent(err)
	}
	return err
}

// queueJobs queues jobs on the runtime and reports whether it did; without
// a runtime (core alone: the command line, tests of core) it does nothing
// and reports false, and the caller does the work itself or leaves it.
func (s *Service) queueJobs(ctx context.Context, queued ...storage.Job) (bool, error) {
	if s.Jobs == nil || len(queued) == 0 {
		return false, nil
	}
	if err := s.Jobs.Enqueue(ctx, queued...); err != nil {
		return false, err
	}
	return true, nil
}

// mediaJob is a job of a media kind on the row id, queued once at a time
// (unique key kind:id); key is the remote host it fetches from ("" for
// local work).
func mediaJob(kind string, id int64, key string) storage.Job {
	return storage.Job{Kind: kind, Key: key, Payload: jobs.Encode(jobRef{ID: id}), UniqueKey: kind + ":" + strconv.FormatInt(id, 10)}
}

// deliverMail sends a queued mail. A mail server that refuses the message
// for good (a 5xx answer: no such recipient) drops it; a server that is
// down or answers "try later" gets it again with the runtime's backoff.
func (s *AdminService) deliverMail(ctx context.Context, p mailJob) error {
	m := mail.New(s.Cfg.SMTP, s.Cfg.Instance.Domain)
	if m == nil {
		return jobs.Permanent(errors.New("mail is not configured any more"))
	}
	err := m.Send(ctx, mail.Message{To: p.To, Subject: p.Subject, Body: p.Body})
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return jobs.Permanent(err)
	}
	return err
}
