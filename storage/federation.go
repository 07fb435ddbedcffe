package storage

// Federation: methods to be declared by the owner of this area.
type Federation interface{}
