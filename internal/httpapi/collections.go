package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/proforma"
	"github.com/hin-graph/hin-graph/internal/store"
)

// National collections over plain HTTP, as the SDCS portal offers them:
// GET /collections/proforma.xlsx, a region's prefilled Excel proforma for a
// period; POST /collections/submission, the proforma filled in (or a CSV
// return) as the submission's draft figures; GET
// /collections/non-submitters.csv, the regions the nation is still waiting
// for. Each takes the period (period=<CollectionPeriod ID>) and, but the
// last, the region (region=<code>), and passes the guard of /graphql.

// collectionRoutes are the routes' labels for metrics and traces.
var collectionRoutes = []string{"/collections/proforma.xlsx", "/collections/submission", "/collections/non-submitters.csv"}

func addCollectionRoutes(mux *http.ServeMux, s *store.Store, cfg Config, rejected func(hin.Limit), guarded func(http.Handler) http.Handler) {
	mux.Handle("GET /collections/proforma.xlsx", guarded(withDeadline(cfg.RequestTimeout, downloadProforma(s))))
	mux.Handle("POST /collections/submission", uploadRoute(cfg, rejected, guarded, uploadSubmission(s)))
	mux.Handle("GET /collections/non-submitters.csv", guarded(withDeadline(cfg.RequestTimeout, exportNonSubmitters(s))))
}

// submissionParam names the submission of the period and region
// parameters (a regional caller's own region when none is given), and the
// region's code.
func submissionParam(s *store.Store, r *http.Request) (string, string, error) {
	q := r.URL.Query()
	periodID := q.Get("period")
	if periodID == "" {
		return "", "", hin.Invalid("period", "name the collection period: period=<its ID, from the collection's periods>")
	}
	period, err := hin.ParseIDOf(hin.KindCollectionPeriod, "period", periodID)
	if err != nil {
		return "", "", err
	}
	var region hin.Region
	code := strings.ToUpper(strings.TrimSpace(q.Get("region")))
	switch p := hin.PrincipalFrom(r.Context()); {
	case code != "":
		region, err = s.RegionByCode(r.Context(), code)
		if hin.ErrorCode(err) == hin.ENOTFOUND {
			return "", "", hin.Invalid("region", "no region has the code %s", hin.Quote(code))
		}
	case p.Regional():
		var rs map[string]hin.Region
		rs, err = s.RegionsByID(r.Context(), []string{p.RegionID})
		region = rs[p.RegionID]
	default:
		return "", "", hin.Invalid("region", "name the region: region=<its code, e.g. HI-EM>")
	}
	if err != nil {
		return "", "", err
	}
	return hin.GlobalID(hin.KindCollectionSubmission, hin.SubmissionID(period, region.ID)), region.Code, nil
}

