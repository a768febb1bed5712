package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The scale-what-works reports, each beside a plain SQL answer written
// another way (date ranges, lateral joins, EXCEPT) so that the check is
// independent of the API's statements.

const spreadOn = "2024-03-31"

var scaleBenchQueries = []*benchQuery{
	{
		name: "scale_duplication",
		gql: `query BenchDuplication { pilotDuplication(window: {financialYear: "` + fyLabel + `"}) {
  byInnovation { innovation { id } regionCount pilotCount }
  byClinicalArea { clinicalArea innovationCount regionCount pilots { id } } } }`,
		baseline: &baseline{sql: duplicationSQL, api: duplicationAPI},
	},
	{
		name: "scale_conversion",
		gql: `query BenchConversion { pilotConversion(window: {financialYear: "` + fyLabel + `"}, withinMonths: 12, groupBy: [REGION]) {
  total { pilots sameRegion { numerator } anywhere { numerator } medianDaysToFirstAdoption }
  groups { region { code } pilots sameRegion { numerator } anywhere { numerator } medianDaysToFirstAdoption } } }`,
		baseline: &baseline{sql: conversionSQL, api: conversionAPI},
	},
	{
		name: "scale_spread",
		gql: `query BenchSpread { spreadTargets(evidence: {adoptedInRegions: 1}, on: "` + spreadOn + `", first: 100) {
  totalCount targets { rank innovation { id } region { code } kind organisations notAdopted } } }`,
		baseline: &baseline{sql: spreadSQL, api: spreadAPI},
	},
	{
		// evidence from outcomes: reads the outcome table, not the rollups
		name: "scale_spread_outcome",
		gql: `query BenchSpreadOutcome { spreadTargets(evidence: {outcome: {metric: "patients_benefiting", above: 1000,
  window: {financialYear: "` + fyLabel + `"}}}, on: "` + spreadOn + `", first: 100) {
  totalCount targets { rank innovation { id } region { code } kind notAdopted outcomeValue } } }`,
	},
}

func count(n int) cell { return cell{n: int64(n)} }

// duplicationSQL: pilots overlapping the window with no adoption of their
// innovation on or after their start; those whose date range meets another
// such pilot's in another region (same innovation, or same clinical area
// and another innovation).
func duplicationSQL(ctx context.Context, db *sql.DB, _ *reference) (figures, error) {
	const q = `WITH cand AS (
  SELECT pl.id, pl.innovation_id, pl.region_id, i.clinical_area,
         daterange(pl.start_date, pl.end_date, '[]') AS span
  FROM pilot pl JOIN innovation i ON i.id = pl.innovation_id
  WHERE pl.archived_at IS NULL AND i.archived_at IS NULL
    AND daterange(pl.start_date, pl.end_date, '[]') && daterange($1::date, $2::date, '[]')
    AND pl.start_date > ALL (SELECT a.adopted_on FROM adoption a WHERE a.innovation_id = pl.innovation_id AND a.archived_at IS NULL)
)
SELECT 'inn/' || c.innovation_id::text, count(*), count(DISTINCT c.region_id), 0
FROM cand c
WHERE EXISTS (SELECT 1 FROM cand o WHERE o.innovation_id = c.innovation_id AND o.region_id <> c.region_id AND o.span && c.span)
GROUP BY c.innovation_id
UNION ALL
SELECT 'area/' || c.clinical_area, count(*), count(DISTINCT c.region_id), count(DISTINCT c.innovation_id)
FROM cand c
WHERE c.clinical_area <> '' AND EXISTS (SELECT 1 FROM cand o WHERE o.clinical_area = c.clinical_area
  AND o.innovation_id <> c.innovation_id AND o.region_id <> c.region_id AND o.span && c.span)
GROUP BY c.clinical_area`
	rows, err := db.QueryContext(ctx, q, fyFrom, fyTo)
	if err != nil {
		return figures{}, err
	}
	defer rows.Close()
	f := figures{cells: map[string]cell{}}
	for rows.Next() {
		var key string
		var pilots, regions, innovations int
		if err := rows.Scan(&key, &pilots, &regions, &innovations); err != nil {
			return figures{}, err
		}
		if key[:4] == "inn/" {
			key = "inn/" + hin.GlobalID(hin.KindInnovation, key[4:])
		}
		f.cells[key+"/pilots"] = count(pilots)
		f.cells[key+"/regions"] = count(regions)
		if key[:5] == "area/" {
			f.cells[key+"/innovations"] = count(innovations)
		}
	}
	return f, rows.Err()
}

