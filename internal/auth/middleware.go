package auth

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Middleware puts the caller of each request in its context. A request with
// no Authorization header is anonymous and reads published data only. A
// request with a header is let through only if it holds a valid bearer
// token: a bad token is refused with 401 rather than downgraded to
// anonymous, so a client notices an expired token instead of silently
// seeing less. v may be nil (no token authentication): then every token is
// refused.
func Middleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vals := r.Header.Values("Authorization")
		if len(vals) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if len(vals) > 1 {
			writeError(w, unauthenticated("the request has more than one Authorization header"))
			return
		}
		raw, ok := bearerToken(vals[0])
		if !ok {
			writeError(w, unauthenticated(`the Authorization header must be "Bearer <token>"`))
			return
		}
		p, err := v.Verify(r.Context(), raw)
		if err != nil {
			writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), p)))
	})
}

// bearerToken takes the token out of "Bearer <token>"; the scheme is
// case-insensitive (RFC 9110).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// writeError answers in the shape of a GraphQL error, so clients handle a
// refused token the same way as any other error.
func writeError(w http.ResponseWriter, err error) {
	code := hin.ErrorCode(err)
	status := http.StatusInternalServerError
	switch code {
	case hin.EUNAUTHORIZED:
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case hin.EUNAVAILABLE, hin.ETIMEOUT:
		status = http.StatusServiceUnavailable
	}
	type gqlError struct {
		Message    string            `json:"message"`
		Extensions map[string]string `json:"extensions"`
	}
	body, _ := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{Message: hin.ErrorMessage(err), Extensions: map[string]string{"code": code}}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
