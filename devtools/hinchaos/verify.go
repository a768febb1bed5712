package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	_ "github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// storedRows reads, straight from PostgreSQL, every outcome this run wrote:
// source -> outcome UUIDs. The database is the ground truth the API's
// acknowledgements are checked against.
func storedRows(ctx context.Context, dbURL, prefix string) (map[string][]string, int, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// left() rather than LIKE: no wildcard escaping to get wrong.
	rows, err := db.QueryContext(ctx, `SELECT id::text, source FROM outcome WHERE left(source, $1) = $2`, len(prefix), prefix)
	if err != nil {
		return nil, 0, fmt.Errorf("count stored outcomes: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	n := 0
	for rows.Next() {
		var id, source string
		if err := rows.Scan(&id, &source); err != nil {
			return nil, 0, err
		}
		out[source] = append(out[source], id)
		n++
	}
	return out, n, rows.Err()
}

// apiDraftCount asks the API, as an admin, how many DRAFT outcomes of the
// metric lie in the run's period (its writes have a day each, from day
// on): the count a user would see.
func apiDraftCount(ctx context.Context, c *client, metric, day string) (int, error) {
	const q = `query HinchaosCount($filter: OutcomeFilter) { outcomes(first: 0, filter: $filter) { totalCount } }`
	vars := map[string]any{"filter": map[string]any{
		"statuses": []string{"DRAFT"}, "metricCodes": []string{metric},
		"period": map[string]any{"from": day, "to": "2199-12-31"},
	}}
	var last result
	for i := 0; i < 20; i++ { // the count must not fail on a passing blip either
		last = c.post(ctx, q, vars, "")
		if last.ok() {
			var d struct {
				Outcomes struct{ TotalCount int } `json:"outcomes"`
			}
			if err := json.Unmarshal(last.data, &d); err != nil {
				return 0, err
			}
			return d.Outcomes.TotalCount, nil
		}
		if !sleep(ctx, 250*time.Millisecond) {
			break
		}
	}
	return 0, fmt.Errorf("outcomes totalCount: %s %v", last.kind(), last.messages)
}

// apiRegionCodes reads the region codes (and checks the API and token work).
func apiRegionCodes(ctx context.Context, c *client) ([]string, error) {
	res := c.post(ctx, readQueries[0], nil, "")
	if !res.ok() {
		return nil, fmt.Errorf("regions query: %s %v", res.kind(), res.messages)
	}
	var d struct{ Regions []struct{ Code string } }
	if err := json.Unmarshal(res.data, &d); err != nil {
		return nil, err
	}
	var codes []string
	for _, r := range d.Regions {
		codes = append(codes, r.Code)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("no regions: load the reference data first (hingraph seed)")
	}
	return codes, nil
}

// dataCheck compares acknowledgements with what was stored.
type dataCheck struct {
	stored          int // rows with the run's source prefix
	acked           int // distinct acknowledged writes
	lost            []string
	duplicates      int      // extra rows for one key
	wrongID         []string // acknowledged ID not among the rows for its key
	storedUnacked   []string // stored, never acknowledged: a dropped answer
	sharedIDs       int      // two writes acknowledged with the same ID
	unknownSources  int
	apiCount        int
	apiCountErr     error
	apiBaseline     int
	apiCountChecked bool
}

func checkData(writes []*write, stored map[string][]string, total int) dataCheck {
	dc := dataCheck{stored: total}
	known := map[string]bool{}
	ids := map[string]bool{}
	for _, w := range writes {
		known[w.source] = true
		rows := stored[w.source]
		if len(rows) > 1 {
			dc.duplicates += len(rows) - 1
		}
		if !w.acked {
			if len(rows) > 0 {
				dc.storedUnacked = append(dc.storedUnacked, w.key+" (last error: "+w.lastErr+")")
			}
			continue
		}
		dc.acked++
		if ids[w.id] {
			dc.sharedIDs++
		}
		ids[w.id] = true
		if len(rows) == 0 {
			dc.lost = append(dc.lost, w.key)
			continue
		}
		uuid, err := hin.ParseIDOf(hin.KindOutcome, "id", w.id)
		found := false
		for _, r := range rows {
			found = found || (err == nil && r == uuid)
		}
		if !found {
			dc.wrongID = append(dc.wrongID, w.key)
		}
	}
	for src := range stored {
		if !known[src] {
			dc.unknownSources++
		}
	}
	return dc
}
