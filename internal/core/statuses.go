package core

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/internal/id"
	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/internal/text"
	"github.com/herald-social/herald/storage"
)

// PostParams is POST /api/v1/statuses.
type PostParams struct {
	Text        string
	SpoilerText string
	Sensitive   *bool
	Visibility  string // "" = the user's default
	InReplyToID int64
	Language    string
	// IdempotencyKey makes a retried request return the first status.
	IdempotencyKey string
	MediaIDs       []string
	// InteractionPolicy says who may reply, boost, favourite and quote;
	// the kinds it leaves out take the account's default for the
	// visibility.
	InteractionPolicy PolicyChoice
	// AllowedMentions, when CheckMentions, are the only accounts the post
	// may mention (Mastodon 4.5): any other makes it fail with
	// *UnexpectedMentionsError, nothing stored.
	AllowedMentions []int64
	CheckMentions   bool
	// Poll, when set, makes the post a poll (no media with it).
	Poll *PollParams

	// scheduledID is the scheduled post this publishes (scheduled.go).
	scheduledID int64
	// QuoteID is the status quoted (Mastodon's quoted_status_id); 0: none.
	QuoteID int64
}

// UnexpectedMentionsError: a post would mention accounts the client did
// not list in allowed_mentions (422 with the accounts).
type UnexpectedMentionsError struct {
	Accounts []*model.Account
}

func (e *UnexpectedMentionsError) Error() string { return "Post would be sent to unexpected accounts" }

// Context limits, as Mastodon's.
const (
	MaxAncestors   = 40
	MaxDescendants = 60
)

func (s *Service) requireUser(c *Caller) error {
	if c == nil || c.Account == nil {
		return herr.New(422, "This method requires an authenticated user")
	}
	return nil
}

// checkLength validates text + spoiler against the character limit.
func (s *Service) checkLength(body, spoiler string) error {
	max := s.Cfg.Limits.MaxStatusChars
	if text.Length(body)+text.Length(spoiler) > max {
		return herr.Unprocessable("Validation failed: Text character limit of %d exceeded", max)
	}
	return nil
}

// rendered is a local status text turned into HTML, with what it names.
type rendered struct {
	HTML       string
	MentionIDs []int64
	Tags       []string
}

// renderLocal parses and renders status text, resolving its mentions:
// local accounts by username, remote ones from the store or through the
// Resolver; a mention that does not resolve stays plain text.
func (s *Service) renderLocal(ctx context.Context, body string) rendered {
	parsed := text.Parse(body)
	resolved := map[text.MentionRef]*model.Account{}
	var ids []int64
	for _, m := range parsed.Mentions {
		acc := s.resolveMention(ctx, m)
		if acc == nil {
			continue
		}
		resolved[mentionKey(m)] = acc
		ids = append(ids, acc.ID)
	}
	return rendered{HTML: s.renderText(body, resolved), MentionIDs: ids, Tags: parsed.Tags}
}

func mentionKey(m text.MentionRef) text.MentionRef {
	return text.MentionRef{Username: strings.ToLower(m.Username), Domain: strings.ToLower(m.Domain)}
}

// renderText renders body with already resolved mentions (no I/O).
func (s *Service) renderText(body string, resolved map[text.MentionRef]*model.Account) string {
	return text.Render(body, text.RenderOptions{
		Mention: func(m text.MentionRef) (text.ResolvedMention, bool) {
			acc := resolved[mentionKey(m)]
			if acc == nil {
				return text.ResolvedMention{}, false
			}
			u := acc.URL
			if u == "" {
				u = acc.URI
			}
			return text.ResolvedMention{Username: acc.Username, Domain: acc.Domain, URL: u}, true
		},
		TagURL: s.TagURL,
	})
}

func (s *Service) resolveMention(ctx context.Context, m text.MentionRef) *model.Account {
	domain := strings.ToLower(m.Domain)
	if domain == s.Cfg.Instance.Domain {
		domain = ""
	}
	acc, err := s.store.AccountByUsername(ctx, m.Username, domain)
	if err == nil {
		if acc.SuspendedAt != nil {
			return nil
		}
		return acc
	}
	if domain == "" || s.Resolver == nil {
		return nil
	}
	acc, err = s.Resolver.ResolveAccount(ctx, m.Username+"@"+domain)
	if err != nil || acc == nil {
		return nil
	}
	return acc
}

