//go:build federation

package main

// The federated network on real clusters: a national node and two regional
// nodes, each its own private PostgreSQL (internal/pgcluster), replicating
// with logical replication, served by the real server. These start several
// clusters and take a minute or two, so they run under `make
// federation-test` (part of `make test`), not in the plain `go test ./...`.
//
// HINGRAPH_FED_PORT sets the first of the clusters' ports (default 54470).

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/pgcluster"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

const fedSecret = "federation-test-secret-that-is-long-enough"

// fedSettings make replication notice things quickly: an idle subscription
// pings its publisher every 2 s (wal_receiver_timeout/2), and a failed
// worker is restarted after 1 s.
var fedSettings = map[string]string{
	"max_replication_slots":           "20",
	"max_wal_senders":                 "20",
	"max_logical_replication_workers": "16",
	"max_worker_processes":            "32",
	"wal_receiver_timeout":            "'4s'",
	"wal_retrieve_retry_interval":     "'1s'",
}

type fedCluster struct {
	*pgcluster.Cluster
	db *sql.DB
}

func fedPort(t *testing.T, i int) int {
	base := 54470
	if p := os.Getenv("HINGRAPH_FED_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("HINGRAPH_FED_PORT: %v", err)
		}
		base = n
	}
	return base + i
}

func newFedCluster(t *testing.T, name string, port int) *fedCluster {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755) // the cluster may run as another user
	}
	c, err := pgcluster.New(pgcluster.Config{Dir: dir, Port: port, WALLevel: "logical", Settings: fedSettings,
		BinDir: os.Getenv("PG_BINDIR"), Logf: t.Logf})
	if err != nil {
		t.Skipf("no PostgreSQL cluster: %v", err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(c.LogFile); err == nil {
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("%s server log (end):\n%s", name, b)
			}
		}
		_ = c.Stop(context.Background())
	})
	if err := c.CreateDatabase(ctx, "hin"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", c.URL("hin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &fedCluster{Cluster: c, db: db}
}

