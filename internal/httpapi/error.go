package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// statusOf maps each code the edge may write to its HTTP status; a code
// not listed is a server fault.
var statusOf = map[string]int{
	hin.EUNAUTHORIZED: http.StatusUnauthorized,
	hin.EUNAVAILABLE:  http.StatusServiceUnavailable,
	hin.ETIMEOUT:      http.StatusServiceUnavailable,
	hin.EINVALID:      http.StatusBadRequest,
	hin.EFORBIDDEN:    http.StatusForbidden,
	hin.ENOTFOUND:     http.StatusNotFound,
	hin.ECONFLICT:     http.StatusConflict,
	hin.EOVERLAP:      http.StatusConflict,
	// national collections: the proforma and upload routes
	hin.ETRANSITION:         http.StatusConflict,
	hin.EFOUREYES:           http.StatusForbidden,
	hin.EPERIODCLOSED:       http.StatusConflict,
	hin.EFROZEN:             http.StatusConflict,
	hin.ECONTROLLED:         http.StatusConflict,
	hin.ESUBMISSIONPROBLEMS: http.StatusUnprocessableEntity,
	hin.EBADREQUEST:         http.StatusBadRequest,
	hin.ETOOLARGE:           http.StatusRequestEntityTooLarge,
	hin.ERATELIMITED:        http.StatusTooManyRequests,
	// a breakdown export costed over the caller's limit, as GraphQL refuses it
	hin.ECOSTLIMIT: http.StatusBadRequest,
}

// ErrorStatus is the HTTP status for an error code.
func ErrorStatus(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error answers in the shape of a GraphQL response with one error, so a
// client handles a refusal at the edge the way it handles any other:
// the code in extensions.code, its status from the one map above. An
// UNAUTHENTICATED answer carries the WWW-Authenticate challenge.
func Error(w http.ResponseWriter, err error) {
	code := hin.ErrorCode(err)
	if ErrorStatus(code) == http.StatusInternalServerError {
		noteFault(w, err)
	}
	if code == hin.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	type gqlError struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	ext := map[string]any{"code": code}
	var he *hin.Error
	if errors.As(err, &he) {
		ext = he.Extensions() // as the GraphQL error presenter writes it
		ext["code"] = code
	}
	body, _ := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{Message: hin.ErrorMessage(err), Extensions: ext}}})
	writeJSON(w, ErrorStatus(code), body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
