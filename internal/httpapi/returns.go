package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
// token and rate-limit guard.
func returnRoutes(mux *http.ServeMux, s *store.Store, cfg Config, rejected func(hin.Limit), guarded func(http.Handler) http.Handler) {
	timeout := cfg.bulkTimeout() // a file of 50,000 rows takes longer than a query
	mux.Handle("POST /returns.csv", uploadRoute(cfg, rejected, guarded, uploadReturn(s)))
	mux.Handle("GET /outcomes.csv", guarded(withDeadline(timeout, exportOutcomes(s))))
	mux.Handle("GET /figures/breakdown.csv", guarded(withDeadline(timeout, exportBreakdown(s))))
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

// csvWriter starts a CSV answer: UTF-8 with a byte-order mark, so Excel
// reads it as UTF-8, and a header row.
func csvWriter(w http.ResponseWriter, name string, header []string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel writes
	_ = cw.Write(header)
	return cw
}

func list(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func dateParam(q url.Values, name string) (*time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, hin.Invalid(name, "%s is not a date: write it as YYYY-MM-DD", hin.Quote(v))
	}
	return &d, nil
}

func num(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func opt(v *string, kind string) string {
	if v == nil {
		return ""
	}
	if kind != "" {
		return hin.GlobalID(kind, *v)
	}
	return *v
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// exportOutcomes streams outcomes as CSV. Parameters, as the outcomes
// list's filter: regionCodes, metricCodes, programmeIds, innovationIds,
// pilotIds, statuses (comma-separated or repeated), from and to (period).
// Drafts are included only for callers who may see them.
func exportOutcomes(s *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := hin.OutcomeFilter{RegionCodes: list(q, "regionCodes"), MetricCodes: list(q, "metricCodes"), ProgrammeIDs: list(q, "programmeIds"),
			InnovationIDs: list(q, "innovationIds"), PilotIDs: list(q, "pilotIds")}
		for i, c := range f.MetricCodes {
			f.MetricCodes[i] = strings.ToLower(c)
		}
		for i, c := range f.RegionCodes {
			f.RegionCodes[i] = strings.ToUpper(c)
		}
		for _, st := range list(q, "statuses") {
			st := hin.OutcomeStatus(strings.ToUpper(st))
			if !slices.Contains([]hin.OutcomeStatus{hin.OutcomeDraft, hin.OutcomePublished, hin.OutcomeWithdrawn}, st) {
				Error(w, hin.Invalid("statuses", "%s is not DRAFT, PUBLISHED or WITHDRAWN", hin.Quote(string(st))))
				return
			}
			f.Statuses = append(f.Statuses, st)
		}
		from, err := dateParam(q, "from")
		if err != nil {
			Error(w, err)
			return
		}
		to, err := dateParam(q, "to")
		if err != nil {
			Error(w, err)
			return
		}
		if from != nil || to != nil {
			f.Period = &hin.DateRange{From: from, To: to}
		}
		var cw *csv.Writer
		err = s.ExportOutcomes(r.Context(), f, func(o store.OutcomeExportRow) error {
			if cw == nil {
				cw = csvWriter(w, "outcomes.csv", []string{"id", "metric_code", "region_code", "period_start", "period_end", "value",
					"numerator", "denominator", "innovation_id", "pilot_id", "programme_id", "source", "status", "created_at", "updated_at",
					"published_at", "withdrawn_at", "withdrawn_reason", "version"})
			}
			rec := []string{o.GlobalID(), o.MetricCode, o.RegionCode, o.PeriodStart.Format(time.DateOnly), o.PeriodEnd.Format(time.DateOnly),
				num(o.Value), num(o.Numerator), num(o.Denominator), opt(o.InnovationID, hin.KindInnovation), opt(o.PilotID, hin.KindPilot),
				opt(o.ProgrammeID, hin.KindProgramme), o.Source, string(o.Status), stamp(&o.CreatedAt), stamp(&o.UpdatedAt),
				stamp(o.PublishedAt), stamp(o.WithdrawnAt), opt(o.WithdrawnReason, ""), strconv.Itoa(o.Version)}
			if err := cw.Write(rec); err != nil {
				return err
			}
			return nil
		})
		switch {
		case err != nil && cw == nil:
			Error(w, err) // nothing written yet: a proper error answer
		case err != nil:
			// the header is gone: end the file so it cannot pass for complete
			panic(http.ErrAbortHandler)
		case cw == nil:
			cw = csvWriter(w, "outcomes.csv", []string{"id", "metric_code", "region_code", "period_start", "period_end", "value",
				"numerator", "denominator", "innovation_id", "pilot_id", "programme_id", "source", "status", "created_at", "updated_at",
				"published_at", "withdrawn_at", "withdrawn_reason", "version"})
		}
		cw.Flush()
	})
}

// exportBreakdown answers figureBreakdown as CSV. Parameters: metrics,
// groupBy (comma-separated), the window as from and to or financialYear
// or quarter, regionCodes, programmeIds, innovationIds, includeDrafts and
// asOf (RFC 3339).
func exportBreakdown(s *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		req := hin.FigureRequest{Metrics: list(q, "metrics")}
		var err error
		if req.Window.From, err = dateParam(q, "from"); err != nil {
			Error(w, err)
			return
		}
		if req.Window.To, err = dateParam(q, "to"); err != nil {
			Error(w, err)
			return
		}
		if v := q.Get("financialYear"); v != "" {
			req.Window.FinancialYear = &v
		}
		if v := q.Get("quarter"); v != "" {
			req.Window.Quarter = &v
		}
		for _, d := range list(q, "groupBy") {
			req.GroupBy = append(req.GroupBy, hin.Dimension(strings.ToUpper(d)))
		}
		for _, d := range req.GroupBy {
			if !slices.Contains(hin.Dimensions, d) {
				Error(w, hin.Invalid("groupBy", "%s is not a dimension", hin.Quote(string(d))))
				return
			}
		}
		f := hin.FigureFilter{RegionCodes: list(q, "regionCodes"), ProgrammeIDs: list(q, "programmeIds"), InnovationIDs: list(q, "innovationIds")}
		req.Filter = &f
		if v := q.Get("includeDrafts"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				Error(w, hin.Invalid("includeDrafts", "includeDrafts is true or false"))
				return
			}
			req.IncludeDrafts = &b
		}
		if v := q.Get("asOf"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				Error(w, hin.Invalid("asOf", "asOf is a moment such as 2025-04-30T17:00:00Z"))
				return
			}
			req.AsOf = &t
		}
		groups, err := graph.FigureBreakdown(r.Context(), s, req)
		if err != nil {
			Error(w, err)
			return
		}
		cw := csvWriter(w, "breakdown.csv", []string{"region_code", "programme_code", "innovation_id", "innovation_name", "clinical_area",
			"innovation_stage", "period_start", "period_end", "period_label", "value", "numerator", "denominator", "outcome_count", "reporting_count"})
		for _, g := range groups {
			rec := make([]string, 0, 14)
			if g.Region != nil {
				rec = append(rec, g.Region.Code)
			} else {
				rec = append(rec, "")
			}
			if g.Programme != nil {
				rec = append(rec, g.Programme.Code)
			} else {
				rec = append(rec, "")
			}
			if g.Innovation != nil {
				rec = append(rec, g.Innovation.GlobalID(), g.Innovation.Name)
			} else {
				rec = append(rec, "", "")
			}
			rec = append(rec, opt(g.ClinicalArea, ""))
			if g.InnovationStage != nil {
				rec = append(rec, string(*g.InnovationStage))
			} else {
				rec = append(rec, "")
			}
			if g.Period != nil {
				rec = append(rec, g.Period.Start.Format(time.DateOnly), g.Period.End.Format(time.DateOnly), g.Period.Label)
			} else {
				rec = append(rec, "", "", "")
			}
			rec = append(rec, num(g.Value), num(g.Numerator), num(g.Denominator), strconv.Itoa(g.OutcomeCount), strconv.Itoa(g.ReportingCount))
			if err := cw.Write(rec); err != nil {
				return
			}
		}
		cw.Flush()
	})
}
