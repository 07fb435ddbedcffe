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
)

var changeNames = map[ChangeKind]string{
	ChangeStatusCreated: "status created", ChangeStatusEdited: "status edited", ChangeStatusDeleted: "status deleted",
	ChangeNotification: "notification", ChangeConversation: "conversation", ChangeFilters: "filters",
}

// String names the kind for logs.
func (k ChangeKind) String() string {
	if n, ok := changeNames[k]; ok {
		return n
	}
	return "unknown change"
}
