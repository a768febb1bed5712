package graph

import (
	"context"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The cost of a query is an upper bound on the objects and values it can
// return: every field costs 1 plus what it contains, and a field returning
// a list multiplies what it contains by the most items the list can hold
// for the arguments given. The functions below are gqlgen's typed
// complexity functions, so they see arguments exactly as the resolvers
// will: coerced by the same unmarshallers, defaults applied.
//
// A list field without a function here would be costed as one item; a test
// (TestEveryListFieldHasACost) fails when one is added without its cost.

// Upper bounds of the lists whose length the arguments do not decide.
const (
	regionsMax        = 15  // England's Health Innovation Networks
	stagesMax         = 7   // the innovation journey
	orgKindsMax       = 8   // hin.OrganisationKinds
	stageHistoryMax   = 50  // stage changes of one innovation: each is a deliberate edit
	catalogueMax      = 200 // metrics or collaboratives in the catalogue
	collaborationsMax = 20  // collaboratives one region hosts
	// figure metrics are bounded by hin.MaxFigureMetrics
)

// Breakdown dimensions whose size the data decides: generous estimates of
// the most groups a window can name, so a breakdown by innovation and month
// is costed as the large answer it is.
var dimensionSize = map[hin.Dimension]int{
	hin.DimRegion: regionsMax, hin.DimProgramme: 60, hin.DimInnovation: 500,
	hin.DimClinicalArea: 20, hin.DimInnovationStage: stagesMax,
}

// costCap keeps estimates from overflowing on absurd queries.
const costCap = 1 << 40

func mul(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > costCap/b {
		return costCap
	}
	return a * b
}

func add(a, b int) int { return min(costCap, max(a, 0)+max(b, 0)) }

// list costs a field returning up to n items of what it contains.
func list(n int) func(child int) int {
	// each item is an object even when only __typename is asked of it
	return func(child int) int { return add(1, mul(max(n, 1), max(child, 1))) }
}

// page costs a connection: its page size (default 20) times each item.
// A first outside 0..MaxPageSize is refused by the resolver, so the
// estimate only needs to be an upper bound for the accepted ones.
func page[F, O any](child int, first *int, _ *string, _ F, _ O) int {
	return list(firstOr(first, hin.DefaultPageSize, hin.MaxPageSize))(child)
}

// firstOr is how many items a first argument asks for: def when not
// given, at most most (a larger first is refused by the resolver).
func firstOr(first *int, def, most int) int {
	if first == nil {
		return def
	}
	return min(max(*first, 1), most)
}

// periods counts the buckets of a period dimension in a window; a window
// the resolver will refuse costs one bucket.
func periods(in hin.WindowInput, d hin.Dimension) int {
	w, err := in.Resolve("window")
	if err != nil {
		return 1
	}
	months := (w.To.Year()-w.From.Year())*12 + int(w.To.Month()) - int(w.From.Month()) + 1
	switch d {
	case hin.DimQuarter:
		return months/3 + 2 // a window not on quarter boundaries touches one more at each end
	case hin.DimFinancialYear:
		return months/12 + 2
	case hin.DimMonth:
		return months
	}
	return 1
}

// mostGroups is the most groups a breakdown can return: the product of its
// dimensions' sizes, a period dimension counting the window's periods.
func mostGroups(window hin.WindowInput, groupBy []hin.Dimension) int {
	n := 1
	for _, d := range groupBy {
		if d.IsPeriod() {
			n = mul(n, periods(window, d))
		} else if size, ok := dimensionSize[d]; ok {
			n = mul(n, size)
		}
	}
	return max(n, 1)
}

// breakdownCost is what a figure breakdown costs, in GraphQL and in
// /figures/breakdown.csv alike: child, one group, times the most groups.
func breakdownCost(child int, window hin.WindowInput, groupBy []hin.Dimension) int {
	return list(mostGroups(window, groupBy))(child)
}

// costs fills gqlgen's complexity functions.
func costs() ComplexityRoot {
	var c ComplexityRoot

	c.Query.Adoptions = page
	c.Query.AuditTrail = page
	c.Query.Innovations = page
	c.Query.Organisations = page
	c.Query.Outcomes = page
	c.Query.Pilots = page
	c.Query.Programmes = page
	c.Region.Adoptions = page
	c.Region.Innovations = page
	c.Region.Organisations = page
	c.Region.Outcomes = page
	c.Region.Pilots = page
	c.Region.Programmes = page
	c.Innovation.Adoptions = page
	c.Innovation.Outcomes = page
	c.Innovation.Pilots = page
	c.Innovation.Programmes = page
	c.Organisation.Adoptions = page
	c.Organisation.Innovations = page
	c.Organisation.Pilots = page
	c.Programme.Innovations = page
	c.Programme.Outcomes = page
	c.Programme.Workstreams = page
	c.Metric.Outcomes = page
	c.Pilot.Outcomes = page

	c.Query.Nodes = func(child int, ids []string) int { return list(len(ids))(child) }
	c.Query.Regions = func(child int, _ *hin.RegionFilter) int { return list(regionsMax)(child) }
	c.Query.Metrics = func(child int, _ *hin.MetricFilter) int { return list(catalogueMax)(child) }
	c.Query.Collaboratives = func(child int, _ *hin.CollaborativeFilter) int { return list(catalogueMax)(child) }
	c.Mutation.SubmitReturn = func(child int, in hin.ReturnInput, _ *string) int { return list(len(in.Rows))(child) }
	// an outcome's earlier states: first of them (20 unless given, at most hin.MaxHistory)
	c.Outcome.History = func(child int, first *int) int { return list(firstOr(first, 20, hin.MaxHistory))(child) }

	// A series holds one point per period of its window: the whole series
	// is costed as that many copies of what it contains.
	series := func(child int, _ []string, window hin.WindowInput, interval hin.Dimension, _ *hin.FigureFilter, _ *bool, _ *time.Time) int {
		return list(periods(window, interval))(child)
	}
	c.Query.Series, c.Region.Series = series, series
	breakdown := func(child int, _ []string, window hin.WindowInput, groupBy []hin.Dimension, _ *hin.FigureFilter, _ *bool, _ *time.Time) int {
		return breakdownCost(child, window, groupBy)
	}
	c.Query.FigureBreakdown, c.Region.FigureBreakdown = breakdown, breakdown

	c.Region.Collaboratives = list(collaborationsMax)
	c.Collaborative.Regions = list(regionsMax)
	c.Programme.Regions = list(regionsMax)
	c.Coverage.MissingRegions = list(regionsMax)
	c.Coverage.ReportingRegions = list(regionsMax)
	c.Coverage.Sources = list(regionsMax)
	c.Coverage.StaleRegions = list(regionsMax)
	c.Query.RegionSources = list(regionsMax)
	// federation: one entity per representation sent
	c.Query.__resolve_entities = func(child int, reps []map[string]any) int { return list(len(reps))(child) }
	c.Figure.ByRegion = list(regionsMax)
	c.Figure.Metrics = list(hin.MaxFigureMetrics)
	c.Series.Metrics = list(hin.MaxFigureMetrics)
	c.Series.Points = list(1) // counted by the series around it
	c.RegionComparison.Metrics = list(hin.MaxFigureMetrics)
	c.RegionComparison.National = list(hin.MaxFigureMetrics)
	c.RegionComparison.Rows = list(regionsMax)
	c.RegionComparisonRow.Cells = list(hin.MaxFigureMetrics)
	c.Pipeline.ByRegion = list(regionsMax)
	c.Pipeline.Stages = list(stagesMax)
	c.RegionPipeline.Stages = list(stagesMax)
	c.AdoptionSpread.ByRegion = list(regionsMax)
	c.RegionAdoption.ByKind = list(orgKindsMax)
	c.Innovation.StageHistory = list(stageHistoryMax)
	c.OutcomeChange.Statuses = list(len(hin.OutcomeStatuses))
	// A subscription costs what one change may send it: figureUpdated one
	// figure per burst of changes, outcomeChanges one event per metric
	// changed (share.go counts open subscriptions against their caller).
	c.Subscription.OutcomeChanges = func(child int, _ string) int { return list(catalogueMax)(child) }
	scaleCosts(&c)
	collectionCosts(&c)
	return c
}

// Scale reports. Duplications have no argument bounding them: generous
// estimates of what a national answer holds. Conversion groups and spread
// targets are bounded by their arguments, and costed once around them.
const (
	duplicatedInnovationsMax = 100 // innovations piloted in parallel in several regions
	duplicatePilotsMax       = 30  // pilots of one duplicated innovation
	areaPilotsMax            = 200 // pilots of one clinical area's duplication
	areaInnovationsMax       = 50  // innovations of one clinical area's duplication
)

func scaleCosts(c *ComplexityRoot) {
	c.PilotDuplicationReport.ByInnovation = list(duplicatedInnovationsMax)
	c.PilotDuplicationReport.ByClinicalArea = list(dimensionSize[hin.DimClinicalArea])
	c.PilotDuplication.Regions = list(regionsMax)
	c.PilotDuplication.Pilots = list(duplicatePilotsMax)
	c.ClinicalAreaDuplication.Regions = list(regionsMax)
	c.ClinicalAreaDuplication.Innovations = list(areaInnovationsMax)
	c.ClinicalAreaDuplication.Pilots = list(areaPilotsMax)
	conversion := func(child int, window hin.WindowInput, _ *int, _ []hin.PilotStatus, groupBy []hin.Dimension, _ *hin.ScaleFilter) int {
		return list(mostGroups(window, groupBy))(child)
	}
	c.Query.PilotConversion, c.Region.PilotConversion = conversion, conversion
	c.PilotConversion.Groups = list(1) // counted by the conversion around it
	c.PilotConversion.Statuses = list(len(hin.PilotStatuses))
	targets := func(child int, _ hin.SpreadEvidence, _ []hin.OrganisationKind, _ *time.Time, first *int, _ *hin.ScaleFilter) int {
		return list(firstOr(first, hin.DefaultSpreadTargets, hin.MaxSpreadTargets))(child)
	}
	c.Query.SpreadTargets, c.Region.SpreadTargets = targets, targets
	c.SpreadTargetList.Targets = list(1) // counted by spreadTargets around it
}

// measure holds what the limits look at in one operation. Every fragment
// is measured once and its result reused at each spread, so the work is
// linear in the size of the document however fragments nest.
type measure struct {
	ctx        context.Context
	es         graphql.ExecutableSchema
	doc        *ast.QueryDocument
	vars       map[string]any
	aliases    int
	directives int
	// per fragment: its cost and depth below the spread
	fragCost  map[string]int
	fragDepth map[string]int
	counted   map[string]bool
	steps     int // selections visited, for tests of linearity
	// defers is set when a fragment is marked @defer (see count)
	defers bool
	// introspects is set when the operation reads __schema, __type or
	// _service (the federation SDL).
	introspects bool
}

func newMeasure(ctx context.Context, es graphql.ExecutableSchema, doc *ast.QueryDocument, vars map[string]any) *measure {
	return &measure{ctx: ctx, es: es, doc: doc, vars: vars,
		fragCost: map[string]int{}, fragDepth: map[string]int{}, counted: map[string]bool{}}
}

// depth is how deep a selection set nests, fragments expanded.
func (m *measure) depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		m.steps++
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || s.Name == "_service" { // _service: the SDL, schema too
				m.introspects = true
			}
			d = 1 + m.depth(s.SelectionSet)
		case *ast.InlineFragment:
			d = m.depth(s.SelectionSet)
		case *ast.FragmentSpread:
			var ok bool
			if d, ok = m.fragDepth[s.Name]; !ok {
				if f := m.doc.Fragments.ForName(s.Name); f != nil {
					m.fragDepth[s.Name] = 0 // validation refused cycles; this only guards
					d = m.depth(f.SelectionSet)
				}
				m.fragDepth[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// count tallies aliases and directives as written: each fragment once,
// however often it is spread.
func (m *measure) count(set ast.SelectionSet) {
	for _, sel := range set {
		m.steps++
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				m.aliases++
			}
			m.directives += len(s.Directives)
			m.count(s.SelectionSet)
		case *ast.InlineFragment:
			m.directives += len(s.Directives)
			m.defers = m.defers || s.Directives.ForName("defer") != nil
			m.count(s.SelectionSet)
		case *ast.FragmentSpread:
			m.directives += len(s.Directives)
			m.defers = m.defers || s.Directives.ForName("defer") != nil
			if !m.counted[s.Name] {
				m.counted[s.Name] = true
				if f := m.doc.Fragments.ForName(s.Name); f != nil {
					m.directives += len(f.Directives)
					m.count(f.SelectionSet)
				}
			}
		}
	}
}

// cost is the upper bound of what a selection set can return.
func (m *measure) cost(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		m.steps++
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // introspection reads the static schema; depth bounds it
			}
			total = add(total, m.field(s, m.cost(s.SelectionSet)))
		case *ast.InlineFragment:
			total = add(total, m.cost(s.SelectionSet))
		case *ast.FragmentSpread:
			c, ok := m.fragCost[s.Name]
			if !ok {
				if f := m.doc.Fragments.ForName(s.Name); f != nil {
					m.fragCost[s.Name] = 0
					c = m.cost(f.SelectionSet)
				}
				m.fragCost[s.Name] = c
			}
			total = add(total, c)
		}
	}
	return total
}

// field asks the field's complexity function, or costs it 1 plus what it
// contains. On an interface the dearest implementation counts.
func (m *measure) field(f *ast.Field, child int) int {
	if f.ObjectDefinition == nil {
		return add(1, child)
	}
	args := f.ArgumentMap(m.vars)
	types := []*ast.Definition{f.ObjectDefinition}
	if f.ObjectDefinition.IsAbstractType() {
		types = m.es.Schema().GetPossibleTypes(f.ObjectDefinition)
	}
	dearest := add(1, child)
	for _, t := range types {
		if c, ok := m.es.Complexity(m.ctx, t.Name, f.Name, child, args); ok && c > dearest {
			dearest = c
		}
	}
	return dearest
}
