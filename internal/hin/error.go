package hin

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the API contract: clients switch on them
// (extensions.code), so they never change meaning once published.
const (
	ENOTFOUND     = "NOT_FOUND"
	EINVALID      = "INVALID_ARGUMENT"
	ECONFLICT     = "CONFLICT"
	EFORBIDDEN    = "FORBIDDEN"
	EUNAUTHORIZED = "UNAUTHENTICATED"
	EUNAVAILABLE  = "UNAVAILABLE"
	ETIMEOUT      = "TIMEOUT"
	EINTERNAL     = "INTERNAL"
	// EINCOMPATIBLE: metrics that cannot be combined (different kinds or units).
	EINCOMPATIBLE = "INCOMPATIBLE_METRICS"
	// ESUBSCRIPTIONLIMIT: the caller already holds as many open
	// subscriptions as allowed.
	ESUBSCRIPTIONLIMIT = "SUBSCRIPTION_LIMIT_EXCEEDED"
)

// Error is an error a client may see: a stable code, a human message and,
// for validation, the field it is about.
type Error struct {
	Code    string
	Message string
	Field   string // input path of the offending value, e.g. "filter.stages"; may be empty
	// Problems lists every invalid field (with its row in a bulk return).
	Problems []Problem
	// Details carries machine-readable context, e.g. the current version
	// in a CONFLICT.
	Details map[string]any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds an INVALID_ARGUMENT error about one input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, INTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the client-safe message of err: the *Error's message,
// or a generic text that hides internal details.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
