package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// newLiveServer serves the handler over real HTTP, so subscriptions run over
// a real WebSocket; changes reach the hub through Notify, as the
// database listener would deliver them (the listener and the trigger are
// tested in internal/store and end to end by scripts/browser-test.sh).
func newLiveServer(t *testing.T, who hin.Principal, cfg graph.LiveConfig) (*graph.Live, string, *figureServer) {
	t.Helper()
	fs := newFigureServer(t, who)
	s := store.NewFromDB(fs.db)
	live := graph.NewLive(s, cfg)
	h := graph.NewHandler(s, graph.Options{Introspection: true, Live: live})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(graph.WithCaller(hin.WithPrincipal(r.Context(), who), "test")))
	}))
	t.Cleanup(func() { live.Close(context.Background()); srv.Close() })
	return live, "ws" + strings.TrimPrefix(srv.URL, "http"), fs
}

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe opens a graphql-transport-ws connection and starts one
// subscription; messages of that subscription arrive on the channel.
func subscribe(t *testing.T, url, query string) <-chan wsMsg {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(wsjson.Write(ctx, c, wsMsg{Type: "connection_init"}))
	var ack wsMsg
	must(wsjson.Read(ctx, c, &ack))
	if ack.Type != "connection_ack" {
		t.Fatalf("got %s, want connection_ack", ack.Type)
	}
	payload, _ := json.Marshal(map[string]string{"query": query})
	must(wsjson.Write(ctx, c, wsMsg{ID: "1", Type: "subscribe", Payload: payload}))
	out := make(chan wsMsg, 100)
	go func() {
		defer close(out)
		for {
			var m wsMsg
			if err := wsjson.Read(ctx, c, &m); err != nil {
				return
			}
			if m.Type == "ping" {
				_ = wsjson.Write(ctx, c, wsMsg{Type: "pong"})
				continue
			}
			out <- m
		}
	}()
	return out
}

func next(t *testing.T, msgs <-chan wsMsg, within time.Duration) (wsMsg, bool) {
	t.Helper()
	select {
	case m, ok := <-msgs:
		return m, ok
	case <-time.After(within):
		return wsMsg{}, false
	}
}

func change(metric, region string, statuses ...hin.OutcomeStatus) hin.OutcomeChange {
	return hin.OutcomeChange{MetricCode: metric, RegionCode: region, Outcomes: 1, Statuses: statuses,
		PeriodStart: day("2023-06-01"), PeriodEnd: day("2023-06-30"), ChangedAt: time.Now()}
}

func TestFigureUpdatedCoalescesABurstIntoOneUpdate(t *testing.T) {
	t.Parallel()
	live, url, fs := newLiveServer(t, hin.Principal{}, graph.LiveConfig{Coalesce: 100 * time.Millisecond})
	msgs := subscribe(t, url, `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value coverage { reportingCount } } }`)
	waitOpen(t, live, 1)

	insertOutcomes(t, fs.db, []outcomeRow{{region: "UCLP", metric: "patients_benefiting", start: "2023-06-01", end: "2023-06-30", status: "PUBLISHED", value: 800}})
	for range 5000 { // a return of 5,000 rows, announced row by row at worst
		live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
	}
	m, ok := next(t, msgs, 3*time.Second)
	if !ok || m.Type != "next" {
		t.Fatalf("no update after the burst: %+v", m)
	}
	var got struct {
		Data struct {
			FigureUpdated struct {
				Value    float64
				Coverage struct{ ReportingCount int }
			}
		}
	}
	if err := json.Unmarshal(m.Payload, &got); err != nil {
		t.Fatal(err)
	}
	// 200 before (see figureData), plus the 800 just published
	if f := got.Data.FigureUpdated; f.Value != 1000 || f.Coverage.ReportingCount != 3 {
		t.Errorf("figure = %+v, want value 1000 from 3 regions", f)
	}
	if m, ok := next(t, msgs, 500*time.Millisecond); ok {
		t.Errorf("a second update for one burst: %+v", m)
	}
	if n := live.Updates(); n != 1 {
		t.Errorf("updates sent = %d, want 1", n)
	}
}

