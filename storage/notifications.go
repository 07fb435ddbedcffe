package storage

// Notifications: methods to be declared by the owner of this area.
type Notifications interface{}
