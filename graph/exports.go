package graph

import (
	"context"
	"fmt"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// BreakdownCSVSelection is what one row of /figures/breakdown.csv holds,
// written as the selection of figureBreakdown that would return it: the
// export is costed as that query is.
const BreakdownCSVSelection = `region { code } programme { code } innovation { id name } clinicalArea innovationStage
	period { start end label } value numerator denominator outcomeCount reportingCount`

// breakdownRowCost is the cost of one group of BreakdownCSVSelection,
// measured once with the schema's own cost functions.
var breakdownRowCost = sync.OnceValues(func() (int, error) {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{}, Complexity: costs()})
	doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), `{ figureBreakdown(metrics: [], window: {}, groupBy: []) { `+BreakdownCSVSelection+` } }`, nil)
	if len(errs) > 0 {
		return 0, fmt.Errorf("the breakdown export's selection: %w", errs)
	}
	field, ok := doc.Operations[0].SelectionSet[0].(*ast.Field)
	if !ok {
		return 0, fmt.Errorf("the breakdown export's selection has no figureBreakdown field")
	}
	return newMeasure(context.Background(), es, doc, nil).cost(field.SelectionSet), nil
})

// BreakdownExportCost is what GraphQL's figureBreakdown costs for the
// request's window and groupBy when each group holds a CSV row.
func BreakdownExportCost(r hin.FigureRequest) (int, error) {
	row, err := breakdownRowCost()
	if err != nil {
		return 0, err
	}
	return breakdownCost(row, r.Window, r.GroupBy), nil
}
