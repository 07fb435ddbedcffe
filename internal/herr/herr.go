// Package herr is Herald's error with a code: the internal cause (for the
// log), a message that is safe to show a client, and an HTTP status. The
// domain layer returns these; the HTTP surfaces only map them.
package herr

import (
	"errors"
	"fmt"
	"net/http"
)

type Error struct {
	Status int    // HTTP status
	Msg    string // safe for clients
	Cause  error  // internal, logged, never shown
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Msg, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Msg)
}

func (e *Error) Unwrap() error { return e.Cause }

func New(status int, msg string) *Error { return &Error{Status: status, Msg: msg} }

func Wrap(status int, msg string, cause error) *Error {
	return &Error{Status: status, Msg: msg, Cause: cause}
}

func BadRequest(format string, a ...any) *Error {
	return New(http.StatusBadRequest, fmt.Sprintf(format, a...))
}

func Unprocessable(format string, a ...any) *Error {
	return New(http.StatusUnprocessableEntity, fmt.Sprintf(format, a...))
}

func NotFound(what string) *Error { return New(http.StatusNotFound, "Record not found") }

func Forbidden(msg string) *Error { return New(http.StatusForbidden, msg) }

func Unauthorized(msg string) *Error { return New(http.StatusUnauthorized, msg) }

// Internal wraps an unexpected failure: clients see a generic message.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Msg: "Internal server error", Cause: cause}
}

// As returns err as an *Error, treating anything else as internal.
func As(err error) *Error {
	var he *Error
	if errors.As(err, &he) {
		return he
	}
	return Internal(err)
}
