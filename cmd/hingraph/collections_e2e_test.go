package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// A national collection over real HTTP, as its users meet it: a national
// admin defines it and opens March; the tracker shows nobody has sent
// anything; HI-EM's editor downloads the proforma, fills it in and uploads
// it, and submits; a second person of HI-EM, an approver, approves (the
// editor, even with an approver's token, may not), and only then does the
// national figure move. The non-submitters CSV lists the others.
func TestE2ECollectionRoundTrip(t *testing.T) {
	t.Parallel()
	const secret = "e2e-collections-secret-long-enough-for-hs256"
	s := startServer(t, testdb.URL(t, testdb.Reference), "--jwt-secret", secret)
	mint := func(subject, role, region string) map[string]string {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(secret), Subject: subject, Role: role, RegionCode: region, TTL: time.Hour, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"Authorization": "Bearer " + tok}
	}
	admin := mint("nat-admin", "NATIONAL_ADMIN", "")
	analyst := mint("nat-analyst", "ANALYST", "")
	editor := mint("em-editor", "REGION_EDITOR", "HI-EM")
	editorAsApprover := mint("em-editor", "REGION_APPROVER", "HI-EM") // the same person
	approver := mint("em-approver", "REGION_APPROVER", "HI-EM")
	wmApprover := mint("wm-approver", "REGION_APPROVER", "HI-WM")

	gql := func(who map[string]string, query string, vars map[string]any, into any) []string {
		t.Helper()
		resp, out := s.post(t, gqlRequest{Query: query, Variables: vars}, who)
		if len(out.Errors) > 0 {
			return errorCodes(out.Errors)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if into != nil {
			if err := json.Unmarshal(out.Data, into); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	}
	must := func(who map[string]string, query string, vars map[string]any, into any) {
		t.Helper()
		if codes := gql(who, query, vars, into); codes != nil {
			t.Fatalf("%s: %v", query[:min(60, len(query))], codes)
		}
	}

	var created struct {
		CreateCollection struct{ ID string } `json:"createCollection"`
	}
	must(admin, `mutation { createCollection(input: {code: "PSC-MONTHLY", name: "Monthly patient safety return", cadence: MONTHLY,
		metrics: [{metricCode: "staff_trained"}, {metricCode: "mgso4_uptake"}]}) { id } }`, nil, &created)
	deadline := time.Now().AddDate(0, 0, 10).Format(time.DateOnly)
	var opened struct {
		OpenCollectionPeriod struct{ ID string } `json:"openCollectionPeriod"`
	}
	must(admin, `mutation($c: ID!, $d: Date) { openCollectionPeriod(collectionId: $c, periodStart: "2025-03-01", deadline: $d) { id } }`,
		map[string]any{"c": created.CreateCollection.ID, "d": deadline}, &opened)
	period := opened.OpenCollectionPeriod.ID

	const trackerQuery = `query($p: ID!) { collectionTracker(periodId: $p) { expectedCount receivedCount approvedCount lateCount summary
		submissions { id region { code } state late submittedBy submittedAt approvedBy approvedAt version } } }`
	type tracker struct {
		CollectionTracker struct {
			ExpectedCount, ReceivedCount, ApprovedCount, LateCount int
			Summary                                                string
			Submissions                                            []struct {
				ID                      string
				Region                  struct{ Code string }
				State                   string
				Late                    bool
				SubmittedBy, ApprovedBy *string
				SubmittedAt, ApprovedAt *string
				Version                 int
			}
		} `json:"collectionTracker"`
	}
	var tr tracker
	must(analyst, trackerQuery, map[string]any{"p": period}, &tr)
	if c := tr.CollectionTracker; c.ExpectedCount != 15 || c.ReceivedCount != 0 || len(c.Submissions) != 15 || c.Summary != "received 0 of expected 15" {
		t.Fatalf("tracker at the start: %+v", c)
	}
	var em string
	for _, sub := range tr.CollectionTracker.Submissions {
		if sub.Region.Code == "HI-EM" {
			em = sub.ID
		}
	}

	// publishing a collected figure directly is refused
	if codes := gql(editor, `mutation { recordOutcome(input: {metricCode: "staff_trained", regionCode: "HI-EM", periodStart: "2025-03-01",
		periodEnd: "2025-03-31", value: 5, status: PUBLISHED}) { id } }`, nil, nil); !slices.Equal(codes, []string{"COLLECTION_CONTROLLED"}) {
		t.Fatalf("direct publish: %v", codes)
	}

	// the proforma: download, fill in, upload
	req, _ := http.NewRequest(http.MethodGet, s.base+"/collections/proforma.xlsx?period="+period+"&region=HI-EM", nil)
	req.Header.Set("Authorization", editor["Authorization"])
	resp, body := s.do(t, req)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("proforma: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	book, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("Return")
	if err != nil {
		t.Fatal(err)
	}
	var header int
	for i, r := range rows {
		if len(r) > 0 && r[0] == "metric_code" {
			header = i
		}
	}
	if header == 0 || len(rows) != header+3 || rows[header+1][0] != "staff_trained" || rows[header+2][0] != "mgso4_uptake" {
		t.Fatalf("proforma rows: %q", rows)
	}
	col := func(name string) int { return slices.Index(rows[header], name) + 1 }
	set := func(row int, name string, v any) {
		c, _ := excelize.CoordinatesToCellName(col(name), header+1+row)
		if err := book.SetCellValue("Return", c, v); err != nil {
			t.Fatal(err)
		}
	}
	set(1, "value", 37)
	set(2, "numerator", 18)
	set(2, "denominator", 20)
	var filled bytes.Buffer
	if _, err := book.WriteTo(&filled); err != nil {
		t.Fatal(err)
	}
	upload := func(who map[string]string, file []byte) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/collections/submission?period="+period+"&region=HI-EM", bytes.NewReader(file))
		req.Header.Set("Authorization", who["Authorization"])
		resp, body := s.do(t, req)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("upload answer: %v %s", err, body)
		}
		return resp.StatusCode, m
	}
	status, up := upload(editor, filled.Bytes())
	if status != http.StatusOK || up["rows"] != 2.0 || up["state"] != "DRAFT" || len(up["problems"].([]any)) != 0 {
		t.Fatalf("upload: %d %v", status, up)
	}
	// a CSV line for a metric the collection does not ask for names its line
	status, up = upload(editor, []byte("metric_code,value\nstaff_trained,37\npatients_benefiting,3\n"))
	if status != http.StatusBadRequest || !strings.Contains(string(mustJSON(t, up)), `"line":3`) {
		t.Fatalf("a CSV with another metric: %d %v", status, up)
	}

	const figure = `{ figure(metrics: ["staff_trained"], window: {from: "2025-03-01", to: "2025-03-31"}) { value outcomeCount } }`
	var fig struct {
		Figure struct {
			Value        *float64
			OutcomeCount int
		}
	}
	must(analyst, figure, nil, &fig)
	if fig.Figure.Value != nil {
		t.Fatalf("a draft counted: %+v", fig.Figure)
	}
	var submitted struct {
		SubmitForApproval struct {
			State   string
			Version int
		} `json:"submitForApproval"`
	}
	must(editor, `mutation($id: ID!) { submitForApproval(id: $id) { state version } }`, map[string]any{"id": em}, &submitted)
	if submitted.SubmitForApproval.State != "SUBMITTED" {
		t.Fatalf("submitted: %+v", submitted)
	}
	must(analyst, figure, nil, &fig)
	if fig.Figure.Value != nil {
		t.Fatalf("a submitted, unapproved figure counted: %+v", fig.Figure)
	}
	const approve = `mutation($id: ID!, $v: Int!) { approveSubmission(id: $id, version: $v) { state approvedBy } }`
	vars := map[string]any{"id": em, "v": submitted.SubmitForApproval.Version}
	for _, c := range []struct {
		name string
		who  map[string]string
		code string
	}{{"the submitter", editorAsApprover, "FOUR_EYES_REQUIRED"}, {"an editor", editor, "FORBIDDEN"}, {"another region's approver", wmApprover, "FORBIDDEN"}} {
		if codes := gql(c.who, approve, vars, nil); !slices.Equal(codes, []string{c.code}) {
			t.Errorf("approval by %s: %v, want %s", c.name, codes, c.code)
		}
	}
	var approved struct {
		ApproveSubmission struct {
			State      string
			ApprovedBy string
		} `json:"approveSubmission"`
	}
	must(approver, approve, vars, &approved)
	if approved.ApproveSubmission.State != "APPROVED" || approved.ApproveSubmission.ApprovedBy != "em-approver" {
		t.Fatalf("approved: %+v", approved)
	}
	must(analyst, figure, nil, &fig)
	if fig.Figure.Value == nil || *fig.Figure.Value != 37 || fig.Figure.OutcomeCount != 1 {
		t.Fatalf("the national figure after approval: %+v", fig.Figure)
	}

	must(analyst, trackerQuery, map[string]any{"p": period}, &tr)
	if c := tr.CollectionTracker; c.ReceivedCount != 1 || c.ApprovedCount != 1 || c.Summary != "received 1 of expected 15" {
		t.Fatalf("tracker after approval: %+v", c)
	}
	for _, sub := range tr.CollectionTracker.Submissions {
		if sub.Region.Code == "HI-EM" && (sub.State != "APPROVED" || *sub.SubmittedBy != "em-editor" || *sub.ApprovedBy != "em-approver" ||
			sub.SubmittedAt == nil || sub.ApprovedAt == nil) {
			t.Errorf("HI-EM in the tracker: %+v", sub)
		}
	}

	// the regions still to send, as CSV
	resp, body = s.get(t, "/collections/non-submitters.csv?period="+period)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("non-submitters: %d %s", resp.StatusCode, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 15 || recs[0][7] != "region_code" {
		t.Fatalf("non-submitters: %d lines, header %q", len(recs), recs[0])
	}
	for _, r := range recs[1:] {
		if r[7] == "HI-EM" {
			t.Errorf("HI-EM is listed as a non-submitter")
		}
	}

	// every step is in the audit trail
	var audit struct {
		AuditTrail struct {
			Nodes []struct{ Action, Actor string }
		} `json:"auditTrail"`
	}
	must(admin, `query($id: ID!) { auditTrail(first: 10, filter: {entityIds: [$id]}, orderBy: {field: AT, direction: ASC}) { nodes { action actor } } }`,
		map[string]any{"id": em}, &audit)
	var steps []string
	for _, n := range audit.AuditTrail.Nodes {
		steps = append(steps, n.Action+" by "+n.Actor)
	}
	if got := strings.Join(steps, ", "); got != "SUBMIT_FOR_APPROVAL by em-editor, APPROVE_SUBMISSION by em-approver" {
		t.Errorf("audit: %s", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
