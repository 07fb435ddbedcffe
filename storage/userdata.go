package storage

// UserData: methods to be declared by the owner of this area.
type UserData interface{}
