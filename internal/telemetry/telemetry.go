// Package telemetry is hin-graph's observability: Prometheus metrics for
// HTTP requests, GraphQL operations, limit rejections, SQL statements and
// the connection pool, and OpenTelemetry tracing with a span per request
// and per SQL statement.
//
// Every label value comes from a bounded set, never straight from a client,
// so a hostile client cannot grow the number of series without limit.
// Neither metrics nor spans ever hold SQL parameters, GraphQL variables or
// error messages (which may quote input values).
package telemetry

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"
)

// StatementHook observes one SQL statement: called before it with its text,
// it may return a derived context (a span) and returns a function called
// with the statement's error when it ends. It is an alias of an unnamed
// func type, so it is assignable to store.StatementHook without telemetry
// importing the store.
type StatementHook = func(ctx context.Context, query string) (context.Context, func(err error))

// RouteFunc names the route of a request, for metric labels and span names.
// It must answer from a fixed set, never the raw path, to bound cardinality.
type RouteFunc func(r *http.Request) string

// RouteOther is the route of any path that is not a known route.
const RouteOther = "other"

// Routes returns a RouteFunc that names a request by its path when that is
// one of routes (exact match) and RouteOther otherwise, so probes of random
// paths all land on one series.
func Routes(routes ...string) RouteFunc {
	known := make(map[string]bool, len(routes))
	for _, r := range routes {
		known[r] = true
	}
	return func(r *http.Request) string {
		if known[r.URL.Path] {
			return r.URL.Path
		}
		return RouteOther
	}
}

// methodLabel bounds the request method: a client may send any token as a
// method, so unknown ones become "_OTHER" (the OpenTelemetry convention).
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions,
		http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

const maxOperationName = 64

// sanitizeOperationName reduces a client-supplied operation name to
// [A-Za-z0-9_]{1,64}: other bytes become '_' and longer names are cut.
// An empty name is "" (the caller decides what anonymous means).
func sanitizeOperationName(name string) string {
	if len(name) > maxOperationName {
		name = name[:maxOperationName]
	}
	ok := true
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			ok = false
			break
		}
	}
	if ok {
		return name // the common case allocates nothing
	}
	b := []byte(name)
	for i, c := range b {
		if !isNameByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func isNameByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// firstKeyword returns the statement's first SQL keyword in upper case
// ("SELECT", "WITH", "INSERT"), skipping blanks and comments, or "" when
// there is none. It names spans, so it is kept short and letters only.
func firstKeyword(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return ""
			}
			q = q[i+1:]
			continue
		case strings.HasPrefix(q, "/*"):
			i := strings.Index(q, "*/")
			if i < 0 {
				return ""
			}
			q = q[i+2:]
			continue
		}
		break
	}
	n := 0
	for n < len(q) && n < 16 && (q[n] >= 'A' && q[n] <= 'Z' || q[n] >= 'a' && q[n] <= 'z') {
		n++
	}
	return strings.ToUpper(q[:n])
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// statusWriter remembers the status a handler sent. It keeps Flush and
// offers Unwrap so http.ResponseController still reaches the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are interim, not the answer
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status to report: a handler that wrote nothing answered 200,
// and one that panicked answered 500 as far as the client can tell.
func (w *statusWriter) code(panicked bool) int {
	switch {
	case panicked && w.status == 0:
		return http.StatusInternalServerError
	case w.status == 0:
		return http.StatusOK
	}
	return w.status
}
