package hin

import (
	"errors"
	"fmt"
)

// Error codes: every extensions.code the API sends, declared here once.
// They are part of the API contract: clients switch on them, so they never
// change meaning once published. The HTTP edge maps each to a status
// (internal/httpapi), and the metrics export each (internal/telemetry).
const (
	// Outcomes of the domain's rules.

	ENOTFOUND     = "NOT_FOUND"        // no such record, or one the caller may not see
	EINVALID      = "INVALID_ARGUMENT" // an argument or input field breaks a rule; Field says which
	ECONFLICT     = "CONFLICT"         // a stale version, or a record that already exists
	EFORBIDDEN    = "FORBIDDEN"        // the caller's role or region may not do this
	EUNAUTHORIZED = "UNAUTHENTICATED"  // no token where one is needed, or a token that fails verification
	EUNAVAILABLE  = "UNAVAILABLE"      // the database cannot be reached; retrying later may succeed
	ETIMEOUT      = "TIMEOUT"          // the request or one of its statements ran out of time
	EINTERNAL     = "INTERNAL"         // anything unexpected; details go to the log, never the client
	// EINCOMPATIBLE: metrics that cannot be combined (different kinds or units).
	EINCOMPATIBLE = "INCOMPATIBLE_METRICS"
	// EOVERLAP: an outcome whose period overlaps, without equalling, the
	// period of a current outcome with the same metric, region, innovation,
	// pilot and programme. Both would count in one figure, so the second is
	// refused; the error names the existing outcome (extensions.outcomeId).
	EOVERLAP = "OVERLAPPING_PERIOD"

	// EREGIONELSEWHERE: a write for a region whose data another node of the
	// federated network owns (a regional node's region, sent to the
	// national node; another region, sent to a regional node). The message
	// and extensions.ownerNode name the node to send it to.
	EREGIONELSEWHERE = "REGION_OWNED_ELSEWHERE"
	// ECATALOGUEREADONLY: a change to the reference catalogue (regions,
	// metrics, programmes, innovations, ...) sent to a regional node, where
	// it is a read-only copy of the national node's; extensions.ownerNode
	// names the national node.
	ECATALOGUEREADONLY = "CATALOGUE_READ_ONLY"

	// National collections (collection.go).

	// ETRANSITION: a submission action its state does not allow (approving
	// one not submitted, submitting one approved, ...); extensions.state
	// names the state.
	ETRANSITION = "INVALID_TRANSITION"
	// EFOUREYES: approving or returning a submission one submitted oneself.
	EFOUREYES = "FOUR_EYES_REQUIRED"
	// EPERIODCLOSED: a first submission after the period's close date by a
	// region (a national admin may still submit it).
	EPERIODCLOSED = "PERIOD_CLOSED"
	// EFROZEN: a change to a figure of a submitted or approved submission;
	// approved figures change only through reopenSubmission (a restatement
	// with a reason) and a new approval.
	EFROZEN = "SUBMISSION_FROZEN"
	// ECONTROLLED: publishing, restating or withdrawing a figure a
	// collection expects other than by approving its submission.
	ECONTROLLED = "COLLECTION_CONTROLLED"
	// ESUBMISSIONPROBLEMS: submitting with validation errors or unexplained
	// warnings; extensions.problems lists them all.
	ESUBMISSIONPROBLEMS = "SUBMISSION_HAS_PROBLEMS"

	// ESUBSCRIPTIONLIMIT: the caller already holds as many open
	// subscriptions as allowed.
	ESUBSCRIPTIONLIMIT = "SUBSCRIPTION_LIMIT_EXCEEDED"

	// Refusals of the request itself, before any resolver runs.

	EBADREQUEST          = "BAD_REQUEST"                 // not a GraphQL request: bad JSON, a batch, an unknown operation
	EPARSE               = "GRAPHQL_PARSE_FAILED"        // the query text does not parse (gqlgen's code)
	EVALIDATION          = "GRAPHQL_VALIDATION_FAILED"   // the query or its variables do not fit the schema (gqlgen's code)
	EPREFLIGHT           = "PREFLIGHT_REQUIRED"          // a GET without the header that forces a CORS preflight
	EMETHOD              = "METHOD_NOT_ALLOWED"          // a method the endpoint does not serve, or a mutation over GET
	EMEDIATYPE           = "UNSUPPORTED_MEDIA_TYPE"      // a POST body that is not JSON
	ETOOLARGE            = "REQUEST_TOO_LARGE"           // a body over the size limit
	ERATELIMITED         = "RATE_LIMITED"                // over the caller's request rate or requests in flight
	EPERSISTEDNOTFOUND   = "PERSISTED_QUERY_NOT_FOUND"   // a persisted-query hash the server has not seen (APQ)
	EPERSISTEDNOTALLOWED = "PERSISTED_QUERY_NOT_ALLOWED" // in allow-list mode, an operation not registered
	EINTROSPECTION       = "INTROSPECTION_DISABLED"      // introspection by a caller this server does not allow it to
	EQUERYTOOLARGE       = "QUERY_TOO_LARGE"             // query text over the size limit
	ETOKENLIMIT          = "TOKEN_LIMIT_EXCEEDED"        // more lexical tokens than the limit
	EDEPTHLIMIT          = "DEPTH_LIMIT_EXCEEDED"        // nested deeper than the limit
	EALIASLIMIT          = "ALIAS_LIMIT_EXCEEDED"        // more aliases than the limit
	EDIRECTIVELIMIT      = "DIRECTIVE_LIMIT_EXCEEDED"    // more directives than the limit
	ECOSTLIMIT           = "COST_LIMIT_EXCEEDED"         // could return more values than the cost limit
	EREPEATLIMIT         = "FIELD_REPEAT_LIMIT_EXCEEDED" // one field selected too often in one selection set
)

