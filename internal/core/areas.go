package core

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/herald-social/herald/internal/model"
	"github.com/herald-social/herald/storage"
)

// The per-area services. Each holds only the part of the store its rules
// use (the compiler keeps it so), and the Service it belongs to, through
// which it reaches the rules of other areas (visibility, permissions,
// notifying). Service embeds every area, so callers write svc.Upload or
// svc.BlockDomain and need not know which area holds a rule; a reader
// finds it in the area's files.

// AuthService owns credentials: password and two-factor sign-in, web
// sessions and their keys, OAuth apps and tokens, and revoking them
// (signin.go, sessions.go, totp.go, credentials.go, oauth.go,
// session_keys.go, operator.go, oidc.go).
type AuthService struct {
	*Service
	store authStore

	signIns    signInFailures         // failed sign-ins per account (signin.go)
	sessionKey atomic.Pointer[[]byte] // WebSessionKey, once read (session_keys.go)
	sso        ssoHolder              // the OpenID provider, once discovered (oidc.go)
}

type authStore interface {
	// storage.Accounts
	AccountByID(ctx context.Context, id int64) (*model.Account, error)
	AccountByUsername(ctx context.Context, username string, domain string) (*model.Account, error)
	AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	ListLocalAccounts(ctx context.Context, limit int, offset int) ([]*model.Account, []*model.User, error)
	SetPassword(ctx context.Context, userID int64, hash string, keepSession int64) error
	SetRole(ctx context.Context, userID int64, role string) error
	TouchSignIn(ctx context.Context, userID int64) error
	UserByAccountID(ctx context.Context, accountID int64) (*model.User, error)
	UserByLogin(ctx context.Context, login string) (*model.User, error)
	storage.Auth
	storage.Delegations
	// storage.Settings
	SettingOrCreate(ctx context.Context, key string, make func() (string, error)) (string, error)
}

// AdminService owns moderation and administration: roles and permissions,
// reports, account actions, domain and address blocks, invites, instance
// settings and the mail staff send (admin_*.go, moderation.go, reports*.go,
// invites.go, domain_*.go).
type AdminService struct {
	*Service
	store adminStore

	policy policyCache // domain policy rules (domain_policy.go)
}

type adminStore interface {
	// storage.Accounts
	AccountByID(ctx context.Context, id int64) (*model.Account, error)
	AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	DeleteAccount(ctx context.Context, accountID int64) error
	KnownDomains(ctx context.Context, limit int) ([]string, error)
	SetRole(ctx context.Context, userID int64, role string) error
	UserByAccountID(ctx context.Context, accountID int64) (*model.User, error)
	UserByLogin(ctx context.Context, login string) (*model.User, error)
	storage.Admin
	// storage.Auth
	AuthVersion(ctx context.Context) (int64, error)
	storage.Outbox
	storage.Settings
	// storage.Social
	Followers(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error)
	Following(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error)
	Unfollow(ctx context.Context, followerID int64, targetID int64, events []model.OutboxEvent) (removed bool, err error)
	// storage.Statuses
	StatusesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Status, error)
	storage.Webhooks
}

// MediaService owns media: uploads and their processing, remote media
// fetched on demand, custom emoji, preview cards, and the sweeps that remove
// what no row names (media*.go).
type MediaService struct {
	*Service
	store mediaStore

	media mediaHolder // media files, fetch client and caches (media.go)
}

type mediaStore interface {
	// storage.Accounts
	AccountByID(ctx context.Context, id int64) (*model.Account, error)
	storage.Media
	// storage.Statuses
	StatusByID(ctx context.Context, id int64) (*model.Status, error)
	StatusByURI(ctx context.Context, uri string) (*model.Status, error)
}

// NotificationService owns notifications, their grouping and filtering
// policy, notification requests and Web Push subscriptions
// (notifications*.go, notification_requests.go, push.go).
type NotificationService struct {
	*Service
	store notificationStore
}

