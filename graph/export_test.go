package graph

import "net/http"

// FragmentBomb is fragmentBomb for the package's external tests.
var FragmentBomb = fragmentBomb

// WithoutDirect serves every query through gqlgen's own execution, for
// tests that hold both ways of executing to the same answers.
func WithoutDirect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(withoutDirect(r.Context())))
	})
}