func TestFigureUpdatedIgnoresChangesThatCannotMoveIt(t *testing.T) {
	t.Parallel()
	live, url, fs := newLiveServer(t, hin.Principal{}, graph.LiveConfig{Coalesce: 50 * time.Millisecond})
	msgs := subscribe(t, url, `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, filter: {regionCodes: ["HI-EM", "UCLP"]}) { value } }`)
	waitOpen(t, live, 1)
	insertOutcomes(t, fs.db, []outcomeRow{{region: "UCLP", metric: "patients_benefiting", start: "2023-06-01", end: "2023-06-30", status: "DRAFT", value: 5}})
	live.Notify(change("patients_benefiting", "UCLP", hin.OutcomeDraft))      // drafts only
	live.Notify(change("sites_live", "UCLP", hin.OutcomePublished))           // another metric
	live.Notify(change("patients_benefiting", "HI-WM", hin.OutcomePublished)) // a region filtered out
	other := change("patients_benefiting", "UCLP", hin.OutcomePublished)
	other.PeriodStart, other.PeriodEnd = day("2025-01-01"), day("2025-01-31") // outside the window
	live.Notify(other)
	if m, ok := next(t, msgs, 400*time.Millisecond); ok {
		t.Errorf("an update for changes that cannot move the figure: %+v", m)
	}
	// A change that may move it is answered with the figure, moved or not:
	// the subscription cannot know what the client saw before it.
	live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
	if m, ok := next(t, msgs, 2*time.Second); !ok || !strings.Contains(string(m.Payload), `"value":170`) {
		t.Errorf("first update: %+v, want the figure (170)", m)
	}
	// after that, only a figure that differs from the last one sent
	live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
	if m, ok := next(t, msgs, 400*time.Millisecond); ok {
		t.Errorf("an update though the figure did not change: %s", m.Payload)
	}
}

func TestSubscriptionsAreCappedPerCaller(t *testing.T) {
	t.Parallel()
	live, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{MaxPerCaller: 2})
	const q = `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes } }`
	subscribe(t, url, q)
	subscribe(t, url, q)
	waitOpen(t, live, 2)
	m, ok := next(t, subscribe(t, url, q), 2*time.Second)
	if !ok || m.Type != "next" || !strings.Contains(string(m.Payload), hin.ESUBSCRIPTIONLIMIT) {
		t.Fatalf("third subscription: %+v %s, want %s", m, m.Payload, hin.ESUBSCRIPTIONLIMIT)
	}
}

// TestZeroSubscriptionCapIsNoCap: --max-subscriptions 0 turns the cap
// off, as 0 does for every other limit (it once meant the default, 20).
func TestZeroSubscriptionCapIsNoCap(t *testing.T) {
	t.Parallel()
	live, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{MaxPerCaller: 0})
	s := openSocket(t, url)
	n := graph.DefaultMaxSubscriptionsPerCaller + 5
	for i := range n {
		s.subscribe(fmt.Sprint(i), `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes } }`)
	}
	waitOpen(t, live, n)
	for id, msgs := range s.gather(200 * time.Millisecond) {
		t.Errorf("subscription %s got %+v, want nothing yet", id, msgs)
	}
}

func TestOutcomeChangesMergesABurstPerMetric(t *testing.T) {
	t.Parallel()
	live, url, fs := newLiveServer(t, hin.Principal{}, graph.LiveConfig{Coalesce: 100 * time.Millisecond})
	msgs := subscribe(t, url, `subscription { outcomeChanges(regionCode: "HI-EM") { region { code } metric { code } periodStart periodEnd outcomes statuses } }`)
	waitOpen(t, live, 1)
	var region, metric string
	if err := fs.db.QueryRow(`SELECT (SELECT id FROM region WHERE code = 'HI-EM'), (SELECT id FROM metric WHERE code = 'sites_live')`).Scan(&region, &metric); err != nil {
		t.Fatal(err)
	}
	a := change("sites_live", "HI-EM", hin.OutcomeDraft)
	a.RegionID, a.MetricID = region, metric
	b := a
	b.Statuses = []hin.OutcomeStatus{hin.OutcomePublished}
	b.PeriodStart, b.PeriodEnd = day("2023-09-01"), day("2023-09-30")
	live.Notify(a) // anonymous callers do not hear of drafts alone
	live.Notify(b)
	live.Notify(b)
	m, ok := next(t, msgs, 2*time.Second)
	if !ok {
		t.Fatal("no change arrived")
	}
	var got struct {
		Data struct {
			OutcomeChanges struct {
				Region, Metric         struct{ Code string }
				PeriodStart, PeriodEnd string
				Outcomes               int
				Statuses               []string
			}
		}
	}
	if err := json.Unmarshal(m.Payload, &got); err != nil {
		t.Fatal(err)
	}
	c := got.Data.OutcomeChanges
	if c.Region.Code != "HI-EM" || c.Metric.Code != "sites_live" || c.Outcomes != 2 || c.PeriodStart != "2023-09-01" ||
		c.PeriodEnd != "2023-09-30" || strings.Join(c.Statuses, ",") != "PUBLISHED" {
		t.Errorf("change = %+v", c)
	}
	if m, ok := next(t, msgs, 300*time.Millisecond); ok {
		t.Errorf("a second event for one burst: %s", m.Payload)
	}
}