func duplicationAPI(body []byte, _ *reference) (figures, error) {
	var d struct {
		PilotDuplication struct {
			ByInnovation []struct {
				Innovation  struct{ ID string }
				RegionCount int
				PilotCount  int
			}
			ByClinicalArea []struct {
				ClinicalArea    string
				InnovationCount int
				RegionCount     int
				Pilots          []struct{ ID string }
			}
		}
	}
	if err := decodeData(body, &d); err != nil {
		return figures{}, err
	}
	f := figures{cells: map[string]cell{}}
	for _, x := range d.PilotDuplication.ByInnovation {
		f.cells["inn/"+x.Innovation.ID+"/pilots"] = count(x.PilotCount)
		f.cells["inn/"+x.Innovation.ID+"/regions"] = count(x.RegionCount)
	}
	for _, x := range d.PilotDuplication.ByClinicalArea {
		key := "area/" + x.ClinicalArea
		f.cells[key+"/pilots"] = count(len(x.Pilots))
		f.cells[key+"/regions"] = count(x.RegionCount)
		f.cells[key+"/innovations"] = count(x.InnovationCount)
	}
	return f, nil
}

// conversionSQL: completed pilots ended in the window, each with its first
// adoption on or after its start (anywhere, and in its region) found by a
// lateral join, counted per region and nationally.
func conversionSQL(ctx context.Context, db *sql.DB, ref *reference) (figures, error) {
	const q = `WITH c AS (
  SELECT pl.region_id, pl.start_date, fa.first_any, fs.first_same,
         fa.first_any IS NOT NULL AND fa.first_any <= (pl.end_date + interval '12 months')::date AS any_ok,
         fs.first_same IS NOT NULL AND fs.first_same <= (pl.end_date + interval '12 months')::date AS same_ok
  FROM pilot pl JOIN innovation i ON i.id = pl.innovation_id
  LEFT JOIN LATERAL (SELECT a.adopted_on AS first_any FROM adoption a WHERE a.innovation_id = pl.innovation_id
      AND a.archived_at IS NULL AND a.adopted_on >= pl.start_date ORDER BY a.adopted_on LIMIT 1) fa ON true
  LEFT JOIN LATERAL (SELECT a.adopted_on AS first_same FROM adoption a WHERE a.innovation_id = pl.innovation_id
      AND a.region_id = pl.region_id AND a.archived_at IS NULL AND a.adopted_on >= pl.start_date ORDER BY a.adopted_on LIMIT 1) fs ON true
  WHERE pl.archived_at IS NULL AND i.archived_at IS NULL AND pl.status = 'COMPLETED'
    AND pl.end_date >= $1::date AND pl.end_date <= $2::date
)
SELECT coalesce(region_id::text, 'national'), count(*), count(*) FILTER (WHERE same_ok), count(*) FILTER (WHERE any_ok),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (first_any - start_date)::float8) FILTER (WHERE any_ok)
FROM c GROUP BY ROLLUP (region_id)`
	rows, err := db.QueryContext(ctx, q, fyFrom, fyTo)
	if err != nil {
		return figures{}, err
	}
	defer rows.Close()
	f := figures{cells: map[string]cell{}}
	for rows.Next() {
		var key string
		var pilots, same, anywhere int
		var median *float64
		if err := rows.Scan(&key, &pilots, &same, &anywhere, &median); err != nil {
			return figures{}, err
		}
		if code, ok := ref.regionCode[key]; ok {
			key = code
		}
		conversionCells(f, key, pilots, same, anywhere, median)
	}
	return f, rows.Err()
}

func conversionCells(f figures, key string, pilots, same, anywhere int, median *float64) {
	f.cells[key+"/pilots"] = count(pilots)
	f.cells[key+"/sameRegion"] = count(same)
	f.cells[key+"/anywhere"] = count(anywhere)
	f.cells[key+"/medianDays"] = cell{value: median}
}

func conversionAPI(body []byte, _ *reference) (figures, error) {
	type group struct {
		Region                    *struct{ Code string }
		Pilots                    int
		SameRegion, Anywhere      struct{ Numerator int }
		MedianDaysToFirstAdoption *float64
	}
	var d struct {
		PilotConversion struct {
			Total  group
			Groups []group
		}
	}
	if err := decodeData(body, &d); err != nil {
		return figures{}, err
	}
	f := figures{cells: map[string]cell{}}
	t := d.PilotConversion.Total
	if t.Pilots > 0 {
		conversionCells(f, "national", t.Pilots, t.SameRegion.Numerator, t.Anywhere.Numerator, t.MedianDaysToFirstAdoption)
	}
	for _, g := range d.PilotConversion.Groups {
		if g.Region == nil {
			return f, fmt.Errorf("a group without its region")
		}
		conversionCells(f, g.Region.Code, g.Pilots, g.SameRegion.Numerator, g.Anywhere.Numerator, g.MedianDaysToFirstAdoption)
	}
	return f, nil
}