// PostStatus validates and publishes a local status.
func (s *Service) PostStatus(ctx context.Context, c *Caller, p PostParams) (*model.Status, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	if err := requireNotMoved(c); err != nil {
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
	var poll *model.Poll
	if p.Poll != nil {
		if len(mediaIDs) > 0 {
			return nil, herr.Unprocessable("Validation failed: A post with a poll cannot have media attachments")
		}
		if poll, err = s.newPoll(p.Poll, s.Now()); err != nil {
			return nil, err
		}
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
	if err := c.mayAct(postPermission(vis)); err != nil {
		return nil, err
	}
	sensitive := c.User != nil && c.User.DefaultSensitive
	if p.Sensitive != nil {
		sensitive = *p.Sensitive
	}
	if strings.TrimSpace(p.SpoilerText) != "" {
		sensitive = true
	}
	if forced, err := s.sensitized(ctx, c.Account.ID); err != nil {
		return nil, err
	} else if forced {
		sensitive = true
	}
	lang := strings.TrimSpace(p.Language)
	if lang == "" && c.User != nil {
		lang = c.User.DefaultLanguage
	}
	if len(lang) > 16 {
		return nil, herr.Unprocessable("Validation failed: Language is invalid")
	}
	author := c.Account
	st := &model.Status{
		ID:          id.New(),
		AccountID:   author.ID,
		Local:       true,
		Text:        p.Text,
		SpoilerText: strings.TrimSpace(p.SpoilerText),
		Sensitive:   sensitive,
		Visibility:  vis,
		Language:    lang,
		AppID:       c.Token.AppID,
	}
	st.CreatedAt = id.Time(st.ID).UTC()
	policy, err := s.newPostPolicy(ctx, author.ID, vis, p.InteractionPolicy)
	if err != nil {
		return nil, err
	}
	st.Policy = &policy
	events := []model.OutboxEvent{{Kind: model.EventStatusCreate, AccountID: author.ID, ObjectID: st.ID}}
	var request *model.InteractionRequest
	if p.InReplyToID != 0 {
		parent, parentAuthor, err := s.visibleStatus(ctx, author.ID, p.InReplyToID)
		if err != nil {
			return nil, err
		}
		if parent.ReblogOfID != 0 || (parent.Visibility == model.Direct && !c.seesDirect()) {
			return nil, herr.NotFound("status")
		}
		st.InReplyToID, st.InReplyToAccountID, st.InReplyToURI = parent.ID, parent.AccountID, parent.URI
		if parent.PendingApproval {
			// Its thread is not shown yet: nothing may hang from it.
			return nil, herr.Unprocessable("Validation failed: This post is waiting for approval; it cannot be replied to yet")
		}
		d, err := s.decide(ctx, model.InteractReply, parent, author)
		if err != nil {
			return nil, err
		}
		switch {
		case d.Approval == Denied:
			return nil, deniedMessage(model.InteractReply)
		case d.Approval == NeedsApproval && parentAuthor.Local():
			// Held here for the parent's author; it federates once approved.
			st.PendingApproval = true
			request = &model.InteractionRequest{Kind: model.InteractReply, StatusID: parent.ID,
				TargetAccountID: parent.AccountID, AccountID: author.ID}
			events = nil
		case !parentAuthor.Local() && (d.Approval == NeedsApproval || d.ByRelation):
			// Sent to the parent's author alone (the outbox sees it is
			// pending), shown to nobody else until their Accept arrives.
			st.PendingApproval = true
		}
	}
	r := s.renderLocal(ctx, p.Text)
	if p.CheckMentions {
		var unexpected []int64
		for _, m := range r.MentionIDs {
			if !slices.Contains(p.AllowedMentions, m) {
				unexpected = append(unexpected, m)
			}
		}
		if len(unexpected) > 0 {
			accs, err := s.store.AccountsByIDs(ctx, unexpected)
			if err != nil {
				return nil, herr.Internal(err)
			}
			e := &UnexpectedMentionsError{}
			for _, id := range unexpected {
				if a := accs[id]; a != nil {
					e.Accounts = append(e.Accounts, a)
				}
			}
			return nil, e
		}
	}
	st.Content = r.HTML
	sid := strconv.FormatInt(st.ID, 10)
	st.URI = s.LocalStatusURI(author.Username, sid)
	st.URL = s.LocalStatusURL(author.Username, sid)
	if p.QuoteID != 0 {
		if request != nil {
			return nil, herr.Unprocessable("Validation failed: A reply waiting for approval cannot quote a post")
		}
		var more []model.OutboxEvent
		if request, more, err = s.prepareQuote(ctx, author, st, p.QuoteID, r.MentionIDs); err != nil {
			return nil, err
		}
		events = append(events, more...)
		if st.Visibility != vis { // narrowed to the quoted post's audience
			if policy, err = s.newPostPolicy(ctx, author.ID, st.Visibility, p.InteractionPolicy); err != nil {
				return nil, err
			}
		}
	}
	// The preview card is made in the background, queued with the post
	// (no second write); a post with media has no card.
	var later []storage.Job
	if len(mediaIDs) == 0 && s.Jobs != nil {
		later = cardJob(st)
	}
	if poll != nil && s.Jobs != nil {
		later = append(later, pollExpireJob(st.ID, *poll.ExpiresAt))
	}
	created, existed, err := s.store.CreateStatus(ctx, storage.NewStatus{
		Status:         st,
		MentionIDs:     r.MentionIDs,
		Tags:           r.Tags,
		MediaIDs:       mediaIDs,
		IdempotencyKey: strings.TrimSpace(p.IdempotencyKey),
		Request:        request,
		Events:         events,
		Jobs:           later,
		Poll:           poll,
		ScheduledID:    p.scheduledID,
	})
	if errors.Is(err, storage.ErrMediaNotAttachable) {
		return nil, herr.Unprocessable("Validation failed: Media attachments are invalid")
	}
	if p.scheduledID != 0 && errors.Is(err, storage.ErrNotFound) {
		return nil, herr.NotFound("scheduled status")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if !existed {
		if len(later) > 0 {
			s.Jobs.Wake(JobMediaCard)
		}
		s.kick()
		s.statusReleased(ctx, created)
		s.quoteCreated(ctx, created)
	}
	return created, nil
}

// statusReleased tells who should hear of a new status, once it is shown
// (a held reply: when it is approved).
func (s *Service) statusReleased(ctx context.Context, st *model.Status) {
	if st.PendingApproval {
		return
	}
	if st.Local {
		s.webhookEvent(ctx, EventStatusCreated, st.ID) // Mastodon's status.created is for local posts
	}
	s.recordConversation(ctx, st)
	s.notify(ChangeStatusCreated, st.AccountID, st.ID)
	for _, m := range st.MentionIDs {
		s.notify(ChangeNotification, m, st.ID)
	}
}

// newPostPolicy is the policy of a new post: what was asked for, on the
// author's default for the visibility.
func (s *Service) newPostPolicy(ctx context.Context, authorID int64, vis model.Visibility, asked PolicyChoice) (model.InteractionPolicy, error) {
	base, err := s.defaultInteractionPolicy(ctx, authorID, vis)
	if err != nil || asked == nil {
		return base, err
	}
	return asked.onto(base)
}

// Status returns a status the caller may see.
func (s *Service) Status(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, _, err := s.visibleStatus(ctx, c.AccountID(), statusID)
	if err == nil && st.Visibility == model.Direct && !c.seesDirect() {
		return nil, herr.NotFound("status")
	}
	return st, err
}

// Statuses returns those of ids the caller may see, in the order asked,
// as a view ready to render.
func (s *Service) Statuses(ctx context.Context, c *Caller, ids []int64) (*StatusView, error) {
	m, err := s.store.StatusesByIDs(ctx, ids)
	if err != nil {
		return nil, herr.Internal(err)
	}
	var sts []*model.Status
	seen := map[int64]bool{}
	for _, id := range ids {
		if st, ok := m[id]; ok && !seen[id] && (st.Visibility != model.Direct || c.seesDirect()) {
			seen[id] = true
			sts = append(sts, st)
		}
	}
	return s.View(ctx, c.AccountID(), sts, ViewOptions{})
}

// StatusSource returns the caller's own status for editing (its source
// text); another account's status, even a visible one, is not found: the
// source is the author's draft, not part of what was published.
func (s *Service) StatusSource(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	return s.ownStatus(ctx, c, statusID)
}

// ownStatus loads one of the caller's statuses, 404 otherwise.
func (s *Service) ownStatus(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	st, err := s.store.StatusByID(ctx, statusID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && st.AccountID != c.Account.ID) {
		return nil, herr.NotFound("status")
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	return st, nil
}

func statusPayload(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// DeleteStatus deletes one of the caller's statuses and returns it as it
// was (with its source text), its attachments deleted with it.
func (s *Service) DeleteStatus(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, err := s.ownStatus(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	if err := c.mayAct(postPermission(st.Visibility)); err != nil {
		return nil, err
	}
	if err := s.removeStatus(ctx, st, false); err != nil {
		return nil, err
	}
	return st, nil
}

// DeleteForRedraft is Mastodon's DELETE /api/v1/statuses/:id: it deletes
// one of the caller's statuses and returns it as it was, with its source
// text, attachments and poll, rendered before it went, for "delete and
// redraft". Unless deleteMedia, the attachments stay as unattached
// uploads for about a day, so that the new post may reuse their ids.
func (s *Service) DeleteForRedraft(ctx context.Context, c *Caller, statusID int64, deleteMedia bool) (*model.Status, *StatusView, error) {
	st, err := s.ownStatus(ctx, c, statusID)
	if err != nil {
		return nil, nil, err
	}
	if err := c.mayAct(postPermission(st.Visibility)); err != nil {
		return nil, nil, err
	}
	v, err := s.View(ctx, c.Account.ID, []*model.Status{st}, ViewOptions{})
	if err != nil {
		return nil, nil, err
	}
	if err := s.removeStatus(ctx, st, !deleteMedia && st.ReblogOfID == 0); err != nil {
		return nil, nil, err
	}
	return st, v, nil
}

// removeStatus deletes a status, by its author or by a moderator: a local
// one federates its Delete (or the Undo of a boost) in the same
// transaction, a remote one is only removed here; its attachments' files
// go at once, unless keep leaves them unattached for a redraft.
func (s *Service) removeStatus(ctx context.Context, st *model.Status, keep bool) error {
	var events []model.OutboxEvent
	if st.Local {
		if st.ReblogOfID != 0 {
			orig, err := s.store.StatusByID(ctx, st.ReblogOfID)
			if err != nil {
				return herr.Internal(err)
			}
			events = append(events, unreblogEvent(st.AccountID, st, orig))
		} else {
			events = append(events, model.OutboxEvent{Kind: model.EventStatusDelete, AccountID: st.AccountID, ObjectID: st.ID,
				Payload: statusPayload(map[string]any{"uri": st.URI, "mentions": nonNil(st.MentionIDs), "visibility": int(st.Visibility)})})
		}
	}
	attached, err := s.store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil {
		return herr.Internal(err)
	}
	remove := s.store.DeleteStatus
	if keep {
		remove = s.store.RedraftStatus
	}
	if err := remove(ctx, st.ID, events); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return herr.NotFound("status")
		}
		return herr.Internal(err)
	}
	if !keep {
		s.releaseFiles(ctx, mediaKeys(attached[st.ID])...) // its attachments' files, at once
	}
	if len(events) > 0 {
		s.kick()
	}
	s.notify(ChangeStatusDeleted, st.AccountID, st.ID)
	return nil
}

func nonNil(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

func unreblogEvent(accountID int64, boost, orig *model.Status) model.OutboxEvent {
	return model.OutboxEvent{Kind: model.EventUnreblog, AccountID: accountID, ObjectID: boost.ID,
		Payload: statusPayload(map[string]any{"uri": boost.URI, "original_uri": orig.URI, "author_id": orig.AccountID})}
}

// EditParams is PUT /api/v1/statuses/:id.
type EditParams struct {
	Text        string
	SpoilerText *string
	Sensitive   *bool
	Language    *string
	MediaIDs    []string
	// MediaAttributes change the alt text and focus of attachments among
	// MediaIDs (Mastodon's media_attributes[]); others are ignored, as
	// Mastodon does.
	MediaAttributes []MediaAttributeParams
	// Poll is the status's poll after the edit; nil removes it, as
	// Mastodon (its clients send the poll again with every edit). New
	// options or a change of multiple reset the votes.
	Poll *PollParams
	// InteractionPolicy changes the post's policy, for the kinds it names.
	InteractionPolicy PolicyChoice
}

// MediaAttributeParams is one entry of media_attributes[]; nil fields stay.
type MediaAttributeParams struct {
	ID          string
	Description *string
	Focus       *string
}

// EditStatus edits one of the caller's statuses: its text, spoiler,
// sensitivity, language, attachments (with their alt text and focus),
// poll and interaction policy. The version it replaces, attachments and
// poll included, goes to the edit history; those who boosted it, voted in
// its poll or quoted it are told; it federates as an Update. A quote is
// kept as it is: Mastodon 4.5 does not change quotes in edits.
func (s *Service) EditStatus(ctx context.Context, c *Caller, statusID int64, p EditParams) (*model.Status, error) {
	st, err := s.ownStatus(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	if err := c.mayAct(postPermission(st.Visibility)); err != nil {
		return nil, err
	}
	if st.ReblogOfID != 0 {
		return nil, herr.NotFound("status")
	}
	// As Mastodon: media_ids is the new set of attachments (none when absent).
	mediaIDs, err := s.checkStatusMedia(ctx, c, p.MediaIDs, st.ID)
	if err != nil {
		return nil, err
	}
	attrs, err := mediaAttributes(p.MediaAttributes, mediaIDs)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Text) == "" && len(mediaIDs) == 0 {
		return nil, herr.Unprocessable("Validation failed: Text can't be blank")
	}
	spoiler := st.SpoilerText
	if p.SpoilerText != nil {
		spoiler = strings.TrimSpace(*p.SpoilerText)
	}
	if err := s.checkLength(p.Text, spoiler); err != nil {
		return nil, err
	}
	edit := storage.LocalEdit{Status: st, MediaIDs: mediaIDs, MediaAttributes: attrs, SetPoll: true}
	polls, err := s.store.PollsOf(ctx, []int64{st.ID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	old := polls[st.ID]
	if p.Poll != nil {
		if len(mediaIDs) > 0 {
			return nil, herr.Unprocessable("Validation failed: A post with a poll cannot have media attachments")
		}
		poll, err := s.newPoll(p.Poll, s.Now())
		if err != nil {
			return nil, err
		}
		edit.Poll = poll
		edit.ResetVotes = old == nil || !slices.Equal(old.Options, poll.Options) || old.Multiple != poll.Multiple
		if s.Jobs != nil {
			edit.Jobs = append(edit.Jobs, pollExpireJob(st.ID, *poll.ExpiresAt))
		}
	} else if old == nil {
		edit.SetPoll = false
	}
	if p.Sensitive != nil {
		st.Sensitive = *p.Sensitive
	}
	if spoiler != "" {
		st.Sensitive = true
	}
	if forced, err := s.sensitized(ctx, st.AccountID); err != nil {
		return nil, err
	} else if forced {
		st.Sensitive = true
	}
	if p.Language != nil {
		st.Language = strings.TrimSpace(*p.Language)
	}
	if p.InteractionPolicy != nil {
		changed, err := p.InteractionPolicy.onto(effectivePolicy(st))
		if err != nil {
			return nil, err
		}
		st.Policy = &changed
	}
	r := s.renderLocal(ctx, p.Text)
	now := time.Now().UTC()
	st.Text, st.SpoilerText, st.Content, st.EditedAt = p.Text, spoiler, r.HTML, &now
	edit.Tags = r.Tags
	edit.Events = []model.OutboxEvent{{Kind: model.EventStatusUpdate, AccountID: c.Account.ID, ObjectID: st.ID}}
	before, err := s.store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	if err := s.store.EditLocalStatus(ctx, edit); err != nil {
		if errors.Is(err, storage.ErrMediaNotAttachable) {
			return nil, herr.Unprocessable("Validation failed: Media attachments are invalid")
		}
		return nil, herr.Internal(err)
	}
	// The files of the attachments the edit removed (the rows are deleted;
	// those kept are still named and stay).
	s.releaseFiles(ctx, mediaKeys(before[st.ID])...)
	if len(edit.Jobs) > 0 {
		s.Jobs.Wake(JobPollExpire)
	}
	s.kick()
	s.webhookEvent(ctx, EventStatusUpdated, st.ID)
	s.notify(ChangeStatusEdited, c.Account.ID, st.ID)
	return s.store.StatusByID(ctx, st.ID)
}

// mediaAttributes validates media_attributes[] against the attachments
// the edit keeps (Mastodon ignores entries for others).
func mediaAttributes(in []MediaAttributeParams, mediaIDs []int64) ([]storage.MediaAttributes, error) {
	var out []storage.MediaAttributes
	for _, a := range in {
		mid, err := strconv.ParseInt(strings.TrimSpace(a.ID), 10, 64)
		if err != nil || !slices.Contains(mediaIDs, mid) {
			continue
		}
		m := storage.MediaAttributes{ID: mid}
		if a.Description != nil {
			d, err := parseDescription(a.Description)
			if err != nil {
				return nil, err
			}
			m.Description = &d
		}
		if a.Focus != nil && strings.TrimSpace(*a.Focus) != "" {
			x, y, err := parseFocus(*a.Focus)
			if err != nil {
				return nil, err
			}
			m.Focus = &[2]float64{x, y}
		}
		out = append(out, m)
	}
	return out, nil
}

// StatusVersion is one entry of a status's edit history.
type StatusVersion struct {
	Content     string
	SpoilerText string
	Sensitive   bool
	CreatedAt   time.Time
	// Media are the version's attachments with the alt text and focus
	// they had then (Attachments holds the rows still stored, by id);
	// Poll its poll's options, nil for none.
	Media []storage.EditMedia
	Poll  *storage.EditPoll
}

// StatusHistory is a status's versions, oldest first, the current one
// last, with the attachments they name (those edits removed included).
type StatusHistory struct {
	Status      *model.Status
	Versions    []StatusVersion
	Attachments map[int64]*model.MediaAttachment
}

// History returns a visible status's versions, oldest first, the current
// one last.
func (s *Service) History(ctx context.Context, c *Caller, statusID int64) (*StatusHistory, error) {
	st, _, err := s.visibleStatus(ctx, c.AccountID(), statusID)
	if err != nil {
		return nil, err
	}
	if st.Visibility == model.Direct && !c.seesDirect() {
		return nil, herr.NotFound("status")
	}
	edits, err := s.store.StatusEdits(ctx, st.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	media, err := s.store.MediaOfStatuses(ctx, []int64{st.ID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	polls, err := s.store.PollsOf(ctx, []int64{st.ID})
	if err != nil {
		return nil, herr.Internal(err)
	}
	// Attachments an edit removed stay for the versions that had them.
	removed, err := s.store.MediaHistoryOf(ctx, st.ID)
	if err != nil {
		return nil, herr.Internal(err)
	}
	h := &StatusHistory{Status: st, Attachments: map[int64]*model.MediaAttachment{}}
	for _, m := range removed {
		h.Attachments[m.ID] = m
	}
	for _, e := range edits {
		h.Versions = append(h.Versions, StatusVersion{Content: e.Content, SpoilerText: e.SpoilerText, Sensitive: e.Sensitive,
			CreatedAt: e.CreatedAt, Media: e.Media, Poll: e.Poll})
	}
	at := st.CreatedAt
	if st.EditedAt != nil {
		at = *st.EditedAt
	}
	cur := StatusVersion{Content: st.Content, SpoilerText: st.SpoilerText, Sensitive: st.Sensitive, CreatedAt: at}
	for _, m := range media[st.ID] {
		h.Attachments[m.ID] = m
		cur.Media = append(cur.Media, storage.EditMedia{ID: m.ID, Description: m.Description, FocusX: m.FocusX, FocusY: m.FocusY})
	}
	if p := polls[st.ID]; p != nil {
		cur.Poll = &storage.EditPoll{Options: p.Options, Multiple: p.Multiple}
	}
	h.Versions = append(h.Versions, cur)
	return h, nil
}

// StatusContext is a thread around a status.
type StatusContext struct {
	View        *StatusView
	Ancestors   []*model.Status // oldest first
	Descendants []*model.Status
}

// Context returns a visible status's ancestors (up to 40) and descendants
// (up to 60, breadth-first), keeping only what the caller may see.
func (s *Service) Context(ctx context.Context, c *Caller, statusID int64) (*StatusContext, error) {
	st, _, err := s.visibleStatus(ctx, c.AccountID(), statusID)
	if err != nil {
		return nil, err
	}
	anc, err := s.store.Ancestors(ctx, st.ID, MaxAncestors)
	if err != nil {
		return nil, herr.Internal(err)
	}
	desc, err := s.store.Descendants(ctx, st.ID, MaxDescendants)
	if err != nil {
		return nil, herr.Internal(err)
	}
	for i, j := 0, len(anc)-1; i < j; i, j = i+1, j-1 {
		anc[i], anc[j] = anc[j], anc[i]
	}
	all := append(append([]*model.Status{}, anc...), desc...)
	v, err := s.View(ctx, c.AccountID(), all, ViewOptions{HideMuted: true, Context: "thread"})
	if err != nil {
		return nil, err
	}
	visible := map[int64]bool{}
	for _, x := range v.Statuses {
		visible[x.ID] = true
	}
	out := &StatusContext{View: v, Ancestors: []*model.Status{}, Descendants: []*model.Status{}}
	for _, x := range anc {
		if visible[x.ID] {
			out.Ancestors = append(out.Ancestors, x)
		}
	}
	for _, x := range desc {
		if visible[x.ID] {
			out.Descendants = append(out.Descendants, x)
		}
	}
	return out, nil
}

// interactable loads a status the caller may act on: visible, and the
// original when it is a boost (favouriting a boost favourites the post).
// A member acting for the account needs the permission to interact
// (write:statuses covers boosts and posts alike).
func (s *Service) interactable(ctx context.Context, c *Caller, statusID int64) (*model.Status, *model.Account, error) {
	if err := s.requireUser(c); err != nil {
		return nil, nil, err
	}
	if err := c.mayAct(DelegationInteract); err != nil {
		return nil, nil, err
	}
	st, author, err := s.visibleStatus(ctx, c.Account.ID, statusID)
	if err != nil {
		return nil, nil, err
	}
	if st.ReblogOfID != 0 {
		return s.visibleStatus(ctx, c.Account.ID, st.ReblogOfID)
	}
	return st, author, nil
}

// Favourite favourites a status (idempotent) and returns it. When the
// author of a local post must approve, the favourite waits as a request.
func (s *Service) Favourite(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, author, err := s.interactable(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	d, err := s.decide(ctx, model.InteractFavourite, st, c.Account)
	if err != nil {
		return nil, err
	}
	if d.Approval == Denied {
		return nil, deniedMessage(model.InteractFavourite)
	}
	if d.Approval == NeedsApproval && author.Local() {
		return st, s.requestLocalInteraction(ctx, c, model.InteractFavourite, st)
	}
	// A remote author's server decides on the Like it receives (it goes
	// to that author alone), so it is sent whatever the policy asks.
	var events []model.OutboxEvent
	uri := ""
	if !author.Local() {
		uri = s.LocalActorURI(c.Account.Username) + "#likes/" + strconv.FormatInt(id.New(), 10)
		events = append(events, model.OutboxEvent{Kind: model.EventFavourite, AccountID: c.Account.ID, ObjectID: st.ID,
			Payload: statusPayload(map[string]any{"status_uri": st.URI, "author_id": st.AccountID, "uri": uri})})
	}
	if !author.Local() && (d.Approval == NeedsApproval || d.ByRelation) {
		// It waits for the author's Accept (or only their server can
		// vouch for it), as a reply or boost does: not counted, not
		// shown as favourited until then (FavouriteAnswerReceived).
		if err := s.store.PendingFavourite(ctx, c.Account.ID, st.ID, uri, events); err != nil {
			return nil, statusStoreErr(err)
		}
		s.kick()
		return s.reload(ctx, st.ID)
	}
	if err := s.store.Favourite(ctx, c.Account.ID, st.ID, uri, events); err != nil {
		return nil, statusStoreErr(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	s.notify(ChangeNotification, st.AccountID, st.ID)
	return s.reload(ctx, st.ID)
}

// Unfavourite removes a favourite (idempotent) and returns the status.
func (s *Service) Unfavourite(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, author, err := s.interactable(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	var events []model.OutboxEvent
	if !author.Local() {
		likeURI, _ := s.store.FavouriteURI(ctx, c.Account.ID, st.ID) // the Like to undo
		events = append(events, model.OutboxEvent{Kind: model.EventUnfavourite, AccountID: c.Account.ID, ObjectID: st.ID,
			Payload: statusPayload(map[string]any{"status_uri": st.URI, "author_id": st.AccountID, "uri": likeURI})})
	}
	if err := s.store.Unfavourite(ctx, c.Account.ID, st.ID, events); err != nil {
		return nil, statusStoreErr(err)
	}
	if len(events) > 0 {
		s.kick()
	}
	return s.reload(ctx, st.ID)
}

func (s *Service) reload(ctx context.Context, statusID int64) (*model.Status, error) {
	st, err := s.store.StatusByID(ctx, statusID)
	if err != nil {
		return nil, statusStoreErr(err)
	}
	return st, nil
}

func statusStoreErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return herr.NotFound("status")
	}
	return herr.Internal(err)
}

// Reblog boosts a status (idempotent) and returns the boost; when the
// author of a local post must approve, the boost waits as a request and
// the post is returned.
func (s *Service) Reblog(ctx context.Context, c *Caller, statusID int64, visibility string) (*model.Status, error) {
	st, author, err := s.interactable(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	own := st.AccountID == c.Account.ID
	if st.Visibility == model.Direct || (st.Visibility == model.Private && !own) {
		return nil, herr.Unprocessable("Validation failed: Reblog of status is not permitted")
	}
	d, err := s.decide(ctx, model.InteractReblog, st, c.Account)
	if err != nil {
		return nil, err
	}
	switch {
	case d.Approval == Denied:
		return nil, deniedMessage(model.InteractReblog)
	case d.Approval == NeedsApproval && author.Local():
		return st, s.requestLocalInteraction(ctx, c, model.InteractReblog, st)
	}
	// A boost of a remote post that needs its author's approval (or that
	// only their server can vouch for) goes to that author alone and
	// waits for their Accept, as a reply does.
	pending := !author.Local() && (d.Approval == NeedsApproval || d.ByRelation)
	vis := model.Public
	if visibility != "" {
		v, ok := model.ParseVisibility(visibility)
		if !ok || v == model.Direct {
			return nil, herr.Unprocessable("Validation failed: Visibility is not included in the list")
		}
		vis = v
	}
	if st.Visibility == model.Private {
		vis = model.Private
	}
	boost := &model.Status{ID: id.New(), AccountID: c.Account.ID, Local: true, ReblogOfID: st.ID,
		Visibility: vis, AppID: c.Token.AppID, PendingApproval: pending}
	boost.CreatedAt = id.Time(boost.ID).UTC()
	boost.URI = s.LocalStatusURI(c.Account.Username, strconv.FormatInt(boost.ID, 10)) + "/activity"
	ev := model.OutboxEvent{Kind: model.EventReblog, AccountID: c.Account.ID, ObjectID: boost.ID}
	out, err := s.store.Reblog(ctx, boost, []model.OutboxEvent{ev})
	if err != nil {
		return nil, statusStoreErr(err)
	}
	if out.ID == boost.ID {
		s.kick()
		if !out.PendingApproval {
			s.webhookEvent(ctx, EventStatusCreated, out.ID)
			s.notify(ChangeStatusCreated, c.Account.ID, out.ID)
			s.notify(ChangeNotification, st.AccountID, st.ID)
		}
	}
	return out, nil
}

// Unreblog removes the caller's boost (idempotent) and returns the original.
func (s *Service) Unreblog(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, _, err := s.interactable(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	boost, err := s.store.ReblogOf(ctx, c.Account.ID, st.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return nil, herr.Internal(err)
	}
	if err := s.store.DeleteStatus(ctx, boost.ID, []model.OutboxEvent{unreblogEvent(c.Account.ID, boost, st)}); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, herr.Internal(err)
	}
	s.kick()
	s.notify(ChangeStatusDeleted, c.Account.ID, boost.ID)
	return s.reload(ctx, st.ID)
}

// Bookmark bookmarks a visible status (idempotent).
func (s *Service) Bookmark(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, _, err := s.interactable(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	if err := s.store.Bookmark(ctx, c.Account.ID, st.ID); err != nil {
		return nil, statusStoreErr(err)
	}
	return st, nil
}

// Unbookmark removes a bookmark (idempotent).
func (s *Service) Unbookmark(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, _, err := s.interactable(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	if err := s.store.Unbookmark(ctx, c.Account.ID, st.ID); err != nil {
		return nil, statusStoreErr(err)
	}
	return st, nil
}

// Pin features one of the caller's statuses on their profile, with
// Mastodon's rules (StatusPinValidator): any visible status may be asked
// for, but only the caller's own, not a boost, not a direct post (public,
// unlisted and private ones may be pinned, since Mastodon 3.5), at most
// storage.MaxPins; each refusal is a 422 with Mastodon's message.
func (s *Service) Pin(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	if err := s.requireUser(c); err != nil {
		return nil, err
	}
	st, _, err := s.visibleStatus(ctx, c.Account.ID, statusID)
	if err != nil {
		return nil, err
	}
	if st.Visibility == model.Direct && !c.seesDirect() {
		return nil, herr.NotFound("status")
	}
	switch {
	case st.ReblogOfID != 0:
		return nil, herr.Unprocessable("Validation failed: A boost cannot be pinned")
	case st.AccountID != c.Account.ID:
		return nil, herr.Unprocessable("Validation failed: Someone else's post cannot be pinned")
	case st.Visibility == model.Direct:
		return nil, herr.Unprocessable("Validation failed: Posts that are only visible to mentioned users cannot be pinned")
	}
	ev := model.OutboxEvent{Kind: model.EventPin, AccountID: c.Account.ID, ObjectID: st.ID}
	if err := s.store.Pin(ctx, c.Account.ID, st.ID, []model.OutboxEvent{ev}); err != nil {
		if errors.Is(err, storage.ErrPinLimit) {
			return nil, herr.Unprocessable("Validation failed: You have already pinned the maximum number of posts")
		}
		return nil, statusStoreErr(err)
	}
	s.kick()
	return st, nil
}

// Unpin removes a pin (idempotent).
func (s *Service) Unpin(ctx context.Context, c *Caller, statusID int64) (*model.Status, error) {
	st, err := s.ownStatus(ctx, c, statusID)
	if err != nil {
		return nil, err
	}
	ev := model.OutboxEvent{Kind: model.EventUnpin, AccountID: c.Account.ID, ObjectID: st.ID}
	if err := s.store.Unpin(ctx, c.Account.ID, st.ID, []model.OutboxEvent{ev}); err != nil {
		return nil, statusStoreErr(err)
	}
	s.kick()
	return st, nil
}

// FavouritedBy pages through the accounts that favourited a visible
// status; cursors are favourite ids.
func (s *Service) FavouritedBy(ctx context.Context, c *Caller, statusID int64, p model.Page) (ids, cursors []int64, err error) {
	st, _, err := s.visibleStatus(ctx, c.AccountID(), statusID)
	if err != nil {
		return nil, nil, err
	}
	ids, cursors, err = s.store.FavouritedBy(ctx, st.ID, p)
	if err != nil {
		return nil, nil, herr.Internal(err)
	}
	return ids, cursors, nil
}

// RebloggedBy pages through the accounts that boosted a visible status.
func (s *Service) RebloggedBy(ctx context.Context, c *Caller, statusID int64, p model.Page) (ids, cursors []int64, err error) {
	st, _, err := s.visibleStatus(ctx, c.AccountID(), statusID)
	if err != nil {
		return nil, nil, err
	}
	ids, cursors, err = s.store.RebloggedBy(ctx, st.ID, p)
	if err != nil {
		return nil, nil, herr.Internal(err)
	}
	return ids, cursors, nil
}
