package storage

import (
	"context"
	"time"

	"github.com/herald-social/herald/internal/model"
)

// Hiding stores what a local user keeps to shape what they see and what
// their profile shows: the domains they block, the accounts they endorse,
// the conversations they mute, the hashtags they follow and feature.
type Hiding interface {
	// BlockDomainForUser records accountID's block of domain (idempotent).
	BlockDomainForUser(ctx context.Context, accountID int64, domain string) error
	UnblockDomainForUser(ctx context.Context, accountID int64, domain string) error
	// UserDomainBlocks pages through accountID's blocked domains, newest
	// first, by row id.
	UserDomainBlocks(ctx context.Context, accountID int64, p model.Page) ([]DomainLink, error)
	// FollowersFromDomain lists the accounts of domain that follow accountID.
	FollowersFromDomain(ctx context.Context, accountID int64, domain string) ([]int64, error)

	// Endorse features target on accountID's profile (idempotent).
	Endorse(ctx context.Context, accountID, targetID int64) error
	Unendorse(ctx context.Context, accountID, targetID int64) error
	// Endorsements pages through the accounts accountID endorses, by row id.
	Endorsements(ctx context.Context, accountID int64, p model.Page) ([]AccountLink, error)

	// ThreadRoot is the first status of statusID's chain of replies (itself
	// when it replies to nothing known).
	ThreadRoot(ctx context.Context, statusID int64) (int64, error)
	MuteConversation(ctx context.Context, accountID, rootID int64) error
	UnmuteConversation(ctx context.Context, accountID, rootID int64) error

	// FollowTag makes accountID follow a hashtag (by normalised name),
	// creating the tag when unknown; idempotent.
	FollowTag(ctx context.Context, accountID int64, name string) (HashtagRef, error)
	UnfollowTag(ctx context.Context, accountID int64, name string) error
	// FollowedTags pages through the tags accountID follows, by row id.
	FollowedTags(ctx context.Context, accountID int64, p model.Page) ([]TagLink, error)
	// FeatureTag features a hashtag on accountID's profile (idempotent).
	FeatureTag(ctx context.Context, accountID int64, name string) (*FeaturedTag, error)
	// UnfeatureTag removes one of accountID's featured tags by its id
	// (ErrNotFound when it is not theirs).
	UnfeatureTag(ctx context.Context, accountID, featuredID int64) error
	UnfeatureTagByName(ctx context.Context, accountID int64, name string) error
	CountFeaturedTags(ctx context.Context, accountID int64) (int, error)
	// FeaturedTags lists accountID's featured tags with the use the
	// account made of each (public and unlisted statuses), oldest first.
	FeaturedTags(ctx context.Context, accountID int64) ([]FeaturedTag, error)
	// TagSuggestions: the tags accountID used most in its recent statuses,
	// that it does not feature yet.
	TagSuggestions(ctx context.Context, accountID int64, limit int) ([]HashtagRef, error)
	// TagStates says which of the named tags accountID follows and features.
	TagStates(ctx context.Context, accountID int64, names []string) (following, featuring map[string]bool, err error)
	// DeleteExpiredMutes removes mutes whose end has passed.
	DeleteExpiredMutes(ctx context.Context, now time.Time) (int64, error)
}

// DomainLink is one of a user's blocked domains; ID is the page cursor.
type DomainLink struct {
	ID     int64
	Domain string
}

// TagLink is one of a user's followed tags; ID is the page cursor.
type TagLink struct {
	ID  int64
	Tag HashtagRef
}

// FeaturedTag is a tag on a profile with the account's use of it.
type FeaturedTag struct {
	ID            int64
	Tag           HashtagRef
	StatusesCount int64
	LastStatusAt  *time.Time
}
