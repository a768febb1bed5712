package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
	"github.com/hin-graph/hin-graph/internal/store"
)

// limitBody refuses bodies over n bytes with 413, telling rejected.
func limitBody(n int64, rejected func(hin.Limit), next http.Handler) http.Handler {
	tooLarge := func(w http.ResponseWriter) {
		rejected(hin.LimitBodySize)
		Error(w, hin.Errorf(hin.ETOOLARGE, "request body too large"))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			unreadBody(w, r)
			tooLarge(w)
			return
		}
		body := http.MaxBytesReader(w, r.Body, n)
		if r.ContentLength < 0 {
			// A chunked body's size is known only once read, and gqlgen would
			// answer an oversized one with 200; read it here (at most n bytes)
			// so it gets the same 413 as a declared one.
			b, err := io.ReadAll(body)
			if err != nil {
				var over *http.MaxBytesError
				if errors.As(err, &over) {
					tooLarge(w)
				} else {
					Error(w, hin.Errorf(hin.EBADREQUEST, "could not read request body"))
				}
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		} else {
			r.Body = body
		}
		next.ServeHTTP(w, r)
	})
}

// guard admits a request to the API, in this order:
//
//  1. No Authorization header: the caller is anonymous, limited by client
//     address (rate and in-flight cap).
//  2. A header: before the token is even looked at, the client address
//     must have budget left for failed tokens, so a stream of forged
//     tokens meets a limit instead of being verified and refused with 401
//     at any rate. Only a token that fails is charged, to a bucket of its
//     own at the anonymous rate: anonymous traffic from a shared address
//     (an NHS proxy) never locks out the signed-in callers behind it.
//  3. A verified token: the caller is limited by token subject.
//
// A bad token is refused with 401 rather than downgraded to anonymous, so
// a client notices an expired token instead of silently seeing less.
//
// Without a header, a session cookie from browser sign-in (ss, nil when
// sign-in is off) stands for a token: checked under the same failed-token
// budget, and a write through it needs the CSRF header (checkCSRF).
func guard(tokens *auth.Verifier, ss *sessions, limiter *ratelimit.Limiter, subject, address ratelimit.Rate, rejected func(hin.Limit), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := clientHost(r)
		failed := "bad-token:" + host
		vals := r.Header.Values("Authorization")
		if len(vals) == 0 {
			if ss != nil && hasSessionCookie(r) {
				if ok, wait := limiter.Ready(failed, address); !ok {
					refuse(w, wait, "too many requests with bad session cookies", rejected)
					return
				}
				s, cookie, _, err := ss.session(r)
				if err == nil {
					err = checkCSRF(r, cookie)
				}
				if err != nil {
					if hin.ErrorCode(err) == hin.EUNAUTHORIZED {
						limiter.Allow(failed, address)
						clearCookie(w, sessionCookie)
					}
					Error(w, err)
					return
				}
				admit(w, r.WithContext(hin.WithPrincipal(r.Context(), s.Principal)), limiter, "sub:"+s.Principal.Subject, subject, rejected, next)
				return
			}
			admit(w, r, limiter, "ip:"+host, address, rejected, next)
			return
		}
		if ok, wait := limiter.Ready(failed, address); !ok {
			unreadBody(w, r)
			refuse(w, wait, "too many requests with bad tokens", rejected)
			return
		}
		p, err := verify(r.Context(), tokens, vals)
		if err != nil {
			limiter.Allow(failed, address)
			unreadBody(w, r)
			Error(w, err)
			return
		}
		admit(w, r.WithContext(hin.WithPrincipal(r.Context(), p)), limiter, "sub:"+p.Subject, subject, rejected, next)
	})
}

// admit takes a token from key's bucket and one of its in-flight places,
// or answers 429. A stream (a subscription's WebSocket or SSE request)
// takes a token but no in-flight place, which it would hold for hours:
// open subscriptions have their own cap per caller (graph.LiveConfig).
func admit(w http.ResponseWriter, r *http.Request, l *ratelimit.Limiter, key string, rate ratelimit.Rate, rejected func(hin.Limit), next http.Handler) {
	if ok, wait := l.Allow(key, rate); !ok {
		unreadBody(w, r)
		refuse(w, wait, "too many requests", rejected)
		return
	}
	r = r.WithContext(graph.WithCaller(r.Context(), key))
	if graph.IsStream(r) {
		next.ServeHTTP(w, r)
		return
	}
	if !l.Enter(key, rate) {
		unreadBody(w, r)
		refuse(w, time.Second, fmt.Sprintf("too many requests at once (at most %d in flight)", rate.InFlight), rejected)
		return
	}
	defer l.Leave(key, rate)
	next.ServeHTTP(w, r)
}

// unreadBody makes a refusal end the connection when the request has a
// body: net/http would otherwise read what is left of it, up to 256 KiB,
// before answering, and wait on a client that holds it back.
func unreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}

func refuse(w http.ResponseWriter, wait time.Duration, why string, rejected func(hin.Limit)) {
	rejected(hin.LimitRate)
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	Error(w, hin.Errorf(hin.ERATELIMITED, "%s: retry after %d seconds", why, secs))
}

