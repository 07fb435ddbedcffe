package core

// ChangeKind is a kind of change core announces (Service.Notify) to the
// surfaces that push changes out: the streaming API turns each into its own
// events (their names are its wire format, not core's), and the push worker
// wakes on notifications.
type ChangeKind int

const (
	// ChangeStatusCreated: a status or a boost was posted (account: its
	// author, object: the status).
	ChangeStatusCreated ChangeKind = iota + 1
	// ChangeStatusEdited: a status changed, by an edit or when its preview
	// card arrived (account: its author, object: the status).
	ChangeStatusEdited
	// ChangeStatusDeleted: a status or a boost was deleted (account: its
	// author, object: the status).
	ChangeStatusDeleted
	// ChangeNotification: an account was notified (account: the
	// recipient, object: the status concerned, or 0).
	ChangeNotification
	// ChangeConversation: a direct status entered a conversation (account:
	// a local participant, object: the conversation).
	ChangeConversation
	// ChangeFilters: an account's filters changed (account).
	ChangeFilters
	// ChangeDomainPolicy: domain blocks or allows, or limited federation,
	// changed; every process drops its cached rules (DropCaches).
	ChangeDomainPolicy
	// ChangeEmojis: custom emoji changed; every process drops its cached
	// emoji (DropCaches).
	ChangeEmojis
	// ChangeAnnouncement: an announcement was published or changed while
	// published (object: the announcement).
	ChangeAnnouncement
	// ChangeAnnouncementDeleted: a published announcement was deleted or
	// unpublished (object: the announcement).
	ChangeAnnouncementDeleted
)

// Several processes on one database (PostgreSQL) hear each other's
// changes: the server forwards every hint to the others, which stream it
// to their own clients and drop the caches it names (DropCaches).

// DropCaches forgets what this process cached of a change made by another
// process (kind ChangeDomainPolicy or ChangeEmojis); with kind 0, every
// such cache (hints may have been missed). It tells nobody.
func (s *Service) DropCaches(kind ChangeKind) {
	if kind == 0 || kind == ChangeDomainPolicy {
		pc := s.AdminService.policyCache()
		pc.mu.Lock()
		pc.rules = nil
		pc.mu.Unlock()
	}
	if kind == 0 || kind == ChangeEmojis {
		st := s.MediaService.mediaSt()
		st.emojiMu.Lock()
		clear(st.emojis)
		st.emojiMu.Unlock()
	}
}

var changeNames = map[ChangeKind]string{
	ChangeStatusCreated: "status created", ChangeStatusEdited: "status edited", ChangeStatusDeleted: "status deleted",
	ChangeNotification: "notification", ChangeConversation: "conversation", ChangeFilters: "filters",
	ChangeDomainPolicy: "domain policy", ChangeEmojis: "emojis",
	ChangeAnnouncement: "announcement", ChangeAnnouncementDeleted: "announcement deleted",
}

// Cached reports whether the kind tells of a change to what processes
// cache (DropCaches) rather than of something to stream.
func (k ChangeKind) Cached() bool { return k == ChangeDomainPolicy || k == ChangeEmojis }

// String names the kind for logs.
func (k ChangeKind) String() string {
	if n, ok := changeNames[k]; ok {
		return n
	}
	return "unknown change"
}