func TestClosingTheHubCompletesSubscriptions(t *testing.T) {
	t.Parallel()
	live, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{})
	msgs := subscribe(t, url, `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes } }`)
	waitOpen(t, live, 1)
	live.Close(context.Background())
	m, ok := next(t, msgs, 2*time.Second)
	if !ok || m.Type != "complete" {
		t.Fatalf("got %+v, want complete", m)
	}
	waitOpen(t, live, 0)
}

func TestSubscriptionArgumentsAreCheckedAtOnce(t *testing.T) {
	t.Parallel()
	_, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{})
	for q, code := range map[string]string{
		`subscription { figureUpdated(metrics: ["no_such_metric"], window: {financialYear: "FY2023-24"}) { value } }`:                           hin.EINVALID,
		`subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}, includeDrafts: true) { value } }`: hin.EFORBIDDEN,
		`subscription { outcomeChanges(regionCode: "NOPE") { outcomes } }`:                                                                      hin.EINVALID,
	} {
		m, ok := next(t, subscribe(t, url, q), 2*time.Second)
		if !ok || !strings.Contains(string(m.Payload), `"code":"`+code+`"`) {
			t.Errorf("%s\ngot %+v %s, want %s", q, m, m.Payload, code)
		}
	}
}

func waitOpen(t *testing.T, live *graph.Live, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for live.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("open subscriptions = %d, want %d", live.Open(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitRuns(t *testing.T, live *graph.Live, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for live.Runs() != n {
		if time.Now().After(deadline) {
			t.Fatalf("runs = %d, want %d", live.Runs(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Streams carry subscriptions only, and plain requests never do: a query
// over a WebSocket would skip the rate limits and request timeout.
func TestEachOperationKeepsToItsTransport(t *testing.T) {
	t.Parallel()
	_, url, fs := newLiveServer(t, hin.Principal{}, graph.LiveConfig{})
	m, ok := next(t, subscribe(t, url, `query { regions { code } }`), 2*time.Second)
	if !ok || !strings.Contains(string(m.Payload), `"code":"BAD_REQUEST"`) || strings.Contains(string(m.Payload), "HI-EM") {
		t.Errorf("a query over a WebSocket: %+v %s, want BAD_REQUEST", m, m.Payload)
	}
	errs := fs.queryErr(t, `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes } }`)
	if codeOf(errs) != "BAD_REQUEST" {
		t.Errorf("a subscription by POST: %+v, want BAD_REQUEST", errs)
	}
}

// newSharingServer is newLiveServer with the default query limits, whose
// cost limits are each caller's budget for open subscriptions; the caller
// is an analyst when the URL asks (?who=analyst), else anonymous.
func newSharingServer(t *testing.T, cfg graph.LiveConfig) (*graph.Live, string, *figureServer) {
	t.Helper()
	fs := newFigureServer(t, hin.Principal{})
	s := store.NewFromDB(fs.db)
	live := graph.NewLive(s, cfg)
	limits := graph.Limits{MaxCost: 50000, MaxCostAnonymous: 10000}
	h := graph.NewHandler(s, graph.Options{Introspection: true, Live: live, Limits: limits})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, caller := hin.Principal{}, "ip:test"
		if r.URL.Query().Get("who") == "analyst" {
			who, caller = hin.Principal{Subject: "analyst-1", Role: hin.RoleAnalyst}, "sub:analyst-1"
		}
		h.ServeHTTP(w, r.WithContext(graph.WithCaller(hin.WithPrincipal(r.Context(), who), caller)))
	}))
	t.Cleanup(func() { live.Close(context.Background()); srv.Close() })
	return live, "ws" + strings.TrimPrefix(srv.URL, "http"), fs
}

// socket is one graphql-transport-ws connection holding any number of
// subscriptions; every message arrives on msgs.
type socket struct {
	t    *testing.T
	c    *websocket.Conn
	msgs chan wsMsg
}

func openSocket(t *testing.T, url string) *socket {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(64 << 20)
	t.Cleanup(func() { c.CloseNow() })
	if err := wsjson.Write(ctx, c, wsMsg{Type: "connection_init"}); err != nil {
		t.Fatal(err)
	}
	var ack wsMsg
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("got %+v (%v), want connection_ack", ack, err)
	}
	s := &socket{t: t, c: c, msgs: make(chan wsMsg, 1000)}
	go func() {
		defer close(s.msgs)
		for {
			var m wsMsg
			if err := wsjson.Read(ctx, c, &m); err != nil {
				return
			}
			if m.Type == "ping" {
				_ = wsjson.Write(ctx, c, wsMsg{Type: "pong"})
				continue
			}
			s.msgs <- m
		}
	}()
	return s
}

func (s *socket) subscribe(id, query string) {
	s.t.Helper()
	payload, _ := json.Marshal(map[string]string{"query": query})
	if err := wsjson.Write(context.Background(), s.c, wsMsg{ID: id, Type: "subscribe", Payload: payload}); err != nil {
		s.t.Fatal(err)
	}
}

// gather collects the messages that arrive within d, by subscription id.
func (s *socket) gather(d time.Duration) map[string][]wsMsg {
	got := map[string][]wsMsg{}
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				return got
			}
			got[m.ID] = append(got[m.ID], m)
		case <-deadline:
			return got
		}
	}
}

// Identical subscriptions (query, variables, what the caller may see) run
// once and get the same bytes; another caller's view runs apart.
func TestIdenticalSubscriptionsShareOneRun(t *testing.T) {
	t.Parallel()
	live, url, _ := newSharingServer(t, graph.LiveConfig{Coalesce: 50 * time.Millisecond})
	const q = `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value outcomeCount } }`
	anonymous := []*socket{openSocket(t, url), openSocket(t, url), openSocket(t, url)}
	for i, s := range anonymous {
		s.subscribe(fmt.Sprint(i), q)
	}
	analyst := openSocket(t, url+"?who=analyst")
	analyst.subscribe("a", q)
	waitOpen(t, live, 4)
	waitRuns(t, live, 2) // three identical anonymous subscriptions and one analyst's
	live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
	var first string
	for i, s := range append(anonymous, analyst) {
		got := s.gather(time.Second)
		var msgs []wsMsg
		for _, ms := range got {
			msgs = append(msgs, ms...)
		}
		if len(msgs) != 1 || msgs[0].Type != "next" {
			t.Fatalf("socket %d got %+v, want one update", i, msgs)
		}
		if i == 0 {
			first = string(msgs[0].Payload)
		} else if string(msgs[0].Payload) != first {
			t.Errorf("socket %d got %s, want the same as the first: %s", i, msgs[0].Payload, first)
		}
	}
	if n := live.Updates(); n != 4 {
		t.Errorf("updates = %d, want one per subscription (4)", n)
	}
	// the last one out ends the run
	for _, s := range anonymous {
		s.c.Close(websocket.StatusNormalClosure, "")
	}
	waitOpen(t, live, 1)
	waitRuns(t, live, 1) // the analyst's
}

// Issue 18: one anonymous socket held 20 subscriptions, each within the
// cost limit, and a single publish sent it 6.2 MB. The subscriptions a
// caller holds now share its cost limit, counted by what one change may
// send them (outcomeChanges: an event per metric changed).
func TestSubscriptionsShareTheirCallersCostBudget(t *testing.T) {
	t.Parallel()
	live, url, _ := newSharingServer(t, graph.LiveConfig{})
	const wide = `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { byRegion { region { outcomes(first: 300) { nodes { id } } } } } }`
	s := openSocket(t, url)
	for i := range 20 {
		s.subscribe(fmt.Sprint(i), wide)
	}
	got := s.gather(2 * time.Second)
	refused := 0
	for id, msgs := range got {
		if len(msgs) == 0 || !strings.Contains(string(msgs[0].Payload), hin.ESUBSCRIPTIONLIMIT) {
			t.Errorf("subscription %s: %+v, want %s", id, msgs, hin.ESUBSCRIPTIONLIMIT)
		}
		refused++
	}
	if refused != 19 || live.Open() != 1 {
		t.Errorf("%d of 20 refused and %d open, want 19 and 1", refused, live.Open())
	}
	// a second socket from the same caller shares the budget
	other := openSocket(t, url)
	other.subscribe("x", wide)
	if m := other.gather(time.Second)["x"]; len(m) == 0 || !strings.Contains(string(m[0].Payload), hin.ESUBSCRIPTIONLIMIT) {
		t.Errorf("on a second socket: %+v, want %s", m, hin.ESUBSCRIPTIONLIMIT)
	}
	// A region's feed may send an event per metric for one change: a wide
	// selection there is over the limit on its own.
	other.subscribe("y", `subscription { outcomeChanges(regionCode: "HI-EM") { region { outcomes(first: 50) { nodes { id value } } } } }`)
	if m := other.gather(time.Second)["y"]; len(m) == 0 || !strings.Contains(string(m[0].Payload), hin.ECOSTLIMIT) {
		t.Errorf("a wide region feed: %+v, want %s", m, hin.ECOSTLIMIT)
	}
	// a signed-in caller has a budget of its own, and a larger one
	analyst := openSocket(t, url+"?who=analyst")
	for i := range 5 {
		analyst.subscribe(fmt.Sprint(i), wide)
	}
	waitOpen(t, live, 6)
	waitRuns(t, live, 2) // one per view
}

// The member that started a shared run can leave while others stay: its
// subscription completes at once, and the others keep theirs.
func TestTheFirstOfASharedRunCanLeave(t *testing.T) {
	t.Parallel()
	live, url, fs := newSharingServer(t, graph.LiveConfig{Coalesce: 20 * time.Millisecond})
	const q = `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes } }`
	first, second := openSocket(t, url), openSocket(t, url)
	first.subscribe("1", q)
	waitRuns(t, live, 1)
	second.subscribe("2", q)
	waitOpen(t, live, 2)
	if err := wsjson.Write(context.Background(), first.c, wsMsg{ID: "1", Type: "complete"}); err != nil {
		t.Fatal(err)
	}
	if m := first.gather(time.Second)["1"]; len(m) != 1 || m[0].Type != "complete" {
		t.Fatalf("the first member, after stopping: %+v, want complete", m)
	}
	waitOpen(t, live, 1)
	c := change("sites_live", "HI-EM", hin.OutcomePublished)
	if err := fs.db.QueryRow(`SELECT (SELECT id FROM region WHERE code = 'HI-EM'), (SELECT id FROM metric WHERE code = 'sites_live')`).Scan(&c.RegionID, &c.MetricID); err != nil {
		t.Fatal(err)
	}
	live.Notify(c)
	if m := second.gather(time.Second)["2"]; len(m) != 1 || m[0].Type != "next" {
		t.Errorf("the second member: %+v, want its update", m)
	}
}

// Issue 18, item 5: a subscription sent under a token that has expired is
// refused, whatever its stream (the edge ends the stream itself too).
func TestSubscriptionUnderAnExpiredTokenIsRefused(t *testing.T) {
	t.Parallel()
	who := hin.Principal{Subject: "editor", Role: hin.RoleAnalyst, Expires: time.Now().Add(-time.Second)}
	_, url, _ := newLiveServer(t, who, graph.LiveConfig{})
	m, ok := next(t, subscribe(t, url, `subscription { outcomeChanges(regionCode: "HI-EM") { outcomes } }`), 2*time.Second)
	if !ok || !strings.Contains(string(m.Payload), `"code":"`+hin.EUNAUTHORIZED+`"`) {
		t.Errorf("got %+v %s, want %s", m, m.Payload, hin.EUNAUTHORIZED)
	}
}

// Each change that moves a shared figure reaches every member, with its own
// bytes: gqlgen renders every event into one buffer.
func TestSharedRunSendsEachNewFigure(t *testing.T) {
	t.Parallel()
	live, url, fs := newSharingServer(t, graph.LiveConfig{Coalesce: 20 * time.Millisecond})
	const q = `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value } }`
	a, b := openSocket(t, url), openSocket(t, url)
	a.subscribe("1", q)
	b.subscribe("1", q)
	waitOpen(t, live, 2)
	waitRuns(t, live, 1)
	for i, want := range []string{`"value":210`, `"value":230`} {
		insertOutcomes(t, fs.db, []outcomeRow{{region: "UCLP", metric: "patients_benefiting", start: fmt.Sprintf("2023-0%d-01", 5+i), end: fmt.Sprintf("2023-0%d-28", 5+i), status: "PUBLISHED", value: float64(10 + 10*i)}})
		live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
		for _, s := range []*socket{a, b} {
			if m := s.gather(time.Second)["1"]; len(m) != 1 || !strings.Contains(string(m[0].Payload), want) {
				t.Fatalf("update %d: %+v, want %s", i, m, want)
			}
		}
	}
}

// A figure answers the first change after a quiet spell at once, rather
// than after the wait for the rest of a burst; the rest of the burst moves
// nothing more and sends nothing.
func TestFigureAnswersTheFirstChangeAtOnce(t *testing.T) {
	t.Parallel()
	live, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{Coalesce: 3 * time.Second})
	msgs := subscribe(t, url, `subscription { figureUpdated(metrics: ["patients_benefiting"], window: {financialYear: "FY2023-24"}) { value } }`)
	waitOpen(t, live, 1)
	live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
	live.Notify(change("patients_benefiting", "UCLP", hin.OutcomePublished))
	if m, ok := next(t, msgs, 2*time.Second); !ok || m.Type != "next" {
		t.Fatalf("no update within 2 s of the change, with a 3 s wait for bursts: %+v", m)
	}
	if m, ok := next(t, msgs, 4*time.Second); ok {
		t.Errorf("a second update for an unchanged figure: %s", m.Payload)
	}
}

