package core

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/media"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// Records export: an account's public record (its posts with their edits
// and media, for a period) in an archive, for institutions that must keep
// what their official accounts published. Core decides who may export what
// and loads it, a page at a time; the federation engine renders the
// archive (activitypub/archive.go), so that the posts read as the
// fediverse received them.
//
// The public record is the account's own posts of visibility public and
// unlisted: what anyone could read. Followers-only and direct posts are
// correspondence, not publication: only the account's owner may add them,
// to an archive of their own (as Mastodon's archive has everything of the
// user's). Boosts are not the account's posts and are left out.
//
// Who: the owner, and staff holding Manage Users for any local account.
// Manage Users is the permission that shows an account in the console
// (AdminAccount) and acts on it; the export reads no more than anyone
// could read on the profile, so it asks for nothing stronger, and being a
// read, not an action, it is not limited to users of lower roles. A staff
// export of someone else's record goes to the audit log, as does the
// command line's.

// RecordsRequest is what an export asks for.
type RecordsRequest struct {
	AccountID int64
	// From / To bound the posts by publication: From inclusive, To
	// exclusive, each an RFC 3339 date ("2024-01-31", midnight UTC) or
	// date-time; "" leaves that side open.
	From, To string
	// IncludePrivate adds the followers-only and direct posts (the
	// owner only).
	IncludePrivate bool
}

// RecordsExport is an export the caller may make, and what reads it.
type RecordsExport struct {
	Account *model.Account
	// From is zero when open. To is always set: an open or future end is
	// the time the export started, so that every pass over the posts
	// sees the same ones.
	From, To       time.Time
	IncludePrivate bool
	By             string    // who asked: "@alice", or "the command line (herald export)"
	Started        time.Time // when

	// What reads it: the store, and the media area's attachments and
	// files as function values. Not *Service: an export is passed to the
	// web UI through an interface, and a type reaching *Service there makes
	// the linker keep every area's promoted methods (see
	// internal/server/federation.go).
	store       storage.Store
	attachments func(ctx context.Context, statusIDs []int64) (map[int64][]NoteAttachment, error)
	files       func() media.FileStore
}

// ExportRecords checks that c may export the record asked for and returns
// what reads it: the caller's own account, or any local account for staff
// with Manage Users (private posts: the owner only).
func (s *Service) ExportRecords(ctx context.Context, c *Caller, r RecordsRequest) (*RecordsExport, error) {
	me, err := actor(c)
	if err != nil {
		return nil, err
	}
	own := r.AccountID == me.ID
	if !own {
		if err := s.Authorize(ctx, c, PermManageUsers); err != nil {
			return nil, err
		}
		if r.IncludePrivate {
			return nil, herr.Forbidden("Only the account's owner may export its private posts")
		}
	}
	a, err := s.recordsAccount(ctx, r.AccountID)
	if err != nil {
		return nil, err
	}
	e, err := s.newRecordsExport(a, r, "@"+me.Username)
	if err != nil {
		return nil, err
	}
	if !own {
		s.audit(ctx, c, "export_records", "Account", strconv.FormatInt(a.ID, 10), "public record of @"+a.Username+", "+e.Period())
	}
	return e, nil
}

// OperatorExportRecords is the command line's export (herald export): the
// operator, who has the database, exports any local account's record.
func (s *Service) OperatorExportRecords(ctx context.Context, username string, r RecordsRequest) (*RecordsExport, error) {
	a, err := s.LocalAccount(ctx, username)
	if err != nil {
		return nil, err
	}
	if a, err = s.recordsAccount(ctx, a.ID); err != nil {
		return nil, err
	}
	e, err := s.newRecordsExport(a, r, "the command line (herald export)")
	if err != nil {
		return nil, err
	}
	s.audit(ctx, nil, "export_records", "Account", strconv.FormatInt(a.ID, 10), "public record of @"+a.Username+", "+e.Period())
	return e, nil
}

