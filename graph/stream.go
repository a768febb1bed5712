package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Streams. Each WebSocket and each SSE response is a stream, opened by the
// HTTP edge with Live.OpenStream once the caller is known. The hub counts
// the streams each caller holds (without a token by client address, with
// one by token subject), closes a WebSocket that has held no subscription
// for a while, and ends a stream when the token it runs under expires.

// WebSocket close codes of graphql-transport-ws that we send.
const (
	closeForbidden       = 4403 // the token was refused or has expired: sign in again
	closeTooManyRequests = 4429 // the caller holds too many streams
	closeNormal          = 1000 // idle: the socket held no subscription
	closeInitTimeout     = 4408 // no connection_init in time
	closeBadRequest      = 4400 // a message the protocol does not allow
)

// gqlgenInitTimeout is the reason gqlgen closes a socket with when no
// connection_init came within InitTimeout.
const gqlgenInitTimeout = "connection initialisation timeout"

// errStreamIdle ends a WebSocket that held no subscription for
// LiveConfig.StreamIdle; nothing is reported, the close says why.
var errStreamIdle = errors.New("stream idle")

// tokenExpired is what a subscription ended by its token's expiry reports.
func tokenExpired() error {
	return hin.Errorf(hin.EUNAUTHORIZED, "the token has expired; open a new stream with a fresh token")
}

type streamStateKey struct{}

// stream is one open WebSocket or SSE response.
type stream struct {
	live      *Live
	websocket bool
	cancel    context.CancelCauseFunc

	mu          sync.Mutex
	caller      string // the key its count is held under
	signedIn    bool
	subs        int         // subscriptions open on it
	idle        *time.Timer // nil: no idle timeout (SSE, or none configured)
	expiry      *time.Timer // nil: no token, or one without an expiry
	closeCode   int         // the WebSocket close code, once ended
	closeReason string
	released    bool
}

func streamFrom(ctx context.Context) *stream {
	s, _ := ctx.Value(streamStateKey{}).(*stream)
	return s
}

// OpenStream admits a stream for the caller on ctx (its principal and
// WithCaller key), or refuses it with RATE_LIMITED when the caller already
// holds as many as allowed. The returned context ends with the stream: when
// its token expires or, for a WebSocket, after StreamIdle without a
// subscription. Call release when the stream is over.
func (l *Live) OpenStream(ctx context.Context, websocket bool) (_ context.Context, release func(), _ error) {
	p := hin.PrincipalFrom(ctx)
	s := &stream{live: l, websocket: websocket, caller: callerKey(ctx), signedIn: p.Subject != ""}
	if p.ExpiredAt(time.Now()) {
		return ctx, nil, tokenExpired()
	}
	if err := l.countStream("", s.caller, s.signedIn); err != nil {
		return ctx, nil, err
	}
	ctx, s.cancel = context.WithCancelCause(ctx)
	ctx = context.WithValue(ctx, streamStateKey{}, s)
	s.mu.Lock()
	s.armExpiry(p)
	if websocket && l.cfg.StreamIdle > 0 {
		s.idle = time.AfterFunc(l.cfg.StreamIdle, s.idleOut)
	}
	s.mu.Unlock()
	return ctx, s.release, nil
}

// Streams is the number of open streams.
func (l *Live) Streams() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.streams {
		n += c
	}
	return n
}

// countStream moves one stream's count from the key from ("" for a new
// stream) to the key to, unless to already holds its cap.
func (l *Live) countStream(from, to string, signedIn bool) error {
	most, per := l.cfg.MaxStreamsPerAddress, "client address without a token"
	if signedIn {
		most, per = l.cfg.MaxStreamsPerSubject, "token subject"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if most > 0 && l.streams[to] >= most {
		return hin.Errorf(hin.ERATELIMITED, "at most %d streams (WebSockets and SSE responses) may be open at once per %s; close one first", most, per)
	}
	l.streams[to]++
	l.uncountStream(from)
	return nil
}

// uncountStream drops one stream from key's count; l.mu is held.
func (l *Live) uncountStream(key string) {
	if key == "" {
		return
	}
	if l.streams[key]--; l.streams[key] <= 0 {
		delete(l.streams, key)
	}
}

// signIn moves a WebSocket to the caller its init payload's token names:
// its count goes to the token's subject, and it now ends when that token
// expires.
func (s *stream) signIn(p hin.Principal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released {
		return nil
	}
	if to := "sub:" + p.Subject; to != s.caller {
		if err := s.live.countStream(s.caller, to, true); err != nil {
			return err
		}
		s.caller, s.signedIn = to, true
	}
	s.armExpiry(p)
	return nil
}

// armExpiry ends the stream when p's token expires; s.mu is held.
func (s *stream) armExpiry(p hin.Principal) {
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiry = nil
	}
	if !p.Expires.IsZero() {
		s.expiry = time.AfterFunc(time.Until(p.Expires), func() {
			s.end(closeForbidden, "the token has expired", tokenExpired())
		})
	}
}