// A subscription selects exactly one root field (GraphQL's "single root
// field" rule). gqlgen checks it only when it runs the subscription, with
// an error of no code: two fields, aliased or spread from a fragment, got
// INTERNAL over both streams (issue 18 probes).
func TestSubscriptionOfTwoRootFieldsIsInvalid(t *testing.T) {
	t.Parallel()
	_, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{})
	oc := `outcomeChanges(regionCode: "HI-EM") { outcomes }`
	for _, q := range []string{
		`subscription { a: ` + oc + ` b: ` + oc + ` }`,
		`subscription { ...F } fragment F on Subscription { a: ` + oc + ` b: ` + oc + ` }`,
		`subscription { ` + oc + ` __typename }`,
	} {
		m, ok := next(t, subscribe(t, url, q), 2*time.Second)
		if !ok || !strings.Contains(string(m.Payload), `"code":"GRAPHQL_VALIDATION_FAILED"`) {
			t.Errorf("%s\ngot %+v %s, want GRAPHQL_VALIDATION_FAILED", q, m, m.Payload)
		}
	}
	// a field skipped by a directive is not selected
	m, ok := next(t, subscribe(t, url, `subscription { a: `+oc+` b: `+oc+` @skip(if: true) }`), 500*time.Millisecond)
	if ok && strings.Contains(string(m.Payload), `"errors"`) {
		t.Errorf("one field left after @skip: %s, want it to run", m.Payload)
	}
}

// A connection_init whose payload is not an object ("x", [1]) made gqlgen
// give up on the socket without closing it: it stayed open past the init
// and idle timeouts, holding a descriptor until the client left (issue 18
// probes). It is closed with 4400 at once.
func TestBadInitPayloadClosesTheSocket(t *testing.T) {
	t.Parallel()
	_, url, _ := newLiveServer(t, hin.Principal{}, graph.LiveConfig{})
	for _, payload := range []string{`"x"`, `[1]`, `5`} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if err := wsjson.Write(ctx, c, wsMsg{Type: "connection_init", Payload: json.RawMessage(payload)}); err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Read(ctx)
		if code := websocket.CloseStatus(err); code != 4400 {
			t.Errorf("payload %s: read ended with %v (close %d), want close 4400 at once", payload, err, code)
		}
		c.CloseNow()
		cancel()
	}
}
