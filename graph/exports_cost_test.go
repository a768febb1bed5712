package graph

import (
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The breakdown export costs what the figureBreakdown query selecting its
// columns costs: the same function, not a copy of it.
func TestBreakdownExportCostIsTheQueryCost(t *testing.T) {
	t.Parallel()
	es := schemaForCost()
	date := func(s string) *time.Time {
		d, _ := time.Parse(time.DateOnly, s)
		return &d
	}
	fy := "FY2024-25"
	for _, c := range []struct {
		window, groupBy string
		req             hin.FigureRequest
		want            int // when known: the probe
	}{
		{`{from: "1975-01-01", to: "2024-12-31"}`, "INNOVATION, PROGRAMME, REGION, MONTH",
			hin.FigureRequest{Window: hin.WindowInput{From: date("1975-01-01"), To: date("2024-12-31")},
				GroupBy: []hin.Dimension{hin.DimInnovation, hin.DimProgramme, hin.DimRegion, hin.DimMonth}}, 4_860_000_001},
		{`{financialYear: "FY2024-25"}`, "REGION, QUARTER",
			hin.FigureRequest{Window: hin.WindowInput{FinancialYear: &fy}, GroupBy: []hin.Dimension{hin.DimRegion, hin.DimQuarter}}, 0},
		{`{financialYear: "FY2024-25"}`, "",
			hin.FigureRequest{Window: hin.WindowInput{FinancialYear: &fy}}, 19},
	} {
		_, want, _ := costOf(t, es, `{ figureBreakdown(metrics: ["patients_benefiting"], window: `+c.window+`, groupBy: [`+c.groupBy+`]) { `+
			BreakdownCSVSelection+` } }`, nil)
		got, err := BreakdownExportCost(c.req)
		if err != nil || got != want || (c.want != 0 && got != c.want) {
			t.Errorf("%s by %s: the export costs %d (%v), the query %d, want %d", c.window, c.groupBy, got, err, want, c.want)
		}
	}
}