// recordsAccount is a local account of a user (the instance actor and
// other service accounts publish nothing to keep).
func (s *Service) recordsAccount(ctx context.Context, accountID int64) (*model.Account, error) {
	a, err := s.store.AccountByID(ctx, accountID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !a.Local()) {
		return nil, herr.NotFound("account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	if _, err := s.store.UserByAccountID(ctx, a.ID); errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("account")
	} else if err != nil {
		return nil, herr.Internal(err)
	}
	return a, nil
}

func (s *Service) newRecordsExport(a *model.Account, r RecordsRequest, by string) (*RecordsExport, error) {
	now := time.Now().UTC()
	from, err := parseRecordsDate("from", r.From)
	if err != nil {
		return nil, err
	}
	to, err := parseRecordsDate("to", r.To)
	if err != nil {
		return nil, err
	}
	if to.IsZero() || to.After(now) {
		// Open (or future) end: everything published so far. Times are
		// stored to the millisecond, so the exclusive bound is the next
		// millisecond; "now" itself would drop a post of this millisecond.
		to = now.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	if !from.IsZero() && !from.Before(to) {
		return nil, herr.Unprocessable("Validation failed: from must be before to, and not in the future")
	}
	return &RecordsExport{Account: a, From: from, To: to, IncludePrivate: r.IncludePrivate, By: by, Started: now,
		store: s.store, attachments: s.AttachmentsOf, files: s.Files}, nil
}

// parseRecordsDate reads an RFC 3339 date or date-time ("" is zero).
func parseRecordsDate(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, herr.Unprocessable("Validation failed: %s must be a date such as 2024-01-31 or a date and time such as 2024-01-31T12:00:00Z", name)
}

// Period describes the range for people: "from 2024-01-01T00:00:00Z to
// 2024-02-01T00:00:00Z (exclusive)".
func (e *RecordsExport) Period() string {
	from := "the first post"
	if !e.From.IsZero() {
		from = e.From.Format(time.RFC3339)
	}
	return "from " + from + " to " + e.To.Format(time.RFC3339) + " (exclusive)"
}

// Visibilities names the visibilities the export holds.
func (e *RecordsExport) Visibilities() []string {
	if e.IncludePrivate {
		return []string{"public", "unlisted", "private", "direct"}
	}
	return []string{"public", "unlisted"}
}

// Posts is a page of the exported posts, newest first.
func (e *RecordsExport) Posts(ctx context.Context, p model.Page) ([]*model.Status, error) {
	maxVis := model.Unlisted
	if e.IncludePrivate {
		maxVis = model.Direct
	}
	sts, err := e.store.AccountStatuses(ctx, e.Account.ID, maxVis, storage.AccountStatusFilter{
		ExcludeReblogs: true, PublishedFrom: e.From, PublishedBefore: e.To}, p)
	if err != nil {
		return nil, herr.Internal(err)
	}
	return sts, nil
}

// Versions is the edit history of an exported post: every version, oldest
// first, the current one last (one version when it was never edited).
func (e *RecordsExport) Versions(ctx context.Context, st *model.Status) ([]StatusVersion, error) {
	var out []StatusVersion
	if st.EditedAt != nil {
		edits, err := e.store.StatusEdits(ctx, st.ID)
		if err != nil {
			return nil, herr.Internal(err)
		}
		for _, v := range edits {
			out = append(out, StatusVersion{Content: v.Content, SpoilerText: v.SpoilerText, Sensitive: v.Sensitive, CreatedAt: v.CreatedAt})
		}
	}
	at := st.CreatedAt
	if st.EditedAt != nil {
		at = *st.EditedAt
	}
	return append(out, StatusVersion{Content: st.Content, SpoilerText: st.SpoilerText, Sensitive: st.Sensitive, CreatedAt: at}), nil
}

// Attachments are the attachments of exported posts, by post id, as their
// Notes carry them (FileKey names the file).
func (e *RecordsExport) Attachments(ctx context.Context, statusIDs []int64) (map[int64][]NoteAttachment, error) {
	return e.attachments(ctx, statusIDs)
}

// OpenFile opens the stored file of an exported attachment.
func (e *RecordsExport) OpenFile(ctx context.Context, key string) (media.StoredFile, error) {
	return e.files().Open(ctx, key)
}

// RecordsSummary counts what an archive holds (its manifest, and what the
// command line reports).
type RecordsSummary struct {
	Posts        int      `json:"posts"`         // in outbox.json
	EditedPosts  int      `json:"edited_posts"`  // in edits.json
	Versions     int      `json:"versions"`      // of the edited posts, the current ones included
	MediaFiles   int      `json:"media_files"`   // under media_attachments/
	MediaBytes   int64    `json:"media_bytes"`   // their size
	MissingMedia []string `json:"missing_media"` // named by a post, but not in the file store
}