// ErrorCodes lists every code above, for the metrics and for tests that
// check no other code is ever sent.
var ErrorCodes = []string{
	ENOTFOUND, EINVALID, ECONFLICT, EFORBIDDEN, EUNAUTHORIZED, EUNAVAILABLE, ETIMEOUT, EINTERNAL, EINCOMPATIBLE, EOVERLAP, EREGIONELSEWHERE, ECATALOGUEREADONLY, ESUBSCRIPTIONLIMIT,
	ETRANSITION, EFOUREYES, EPERIODCLOSED, EFROZEN, ECONTROLLED, ESUBMISSIONPROBLEMS,
	EBADREQUEST, EPARSE, EVALIDATION, EPREFLIGHT, EMETHOD, EMEDIATYPE, ETOOLARGE, ERATELIMITED,
	EPERSISTEDNOTFOUND, EPERSISTEDNOTALLOWED, EINTROSPECTION, EQUERYTOOLARGE,
	ETOKENLIMIT, EDEPTHLIMIT, EALIASLIMIT, EDIRECTIVELIMIT, ECOSTLIMIT, EREPEATLIMIT,
}

// Limit names a limit that refused a request, as the rejection metric
// labels it.
type Limit string

const (
	LimitQuerySize  Limit = "query_size" // EQUERYTOOLARGE
	LimitTokens     Limit = "tokens"     // ETOKENLIMIT
	LimitDepth      Limit = "depth"      // EDEPTHLIMIT
	LimitAliases    Limit = "aliases"    // EALIASLIMIT
	LimitDirectives Limit = "directives" // EDIRECTIVELIMIT
	LimitCost       Limit = "cost"       // ECOSTLIMIT
	LimitRepeats    Limit = "repeats"    // EREPEATLIMIT
	LimitAllowList  Limit = "allowlist"  // EPERSISTEDNOTALLOWED
	LimitBodySize   Limit = "body_size"  // ETOOLARGE
	LimitRate       Limit = "rate"       // ERATELIMITED
	LimitStreams    Limit = "streams"    // ERATELIMITED: WebSockets and SSE responses open per caller
)

// Limits lists every Limit.
var Limits = []Limit{LimitQuerySize, LimitTokens, LimitDepth, LimitAliases, LimitDirectives, LimitCost, LimitRepeats, LimitAllowList, LimitBodySize, LimitRate, LimitStreams}

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

// Extensions is the error as GraphQL's extensions carry it, at every edge
// (the GraphQL error presenter, the HTTP error writer): the code, the
// field, every problem, then the details under their own keys (a detail
// never replaces one of those).
func (e *Error) Extensions() map[string]any {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if len(e.Problems) > 0 {
		ext["problems"] = e.Problems
	}
	for k, v := range e.Details {
		if _, taken := ext[k]; !taken {
			ext[k] = v
		}
	}
	return ext
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