// hold and drop count the subscriptions open on the stream; a WebSocket
// left without one is closed after StreamIdle.
func (s *stream) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs++
	if s.idle != nil {
		s.idle.Stop()
	}
}

func (s *stream) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs--; s.subs == 0 && s.idle != nil && !s.released {
		s.idle.Reset(s.live.cfg.StreamIdle)
	}
}

func (s *stream) idleOut() {
	s.mu.Lock()
	idle := s.subs == 0 && !s.released
	s.mu.Unlock()
	if idle {
		s.end(closeNormal, fmt.Sprintf("closed after %s without a subscription", s.live.cfg.StreamIdle), errStreamIdle)
	}
}

// end ends the stream: its context (and with it every subscription on it)
// ends with cause, and a WebSocket is closed with code and reason.
func (s *stream) end(code int, reason string, cause error) {
	s.mu.Lock()
	if s.closeCode == 0 {
		s.closeCode, s.closeReason = code, reason
	}
	s.mu.Unlock()
	s.cancel(cause)
}

// closing is the code and reason the stream was ended with, or 0.
func (s *stream) closing() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode, s.closeReason
}

func (s *stream) release() {
	s.mu.Lock()
	s.released = true
	for _, t := range []*time.Timer{s.idle, s.expiry} {
		if t != nil {
			t.Stop()
		}
	}
	caller := s.caller
	s.mu.Unlock()
	s.cancel(context.Canceled)
	s.live.mu.Lock()
	s.live.uncountStream(caller)
	s.live.mu.Unlock()
}

// streamSockets accepts WebSockets as gqlgen's coder/websocket adapter
// does, and closes each with the code its stream was ended with: gqlgen
// itself closes with 1000 whenever the connection's context ends.
type streamSockets struct {
	transport.CoderWebsocketImplementation
}

func (i streamSockets) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := i.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	if a, ok := r.Context().Value(acceptedKey{}).(*accepted); ok {
		a.conn = c
	}
	if s := streamFrom(r.Context()); s != nil {
		return &streamSocket{WebsocketConn: c, s: s}, nil
	}
	return c, nil
}

// wsTransport is gqlgen's WebSocket transport, except that a socket is
// closed when gqlgen gives up on it before its connection_init was read:
// gqlgen returns without closing when the init payload is not a JSON
// object, and the socket then stayed open past every timeout. Once init
// has run, gqlgen closes the socket itself.
type wsTransport struct{ transport.Websocket }

type acceptedKey struct{}

// accepted is the socket of one upgrade, and whether its init ran.
type accepted struct {
	conn    transport.WebsocketConn
	initRan bool
}

func (t wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	var a accepted
	t.Websocket.Do(w, r.WithContext(context.WithValue(r.Context(), acceptedKey{}, &a)), exec)
	if a.conn != nil && !a.initRan {
		_ = a.conn.WriteClose(closeBadRequest, "the connection_init payload must be a JSON object")
		_ = a.conn.Close()
	}
}

type streamSocket struct {
	transport.WebsocketConn
	s *stream
}

var (
	_ transport.WebsocketReadLimiter   = (*streamSocket)(nil)
	_ transport.WebsocketReadDeadliner = (*streamSocket)(nil)
)

func (c *streamSocket) WriteClose(code int, reason string) error {
	if ended, why := c.s.closing(); ended != 0 {
		code, reason = ended, why
	} else if reason == gqlgenInitTimeout {
		code = closeInitTimeout // gqlgen says 1002, a protocol error
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

// The transport finds these by type assertion: pass them through.
func (c *streamSocket) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *streamSocket) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
