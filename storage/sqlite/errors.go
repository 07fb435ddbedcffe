package sqlite

import "errors"

// opError is an error returned by an exported Store method, naming the
// operation that failed, so a 500 in the log says what it was:
// "store: claim deliveries: database is locked". It unwraps to the cause,
// so errors.Is(err, storage.ErrNotFound) and the like still hold.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return "store: " + e.op + ": " + e.err.Error() }

func (e *opError) Unwrap() error { return e.err }

// wrap names op in err; nil stays nil. Every exported Store method returns
// its errors through wrap, with op its name in words (ClaimDeliveries:
// "claim deliveries"); TestExportedMethodsWrapErrors checks it. An error
// that already names a store operation, because a method returned another
// method's error, keeps its single prefix: the inner operation is the one
// that failed.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *opError
	if errors.As(err, &oe) {
		return err
	}
	return &opError{op: op, err: err}
}