type notificationStore interface {
	// storage.Accounts
	AccountByID(ctx context.Context, id int64) (*model.Account, error)
	AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	storage.Notifications
	// storage.Admin: what admin.report and moderation_warning point at
	AccountWarningsByIDs(ctx context.Context, ids []int64) (map[int64]*model.AccountWarning, error)
	AppealsByWarnings(ctx context.Context, warningIDs []int64) (map[int64]*model.Appeal, error)
	ReportsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Report, error)
	// storage.Realtime
	CountNotificationGroup(ctx context.Context, accountID int64, g storage.NotificationGroupKey, screen *storage.NotificationScreen) (int64, error)
	DeletePushSubscription(ctx context.Context, tokenID int64) error
	DeletePushSubscriptionByID(ctx context.Context, id int64) error
	DismissNotificationGroup(ctx context.Context, accountID int64, g storage.NotificationGroupKey) (int64, error)
	NotificationGroup(ctx context.Context, accountID int64, g storage.NotificationGroupKey, limit int, screen *storage.NotificationScreen) ([]*model.Notification, error)
	NotificationPolicy(ctx context.Context, accountID int64) (*storage.NotificationPolicy, error)
	PushJob(ctx context.Context, subscriptionID int64, notificationID int64) (*storage.PushJob, error)
	PushSubscriptionByToken(ctx context.Context, tokenID int64) (*storage.PushSubscription, error)
	SavePushSubscription(ctx context.Context, p *storage.PushSubscription) error
	SetNotificationPolicy(ctx context.Context, p *storage.NotificationPolicy) error
	UpdatePushSubscription(ctx context.Context, p *storage.PushSubscription) error
	// storage.Settings
	SettingOrCreate(ctx context.Context, key string, make func() (string, error)) (string, error)
	// storage.Social
	FollowBetween(ctx context.Context, followerID int64, targetID int64) (*model.Follow, error)
	// storage.Statuses
	StatusesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Status, error)
}

// UserDataService owns what a user keeps for themselves: lists, filters and
// timeline markers (userdata.go).
type UserDataService struct {
	*Service
	store userDataStore
}

type userDataStore interface {
	// storage.Accounts
	AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	storage.Filters
	storage.Lists
	storage.Markers
	// storage.Statuses
	StatusByID(ctx context.Context, id int64) (*model.Status, error)
}

// InteractionService owns what authors do with interaction policies: their
// defaults and the interactions waiting for their answer
// (interaction_requests.go; the rule itself is interactions.go's).
type InteractionService struct {
	*Service
	store interactionStore
}

type interactionStore interface {
	// storage.Accounts
	AccountByID(ctx context.Context, id int64) (*model.Account, error)
	AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	storage.Interactions
	// storage.Statuses
	StatusByID(ctx context.Context, id int64) (*model.Status, error)
	StatusesByIDs(ctx context.Context, ids []int64) (map[int64]*model.Status, error)
}

// FederationService owns what other servers tell us: remote accounts and
// their moves, remote statuses and interactions, and the look-ups the
// federation engine needs (federation_*.go, statuses_remote.go,
// instance_usage.go).
type FederationService struct {
	*Service
	store federationStore
}

type federationStore interface {
	storage.Accounts
	storage.Polls
	// storage.Admin
	AccountSensitized(ctx context.Context, accountID int64) (bool, error)
	ModerateAccount(ctx context.Context, accountID int64, m storage.AccountModeration, w *model.AccountWarning, resolveReports []int64, events []model.OutboxEvent) error
	// storage.Federation
	CountActiveLocalUsers(ctx context.Context, since time.Time) (int64, error)
	CountLocalFollowers(ctx context.Context, accountID int64) (int64, error)
	MarkInboxGone(ctx context.Context, inboxURL string) (int64, error)
	SetMovedTo(ctx context.Context, accountID int64, targetID int64, jobs ...storage.Job) error
	MoveAccount(ctx context.Context, accountID, targetID int64, events []model.OutboxEvent, jobs ...storage.Job) error
	AccountAliases(ctx context.Context, accountID int64) ([]string, error)
	SetAccountAlias(ctx context.Context, accountID int64, uri string, add bool, events []model.OutboxEvent) (bool, error)
	// storage.Social
	FollowBetween(ctx context.Context, followerID int64, targetID int64) (*model.Follow, error)
	FollowByURI(ctx context.Context, uri string) (*model.Follow, error)
	FollowerInboxes(ctx context.Context, targetID int64) ([]string, error)
	Followers(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error)
	Following(ctx context.Context, accountID int64, p model.Page) ([]storage.AccountLink, error)
	// storage.Interactions
	ApproveStatus(ctx context.Context, statusID int64, approvedBy, authorization string, events []model.OutboxEvent) error
	CreateInteractionRequest(ctx context.Context, r *model.InteractionRequest, events []model.OutboxEvent) error
	InteractionRequest(ctx context.Context, id int64) (*model.InteractionRequest, error)
	WithdrawInteraction(ctx context.Context, accountID int64, uri string) error
	storage.Quotes
	storage.Statuses
}
