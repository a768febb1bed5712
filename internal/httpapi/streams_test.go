package httpapi_test

// Hostile streams: what issue 18 found open on WebSockets and SSE, tried
// again over real sockets through the whole edge (guard, stream caps,
// gqlgen's transports): a token that expires under an open stream, idle
// sockets by the hundred, and refused handshakes.

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

const streamSecret = "a-test-secret-for-streams-long-enough-for-hs256"

type streamServer struct {
	srv *httpapi.Server
	url string // http://host
	db  *sql.DB
}

func newStreamServer(t *testing.T, edit func(*httpapi.Config)) *streamServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	cfg := httpapi.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Tokens.HMACSecret = []byte(streamSecret)
	cfg.Tokens.Leeway = 0
	cfg.Subscriptions.Coalesce = 20 * time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	srv, err := httpapi.New(context.Background(), cfg, store.NewFromDB(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Live().Close(context.Background())
		ts.CloseClientConnections()
		ts.Close()
	})
	return &streamServer{srv: srv, url: ts.URL, db: db}
}

func streamToken(t *testing.T, subject, role, region string, ttl time.Duration) string {
	t.Helper()
	tok, err := auth.Mint(auth.MintConfig{Secret: []byte(streamSecret), Subject: subject, Role: role, RegionCode: region, TTL: ttl, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// draftChange is a change among HI-EM's drafts only, as the database
// listener would deliver it.
func (s *streamServer) draftChange(t *testing.T) hin.OutcomeChange {
	t.Helper()
	c := hin.OutcomeChange{RegionCode: "HI-EM", MetricCode: "patients_benefiting", Outcomes: 1,
		Statuses: []hin.OutcomeStatus{hin.OutcomeDraft}, ChangedAt: time.Now(),
		PeriodStart: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2023, 6, 30, 0, 0, 0, 0, time.UTC)}
	if err := s.db.QueryRow(`SELECT (SELECT id FROM region WHERE code = 'HI-EM'), (SELECT id FROM metric WHERE code = 'patients_benefiting')`).Scan(&c.RegionID, &c.MetricID); err != nil {
		t.Fatal(err)
	}
	return c
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsConn is a graphql-transport-ws client: messages arrive on msgs, and
// closed holds how the server closed the socket once msgs is closed.
type wsConn struct {
	c      *websocket.Conn
	msgs   chan wsMessage
	closed error
}

// dialWS opens a socket with an optional token in the upgrade's header;
// it returns the refusal's status and body when the upgrade fails.
func dialWS(t *testing.T, base string, header http.Header) (*wsConn, *http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		if res == nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return nil, res, string(b)
	}
	t.Cleanup(func() { c.CloseNow() })
	w := &wsConn{c: c, msgs: make(chan wsMessage, 100)}
	go func() {
		for {
			var m wsMessage
			if err := wsjson.Read(ctx, c, &m); err != nil {
				w.closed = err
				close(w.msgs)
				return
			}
			if m.Type == "ping" {
				_ = wsjson.Write(ctx, c, wsMessage{Type: "pong"})
				continue
			}
			w.msgs <- m
		}
	}()
	return w, res, ""
}

func (w *wsConn) send(t *testing.T, m wsMessage) {
	t.Helper()
	if err := wsjson.Write(context.Background(), w.c, m); err != nil {
		t.Fatal(err)
	}
}

// init sends connection_init (with a token in its payload when given) and
// waits for the ack.
func (w *wsConn) init(t *testing.T, token string) {
	t.Helper()
	m := wsMessage{Type: "connection_init"}
	if token != "" {
		m.Payload, _ = json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	}
	w.send(t, m)
	if ack, ok := w.next(3 * time.Second); !ok || ack.Type != "connection_ack" {
		t.Fatalf("got %+v (%v), want connection_ack", ack, w.closed)
	}
}

func (w *wsConn) subscribe(t *testing.T, id, query string) {
	t.Helper()
	payload, _ := json.Marshal(map[string]string{"query": query})
	w.send(t, wsMessage{ID: id, Type: "subscribe", Payload: payload})
}

func (w *wsConn) next(within time.Duration) (wsMessage, bool) {
	select {
	case m, ok := <-w.msgs:
		return m, ok
	case <-time.After(within):
		return wsMessage{}, false
	}
}

// closedWith waits for the server to close the socket and returns its
// close code and reason.
func (w *wsConn) closedWith(t *testing.T, within time.Duration) (websocket.StatusCode, string) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-w.msgs:
			if ok {
				continue
			}
			var ce websocket.CloseError
			if errors.As(w.closed, &ce) {
				return ce.Code, ce.Reason
			}
			t.Fatalf("closed without a close frame: %v", w.closed)
		case <-deadline:
			t.Fatalf("still open after %s", within)
		}
	}
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// sseStream posts a subscription with Accept: text/event-stream; each
// event ("next" with its data, "complete") arrives on the channel, which
// closes when the stream ends.
func sseStream(t *testing.T, base, token, query string) (*http.Response, <-chan [2]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	events := make(chan [2]string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
				if event == "complete" {
					events <- [2]string{event, ""}
				}
			case strings.HasPrefix(line, "data: "):
				events <- [2]string{event, strings.TrimPrefix(line, "data: ")}
			}
		}
	}()
	return res, events
}

