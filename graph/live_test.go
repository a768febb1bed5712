package graph_test

import (
	"context"
	"encoding/json"
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
