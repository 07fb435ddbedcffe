package model

import "time"

// Delegation gives a member (a local user) access to another local account
// with a set of permissions: the member acts as the account through
// delegated tokens (Token.DelegateID) and every action they take is logged.
type Delegation struct {
	AccountID   int64
	MemberID    int64
	Permissions []string // core's Delegation* permissions, sorted
	GrantedBy   int64    // the account that granted it (0: gone, or the command line)
	CreatedAt   time.Time
}

// Has reports whether the delegation grants permission p.
func (d *Delegation) Has(p string) bool {
	for _, x := range d.Permissions {
		if x == p {
			return true
		}
	}
	return false
}

// DelegationAction is one entry of an account's activity log: what a member
// did as the account (or a grant or revocation of a delegation). It is
// shown to the account's owner and to staff, never published.
type DelegationAction struct {
	ID         int64
	AccountID  int64
	MemberID   int64
	Member     string // the member's username when it happened
	ActorID    int64  // who granted or revoked (for those entries; 0 otherwise)
	Action     string
	ObjectType string // "Status", "Account", ... or ""
	ObjectID   string
	CreatedAt  time.Time
}
