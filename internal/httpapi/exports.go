package httpapi

import (
	"encoding/csv"
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

// The CSV exports (GET /outcomes.csv, /figures/breakdown.csv and
// /collections/non-submitters.csv) answer within the limits GraphQL keeps:
// outcomes come a page at a time (first, after and a Link to the next
// page, at most hin.MaxPageSize rows without a token), a breakdown is
// costed as figureBreakdown is and refused over the caller's cost limit,
// and every parameter is checked before the first byte is written, so a
// bad one gets a coded error. Every text cell goes through hin.CellText.

// outcomeCSVColumns is the header of /outcomes.csv.
var outcomeCSVColumns = []string{"id", "metric_code", "region_code", "period_start", "period_end", "value",
	"numerator", "denominator", "innovation_id", "pilot_id", "programme_id", "source", "status", "created_at", "updated_at",
	"published_at", "withdrawn_at", "withdrawn_reason", "version"}

// breakdownCSVColumns is the header of /figures/breakdown.csv, one column
// per field of graph.BreakdownCSVSelection.
var breakdownCSVColumns = []string{"region_code", "programme_code", "innovation_id", "innovation_name", "clinical_area",
	"innovation_stage", "period_start", "period_end", "period_label", "value", "numerator", "denominator", "outcome_count", "reporting_count"}

// csvWriter starts a CSV answer: UTF-8 with a byte-order mark, so Excel
// reads it as UTF-8, and a header row. Call it only once every parameter
// is checked: from here on the answer is 200.
func csvWriter(w http.ResponseWriter, name string, header []string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(name)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel writes
	_ = cw.Write(header)
	return cw
}

// fileName keeps a download's name to letters, digits, '-' and '.', so a
// code with a quote in it cannot break the Content-Disposition header.
func fileName(name string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			return c
		}
		return '-'
	}, name)
}

func list(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		out = append(out, hin.SplitList(v)...)
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

// num writes a number as a number: never through hin.CellText, so a
// negative value keeps its sign.
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

// exportPageSize is the most rows a page of an export holds for the caller:
// GraphQL's page limit without a token, hin.MaxExportPageSize with one.
func exportPageSize(p hin.Principal) int {
	if p.Role == hin.RoleAnonymous {
		return hin.MaxPageSize
	}
	return hin.MaxExportPageSize
}

// pageParams reads first (1 up to the caller's page size, which is also
// the default) and after. A larger first is refused, never trimmed, as in
// GraphQL, so a client cannot mistake a short page for the end.
func pageParams(r *http.Request) (int, string, error) {
	q := r.URL.Query()
	most := exportPageSize(hin.PrincipalFrom(r.Context()))
	first := most
	if v := q.Get("first"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > most {
			who := "callers with a token"
			if hin.PrincipalFrom(r.Context()).Role == hin.RoleAnonymous {
				who = "callers without a token"
			}
			return 0, "", hin.Invalid("first", "first is the rows of a page: from 1 to %d for %s, got %s; page through the rest with after", most, who, hin.Quote(v))
		}
		first = n
	}
	return first, q.Get("after"), nil
}

// nextPage points the answer at the next page: a Link header (RFC 8288)
// with this request's parameters and after set, and X-Next-Cursor with
// the cursor alone. Neither is sent on the last page.
func nextPage(w http.ResponseWriter, r *http.Request, cursor string) {
	if cursor == "" {
		return
	}
	q := r.URL.Query()
	q.Set("after", cursor)
	next := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	w.Header().Set("Link", "<"+next.String()+`>; rel="next"`)
	w.Header().Set("X-Next-Cursor", cursor)
}

// exportOutcomes answers a page of outcomes as CSV. Parameters, as the
// outcomes list's filter: regionCodes, metricCodes, programmeIds,
// innovationIds, pilotIds, statuses (comma-separated or repeated), from
// and to (period); first and after page. Drafts are included only for
// callers who may see them.
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
			if !slices.Contains(hin.OutcomeStatuses, st) {
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
		first, after, err := pageParams(r)
		if err != nil {
			Error(w, err)
			return
		}
		rows, next, err := s.ExportOutcomes(r.Context(), f, first, after)
		if err != nil {
			Error(w, err)
			return
		}
		nextPage(w, r, next)
		text := hin.CellText
		cw := csvWriter(w, "outcomes.csv", outcomeCSVColumns)
		for _, o := range rows {
			_ = cw.Write([]string{text(o.GlobalID()), text(o.MetricCode), text(o.RegionCode), o.PeriodStart.Format(time.DateOnly),
				o.PeriodEnd.Format(time.DateOnly), num(o.Value), num(o.Numerator), num(o.Denominator),
				text(opt(o.InnovationID, hin.KindInnovation)), text(opt(o.PilotID, hin.KindPilot)), text(opt(o.ProgrammeID, hin.KindProgramme)),
				text(o.Source), text(string(o.Status)), stamp(&o.CreatedAt), stamp(&o.UpdatedAt), stamp(o.PublishedAt), stamp(o.WithdrawnAt),
				text(opt(o.WithdrawnReason, "")), strconv.Itoa(o.Version)})
		}
		cw.Flush()
	})
}

// exportBreakdown answers figureBreakdown as CSV. Parameters: metrics,
// groupBy (comma-separated), the window as from and to or financialYear
// or quarter, regionCodes, programmeIds, innovationIds, includeDrafts and
// asOf (RFC 3339). It is costed as the same figureBreakdown query with
// graph.BreakdownCSVSelection, and refused over the caller's cost limit.
func exportBreakdown(s *store.Store, limits *graph.Limits) http.Handler {
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
		cost, err := graph.BreakdownExportCost(req)
		if err == nil {
			err = limits.CheckCost(r.Context(), "the breakdown", cost)
		}
		if err != nil {
			Error(w, err)
			return
		}
		groups, err := s.Figures().Breakdown(r.Context(), req)
		if err != nil {
			Error(w, err)
			return
		}
		text := hin.CellText
		cw := csvWriter(w, "breakdown.csv", breakdownCSVColumns)
		for _, g := range groups {
			rec := make([]string, 0, len(breakdownCSVColumns))
			if g.Region != nil {
				rec = append(rec, text(g.Region.Code))
			} else {
				rec = append(rec, "")
			}
			if g.Programme != nil {
				rec = append(rec, text(g.Programme.Code))
			} else {
				rec = append(rec, "")
			}
			if g.Innovation != nil {
				rec = append(rec, text(g.Innovation.GlobalID()), text(g.Innovation.Name))
			} else {
				rec = append(rec, "", "")
			}
			rec = append(rec, text(opt(g.ClinicalArea, "")))
			if g.InnovationStage != nil {
				rec = append(rec, text(string(*g.InnovationStage)))
			} else {
				rec = append(rec, "")
			}
			if g.Period != nil {
				rec = append(rec, g.Period.Start.Format(time.DateOnly), g.Period.End.Format(time.DateOnly), text(g.Period.Label))
			} else {
				rec = append(rec, "", "", "")
			}
			rec = append(rec, num(g.Value), num(g.Numerator), num(g.Denominator), strconv.Itoa(g.OutcomeCount), strconv.Itoa(g.ReportingCount))
			_ = cw.Write(rec)
		}
		cw.Flush()
	})
}