// downloadProforma answers a region's proforma for a period: its expected
// metrics, the figures entered so far (drafts for those who may see them)
// and last period's values.
func downloadProforma(s *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _, err := submissionParam(s, r)
		if err != nil {
			Error(w, err)
			return
		}
		sheet, err := s.SubmissionSheet(r.Context(), id)
		if err != nil {
			Error(w, err)
			return
		}
		name := fmt.Sprintf("%s-%s-%s.xlsx", sheet.Collection.Code, sheet.Region.Code, sheet.Period.Label())
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="`+fileName(name)+`"`)
		w.Header().Set("Cache-Control", "no-store")
		if err := proforma.Write(w, sheet); err != nil {
			panic(http.ErrAbortHandler) // part of the file is gone: end it so it cannot pass for whole
		}
	})
}

// SubmissionUploadResult is the answer to an upload: what the figures did,
// and the submission with every problem its figures have now, each with
// the line (CSV) or row (sheet) it came from.
type SubmissionUploadResult struct {
	ReturnUploadResult
	SubmissionID string                  `json:"submissionId"`
	State        hin.SubmissionState     `json:"state"`
	Version      int                     `json:"version"`
	NotAvailable int                     `json:"notAvailable"`
	Problems     []hin.SubmissionProblem `json:"problems"`
}

// uploadSubmission records an upload as a submission's draft figures: an
// .xlsx proforma (its not_available_reason column replaces the earlier
// not-available marks) or a CSV return, read with the rules of POST
// /returns.csv. An Idempotency-Key header makes a retry safe.
func uploadSubmission(s *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := hin.PrincipalFrom(r.Context())
		if err := who.MayWrite("uploading a submission"); err != nil {
			Error(w, err)
			return
		}
		id, region, err := submissionParam(s, r)
		if err != nil {
			Error(w, err)
			return
		}
		var key *string
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			key = &k
		}
		up, err := readUpload(r, hin.ReturnInput{RegionCode: region}, proformaWorkbook)
		if err != nil {
			Error(w, err)
			return
		}
		in, lines := up.in, up.lines
		var notAvailable []hin.NotAvailableInput
		if wb := up.workbook; wb != nil {
			if wb.PeriodID != "" && wb.PeriodID != r.URL.Query().Get("period") {
				Error(w, hin.Invalid("period", "this proforma is for another period (%s): download the one for this period", wb.PeriodID))
				return
			}
			if wb.RegionCode != "" && wb.RegionCode != region {
				Error(w, hin.Invalid("region", "this proforma is %s's, not %s's", wb.RegionCode, region))
				return
			}
			notAvailable = wb.NotAvailable
			if notAvailable == nil {
				notAvailable = []hin.NotAvailableInput{} // the sheet says every metric is available
			}
		}
		res, err := s.UploadSubmission(r.Context(), id, in, notAvailable, key)
		if err != nil {
			Error(w, up.locate(err))
			return
		}
		out := SubmissionUploadResult{ReturnUploadResult: ReturnUploadResult{Rows: len(res.Outcomes), Created: res.Created, Restated: res.Restated,
			Unchanged: res.Unchanged, OutcomeIDs: make([]string, len(res.Outcomes))},
			SubmissionID: res.Submission.GlobalID(), State: res.Submission.State, Version: res.Submission.Version, NotAvailable: len(notAvailable),
			Problems: res.Problems}
		line := map[string]int{}
		for i, o := range res.Outcomes {
			out.OutcomeIDs[i] = o.GlobalID()
			if i < len(lines) {
				line[o.ID] = lines[i]
			}
		}
		for i, p := range out.Problems {
			if p.OutcomeID != nil {
				if l, ok := line[*p.OutcomeID]; ok {
					out.Problems[i].Line = &l
				}
				gid := hin.GlobalID(hin.KindOutcome, *p.OutcomeID)
				out.Problems[i].OutcomeID = &gid
			}
		}
		if out.Problems == nil {
			out.Problems = []hin.SubmissionProblem{}
		}
		b, _ := json.Marshal(out)
		writeJSON(w, http.StatusOK, b)
	})
}

// exportNonSubmitters answers, as CSV, the regions expected for a period
// whose figures the nation does not have yet, late ones first.
func exportNonSubmitters(s *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		periodID := r.URL.Query().Get("period")
		if periodID == "" {
			Error(w, hin.Invalid("period", "name the collection period: period=<its ID, from the collection's periods>"))
			return
		}
		uuid, err := hin.ParseIDOf(hin.KindCollectionPeriod, "period", periodID)
		if err != nil {
			Error(w, err)
			return
		}
		trs, err := s.Trackers(r.Context(), []string{uuid})
		if err != nil {
			Error(w, err)
			return
		}
		t, ok := trs[uuid]
		if !ok {
			Error(w, &hin.Error{Code: hin.ENOTFOUND, Field: "period", Message: "no collection period has the ID " + hin.Quote(periodID)})
			return
		}
		cs, err := s.CollectionsByID(r.Context(), []string{t.Period.CollectionID})
		if err != nil {
			Error(w, err)
			return
		}
		c := cs[t.Period.CollectionID]
		cw := csvWriter(w, fmt.Sprintf("non-submitters-%s-%s.csv", c.Code, t.Period.Label()), []string{"collection_code", "collection_name",
			"period", "period_start", "period_end", "deadline", "close_date", "region_code", "region_name", "state", "late", "returned_at",
			"return_comment", "updated_at"})
		write := func(late bool) {
			for _, sub := range t.Submissions {
				if sub.State == hin.SubmissionExempt || sub.Received() || sub.Late != late {
					continue
				}
				_ = cw.Write([]string{hin.CellText(c.Code), hin.CellText(c.Name), t.Period.Label(), t.Period.PeriodStart.Format(time.DateOnly),
					t.Period.PeriodEnd.Format(time.DateOnly), t.Period.Deadline.Format(time.DateOnly), t.Period.CloseDate.Format(time.DateOnly),
					hin.CellText(sub.RegionCode), hin.CellText(sub.RegionName), string(sub.State), fmt.Sprint(sub.Late), stamp(sub.ReturnedAt),
					hin.CellText(opt(sub.ReturnComment, "")), stamp(sub.UpdatedAt)})
			}
		}
		write(true)
		write(false)
		cw.Flush()
	})
}
