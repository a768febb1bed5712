package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// tpCanary is put into malformed requests; no answer may contain its mark
// (which survives JSON escaping), so a response never reflects what a
// client, or an attacker's page, sent.
const (
	tpCanaryMark = "canary-5e1f0b7d"
	tpCanary     = tpCanaryMark + "<script>"
)

const (
	tpJSONType    = "application/json; charset=utf-8"
	tpGQLRespType = "application/graphql-response+json; charset=utf-8"
	tpGQLResp     = "application/graphql-response+json"
)

type tpResult struct {
	status int
	header http.Header
	body   string
	fields map[string]json.RawMessage // the top-level JSON object
	errors []gqlError
}

func (r tpResult) hasData() bool { _, ok := r.fields["data"]; return ok }

func (r tpResult) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	c, _ := r.errors[0].Extensions["code"].(string)
	return c
}

// tpServer serves the real schema over an empty database.
func tpServer(t *testing.T) http.Handler {
	t.Helper()
	return graph.NewHandler(testdb.New(t, testdb.Empty), graph.Options{Introspection: true})
}

// tpSend makes one request; header holds extra headers ("" values are skipped).
func tpSend(t *testing.T, h http.Handler, method, target, body string, header map[string]string) tpResult {
	t.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := tpResult{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if method == http.MethodHead || method == http.MethodOptions {
		return res
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res.fields); err != nil {
		t.Fatalf("%s %s: status %d, body is not a JSON object: %v\n%s", method, target, rec.Code, err, rec.Body)
	}
	if raw, ok := res.fields["errors"]; ok {
		if err := json.Unmarshal(raw, &res.errors); err != nil {
			t.Fatalf("decode errors: %v\n%s", err, rec.Body)
		}
	}
	if strings.Contains(res.body, tpCanaryMark) {
		t.Errorf("the response echoes the request:\n%s", res.body)
	}
	return res
}

// tpPost posts body as application/json with the given Accept.
func tpPost(t *testing.T, h http.Handler, body, accept string) tpResult {
	t.Helper()
	return tpSend(t, h, http.MethodPost, "/graphql", body, map[string]string{"Content-Type": "application/json", "Accept": accept})
}

// tpGet sends a GET as a script would, with the header that forces a
// preflight (see TestTransportGetNeedsPreflight for GETs without it).
func tpGet(t *testing.T, h http.Handler, params url.Values, accept string) tpResult {
	t.Helper()
	return tpSend(t, h, http.MethodGet, "/graphql?"+params.Encode(), "", map[string]string{"Accept": accept, "GraphQL-Require-Preflight": "1"})
}

func tpWantStatus(t *testing.T, r tpResult, status int, contentType string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d: %s", r.status, status, r.body)
	}
	if contentType != "" && r.header.Get("Content-Type") != contentType {
		t.Errorf("Content-Type %q, want %q", r.header.Get("Content-Type"), contentType)
	}
}

// tpWantRefused checks a request that must not have executed.
func tpWantRefused(t *testing.T, r tpResult, status int, code string) {
	t.Helper()
	tpWantStatus(t, r, status, "")
	if r.code() != code {
		t.Errorf("extensions.code %q, want %q: %s", r.code(), code, r.body)
	}
	if r.hasData() {
		t.Errorf("a refused request has a data entry: %s", r.body)
	}
}

func TestTransportNegotiatesMediaType(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	for _, tc := range []struct{ accept, want string }{
		{"", tpJSONType},
		{"*/*", tpJSONType},
		{"application/*", tpJSONType},
		{"application/json", tpJSONType},
		{tpGQLResp, tpGQLRespType},
		{tpGQLResp + ", application/json;q=0.9", tpGQLRespType},
		{"application/json, " + tpGQLResp, tpGQLRespType},
		{"application/json, " + tpGQLResp + ";q=0.5", tpJSONType},
		{tpGQLResp + ";q=0, application/json", tpJSONType},
		{"text/html", tpJSONType}, // nothing we can produce: use the default
	} {
		t.Run(tc.accept, func(t *testing.T) {
			r := tpPost(t, h, `{"query":"{ __typename }"}`, tc.accept)
			tpWantStatus(t, r, http.StatusOK, tc.want)
			if string(r.fields["data"]) != `{"__typename":"Query"}` || len(r.errors) > 0 {
				t.Errorf("body %s", r.body)
			}
			if r.header.Get("Vary") != "Accept" {
				t.Errorf("Vary %q, want Accept", r.header.Get("Vary"))
			}
		})
	}
}

