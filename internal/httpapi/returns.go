package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Returns as CSV, for data teams: POST /returns.csv records a return read
// from a CSV file with the rules of submitReturn (all or nothing, one
// current figure per key, problems per line); GET /outcomes.csv and GET
// /figures/breakdown.csv stream what the outcomes list and figureBreakdown
// answer, with the same filters and drafts rule. Every route passes the
// same bearer-token and rate-limit guard as /graphql.

// csvRoutes are the routes' labels for metrics and traces.
var csvRoutes = []string{"/returns.csv", "/outcomes.csv", "/figures/breakdown.csv"}

// returnRoutes adds the CSV routes to mux; guarded wraps a handler in the
// token and rate-limit guard, and limits are GraphQL's, to cost breakdowns.
func returnRoutes(mux *http.ServeMux, s *store.Store, cfg Config, limits *graph.Limits, rejected func(hin.Limit), guarded func(http.Handler) http.Handler) {
	timeout := cfg.bulkTimeout() // a file of 50,000 rows takes longer than a query
	mux.Handle("POST /returns.csv", uploadRoute(cfg, rejected, guarded, uploadReturn(s)))
	mux.Handle("GET /outcomes.csv", guarded(withDeadline(timeout, exportOutcomes(s))))
	mux.Handle("GET /figures/breakdown.csv", guarded(withDeadline(timeout, exportBreakdown(s, limits))))
}

// ReturnUploadResult is the answer to a CSV upload.
type ReturnUploadResult struct {
	Rows       int      `json:"rows"`
	Created    int      `json:"created"`
	Restated   int      `json:"restated"`
	Unchanged  int      `json:"unchanged"`
	OutcomeIDs []string `json:"outcomeIds"`
}

// uploadReturn reads a return, CSV (see hin.ReadReturnCSV) or an .xlsx
// workbook of the same columns (proforma.ReadReturn); the query
// parameters region, status, source and reason apply to rows that do not
// say. An Idempotency-Key header works as submitReturn's idempotencyKey;
// without one, sending the same file again changes nothing anyway.
func uploadReturn(s *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		in := hin.ReturnInput{RegionCode: strings.ToUpper(strings.TrimSpace(q.Get("region")))}
		for _, p := range []struct {
			name string
			into **string
		}{{"source", &in.Source}, {"reason", &in.Reason}} {
			if v := q.Get(p.name); v != "" {
				*p.into = &v
			}
		}
		if v := q.Get("status"); v != "" {
			st := hin.OutcomeStatus(strings.ToUpper(v))
			if st != hin.OutcomeDraft && st != hin.OutcomePublished {
				Error(w, hin.Invalid("status", "status is DRAFT or PUBLISHED"))
				return
			}
			in.Status = &st
		}
		var key *string
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			key = &k
		}
		if hin.PrincipalFrom(r.Context()).MayWrite("uploading a return") != nil {
			Error(w, hin.PrincipalFrom(r.Context()).MayWrite("uploading a return"))
			return
		}
		up, err := readUpload(r, in, returnWorkbook)
		if err != nil {
			Error(w, err)
			return
		}
		res, err := s.SubmitReturnCSV(r.Context(), up.in, key)
		if err != nil {
			Error(w, up.locate(err))
			return
		}
		out := ReturnUploadResult{Rows: len(res.Outcomes), Created: res.Created, Restated: res.Restated, Unchanged: res.Unchanged,
			OutcomeIDs: make([]string, len(res.Outcomes))}
		for i, o := range res.Outcomes {
			out.OutcomeIDs[i] = o.GlobalID()
		}
		body, _ := json.Marshal(out)
		writeJSON(w, http.StatusOK, body)
	})
}
