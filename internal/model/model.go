// Package model holds the plain records Herald stores and passes between its
// layers: no behaviour beyond small helpers, no SQL, no JSON for the wire.
// The client API (api/) and ActivityPub (activitypub/) each convert these to
// their own shapes.
package model

import "time"

// Visibility of a status, in Mastodon's order from widest to narrowest.
type Visibility int

const (
	Public Visibility = iota
	Unlisted
	Private // followers only
	Direct
)

func (v Visibility) String() string {
	switch v {
	case Public:
		return "public"
	case Unlisted:
		return "unlisted"
	case Private:
		return "private"
	case Direct:
		return "direct"
	}
	return "public"
}

// ParseVisibility reads Mastodon's visibility names.
func ParseVisibility(s string) (Visibility, bool) {
	switch s {
	case "public":
		return Public, true
	case "unlisted":
		return Unlisted, true
	case "private":
		return Private, true
	case "direct":
		return Direct, true
	}
	return Public, false
}

// Roles, from most to least powerful.
const (
	RoleOwner     = "owner"
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleUser      = "user"
)

// ValidRole reports whether r is one of the built-in roles.
func ValidRole(r string) bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleModerator, RoleUser:
		return true
	}
	return false
}

type Field struct {
	Name       string     `json:"name"`
	Value      string     `json:"value"`         // HTML
	Raw        string     `json:"raw,omitempty"` // the text the user typed (local accounts)
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

// Account is a local or remote actor. Local accounts have Domain == "".
type Account struct {
	ID             int64
	Username       string
	Domain         string
	DisplayName    string
	Note           string // HTML
	NoteSource     string
	Fields         []Field
	Locked         bool
	Bot            bool
	Discoverable   bool
	ActorType      string
	URI            string
	URL            string
	InboxURL       string
	SharedInboxURL string
	OutboxURL      string
	FollowersURL   string
	FollowingURL   string
	FeaturedURL    string
	KeyID          string
	PublicKeyPEM   string
	PrivateKeyPEM  string
	AvatarURL      string
	HeaderURL      string
	StatusesCount  int64
	FollowersCount int64
	FollowingCount int64
	LastStatusAt   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FetchedAt      *time.Time
	SuspendedAt    *time.Time
	SilencedAt     *time.Time
	GoneAt         *time.Time
	MovedToID      int64
	// HideCollections: the followers and following lists are shown to
	// the account alone (Mastodon's hide_collections); totals stay.
	HideCollections bool
	// AttributionDomains are the sites that may credit the account as an
	// article's author (Mastodon's attribution_domains).
	AttributionDomains []string
}

func (a *Account) Local() bool { return a.Domain == "" }

// Acct is username for local accounts and username@domain for remote ones.
func (a *Account) Acct() string {
	if a.Domain == "" {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// User is a local person who signs in.
type User struct {
	ID                int64
	AccountID         int64
	Email             string
	PasswordHash      string
	Role              string
	Approved          bool
	ConfirmedAt       *time.Time
	Disabled          bool
	Locale            string
	DefaultVisibility string
	DefaultSensitive  bool
	DefaultLanguage   string
	CreatedAt         time.Time
	LastSignInAt      *time.Time
}

type App struct {
	ID           int64
	Name         string
	Website      string
	RedirectURIs []string
	Scopes       string
	ClientID     string
	ClientSecret string
	CreatedAt    time.Time
}

// Token is an OAuth access token. UserID == 0 for app-only tokens.
type Token struct {
	ID        int64
	AppID     int64
	UserID    int64
	Scopes    string
	CreatedAt time.Time
	// DelegateID, when not 0, is the member (a local user) who acts
	// through this token for UserID's account (a delegation).
	DelegateID int64
}

type AuthCode struct {
	CodeHash            []byte
	AppID               int64
	UserID              int64
	RedirectURI         string
	Scopes              string
	CodeChallenge       string
	CodeChallengeMethod string
	ExpiresAt           time.Time
	// DelegateID: the member who consented for UserID's account (0: the
	// user for themselves).
	DelegateID int64
}

// Status is a post, or a boost when ReblogOfID != 0.
type Status struct {
	ID                 int64
	URI                string
	URL                string
	AccountID          int64
	Local              bool
	InReplyToID        int64
	InReplyToAccountID int64
	InReplyToURI       string
	ReblogOfID         int64
	Content            string // HTML
	Text               string // source
	SpoilerText        string
	Sensitive          bool
	Visibility         Visibility
	Language           string
	AppID              int64
	RepliesCount       int64
	ReblogsCount       int64
	FavouritesCount    int64
	CreatedAt          time.Time
	EditedAt           *time.Time
	// Policy says who may reply, boost, favourite and quote; nil when the
	// post declares none (model.OpenInteractionPolicy applies).
	Policy *InteractionPolicy
	// PendingApproval: a reply (or boost) waiting for the approval of the
	// author it answers; only its own author sees it meanwhile.
	PendingApproval bool
	// ApprovedBy is the Accept by which a remote author approved this
	// interaction, and Authorization the authorization object it named
	// (GoToSocial's approvedBy and replyAuthorization); "" otherwise.
	ApprovedBy    string
	Authorization string
	// A quote post (Mastodon 4.5, FEP-044f): QuoteURI is the quoted
	// post's id ("" for no quote), QuoteOfID the quoted status here (0
	// when unknown or deleted), QuoteState whether its author allowed it
	// (model.Quote*), QuoteAuthorization the QuoteAuthorization that
	// proves it.
	QuoteOfID          int64
	QuoteURI           string
	QuoteState         string
	QuoteAuthorization string
	// QuotesCount counts the accepted quotes of this status (read only).
	QuotesCount int64

	// Filled by the store on reads, not columns of statuses.
	MentionIDs []int64
	Tags       []string
}

type Follow struct {
	ID          int64
	AccountID   int64
	TargetID    int64
	URI         string
	ShowReblogs bool
	Notify      bool
	CreatedAt   time.Time
}

// Notification types, as Mastodon names them.
const (
	NotifyMention       = "mention"
	NotifyStatus        = "status"
	NotifyReblog        = "reblog"
	NotifyFollow        = "follow"
	NotifyFollowRequest = "follow_request"
	NotifyFavourite     = "favourite"
	NotifyUpdate        = "update"
	NotifyQuote         = "quote" // someone quoted your post (Mastodon 4.5)
	// NotifyQuotedUpdate: a post you quoted was edited; the notification's
	// status is your quote post (Mastodon 4.5).
	NotifyQuotedUpdate = "quoted_update"
)

// Quote states, as Mastodon's Quote entity names them.
const (
	QuotePending  = "pending"  // waiting for the quoted author's approval
	QuoteAccepted = "accepted" // approved (or a self-quote)
	QuoteRejected = "rejected" // refused by the quoted author
	QuoteRevoked  = "revoked"  // approved, then withdrawn by the quoted author
)

type Notification struct {
	ID            int64
	AccountID     int64
	FromAccountID int64
	Type          string
	StatusID      int64
	ReportID      int64 // admin.report
	WarningID     int64 // moderation_warning
	CreatedAt     time.Time
}

// Relationship is what one account is to another, from the first's side.
type Relationship struct {
	TargetID            int64
	Following           bool
	ShowingReblogs      bool
	Notifying           bool
	FollowedBy          bool
	Blocking            bool
	BlockedBy           bool
	Muting              bool
	MutingNotifications bool
	Requested           bool
	RequestedBy         bool
	DomainBlocking      bool
	Endorsed            bool
	Note                string
}

// Page is a keyset pagination window on time-sortable IDs, as Mastodon's
// max_id / since_id / min_id / limit.
type Page struct {
	MaxID   int64 // exclusive upper bound; 0: none
	SinceID int64 // exclusive lower bound, newest first
	MinID   int64 // exclusive lower bound, oldest first (then reversed)
	Limit   int
}

// OutboxEvent records local activity to federate: a job of kind "federate" (storage.EventJob).
type OutboxEvent struct {
	ID        int64
	Kind      string
	AccountID int64
	ObjectID  int64
	Payload   string
	CreatedAt time.Time
}

// Outbox event kinds.
const (
	EventStatusCreate  = "status.create"
	EventStatusUpdate  = "status.update"
	EventStatusDelete  = "status.delete"
	EventFavourite     = "favourite"
	EventUnfavourite   = "unfavourite"
	EventReblog        = "reblog"
	EventUnreblog      = "unreblog"
	EventFollow        = "follow"
	EventUnfollow      = "unfollow"
	EventFollowAccept  = "follow.accept"
	EventFollowReject  = "follow.reject"
	EventBlock         = "block"
	EventUnblock       = "unblock"
	EventAccountUpdate = "account.update"
	EventAccountDelete = "account.delete"
	EventAccountMove   = "account.move" // ObjectID: the account moved to
	EventPin           = "pin"
	EventUnpin         = "unpin"
	EventReportForward = "report.forward" // AccountID 0 (instance actor), ObjectID the report, Payload {"target_id","status_uris","comment"}
	// The answer of a local author to a remote interaction with their post
	// (ObjectID: the interaction request).
	EventInteractionAccept = "interaction.accept"
	EventInteractionReject = "interaction.reject"
	// A local quote of a remote post asks its author (QuoteRequest;
	// ObjectID: the quoting status); a local author's revocation of a
	// remote quote deletes its QuoteAuthorization (ObjectID: the request).
	EventQuoteRequest = "quote.request"
	EventQuoteRevoke  = "quote.revoke"
)

type List struct {
	ID            int64
	AccountID     int64
	Title         string
	RepliesPolicy string
	Exclusive     bool
}

type Filter struct {
	ID        int64
	AccountID int64
	Title     string
	Context   []string
	Action    string
	ExpiresAt *time.Time
	Keywords  []FilterKeyword
	Statuses  []FilterStatus
}

type FilterKeyword struct {
	ID        int64
	FilterID  int64
	Keyword   string
	WholeWord bool
}

type FilterStatus struct {
	ID       int64
	FilterID int64
	StatusID int64
}

type Marker struct {
	Timeline   string
	LastReadID string
	Version    int64
	UpdatedAt  time.Time
}