func nextEvent(events <-chan [2]string, within time.Duration) ([2]string, bool) {
	select {
	case e, ok := <-events:
		return e, ok
	case <-time.After(within):
		return [2]string{}, false
	}
}

const draftFeed = `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes statuses } }`

// Issue 18, item 5: an editor's token expired while its WebSocket and SSE
// subscriptions to drafts were open, and both kept delivering. Now each
// stream ends when its token does: a WebSocket with close code 4403, an SSE
// stream with an UNAUTHENTICATED error and its end.
func TestHostileStreamOutlivesItsToken(t *testing.T) {
	t.Parallel()
	s := newStreamServer(t, nil)
	const ttl = 2 * time.Second
	change := s.draftChange(t)

	t.Run("websocket, token in the init payload", func(t *testing.T) {
		t.Parallel()
		w, _, _ := dialWS(t, s.url, nil)
		w.init(t, streamToken(t, "editor-init", "REGION_EDITOR", "HI-EM", ttl))
		w.subscribe(t, "1", draftFeed)
		waitFor(t, func() bool { return s.srv.Live().Runs() > 0 })
		s.srv.Live().Notify(change)
		if m, ok := w.next(3 * time.Second); !ok || m.Type != "next" || !strings.Contains(string(m.Payload), "DRAFT") {
			t.Fatalf("before expiry: %+v, want the draft change", m)
		}
		code, reason := w.closedWith(t, ttl+3*time.Second)
		if code != 4403 || !strings.Contains(reason, "expired") {
			t.Errorf("closed with %d %q, want 4403 and a reason naming the expiry", code, reason)
		}
	})
	t.Run("websocket, token in the upgrade header", func(t *testing.T) {
		t.Parallel()
		w, _, _ := dialWS(t, s.url, bearer(streamToken(t, "editor-header", "REGION_EDITOR", "HI-EM", ttl)))
		w.init(t, "")
		w.subscribe(t, "1", draftFeed)
		code, reason := w.closedWith(t, ttl+3*time.Second)
		if code != 4403 || !strings.Contains(reason, "expired") {
			t.Errorf("closed with %d %q, want 4403", code, reason)
		}
	})
	t.Run("SSE", func(t *testing.T) {
		t.Parallel()
		res, events := sseStream(t, s.url, streamToken(t, "editor-sse", "REGION_EDITOR", "HI-EM", ttl),
			`subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, includeDrafts: true) { includesDrafts value } }`)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		var got []string
		for e, ok := nextEvent(events, ttl+3*time.Second); ok; e, ok = nextEvent(events, time.Second) {
			got = append(got, e[0]+" "+e[1])
		}
		if len(got) != 2 || !strings.Contains(got[0], `"code":"UNAUTHENTICATED"`) || got[1] != "complete " {
			t.Errorf("events %q, want an UNAUTHENTICATED error, then complete and the end", got)
		}
	})
	t.Run("a new stream with the expired token", func(t *testing.T) {
		t.Parallel()
		tok := streamToken(t, "editor-late", "REGION_EDITOR", "HI-EM", time.Second)
		time.Sleep(2100 * time.Millisecond)
		if _, res, body := dialWS(t, s.url, bearer(tok)); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"UNAUTHENTICATED"`) {
			t.Errorf("upgrade: %d %s, want 401 UNAUTHENTICATED", res.StatusCode, body)
		}
		w, _, _ := dialWS(t, s.url, nil)
		m := wsMessage{Type: "connection_init"}
		m.Payload, _ = json.Marshal(map[string]string{"Authorization": "Bearer " + tok})
		w.send(t, m)
		if code, _ := w.closedWith(t, 3*time.Second); code != 4403 {
			t.Errorf("init: closed with %d, want 4403", code)
		}
	})
}

// Issue 18, item 7: 250 sockets from one address that sent only
// connection_init all stayed open. Streams are now capped per address
// (and per token subject), and a socket without a subscription is closed.
func TestHostileIdleSockets(t *testing.T) {
	t.Parallel()
	d := httpapi.DefaultConfig().Subscriptions
	if d.MaxStreamsPerAddress <= 0 || d.MaxStreamsPerSubject <= 0 || d.IdleTimeout <= 0 {
		t.Fatalf("the default configuration leaves streams uncapped: %+v", d)
	}

	t.Run("per address, by default", func(t *testing.T) {
		t.Parallel()
		s := newStreamServer(t, func(c *httpapi.Config) { c.AnonymousRate.PerSecond = 0 })
		open, refused := 0, 0
		for range d.MaxStreamsPerAddress + 10 {
			w, res, body := dialWS(t, s.url, nil)
			if w == nil {
				if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `"RATE_LIMITED"`) || res.Header.Get("Retry-After") == "" {
					t.Fatalf("refused with %d %s, want 429 RATE_LIMITED with Retry-After", res.StatusCode, body)
				}
				refused++
				continue
			}
			w.init(t, "")
			open++
		}
		if open != d.MaxStreamsPerAddress || refused != 10 {
			t.Errorf("%d open and %d refused, want %d and 10", open, refused, d.MaxStreamsPerAddress)
		}
		// an SSE stream is a stream too
		if res, _ := sseStream(t, s.url, "", draftFeed); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("SSE over the cap: status %d, want 429", res.StatusCode)
		}
		// a signed-in caller behind the same address is not locked out
		w, res, body := dialWS(t, s.url, bearer(streamToken(t, "analyst-behind-proxy", "ANALYST", "", time.Hour)))
		if w == nil {
			t.Errorf("a signed-in caller from a full address: %d %s", res.StatusCode, body)
		}
	})

	t.Run("per subject", func(t *testing.T) {
		t.Parallel()
		s := newStreamServer(t, func(c *httpapi.Config) { c.Subscriptions.MaxStreamsPerSubject = 2 })
		tok := streamToken(t, "analyst-many", "ANALYST", "", time.Hour)
		for range 2 {
			w, _, _ := dialWS(t, s.url, nil)
			w.init(t, tok)
		}
		w, _, _ := dialWS(t, s.url, nil) // counted by address until its init names the subject
		w.send(t, wsMessage{Type: "connection_init", Payload: json.RawMessage(`{"Authorization":"Bearer ` + tok + `"}`)})
		if code, reason := w.closedWith(t, 3*time.Second); code != 4429 || !strings.Contains(reason, "at most 2") {
			t.Errorf("a third socket of one subject: closed with %d %q, want 4429", code, reason)
		}
		if _, res, body := dialWS(t, s.url, bearer(tok)); res == nil || res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a third socket with the token in its header: %v %s, want 429", res, body)
		}
	})

	t.Run("idle sockets are closed", func(t *testing.T) {
		t.Parallel()
		s := newStreamServer(t, func(c *httpapi.Config) { c.Subscriptions.IdleTimeout = 400 * time.Millisecond })
		idle, _, _ := dialWS(t, s.url, nil)
		idle.init(t, "")
		busy, _, _ := dialWS(t, s.url, nil)
		busy.init(t, "")
		busy.subscribe(t, "1", draftFeed)
		code, reason := idle.closedWith(t, 3*time.Second)
		if code != websocket.StatusNormalClosure || !strings.Contains(reason, "without a subscription") {
			t.Errorf("idle socket closed with %d %q, want 1000 and why", code, reason)
		}
		if _, ok := busy.next(time.Second); !ok && busy.closed != nil {
			t.Fatalf("a socket holding a subscription was closed: %v", busy.closed)
		}
		busy.send(t, wsMessage{ID: "1", Type: "complete"}) // the client ends its subscription
		if code, _ := busy.closedWith(t, 3*time.Second); code != websocket.StatusNormalClosure {
			t.Errorf("socket left without a subscription closed with %d, want 1000", code)
		}
		waitFor(t, func() bool { return s.srv.Live().Streams() == 0 })
	})

	t.Run("a socket that never sends connection_init", func(t *testing.T) {
		t.Parallel()
		s := newStreamServer(t, nil)
		w, _, _ := dialWS(t, s.url, nil)
		if code, _ := w.closedWith(t, 15*time.Second); code != 4408 {
			t.Errorf("closed with %d, want 4408 (graphql-transport-ws: initialisation timeout)", code)
		}
	})
}

// Issue 18, item 9: a WebSocket refused for its Origin was answered in
// plain text. Every refused handshake now gets one coded GraphQL error.
func TestHostileWebSocketHandshakes(t *testing.T) {
	t.Parallel()
	s := newStreamServer(t, func(c *httpapi.Config) { c.CORSOrigins = []string{"https://dashboards.example.org"} })
	upgrade := func(edit func(r *http.Request)) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.url+"/graphql", nil)
		for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "graphql-transport-ws"} {
			req.Header.Set(k, v)
		}
		edit(req)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusSwitchingProtocols && ct != "application/json" {
			t.Errorf("Content-Type %q for %d %s", ct, res.StatusCode, b)
		}
		return res.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *http.Request)
		status int
		code   string
	}{
		{"another origin", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") }, 403, hin.EFORBIDDEN},
		{"an origin like the allowed one", func(r *http.Request) { r.Header.Set("Origin", "https://dashboards.example.org.evil.example") }, 403, hin.EFORBIDDEN},
		{"origin null", func(r *http.Request) { r.Header.Set("Origin", "null") }, 403, hin.EFORBIDDEN},
		{"no key", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") }, 400, hin.EBADREQUEST},
		{"a short key", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "c2hvcnQ=") }, 400, hin.EBADREQUEST},
		{"version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") }, 400, hin.EBADREQUEST},
		{"no Connection: Upgrade", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") }, 400, hin.EBADREQUEST},
		{"POST", func(r *http.Request) { r.Method = http.MethodPost }, 400, hin.EBADREQUEST},
	} {
		status, body := upgrade(tc.edit)
		if status != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
		if strings.Contains(body, "evil") || strings.Contains(body, "dGhl") {
			t.Errorf("%s: the answer quotes the request: %s", tc.name, body)
		}
	}
	for _, origin := range []string{"", "https://dashboards.example.org", s.url} {
		if status, body := upgrade(func(r *http.Request) {
			if origin != "" {
				r.Header.Set("Origin", origin)
			}
		}); status != http.StatusSwitchingProtocols {
			t.Errorf("origin %q: %d %s, want the upgrade", origin, status, body)
		}
	}
	// An Upgrade to anything but a WebSocket is ignored: the query is served.
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader(`{"query":"{ regions { code } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Upgrade", "h2c")
	req.Header.Set("Connection", "Upgrade")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "HI-EM") {
		t.Errorf("a query with Upgrade: h2c: %d %s", res.StatusCode, b)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCloseWaitsForEverySocket: Close returns only once every stream
// handler has ended, so each WebSocket's close frame is out before the
// process may exit. A client once saw 1006 (no close frame) because a
// hijacked socket is not waited for by http.Server.Shutdown.
func TestCloseWaitsForEverySocket(t *testing.T) {
	t.Parallel()
	db := testdb.NewDB(t, testdb.Reference)
	cfg := httpapi.DefaultConfig()
	cfg.Addr, cfg.MetricsAddr = "127.0.0.1:0", ""
	srv, err := httpapi.New(context.Background(), cfg, store.NewFromDB(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	var socks []*wsConn
	for i := range 5 {
		w, res, body := dialWS(t, srv.URL(), nil)
		if w == nil {
			t.Fatalf("socket %d: %d %s", i, res.StatusCode, body)
		}
		w.init(t, "")
		w.subscribe(t, "1", draftFeed)
		socks = append(socks, w)
	}
	waitFor(t, func() bool { return srv.Live().Streams() == len(socks) })
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Live().Streams(); n != 0 {
		t.Errorf("%d streams still open when Close returned", n)
	}
	for i, w := range socks {
		if code, _ := w.closedWith(t, 3*time.Second); code != websocket.StatusNormalClosure {
			t.Errorf("socket %d closed with %d, want 1000", i, code)
		}
	}
}
