package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Accounts stores local and remote accounts and local users.
type Accounts interface {
	AccountByID(ctx context.Context, id int64) (*model.Account, error)
	AccountsByIDs(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	// AccountsToShow is AccountsByIDs without the accounts' keys (left
	// empty): what rendering a page of statuses needs.
	AccountsToShow(ctx context.Context, ids []int64) (map[int64]*model.Account, error)
	// AccountsVersion is a counter that changes, in the same transaction,
	// with every change to an account row, by any process (core's cache of
	// the accounts pages show).
	AccountsVersion(ctx context.Context) (int64, error)
	AccountByUsername(ctx context.Context, username, domain string) (*model.Account, error)
	AccountByURI(ctx context.Context, uri string) (*model.Account, error)
	AccountByKeyID(ctx context.Context, keyID string) (*model.Account, error)
	// AccountByURL finds an account of domain ("" local) by its profile
	// URL. The caller passes the URL's own host: an actor may claim any
	// url, so one is trusted only on the actor's host.
	AccountByURL(ctx context.Context, url, domain string) (*model.Account, error)
	CountLocalAccounts(ctx context.Context) (int64, error)
	CountLocalStatuses(ctx context.Context) (int64, error)
	CountKnownDomains(ctx context.Context) (int64, error)
	KnownDomains(ctx context.Context, limit int) ([]string, error)
	CreateLocalAccount(ctx context.Context, a *model.Account, u *model.User) error
	UpsertRemoteAccount(ctx context.Context, a *model.Account) error
	UpdateProfile(ctx context.Context, accountID int64, p ProfileUpdate, events []model.OutboxEvent) error
	MarkAccountGone(ctx context.Context, accountID int64) error
	DeleteAccount(ctx context.Context, accountID int64) error
	SearchAccounts(ctx context.Context, q string, localOnly bool, limit, offset int) ([]*model.Account, error)
	ListLocalAccounts(ctx context.Context, limit, offset int) ([]*model.Account, []*model.User, error)

	UserByAccountID(ctx context.Context, accountID int64) (*model.User, error)
	UserByLogin(ctx context.Context, login string) (*model.User, error)
	// SetPassword stores a password hash and, in the same transaction,
	// deletes every access token of the user and every browser session
	// but keepSession (0: none).
	SetPassword(ctx context.Context, userID int64, hash string, keepSession int64) error
	SetRole(ctx context.Context, userID int64, role string) error
	TouchSignIn(ctx context.Context, userID int64) error
	UpdatePreferences(ctx context.Context, userID int64, visibility string, sensitive bool, language string) error
}

// Auth stores OAuth applications, access tokens and authorization codes.
type Auth interface {
	CreateApp(ctx context.Context, a *model.App) error
	AppByClientID(ctx context.Context, clientID string) (*model.App, error)
	AppByID(ctx context.Context, id int64) (*model.App, error)
	CreateToken(ctx context.Context, t *model.Token, plain string) error
	TokenByValue(ctx context.Context, plain string) (*model.Token, error)
	TokenByID(ctx context.Context, id int64) (*model.Token, error)
	// TouchToken records that a token was used at at, unless a use less
	// than a day before at is recorded already.
	TouchToken(ctx context.Context, id int64, at time.Time) error
	// ExistingTokenIDs returns which of the tokens still exist.
	ExistingTokenIDs(ctx context.Context, ids []int64) ([]int64, error)
	// RevokeToken deletes a token (of that app when appID != 0) and
	// returns its id, 0 when none matched.
	RevokeToken(ctx context.Context, plain string, appID int64) (int64, error)
	CreateAuthCode(ctx context.Context, c *model.AuthCode) error
	ConsumeAuthCode(ctx context.Context, code string) (*model.AuthCode, error)
	// AuthVersion is a counter that changes, in the same transaction,
	// with every change to tokens, users, local accounts, roles or follow
	// requests, by any process: what was read at one value of it is still
	// true while it keeps that value (core's auth cache).
	AuthVersion(ctx context.Context) (int64, error)
}

// Settings stores instance-wide values.
type Settings interface {
	Setting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	SettingOrCreate(ctx context.Context, key string, make func() (string, error)) (string, error)
}

// Outbox stores the local activity waiting to be federated.
type Outbox interface {
	QueueEvents(ctx context.Context, events []model.OutboxEvent) error
	PendingEvents(ctx context.Context, limit int) ([]model.OutboxEvent, error)
}

// Store is everything Herald needs from a store. Each area's interface is
// declared in its own file of this package.
type Store interface {
	Accounts
	Auth
	Settings
	Outbox
	Statuses
	Interactions
	Quotes
	Social
	Timelines
	Notifications
	UserData
	Federation
	Media
	Admin
	Realtime
	Jobs
	Polls
	ScheduledStatuses
	Webhooks
	Delegations
	Hiding
	Metrics
	Trends
	AnnualReports
	Collections
	Close() error
}