func (c *fedCluster) store(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Config{URL: c.URL("hin")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// restart stops the cluster for down, then starts it on the same port.
func (c *fedCluster) restart(t *testing.T, down time.Duration, meanwhile func()) {
	t.Helper()
	port := c.Port
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if meanwhile != nil {
		meanwhile()
	}
	time.Sleep(down - time.Since(start))
	c.Cluster.Port = port
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Port != port {
		t.Fatalf("cluster came back on port %d, not %d", c.Port, port)
	}
}

var adminToken = func() string {
	tok, err := auth.Mint(auth.MintConfig{Secret: []byte(fedSecret), Subject: "fed-admin", Role: "NATIONAL_ADMIN", TTL: time.Hour})
	if err != nil {
		panic(err)
	}
	return tok
}()

// gql sends a request as a national admin; a server that is briefly
// without its database (UNAVAILABLE) is asked again.
func gql(t *testing.T, s *testServer, query string, vars map[string]any) gqlResponse {
	t.Helper()
	for attempt := 0; ; attempt++ {
		_, out := s.post(t, gqlRequest{Query: query, Variables: vars}, map[string]string{"Authorization": "Bearer " + adminToken})
		if attempt < 50 && slices.Contains(errorCodes(out.Errors), "UNAVAILABLE") {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		return out
	}
}

func gqlOK(t *testing.T, s *testServer, query string, vars map[string]any, into any) {
	t.Helper()
	out := gql(t, s, query, vars)
	if len(out.Errors) > 0 {
		t.Fatalf("%s: %+v", query, out.Errors)
	}
	if into != nil {
		if err := json.Unmarshal(out.Data, into); err != nil {
			t.Fatal(err)
		}
	}
}

const recordOutcome = `mutation($region: String!, $value: Float!, $month: Date!, $end: Date!) {
  recordOutcome(input: {metricCode: "patients_benefiting", regionCode: $region, periodStart: $month, periodEnd: $end, value: $value}) { id } }`

// record writes an outcome for region at node s: the day i days after 1
// April 2021, so every write is a figure of its own (one current figure per
// key), before the demo data's year, spread over several rollup groups.
func record(t *testing.T, s *testServer, region string, i int) {
	t.Helper()
	month := time.Date(2021, time.April, 1+i, 0, 0, 0, 0, time.UTC)
	end := month
	gqlOK(t, s, recordOutcome, map[string]any{"region": region, "value": float64(i%7 + 1),
		"month": month.Format(time.DateOnly), "end": end.Format(time.DateOnly)}, nil)
}

const figureQuery = `{
  figure(metrics: ["patients_benefiting"], window: {from: "2021-04-01", to: "2023-03-31"}, includeDrafts: true) {
    value outcomeCount byRegion { region { code } value outcomeCount }
  }
  figureBreakdown(metrics: ["patients_benefiting"], window: {from: "2021-04-01", to: "2023-03-31"}, groupBy: [REGION, MONTH], includeDrafts: true) {
    region { code } period { start } value outcomeCount
  }
}`

type regionCount struct {
	Region       struct{ Code string }
	OutcomeCount int
}

func regionOutcomes(t *testing.T, s *testServer, code string) int {
	t.Helper()
	var out struct {
		Figure struct{ ByRegion []regionCount }
	}
	gqlOK(t, s, `{ figure(metrics: ["patients_benefiting"], window: {from: "2021-04-01", to: "2023-03-31"}, includeDrafts: true) {
		byRegion { region { code } outcomeCount } } }`, nil, &out)
	for _, r := range out.Figure.ByRegion {
		if r.Region.Code == code {
			return r.OutcomeCount
		}
	}
	return 0
}

type source struct {
	Region    struct{ Code string }
	Node      string
	Local     bool
	Connected bool
	Stale     bool
}

func sourceOf(t *testing.T, s *testServer, code string) source {
	t.Helper()
	var out struct{ RegionSources []source }
	gqlOK(t, s, `{ regionSources { region { code } node local connected stale } }`, nil, &out)
	for _, r := range out.RegionSources {
		if r.Region.Code == code {
			return r
		}
	}
	t.Fatalf("no source for %s", code)
	return source{}
}

// regionDigest fingerprints every row of a region in every regional
// table, to compare two nodes' copies exactly.
func regionDigest(t *testing.T, db *sql.DB, code string) string {
	t.Helper()
	var all string
	for _, tbl := range store.RegionalTables {
		q := fmt.Sprintf(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM %s t
			WHERE t.%s = (SELECT id FROM region WHERE code = $1)`, tbl.Name, tbl.RegionColumn)
		var d string
		if err := db.QueryRow(q, code).Scan(&d); err != nil {
			t.Fatal(err)
		}
		all += tbl.Name + "=" + d + " "
	}
	return all
}

// rollupsExact checks the national rollups of a region against its raw
// outcomes.
func rollupsExact(t *testing.T, db *sql.DB, code string) {
	t.Helper()
	const q = `SELECT
	  (SELECT coalesce(sum(n), 0) FROM outcome_region_month WHERE region_id = r.id),
	  (SELECT count(*) FROM outcome WHERE region_id = r.id),
	  (SELECT coalesce(sum(sum_value), 0) FROM outcome_region_month WHERE region_id = r.id),
	  (SELECT coalesce(sum(value), 0) FROM outcome WHERE region_id = r.id),
	  (SELECT coalesce(sum(n), 0) FROM outcome_detail_month WHERE region_id = r.id)
	FROM region r WHERE r.code = $1`
	var rolled, raw, detail int
	var rolledSum, rawSum float64
	if err := db.QueryRow(q, code).Scan(&rolled, &raw, &rolledSum, &rawSum, &detail); err != nil {
		t.Fatal(err)
	}
	if rolled != raw || detail != raw || rolledSum != rawSum {
		t.Errorf("%s rollups: %d outcomes (%d in details), sum %v; raw rows: %d, sum %v", code, rolled, detail, rolledSum, raw, rawSum)
	}
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func TestFederation(t *testing.T) {
	ctx := context.Background()
	nat := newFedCluster(t, "national", fedPort(t, 0))
	em := newFedCluster(t, "hi-em", fedPort(t, 1))
	west := newFedCluster(t, "hi-west", fedPort(t, 2))

	natStore := nat.store(t)
	if err := natStore.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := natStore.ReplaceAll(ctx, seed.Build(&smallDemo), seed.Fingerprint(&smallDemo)); err != nil {
		t.Fatal(err)
	}
	const natURL = "http://national.node.test"
	nodes := map[string]*fedCluster{"HI-EM": em, "HI-WEST": west}
	nodeURL := func(code string) string { return "http://" + code + ".node.test" }
	for _, code := range []string{"HI-EM", "HI-WEST"} {
		c := nodes[code]
		rs := c.store(t)
		if err := rs.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := store.MoveOut(ctx, natStore, rs, store.Move{Region: code, NodeURL: nodeURL(code), NationalURL: natURL,
			RegionalConninfo: c.URL("hin"), NationalConninfo: nat.URL("hin"), Logf: t.Logf})
		if err != nil {
			t.Fatalf("move %s out: %v", code, err)
		}
		t.Logf("moved %s out in %v", code, time.Since(start).Round(time.Millisecond))
		if a, b := regionDigest(t, nat.db, code), regionDigest(t, c.db, code); a != b {
			t.Fatalf("%s after the move: national %s, regional %s", code, a, b)
		}
		rollupsExact(t, c.db, code)
	}

	auth := []string{"--jwt-secret", fedSecret}
	natSrv := startServer(t, nat.URL("hin"), append(auth, "--node-role", "national", "--node-url", natURL, "--stale-after", "6s")...)
	emSrv := startServer(t, em.URL("hin"), append(auth, "--node-role", "regional", "--region", "HI-EM", "--node-url", nodeURL("HI-EM"), "--national-url", natURL)...)
	westSrv := startServer(t, west.URL("hin"), append(auth, "--node-role", "regional", "--region", "HI-WEST", "--node-url", nodeURL("HI-WEST"), "--national-url", natURL)...)
	// the same writes on one ordinary node, to compare figures with
	ref := startServer(t, testdb.URL(t, testdb.Demo(smallDemo)), auth...)
	both := func(s *testServer, region string, i int) {
		record(t, s, region, i)
		record(t, ref, region, i)
	}

	t.Run("one writer per region", func(t *testing.T) {
		out := gql(t, natSrv, recordOutcome, map[string]any{"region": "HI-EM", "value": 1.0, "month": "2023-05-01", "end": "2023-05-31"})
		if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "REGION_OWNED_ELSEWHERE" || out.Errors[0].Extensions["ownerNode"] != nodeURL("HI-EM") {
			t.Errorf("national write for HI-EM: %+v", out.Errors)
		}
		out = gql(t, emSrv, recordOutcome, map[string]any{"region": "UCLP", "value": 1.0, "month": "2023-05-01", "end": "2023-05-31"})
		if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "REGION_OWNED_ELSEWHERE" || out.Errors[0].Extensions["ownerNode"] != natURL {
			t.Errorf("regional write for another region: %+v", out.Errors)
		}
		out = gql(t, emSrv, `mutation { createInnovation(input: {name: "Made at a regional node", leadRegionCode: "HI-EM"}) { id } }`, nil)
		if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "CATALOGUE_READ_ONLY" {
			t.Errorf("catalogue write at a regional node: %+v", out.Errors)
		}
	})

	t.Run("a regional write reaches the national figure", func(t *testing.T) {
		const n = 40
		var lags []time.Duration
		for i := range n {
			before := regionOutcomes(t, natSrv, "HI-EM")
			record(t, emSrv, "HI-EM", i)
			lag := waitFor(t, "the write in the national figure", 30*time.Second, func() bool {
				return regionOutcomes(t, natSrv, "HI-EM") == before+1
			})
			lags = append(lags, lag)
			record(t, ref, "HI-EM", i)
		}
		slices.Sort(lags)
		p := func(q float64) time.Duration { return lags[min(len(lags)-1, int(q*float64(len(lags))))] }
		t.Logf("replication lag, write acknowledged at HI-EM to visible in the national figure (%d writes): p50 %v, p99 %v, max %v",
			n, p(0.50).Round(time.Millisecond), p(0.99).Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
		rollupsExact(t, nat.db, "HI-EM")
	})

	t.Run("a regional node's submission reaches the national tracker", func(t *testing.T) {
		collectionAtRegionalNode(t, natSrv, emSrv)
	})

	t.Run("national figures over spread data equal one node's", func(t *testing.T) {
		for i := range 12 {
			both(westSrv, "HI-WEST", i)
			both(natSrv, "UCLP", i)
			both(emSrv, "HI-EM", 100+i)
		}
		for _, code := range []string{"HI-EM", "HI-WEST"} {
			waitFor(t, code+" replicated", 30*time.Second, func() bool {
				return regionDigest(t, nat.db, code) == regionDigest(t, nodes[code].db, code)
			})
			rollupsExact(t, nat.db, code)
		}
		var got, want json.RawMessage
		gqlOK(t, natSrv, figureQuery, nil, &got)
		gqlOK(t, ref, figureQuery, nil, &want)
		if string(got) != string(want) {
			t.Errorf("national figures differ from one node's:\nnational %s\none node %s", got, want)
		}
	})

	t.Run("a regional node down, then back", func(t *testing.T) {
		for i := range 5 {
			record(t, emSrv, "HI-EM", 200+i)
		}
		counted := regionOutcomes(t, natSrv, "HI-EM")
		// 10 s down rather than 30: long enough to go stale (6 s here) and
		// for the national node to retry its connection several times.
		em.restart(t, 10*time.Second, func() {
			took := waitFor(t, "HI-EM stale at the national node", 9*time.Second, func() bool { return sourceOf(t, natSrv, "HI-EM").Stale })
			t.Logf("HI-EM marked stale %v after its database stopped", took.Round(time.Millisecond))
			var out struct {
				Figure struct {
					Coverage struct{ StaleRegions []struct{ Code string } }
				}
			}
			gqlOK(t, natSrv, `{ figure(metrics: ["patients_benefiting"], window: {from: "2021-04-01", to: "2023-03-31"}, includeDrafts: true) {
				coverage { staleRegions { code } } } }`, nil, &out)
			if s := out.Figure.Coverage.StaleRegions; len(s) != 1 || s[0].Code != "HI-EM" {
				t.Errorf("stale regions while HI-EM is down: %+v", s)
			}
			if n := regionOutcomes(t, natSrv, "HI-EM"); n < counted {
				t.Errorf("HI-EM counts %d outcomes while down, %d before: its last known data must still count", n, counted)
			}
		})
		for i := range 5 {
			record(t, emSrv, "HI-EM", 210+i)
		}
		took := waitFor(t, "the national node to catch up", 60*time.Second, func() bool {
			return regionDigest(t, nat.db, "HI-EM") == regionDigest(t, em.db, "HI-EM")
		})
		t.Logf("national caught up %v after HI-EM came back", took.Round(time.Millisecond))
		waitFor(t, "HI-EM fresh again", 30*time.Second, func() bool { return !sourceOf(t, natSrv, "HI-EM").Stale })
		rollupsExact(t, nat.db, "HI-EM")
	})

	t.Run("a national restart loses nothing", func(t *testing.T) {
		for i := range 3 {
			record(t, emSrv, "HI-EM", 300+i)
		}
		nat.restart(t, 3*time.Second, func() {
			for i := range 5 {
				record(t, emSrv, "HI-EM", 310+i) // the regional node keeps working
			}
		})
		waitFor(t, "the national node to catch up", 60*time.Second, func() bool {
			return regionDigest(t, nat.db, "HI-EM") == regionDigest(t, em.db, "HI-EM")
		})
		rollupsExact(t, nat.db, "HI-EM")
	})

	t.Run("moving a region back in loses nothing", func(t *testing.T) {
		record(t, emSrv, "HI-EM", 400)
		if err := store.MoveIn(ctx, natStore, em.store(t), store.Move{Region: "HI-EM", NationalURL: natURL, Logf: t.Logf}); err != nil {
			t.Fatal(err)
		}
		if a, b := regionDigest(t, nat.db, "HI-EM"), regionDigest(t, em.db, "HI-EM"); a != b {
			t.Fatalf("after moving back: national %s, regional %s", a, b)
		}
		out := gql(t, emSrv, recordOutcome, map[string]any{"region": "HI-EM", "value": 1.0, "month": "2023-05-01", "end": "2023-05-31"})
		if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "REGION_OWNED_ELSEWHERE" || out.Errors[0].Extensions["ownerNode"] != natURL {
			t.Errorf("write at the retired regional node: %+v", out.Errors)
		}
		record(t, natSrv, "HI-EM", 401)
		if src := sourceOf(t, natSrv, "HI-EM"); !src.Local || src.Node != "NATIONAL" || src.Stale {
			t.Errorf("HI-EM's source after moving back: %+v", src)
		}
		rollupsExact(t, nat.db, "HI-EM")
	})
}

// TestFederationComposition composes the API's subgraph with a second one
// using Apollo's composition library (pinned in test/federation), and
// resolves that subgraph's Region references through _entities.
func TestFederationComposition(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	dir, err := filepath.Abs("../../test/federation")
	if err != nil {
		t.Fatal(err)
	}
	// npm ci reinstalls everything: only when the lock file changed
	stamp := filepath.Join(dir, "node_modules", ".hingraph-installed-lock.json")
	lock, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if installed, err := os.ReadFile(stamp); err != nil || string(installed) != string(lock) {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--silent")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
		if err := os.WriteFile(stamp, lock, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := startServer(t, testdb.URL(t, testdb.Reference))
	cmd := exec.Command("node", "compose.mjs", srv.base+"/graphql")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// collectionAtRegionalNode: a national admin opens a collection period at
// the national node; it reaches HI-EM's node with the catalogue; HI-EM's
// editor and approver submit and approve there; the submission's state and
// its figures reach the national node, whose tracker and figure show them.
// The national node itself refuses to act on HI-EM's submission.
func collectionAtRegionalNode(t *testing.T, natSrv, emSrv *testServer) {
	t.Helper()
	as := func(subject, role string) map[string]string {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(fedSecret), Subject: subject, Role: role, RegionCode: "HI-EM", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"Authorization": "Bearer " + tok}
	}
	editor, approver := as("fed-em-editor", "REGION_EDITOR"), as("fed-em-approver", "REGION_APPROVER")
	call := func(s *testServer, who map[string]string, query string, vars map[string]any, into any) []string {
		t.Helper()
		_, out := s.post(t, gqlRequest{Query: query, Variables: vars}, who)
		if len(out.Errors) == 0 && into != nil {
			if err := json.Unmarshal(out.Data, into); err != nil {
				t.Fatal(err)
			}
		}
		return errorCodes(out.Errors)
	}
	var coll struct {
		Collection struct {
			ID      string
			Periods []struct{ PeriodStart string }
		}
	}
	gqlOK(t, natSrv, `{ collection(code: "PSC-MONTHLY") { id periods(first: 1) { periodStart } } }`, nil, &coll)
	start, _ := time.Parse(time.DateOnly, coll.Collection.Periods[0].PeriodStart)
	start = start.AddDate(0, 1, 0)
	var opened struct {
		OpenCollectionPeriod struct{ ID string }
	}
	gqlOK(t, natSrv, `mutation($c: ID!, $s: Date!, $d: Date!) { openCollectionPeriod(collectionId: $c, periodStart: $s, deadline: $d) { id } }`,
		map[string]any{"c": coll.Collection.ID, "s": start.Format(time.DateOnly), "d": time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}, &opened)
	period := opened.OpenCollectionPeriod.ID
	const subQuery = `query($p: ID!) { collectionSubmission(periodId: $p, regionCode: "HI-EM") { id state version approvedBy
		problems { severity key } } }`
	type submission struct {
		CollectionSubmission struct {
			ID, State  string
			Version    int
			ApprovedBy *string
			Problems   []struct{ Severity, Key string }
		}
	}
	var sub submission
	waitFor(t, "the period at HI-EM's node", 30*time.Second, func() bool {
		return call(emSrv, editor, subQuery, map[string]any{"p": period}, &sub) == nil
	})
	end := start.AddDate(0, 1, -1)
	if codes := call(emSrv, editor, `mutation($s: Date!, $e: Date!) { submitReturn(input: {regionCode: "HI-EM", periodStart: $s, periodEnd: $e, rows: [
		{metricCode: "staff_trained", value: 21}, {metricCode: "mgso4_uptake", numerator: 40, denominator: 50},
		{metricCode: "care_homes_using_restore2", numerator: 12, denominator: 20}]}) { id } }`,
		map[string]any{"s": start.Format(time.DateOnly), "e": end.Format(time.DateOnly)}, nil); codes != nil {
		t.Fatalf("drafts at HI-EM's node: %v", codes)
	}
	call(emSrv, editor, subQuery, map[string]any{"p": period}, &sub)
	var explain []map[string]any
	for _, p := range sub.CollectionSubmission.Problems {
		if p.Severity == "WARNING" {
			explain = append(explain, map[string]any{"key": p.Key, "explanation": "federation test: generated history"})
		}
	}
	id := sub.CollectionSubmission.ID
	var submitted struct{ SubmitForApproval struct{ Version int } }
	if codes := call(emSrv, editor, `mutation($id: ID!, $ex: [ExplanationInput!]) { submitForApproval(id: $id, explanations: $ex) { version } }`,
		map[string]any{"id": id, "ex": explain}, &submitted); codes != nil {
		t.Fatalf("submitting at HI-EM's node: %v", codes)
	}
	const approve = `mutation($id: ID!, $v: Int!) { approveSubmission(id: $id, version: $v) { state } }`
	vars := map[string]any{"id": id, "v": submitted.SubmitForApproval.Version}
	waitFor(t, "the submission at the national node", 30*time.Second, func() bool {
		call(natSrv, nil, subQuery, map[string]any{"p": period}, &sub)
		return sub.CollectionSubmission.State == "SUBMITTED"
	})
	if codes := call(natSrv, approver, approve, vars, nil); !slices.Equal(codes, []string{"REGION_OWNED_ELSEWHERE"}) {
		t.Errorf("approving HI-EM's submission at the national node: %v", codes)
	}
	if codes := call(emSrv, approver, approve, vars, nil); codes != nil {
		t.Fatalf("approving at HI-EM's node: %v", codes)
	}
	took := waitFor(t, "the approval at the national node", 30*time.Second, func() bool {
		call(natSrv, as("fed-analyst", "REGION_EDITOR"), subQuery, map[string]any{"p": period}, &sub)
		return sub.CollectionSubmission.State == "APPROVED"
	})
	t.Logf("HI-EM's approval reached the national tracker %v after it was acknowledged", took.Round(time.Millisecond))
	if a := sub.CollectionSubmission.ApprovedBy; a == nil || *a != "fed-em-approver" {
		t.Errorf("approved by, at the national node: %v", a)
	}
	var fig struct{ Figure struct{ Value *float64 } }
	gqlOK(t, natSrv, `query($s: Date!, $e: Date!) { figure(metrics: ["staff_trained"], window: {from: $s, to: $e}, filter: {regionCodes: ["HI-EM"]}) { value } }`,
		map[string]any{"s": start.Format(time.DateOnly), "e": end.Format(time.DateOnly)}, &fig)
	if fig.Figure.Value == nil || *fig.Figure.Value != 21 {
		t.Errorf("HI-EM's approved figure at the national node: %v", fig.Figure.Value)
	}
}
