package graph_test

// Fuzz targets for the HTTP edge: whatever bytes arrive as a request body,
// and whatever values arrive as variables, the answer is a JSON response
// with coded errors, never a 500 or a glimpse of the internals. Run with
//
//	DATABASE_URL=... go test ./graph/ -run '^$' -fuzz '^FuzzRequestDecoding$' -fuzztime 30s
//
// Each fuzz worker is its own process with its own database.

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// fuzzHandler serves the real schema over a database with the reference
// data, made once per fuzz target (and per worker process).
func fuzzHandler(f *testing.F) http.Handler {
	f.Helper()
	s := testdb.New(f, testdb.Reference)
	return graph.NewHandler(s, graph.Options{Introspection: true, RequestTimeout: 10 * time.Second})
}

// fuzzRoles are the callers a fuzz input may act as.
var fuzzRoles = []hin.Principal{anonymous, editorEM, admin}

// checkFuzzed checks a fuzzed request's answer is clean.
func checkFuzzed(t *testing.T, res apiResult, input []byte) {
	t.Helper()
	checkClean(t, res, input)
}

// isRequestObject reports whether body is one well-formed GraphQL request:
// a JSON object whose query and operationName are strings and whose
// variables and extensions are objects, each possibly null or missing.
// Keys match exactly, as the transport reads them (encoding/json's struct
// decoding would also take "Variables" or "variablEs").
func isRequestObject(body []byte) bool {
	var fields map[string]json.RawMessage
	if !json.Valid(body) || json.Unmarshal(body, &fields) != nil || fields == nil {
		return false
	}
	var str *string
	var obj map[string]json.RawMessage
	for key, dst := range map[string]any{"query": &str, "operationName": &str, "variables": &obj, "extensions": &obj} {
		if raw, ok := fields[key]; ok && json.Unmarshal(raw, dst) != nil {
			return false
		}
	}
	return true
}

// fuzzQueries are valid documents whose variables the fuzzer fills.
var fuzzQueries = []string{
	innovationsByName,
	`query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }`,
	`query($w: WindowInput!, $m: [String!]!, $f: FigureFilter, $d: Boolean) { figure(metrics: $m, window: $w, filter: $f, includeDrafts: $d) { value window { label } } }`,
	`query($f: OrganisationFilter, $o: OrganisationOrder, $n: Int) { organisations(first: $n, filter: $f, orderBy: $o) { totalCount nodes { name validFrom } } }`,
	createInnovation,
	recordValue,
	`mutation($i: ReturnInput!) { submitReturn(input: $i) { id } }`,
	`mutation($r: String!, $w: WindowInput!) { publishOutcomes(regionCode: $r, window: $w) { published } }`,
}

func FuzzRequestDecoding(f *testing.F) {
	h := fuzzHandler(f)
	// mode: bit 0 wraps the input as the variables of fuzzQueries[mode>>3];
	// bits 1-2 choose the caller.
	for _, body := range []string{
		`{"query":"{ regions { code name } }"}`,
		`{"query":"query($s: String) { innovations(filter: {nameContains: $s}) { nodes { id } } }","variables":{"s":"pincer"}}`,
		`{"query":"mutation { createInnovation(input: {name: \"x\", leadRegionCode: \"HI-EM\"}) { id } }"}`,
		`{"query":"query A { __typename } query B { regions { code } }","operationName":"B"}`,
		`{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}`,
		`{"query":"{ node(id: \"UmVnaW9uOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA\") { id } }"}`,
		`{"query":"{ innovations(first: 1e308) { nodes { id } } }"}`,
		`{"query":"{ figure(metrics: [\"patients_benefiting\"], window: {quarter: \"FY2023-24 Q1\"}) { value } }"}`,
		`{"query":"{ __schema { types { name } } }"}`,
		`{"query":"{ a: regions { code } a: regions { name } }"}`,
		`{"query":"{ regions { ...F } } fragment F on Region { ...F }"}`,
		`{"query":"{ region(code: \"\\u00e9\") { id } }"}`,
		`{"query":"{ __typename }"} trailing`, `{"query":"{ __typename }","query":"{ regions { code } }"}`,
		`{"query":"{ __typename }","variablEs":"x","QUERY":"{ regions { code } }"}`,
		`[{"query":"{ __typename }"}]`, `{"query":1}`, `{"variables":{"a":NaN}}`, `{"query":"{ __typename }","variables":"x"}`,
		``, `null`, `{`, "\xff\xfe{}", `{"query":"` + strings.Repeat("{", 200) + `"}`, strings.Repeat("[", 500),
	} {
		f.Add([]byte(body), uint8(0), uint16(len(body)))
		f.Add([]byte(body), uint8(2), uint16(1))
	}
	for i := range fuzzQueries {
		for _, vars := range []string{
			`{}`, `{"s":"'; DROP TABLE outcome; --","n":"x","m":"patients_benefiting","v":1}`,
			`{"id":"x","ids":["x",null,1]}`, `{"w":{"financialYear":"FY2023-24"},"m":["patients_benefiting"],"d":true}`,
			`{"w":{"from":"2024-01-01","to":"2023-01-01"},"m":[],"f":{"stages":["NOPE"]}}`,
			`{"f":{"validOn":"2024-02-30","kinds":["ICB"]},"o":{"field":"NAME","direction":"DESC"},"n":-0}`,
			`{"n":"' OR 1=1","k":"idempotency-key-1","v":1e308,"num":5e-324,"den":-0}`,
			`{"i":{"regionCode":"HI-EM","periodStart":"2024-01-01","periodEnd":"2024-01-31","rows":[{"metricCode":"patients_benefiting","value":1}]}}`,
			`{"r":"HI-EM","w":{"quarter":"FY2023-24 Q5"}}`, `[1]`, `null`, `{"s":{"s":{"s":[[[]]]}}}`,
		} {
			f.Add([]byte(vars), uint8(i<<3|1), uint16(0))
			f.Add([]byte(vars), uint8(i<<3|3), uint16(2))
		}
	}
	// A marker no input holds by chance: a malformed body must not come back.
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	marker := []byte("zqx" + hex.EncodeToString(b))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, at uint16) {
		if len(data) > 64<<10 {
			return // larger bodies are the hostile table's business
		}
		pos := int(at) % (len(data) + 1)
		data = append(append(append([]byte{}, data[:pos]...), marker...), data[pos:]...)
		body := data
		if mode&1 != 0 {
			q := fuzzQueries[int(mode>>3)%len(fuzzQueries)]
			body = append([]byte(`{"query":`+jsonString(q)+`,"variables":`), data...)
			body = append(body, '}')
		}
		res := sendAs(h, fuzzRoles[int(mode>>1&3)%len(fuzzRoles)], postJSON(body))
		checkFuzzed(t, res, body)
		if len(res.errors) == 0 && len(res.data) == 0 {
			t.Fatalf("neither data nor errors: %.300s", res.body)
		}
		// (errors only: data may hold the marker stored by an earlier input)
		if errText, _ := json.Marshal(res.errors); !isRequestObject(body) && bytes.Contains(errText, marker) {
			t.Fatalf("a malformed body is quoted back: %.300s", errText)
		}
	})
}