// spreadSQL: every (innovation adopted somewhere, region, kind) with
// organisations on the date, less the places it was piloted or adopted,
// ranked the documented way; the total and the first 100.
func spreadSQL(ctx context.Context, db *sql.DB, ref *reference) (figures, error) {
	const q = `WITH proven AS (
  SELECT i.id, i.name FROM innovation i
  WHERE i.archived_at IS NULL AND EXISTS (SELECT 1 FROM adoption a WHERE a.innovation_id = i.id AND a.archived_at IS NULL)
), live AS (
  SELECT o.id, o.region_id, o.kind FROM organisation o
  WHERE o.region_id IS NOT NULL AND o.archived_at IS NULL AND $1::date BETWEEN coalesce(o.valid_from, '-infinity') AND coalesce(o.valid_to, 'infinity')
), places AS (
  SELECT p.id AS innovation_id, l.region_id, l.kind FROM proven p, live l
  EXCEPT
  (SELECT pl.innovation_id, pl.region_id, s.kind FROM pilot pl JOIN organisation s ON s.id = pl.site_id WHERE pl.archived_at IS NULL
   UNION SELECT a.innovation_id, a.region_id, o.kind FROM adoption a JOIN organisation o ON o.id = a.organisation_id WHERE a.archived_at IS NULL)
), scored AS (
  SELECT pl.innovation_id, pl.region_id, pl.kind, p.name, r.code,
         (SELECT count(*) FROM live l WHERE l.region_id = pl.region_id AND l.kind = pl.kind) AS organisations,
         (SELECT count(*) FROM live l WHERE l.region_id = pl.region_id AND l.kind = pl.kind
            AND NOT EXISTS (SELECT 1 FROM adoption a WHERE a.organisation_id = l.id AND a.innovation_id = pl.innovation_id AND a.archived_at IS NULL)) AS not_adopted
  FROM places pl JOIN proven p ON p.id = pl.innovation_id JOIN region r ON r.id = pl.region_id
)
SELECT innovation_id::text, region_id::text, kind, organisations, not_adopted, count(*) OVER () FROM scored
WHERE not_adopted > 0
ORDER BY not_adopted DESC, code COLLATE "C", array_position(ARRAY['ICB','NHS_TRUST','PRIMARY_CARE','CARE_HOME','INDUSTRY','ACADEMIA','CHARITY','OTHER'], kind), name COLLATE "C", innovation_id
LIMIT 100`
	rows, err := db.QueryContext(ctx, q, spreadOn)
	if err != nil {
		return figures{}, err
	}
	defer rows.Close()
	f := figures{cells: map[string]cell{}}
	rank := 0
	for rows.Next() {
		var inn, region, kind string
		var orgs, notAdopted, total int
		if err := rows.Scan(&inn, &region, &kind, &orgs, &notAdopted, &total); err != nil {
			return figures{}, err
		}
		rank++
		spreadCells(f, rank, hin.GlobalID(hin.KindInnovation, inn), ref.regionCode[region], kind, orgs, notAdopted)
		f.cells["totalCount"] = count(total)
	}
	return f, rows.Err()
}

func spreadCells(f figures, rank int, innovation, region, kind string, orgs, notAdopted int) {
	key := fmt.Sprintf("%03d %s %s %s", rank, innovation, region, kind)
	f.cells[key+"/organisations"] = count(orgs)
	f.cells[key+"/notAdopted"] = count(notAdopted)
}

func spreadAPI(body []byte, _ *reference) (figures, error) {
	var d struct {
		SpreadTargets struct {
			TotalCount int
			Targets    []struct {
				Rank          int
				Innovation    struct{ ID string }
				Region        struct{ Code string }
				Kind          string
				Organisations int
				NotAdopted    int
			}
		}
	}
	if err := decodeData(body, &d); err != nil {
		return figures{}, err
	}
	f := figures{cells: map[string]cell{}}
	if d.SpreadTargets.TotalCount > 0 {
		f.cells["totalCount"] = count(d.SpreadTargets.TotalCount)
	}
	for _, t := range d.SpreadTargets.Targets {
		spreadCells(f, t.Rank, t.Innovation.ID, t.Region.Code, t.Kind, t.Organisations, t.NotAdopted)
	}
	return f, nil
}
