package core

import (
	"context"
	"errors"

	"github.com/herald-social/herald/internal/herr"
	"github.com/herald-social/herald/storage"
)

// How the service answers the store's errors, and the one flow of the
// moderators' records (address, e-mail and domain blocks, allowed domains,
// rules, announcements, roles, reports): the caller's permission is checked
// first, the record is read before it is changed or removed, and every
// change goes to the audit log.

// readErr maps the error of a read of a record: missing is a 404, an
// error the service already answered keeps its answer, anything else is a
// 500; nil stays nil.
func readErr(err error, what string) error {
	var he *herr.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return herr.NotFound(what)
	case errors.As(err, &he):
		return he
	default:
		return herr.Internal(err)
	}
}

// writeErr maps the error of a store write: a unique conflict is the 422 of
// the field taken ("Ip has already been taken"; without a field it is a 500
// like anything else); nil stays nil.
func writeErr(err error, field string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrConflict) && field != "":
		return herr.Unprocessable("Validation failed: %s has already been taken", field)
	default:
		return herr.Internal(err)
	}
}

// orInternal passes a store read through, its error a 500.
func orInternal[T any](v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, herr.Internal(err)
	}
	return v, nil
}

// adminRead runs read for a caller holding perm; what names the record
// when it is missing.
func adminRead[T any](ctx context.Context, s *AdminService, c *Caller, perm Permission, what string, read func() (T, error)) (T, error) {
	var zero T
	if err := s.Authorize(ctx, c, perm); err != nil {
		return zero, err
	}
	v, err := read()
	if err != nil {
		return zero, readErr(err, what)
	}
	return v, nil
}

// adminUpdate changes a record: get reads it for the caller (checking the
// permission), apply changes it, save stores it (taken: the field a unique
// conflict is about, see writeErr), and logged (the audit entry, and
// whatever else follows the change) is told of the change.
func adminUpdate[T any](ctx context.Context, c *Caller, id int64, get func(context.Context, *Caller, int64) (T, error),
	apply func(T) error, save func(context.Context, T) error, taken string, logged func(T)) (T, error) {
	var zero T
	v, err := get(ctx, c, id)
	if err != nil {
		return zero, err
	}
	if err := apply(v); err != nil {
		return zero, err
	}
	if err := writeErr(save(ctx, v), taken); err != nil {
		return zero, err
	}
	logged(v)
	return v, nil
}

// adminDelete lifts a record: get reads it for the caller (checking the
// permission), del removes it, and logged (the audit entry, and whatever
// else follows the change) is told what was removed.
func adminDelete[T any](ctx context.Context, c *Caller, id int64, get func(context.Context, *Caller, int64) (T, error),
	del func(context.Context, int64) error, logged func(T)) error {
	v, err := get(ctx, c, id)
	if err != nil {
		return err
	}
	if err := del(ctx, id); err != nil {
		return readErr(err, "record") // deleted meanwhile by someone else: 404
	}
	logged(v)
	return nil
}