// FuzzVariables fills the variables of one list query with arbitrary JSON
// (or, when a fragment is not JSON, with it as a string).
func FuzzVariables(f *testing.F) {
	h := fuzzHandler(f)
	const doc = `query($filter: InnovationFilter, $first: Int, $after: String, $orderBy: InnovationOrder) {
		innovations(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
			totalCount nodes { id name stage } pageInfo { hasNextPage endCursor } } }`
	for _, c := range [][4]string{
		{`null`, `null`, `null`, `null`},
		{`{"regionCodes":["HI-EM"],"stages":["ADOPTION"]}`, `5`, `null`, `{"field":"STAGE","direction":"DESC"}`},
		{`{"nameContains":"'; DROP TABLE outcome; --"}`, `500`, `"zzz"`, `{"field":"NAME"}`},
		{`{"nameContains":"%_\\"}`, `501`, `""`, `{"field":"UPDATED_AT","direction":"UP"}`},
		{`{"programmeIds":["UHJvZ3JhbW1lOjA="],"innovatorIds":[1]}`, `-1`, `"UmVnaW9u"`, `{}`},
		{`{"regionCodes":[[["HI-EM"]]]}`, `1e308`, `1`, `[]`},
		{`{"stages":"ADOPTION","includeArchived":"yes"}`, `"10"`, `{"a":1}`, `{"field":null}`},
		{`{"clinicalArea":"\u202e\u200d🏥","nameContains":"é"}`, `-0`, `null`, `{"field":"NAME","direction":"ASC","extra":1}`},
		{`{"unknownField":1}`, `2147483648`, `"\ud800"`, `"NAME"`},
		{`{"regionCodes":null,"stages":[null]}`, `0`, `null`, `null`},
		{`{"nameContains":1e999}`, `5e-324`, `NaN`, `{"field":"STAGE"}`},
	} {
		f.Add(c[0], c[1], c[2], c[3])
	}
	f.Fuzz(func(t *testing.T, filter, first, after, orderBy string) {
		asJSON := func(s string) string {
			if json.Valid([]byte(s)) {
				return s
			}
			return jsonString(s)
		}
		body := []byte(`{"query":` + jsonString(doc) + `,"variables":{"filter":` + asJSON(filter) + `,"first":` + asJSON(first) +
			`,"after":` + asJSON(after) + `,"orderBy":` + asJSON(orderBy) + `}}`)
		res := sendAs(h, anonymous, postJSON(body))
		checkFuzzed(t, res, body)
		if len(res.errors) > 0 {
			return
		}
		var data struct {
			Innovations *struct {
				TotalCount int
				Nodes      []struct{ ID, Name, Stage string }
			}
		}
		if err := json.Unmarshal(res.data, &data); err != nil || data.Innovations == nil {
			t.Fatalf("success without innovations: %.300s", res.body)
		}
		n := len(data.Innovations.Nodes)
		if n > hin.MaxPageSize || n > data.Innovations.TotalCount {
			t.Fatalf("%d nodes of %d in all", n, data.Innovations.TotalCount)
		}
		var want *int
		if json.Unmarshal([]byte(first), &want) == nil && want != nil && n > *want {
			t.Fatalf("first %d gave %d nodes", *want, n)
		}
		for _, node := range data.Innovations.Nodes {
			if node.ID == "" || !hin.Stage(node.Stage).IsValid() {
				t.Fatalf("node %+v", node)
			}
		}
	})
}