// Requests that are well-formed but fail before execution: 200 for
// application/json, 400 for application/graphql-response+json, and never a
// data entry.
func TestTransportRequestErrorStatus(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	for _, tc := range []struct{ name, body, code string }{
		{"parse", `{"query":"{"}`, "GRAPHQL_PARSE_FAILED"},
		{"validation", `{"query":"{ noSuchField }"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"variable coercion", `{"query":"query Q($b: Boolean!) { __typename @include(if: $b) }","variables":{"b":null}}`, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown operation", `{"query":"query A { __typename }","operationName":"B"}`, "GRAPHQL_VALIDATION_FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tpPost(t, h, tc.body, "application/json")
			tpWantRefused(t, r, http.StatusOK, tc.code)
			tpWantStatus(t, r, http.StatusOK, tpJSONType)
			r = tpPost(t, h, tc.body, tpGQLResp)
			tpWantRefused(t, r, http.StatusBadRequest, tc.code)
			tpWantStatus(t, r, http.StatusBadRequest, tpGQLRespType)
		})
	}
}

func TestTransportAcceptsParameters(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	for _, body := range []string{
		`{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}`,
		`{"query":"query Q { __typename }","operationName":"Q","extensions":{"some":"value"}}`,
		`{"query":"query Q($b: Boolean!) { __typename @include(if: $b) }","variables":{"b":true}}`,
		`  {"query":"{ __typename }"}  ` + "\n",
	} {
		for _, accept := range []string{"application/json", tpGQLResp} {
			r := tpPost(t, h, body, accept)
			if r.status != http.StatusOK || len(r.errors) > 0 || string(r.fields["data"]) != `{"__typename":"Query"}` {
				t.Errorf("POST %s (Accept %s): status %d, body %s", body, accept, r.status, r.body)
			}
		}
	}
	r := tpSend(t, h, http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, map[string]string{"Content-Type": "application/json; charset=UTF-8"})
	tpWantStatus(t, r, http.StatusOK, tpJSONType)
}

// Malformed bodies get 400 BAD_REQUEST with a message of our own; none
// quotes the body (the canary check in tpSend).
func TestTransportMalformedPost(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	for _, tc := range []struct{ name, body, message string }{
		{"empty", "", "empty"},
		{"not JSON", `{"query": "` + tpCanary, "not valid JSON"},
		{"trailing text", `{"query":"{ __typename }"} ` + tpCanary, "not valid JSON"},
		{"string", `"` + tpCanary + `"`, "must be a JSON object"},
		{"number", `42`, "must be a JSON object"},
		{"batch", `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`, "batched requests are not supported"},
		{"no query", `{"qeury":"` + tpCanary + `"}`, `no "query"`},
		{"null query", `{"query":null}`, `no "query"`},
		{"object query", `{"query":{"` + tpCanary + `":1}}`, `"query" must be a string`},
		{"number query", `{"query":0}`, `"query" must be a string`},
		{"boolean query", `{"query":false}`, `"query" must be a string`},
		{"array query", `{"query":["` + tpCanary + `"]}`, `"query" must be a string`},
		{"object operationName", `{"query":"{ __typename }","operationName":{"a":1}}`, `"operationName" must be`},
		{"array operationName", `{"query":"{ __typename }","operationName":["` + tpCanary + `"]}`, `"operationName" must be`},
		{"string variables", `{"query":"{ __typename }","variables":"` + tpCanary + `"}`, `"variables" must be`},
		{"number variables", `{"query":"{ __typename }","variables":0}`, `"variables" must be`},
		{"array variables", `{"query":"{ __typename }","variables":["` + tpCanary + `"]}`, `"variables" must be`},
		{"string extensions", `{"query":"{ __typename }","extensions":"` + tpCanary + `"}`, `"extensions" must be`},
		{"boolean extensions", `{"query":"{ __typename }","extensions":false}`, `"extensions" must be`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, accept := range []string{"", tpGQLResp} {
				r := tpPost(t, h, tc.body, accept)
				tpWantRefused(t, r, http.StatusBadRequest, "BAD_REQUEST")
				if len(r.errors) != 1 || !strings.Contains(r.errors[0].Message, tc.message) {
					t.Errorf("errors %+v, want one saying %q", r.errors, tc.message)
				}
			}
		})
	}
}

// Content types a page on another site can POST without a CORS preflight
// (forms, text/plain) must not run anything; neither may anything else but
// JSON.
func TestTransportRefusesOtherContentTypes(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	body := `{"query":"mutation { __typename }"}`
	for _, ct := range []string{
		"",
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x",
		"text/plain",
		"text/plain; charset=utf-8",
		"application/graphql",
		"application/json; charset=iso-8859-1",
		"application/json;;bad",
	} {
		t.Run(ct, func(t *testing.T) {
			r := tpSend(t, h, http.MethodPost, "/graphql", body, map[string]string{"Content-Type": ct})
			tpWantRefused(t, r, http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE")
		})
	}
}

func TestTransportBodyLimit(t *testing.T) {
	t.Parallel()
	h := http.MaxBytesHandler(tpServer(t), 64)
	r := tpPost(t, h, `{"query":"{ __typename }`+strings.Repeat(" ", 100)+`"}`, "")
	tpWantRefused(t, r, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE")
}

func TestTransportGet(t *testing.T) {
	t.Parallel()
	h := tpServer(t)

	t.Run("query", func(t *testing.T) {
		for _, accept := range []string{"", tpGQLResp} {
			r := tpGet(t, h, url.Values{
				"query":         {`query Q($b: Boolean!) { __typename @include(if: $b) }`},
				"operationName": {"Q"},
				"variables":     {`{"b":true}`},
				"extensions":    {`{"some":"value"}`},
			}, accept)
			if r.status != http.StatusOK || len(r.errors) > 0 || string(r.fields["data"]) != `{"__typename":"Query"}` {
				t.Errorf("Accept %q: status %d, body %s", accept, r.status, r.body)
			}
		}
	})

	// A GET can be sent by any page (an <img>, a link), so it must never
	// change anything: mutations are refused for the method, even invalid
	// ones, before anything runs.
	for _, tc := range []struct{ name, query, op string }{
		{"mutation", `mutation { __typename }`, ""},
		{"named mutation", `query A { __typename } mutation B { __typename }`, "B"},
		{"invalid mutation", `mutation { noSuchField }`, ""},
		{"subscription", `subscription { __typename }`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, accept := range []string{"", tpGQLResp} {
				r := tpGet(t, h, url.Values{"query": {tc.query}, "operationName": {tc.op}}, accept)
				tpWantRefused(t, r, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
				if got := r.header.Get("Allow"); got != "POST" {
					t.Errorf("Allow %q, want POST", got)
				}
			}
		})
	}

	t.Run("the query of a document with a mutation", func(t *testing.T) {
		r := tpGet(t, h, url.Values{"query": {`query A { __typename } mutation B { __typename }`}, "operationName": {"A"}}, "")
		tpWantStatus(t, r, http.StatusOK, tpJSONType)
	})

	t.Run("mutation by POST", func(t *testing.T) {
		r := tpPost(t, h, `{"query":"mutation { __typename }"}`, "")
		if r.status != http.StatusOK || string(r.fields["data"]) != `{"__typename":"Mutation"}` {
			t.Errorf("status %d, body %s", r.status, r.body)
		}
	})

	for _, tc := range []struct {
		name   string
		target string
	}{
		{"no query", "/graphql"},
		{"bad URL encoding", "/graphql?query=%zz" + url.QueryEscape(tpCanary)},
		{"variables not JSON", "/graphql?" + url.Values{"query": {"{ __typename }"}, "variables": {tpCanary}}.Encode()},
		{"variables an array", "/graphql?" + url.Values{"query": {"{ __typename }"}, "variables": {`["` + tpCanary + `"]`}}.Encode()},
		{"extensions not JSON", "/graphql?" + url.Values{"query": {"{ __typename }"}, "extensions": {tpCanary}}.Encode()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tpSend(t, h, http.MethodGet, tc.target, "", nil)
			tpWantRefused(t, r, http.StatusBadRequest, "BAD_REQUEST")
		})
	}
}

func TestTransportMethods(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead} {
		r := tpSend(t, h, m, "/graphql", "", nil)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, POST, OPTIONS" {
			t.Errorf("%s: status %d, Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
	r := tpSend(t, h, http.MethodOptions, "/graphql", "", nil)
	if r.status != http.StatusOK || r.header.Get("Allow") != "GET, POST, OPTIONS" {
		t.Errorf("OPTIONS: status %d, Allow %q", r.status, r.header.Get("Allow"))
	}
}

// A query sent by hash alone is not a "missing query": the APQ extension
// answers it, with 200 even for application/graphql-response+json so
// clients retry with the full text.
func TestTransportPersistedQueryHash(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	body := `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}}`
	for _, accept := range []string{"", tpGQLResp} {
		r := tpPost(t, h, body, accept)
		tpWantRefused(t, r, http.StatusOK, "PERSISTED_QUERY_NOT_FOUND")
	}
}

// A GET any page could send (a link, an image) runs nothing by default:
// it must carry a header only a script can set, which makes a browser ask
// CORS first. Mutations are refused for the method before that.
func TestTransportGetNeedsPreflight(t *testing.T) {
	t.Parallel()
	h := tpServer(t)
	query := "/graphql?" + url.Values{"query": {"{ __typename }"}}.Encode()
	r := tpSend(t, h, http.MethodGet, query, "", nil)
	tpWantRefused(t, r, http.StatusBadRequest, "PREFLIGHT_REQUIRED")
	for _, header := range []map[string]string{{"X-Requested-With": "fetch"}, {"Apollo-Require-Preflight": "true"}, {"Content-Type": "application/json"}} {
		if r := tpSend(t, h, http.MethodGet, query, "", header); r.status != http.StatusOK || len(r.errors) > 0 {
			t.Errorf("with %v: status %d %s", header, r.status, r.body)
		}
	}
	mutation := "/graphql?" + url.Values{"query": {"mutation { __typename }"}}.Encode()
	tpWantRefused(t, tpSend(t, h, http.MethodGet, mutation, "", nil), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")

	simple := graph.NewHandler(testdb.New(t, testdb.Empty), graph.Options{SimpleGET: true})
	if r := tpSend(t, simple, http.MethodGet, query, "", nil); r.status != http.StatusOK || len(r.errors) > 0 {
		t.Errorf("SimpleGET: status %d %s", r.status, r.body)
	}
}
