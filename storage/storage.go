// Package storage declares what Herald needs from a store: narrow
// interfaces, one per area, that the domain layer (internal/core) and the
// federation engine depend on. storage/sqlite implements them; a PostgreSQL
// implementation can be added beside it without touching the callers.
package storage

import (
	"errors"

	"github.com/herald-social/herald/internal/model"
)

var (
	// ErrNotFound: no such record.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule was broken (a taken username, ...).
	ErrConflict = errors.New("conflict")
)

// ProfileUpdate is what a local user may change on their profile; nil
// fields are left as they are.
type ProfileUpdate struct {
	DisplayName  *string
	Note         *string // HTML
	NoteSource   *string
	Fields       *[]model.Field
	Locked       *bool
	Bot          *bool
	Discoverable *bool
	// HideCollections and AttributionDomains: model.Account's.
	HideCollections    *bool
	AttributionDomains *[]string
}