// forwardedClient sets a request's RemoteAddr to the client a trusted
// proxy names in X-Forwarded-For: the rightmost address that is not itself
// a trusted proxy, since each proxy appends the address it received from
// and only those entries are ours to believe. An entry that does not parse
// leaves the connection's address in place.
func forwardedClient(trusted []netip.Prefix, next http.Handler) http.Handler {
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !isTrusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		var hops []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			hops = append(hops, strings.Split(v, ",")...)
		}
		client := peer.Addr()
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			client = a.Unmap()
			if !isTrusted(client) {
				break
			}
		}
		if client != peer.Addr() {
			r = r.WithContext(r.Context()) // a shallow copy: the caller's request stays as it came
			r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

func clientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// verify turns the Authorization header values into the caller. v may be
// nil (no token authentication): then every token is refused.
func verify(ctx context.Context, v *auth.Verifier, vals []string) (hin.Principal, error) {
	if len(vals) > 1 {
		return hin.Principal{}, hin.Errorf(hin.EUNAUTHORIZED, "the request has more than one Authorization header")
	}
	raw, ok := bearerToken(vals[0])
	if !ok {
		return hin.Principal{}, hin.Errorf(hin.EUNAUTHORIZED, `the Authorization header must be "Bearer <token>"`)
	}
	return v.Verify(ctx, raw)
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

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	fault  error // a server fault's cause, for the access log only (the client sees its code)
}

// noteFault hands err to the access log's recorder under w, through any
// wrapping writers, so a 500 on an HTTP route is logged with its cause.
func noteFault(w http.ResponseWriter, err error) {
	for {
		if rec, ok := w.(*statusRecorder); ok {
			rec.fault = err
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets a WebSocket upgrade reach the connection (to hijack it) and
// http.ResponseController reach its deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog gives each request an id (a caller's X-Request-Id is kept when
// it is sane), counts its SQL statements and logs one JSON line with the
// GraphQL operation name when it ends. A statement counter already on the
// context (a benchmark's) is used rather than hidden behind a new one.
//
// It also recovers a panic in any handler below it: the panic and its
// stack are logged, the caller gets a 500 with code INTERNAL (when nothing
// was written yet; else the connection is cut, so a half answer cannot
// pass for whole), and the request still gets its access-log line and,
// from the metrics outside, its count as a 500. http.ErrAbortHandler, a
// handler's own way of cutting an answer short, is logged and passed on.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := hin.WithRequestID(r.Context(), id)
		counter := store.StatementCounterFrom(ctx)
		if counter == nil {
			ctx, counter = store.WithStatementCounter(ctx)
		}
		ctx, op := graph.WithOperationNameSlot(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			p := recover()
			aborted := p != nil && rec.status != 0
			if p != nil && p != http.ErrAbortHandler {
				log.ErrorContext(ctx, "panic serving a request", "request_id", id, "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					Error(rec, hin.Errorf(hin.EINTERNAL, "internal error: the request failed on the server (request id %s)", id))
				}
			}
			if p == http.ErrAbortHandler {
				aborted = true
			}
			if r.URL.Path != "/healthz" && r.URL.Path != "/livez" && r.URL.Path != "/readyz" {
				attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.status,
					"operation", op.Name, "duration_ms", float64(time.Since(start).Microseconds()) / 1000,
					"sql_statements", counter.Count(), "bytes", rec.bytes}
				if aborted {
					attrs = append(attrs, "aborted", true)
				}
				if rec.fault != nil {
					log.ErrorContext(ctx, "request", append(attrs, "error", rec.fault.Error())...)
				} else {
					log.Info("request", attrs...)
				}
			}
			if aborted {
				panic(http.ErrAbortHandler) // net/http cuts the connection without logging a stack
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// readiness answers 200 only when the database answers and every migration
// is applied, so a load balancer never routes to an instance that would fail.
func readiness(s *store.Store) http.HandlerFunc {
	unavailable := func(w http.ResponseWriter, reason string) {
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"status":"unavailable","reason":"`+reason+`"}`))
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			unavailable(w, "database unreachable")
			return
		}
		current, err := s.MigrationsCurrent(ctx)
		if err != nil {
			unavailable(w, "cannot read migration state")
			return
		}
		if !current {
			unavailable(w, "migrations pending")
			return
		}
		writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// streams lets subscriptions live: a WebSocket or SSE request loses the
// server's read and write deadlines (meant for one request and its answer;
// the WebSocket heartbeat finds dead clients instead) and ends when the
// server closes, so shutdown does not wait for clients that never leave.
// Before that, a WebSocket handshake is checked (its origin above all), and
// the stream is counted against its caller (graph.Live.OpenStream), each
// refusal answered by the one error writer.
func (srv *Server) streams(next http.Handler) http.Handler {
	origins := originHosts(srv.cfg.CORSOrigins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !graph.IsStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		websocket := graph.IsWebSocket(r)
		if websocket {
			if err := checkHandshake(r, origins); err != nil {
				Error(w, err)
				return
			}
		}
		srv.streaming.Add(1)
		defer srv.streaming.Done()
		ctx, release, err := srv.live.OpenStream(r.Context(), websocket)
		if err != nil {
			if hin.ErrorCode(err) == hin.ERATELIMITED {
				srv.rejected(hin.LimitStreams)
				w.Header().Set("Retry-After", "5")
			}
			Error(w, err)
			return
		}
		defer release()
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(srv.liveCtx, cancel)()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// originHosts turns CORS origins into the host patterns the WebSocket
// origin check takes.
func originHosts(origins []string) []string {
	var hosts []string
	for _, o := range origins {
		if o == "*" {
			hosts = append(hosts, "*")
			continue
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}
