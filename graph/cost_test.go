package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

func schemaForCost() *executableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{}, Complexity: costs()}).(*executableSchema)
}

// costOf parses, validates and coerces a request as gqlgen does, then
// measures it.
func costOf(t testing.TB, es *executableSchema, query string, vars map[string]any) (*measure, int, *ast.OperationDefinition) {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), query, nil)
	if len(errs) > 0 {
		t.Fatalf("invalid query: %v\n%s", errs, query)
	}
	op := doc.Operations[0]
	// as the transports decode them: numbers stay json.Number
	raw, _ := json.Marshal(vars)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	vars = nil
	if err := dec.Decode(&vars); err != nil {
		t.Fatal(err)
	}
	coerced, err := validator.VariableValues(es.Schema(), op, vars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	m := newMeasure(context.Background(), es, doc, coerced)
	return m, m.cost(op.SelectionSet), op
}

// selections counts the selections written in a document, each fragment
// once: the size that everything before execution must stay linear in.
func selections(doc *ast.QueryDocument) int {
	var walk func(ast.SelectionSet) int
	walk = func(set ast.SelectionSet) int {
		n := 0
		for _, sel := range set {
			n++
			switch s := sel.(type) {
			case *ast.Field:
				n += walk(s.SelectionSet)
			case *ast.InlineFragment:
				n += walk(s.SelectionSet)
			}
		}
		return n
	}
	n := 0
	for _, op := range doc.Operations {
		n += walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n += walk(f.SelectionSet)
	}
	return n
}

// fragmentBomb spreads each fragment twice in the next: 2^levels
// expansions from a query under 2 KB.
func fragmentBomb(levels int, leaf string) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range levels {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { %s }\n", levels, leaf)
	return b.String()
}

func TestMeasuringIsLinearInTheDocument(t *testing.T) {
	t.Parallel()
	es := schemaForCost()
	for _, levels := range []int{10, 40} {
		q := fragmentBomb(levels, "regions { code }")
		m, cost, op := costOf(t, es, q, nil)
		m.depth(op.SelectionSet)
		m.count(op.SelectionSet)
		n := selections(m.doc)
		if m.steps > 3*n {
			t.Errorf("%d levels: %d steps for %d selections written", levels, m.steps, n)
		}
		// the cost is still the full expansion: 2^levels copies of regions
		want := min(costCap, mul(1<<levels, 1+regionsMax))
		if levels < 40 && cost != want {
			t.Errorf("%d levels: cost %d, want %d", levels, cost, want)
		}
		if levels == 40 && cost < 1<<39 {
			t.Errorf("%d levels: cost %d, want the cap", levels, cost)
		}
	}
}

// TestCostFollowsTheArgumentsTheResolverSees covers the spellings that
// used to mean one thing to the limit and another to the resolver.
func TestCostFollowsTheArgumentsTheResolverSees(t *testing.T) {
	t.Parallel()
	es := schemaForCost()
	costWith := func(q string, vars map[string]any) int {
		_, c, _ := costOf(t, es, q, vars)
		return c
	}
	page := `query($n: Int) { regions { outcomes(first: $n) { nodes { id } } } }`
	if a, b := costWith(page, map[string]any{"n": json.Number("500")}), costWith(`{ regions { outcomes(first: 500) { nodes { id } } } }`, nil); a != b || a < 15*500 {
		t.Errorf("first as a variable costs %d, as a literal %d", a, b)
	}
	bare := costWith(`{ figureBreakdown(metrics: ["m"], window: {financialYear: "FY2023-24"}, groupBy: MONTH) { value } }`, nil)
	listed := costWith(`{ figureBreakdown(metrics: ["m"], window: {financialYear: "FY2023-24"}, groupBy: [MONTH]) { value } }`, nil)
	viaVar := costWith(`query($g: [FigureDimension!]!) { figureBreakdown(metrics: ["m"], window: {financialYear: "FY2023-24"}, groupBy: $g) { value } }`, map[string]any{"g": "MONTH"})
	if bare != listed || viaVar != listed || listed < 12 {
		t.Errorf("groupBy MONTH costs %d bare, %d listed, %d as a variable", bare, listed, viaVar)
	}
	fifty := costWith(`{ series(metrics: ["m"], window: {from: "1975-04-01", to: "2025-03-31"}, interval: MONTH) { points { value numerator } } }`, nil)
	if fifty < 600*3 {
		t.Errorf("a monthly series over 50 years costs %d, below its 600 points", fifty)
	}
	year := costWith(`{ series(metrics: ["m"], window: {financialYear: "FY2023-24"}, interval: QUARTER) { points { value } } }`, nil)
	if year > 100 {
		t.Errorf("a quarterly series over one year costs %d", year)
	}
}

func TestStringsForNumbersAreRefused(t *testing.T) {
	t.Parallel()
	es := schemaForCost()
	const (
		page   = `query($n: Int) { regions { outcomes(first: $n) { totalCount } } }`
		nested = `mutation($in: OutcomeInput!) { recordOutcome(input: $in) { id } }`
	)
	outcome := func(v any) map[string]any {
		return map[string]any{"metricCode": "m", "regionCode": "X", "periodStart": "2024-01-01", "periodEnd": "2024-01-31", "value": v}
	}
	for _, tc := range []struct {
		query string
		vars  map[string]any
		bad   bool
	}{
		{page, map[string]any{"n": json.Number("500")}, false},
		{page, map[string]any{"n": "500"}, true},
		{page, map[string]any{"n": json.Number("2.5")}, true},
		{page, map[string]any{"n": json.Number("4294967296")}, true},
		{nested, map[string]any{"in": outcome(json.Number("1.5"))}, false},
		{nested, map[string]any{"in": outcome("1.5")}, true},
	} {
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), tc.query, nil)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		op := doc.Operations[0]
		vars, err := validator.VariableValues(es.Schema(), op, tc.vars)
		if err != nil {
			if !tc.bad {
				t.Errorf("%v: refused by coercion: %v", tc.vars, err)
			}
			continue
		}
		if got := strictVariables(es.Schema(), op, vars); (got != nil) != tc.bad {
			t.Errorf("%v: strict check said %v", tc.vars, got)
		} else if got != nil && got.Extensions["code"] != hin.EVALIDATION {
			t.Errorf("%v: code %v", tc.vars, got.Extensions["code"])
		}
	}
}

// TestEveryListFieldHasACost fails when a field returning a list or a
// connection is added to the schema without a complexity function.
func TestEveryListFieldHasACost(t *testing.T) {
	t.Parallel()
	es := schemaForCost()
	root := reflect.ValueOf(es.ComplexityRoot)
	for _, def := range es.Schema().Types {
		if def.Kind != ast.Object || strings.HasPrefix(def.Name, "__") || strings.HasSuffix(def.Name, "Connection") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || (f.Type.Elem == nil && !strings.HasSuffix(f.Type.Name(), "Connection")) {
				continue
			}
			goName := strings.ToUpper(f.Name[:1]) + f.Name[1:]
			if f.Name == "_entities" {
				goName = "__resolve_entities" // gqlgen's name for the federation field
			}
			fn := root.FieldByName(def.Name).FieldByName(goName)
			if !fn.IsValid() || fn.IsNil() {
				t.Errorf("%s.%s returns a list but has no cost in costs()", def.Name, f.Name)
			}
		}
	}
}

// queryGen writes random queries over the real schema: random fields,
// named fragments (spread once or twice), inline fragments, aliases, and
// Int arguments as literals, variables and variable defaults.
type queryGen struct {
	r            *rand.Rand
	schema       *ast.Schema
	metric       string
	fillOptional bool // fill optional arguments too (querygen_test.go)
	literalOnly  bool // write values as literals, never as variables
	frags        []string
	varDefs      []string
	vars         map[string]any
	n            int
}

func (g *queryGen) name(prefix string) string { g.n++; return fmt.Sprintf("%s%d", prefix, g.n) }

// intArg spells an Int in one of the legal ways.
func (g *queryGen) intArg(v int) string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprint(v)
	case 1:
		n := g.name("v")
		g.varDefs = append(g.varDefs, "$"+n+": Int")
		g.vars[n] = json.Number(fmt.Sprint(v))
		return "$" + n
	case 2:
		n := g.name("v")
		g.varDefs = append(g.varDefs, fmt.Sprintf("$%s: Int = %d", n, v))
		return "$" + n
	default:
		n := g.name("v")
		g.varDefs = append(g.varDefs, "$"+n+": Int!")
		g.vars[n] = float64(v)
		return "$" + n
	}
}

func (g *queryGen) window() string {
	switch g.r.IntN(3) {
	case 0:
		return `{financialYear: "FY2023-24"}`
	case 1:
		return `{quarter: "FY2023-24 Q2"}`
	}
	months := 1 + g.r.IntN(599)
	from := 2024*12 + 3 - months // ends in March 2024
	return fmt.Sprintf(`{from: "%04d-%02d-01", to: "2024-03-31"}`, from/12, from%12+1)
}

func (g *queryGen) dims() string {
	periods := []string{"MONTH", "QUARTER", "FINANCIAL_YEAR"}
	others := []string{"REGION", "PROGRAMME", "INNOVATION", "CLINICAL_AREA", "INNOVATION_STAGE"}
	var ds []string
	if g.r.IntN(2) == 0 {
		ds = append(ds, periods[g.r.IntN(3)])
	}
	if len(ds) == 0 || g.r.IntN(2) == 0 {
		ds = append(ds, others[g.r.IntN(len(others))])
	}
	if len(ds) == 1 && g.r.IntN(2) == 0 {
		return ds[0] // a bare value is a list of one
	}
	if g.r.IntN(3) == 0 {
		n := g.name("g")
		g.varDefs = append(g.varDefs, "$"+n+": [FigureDimension!]!")
		items := make([]any, len(ds))
		for i, d := range ds {
			items[i] = d
		}
		g.vars[n] = items
		return "$" + n
	}
	return "[" + strings.Join(ds, ", ") + "]"
}

// args writes a field's arguments, or says it cannot fill them.
func (g *queryGen) args(f *ast.FieldDefinition, nested bool) (string, bool) {
	var out []string
	for _, a := range f.Arguments {
		switch a.Name {
		case "first":
			most := 40
			if nested {
				most = 4
			}
			out = append(out, "first: "+g.intArg(g.r.IntN(most+1)))
		case "metrics":
			out = append(out, fmt.Sprintf("metrics: [%q]", g.metric))
		case "window":
			out = append(out, "window: "+g.window())
		case "interval":
			out = append(out, "interval: "+[]string{"MONTH", "QUARTER", "FINANCIAL_YEAR"}[g.r.IntN(3)])
		case "groupBy":
			out = append(out, "groupBy: "+g.dims())
		default:
			if a.Type.NonNull && a.DefaultValue == nil {
				return "", false
			}
			if v := g.optional(a); v != "" {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		return "", true
	}
	return "(" + strings.Join(out, ", ") + ")", true
}

func (g *queryGen) selection(def *ast.Definition, depth int) string {
	if def.IsAbstractType() {
		var parts []string
		for _, t := range g.schema.GetPossibleTypes(def) {
			if g.r.IntN(3) == 0 {
				parts = append(parts, "... on "+t.Name+" { "+g.selection(t, depth)+" }")
			}
		}
		return "__typename " + strings.Join(parts, " ")
	}
	var parts []string
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || g.r.IntN(3) != 0 {
			continue
		}
		sub := g.schema.Types[f.Type.Name()]
		object := sub.Kind == ast.Object || sub.Kind == ast.Interface
		if object && depth >= 4 {
			continue
		}
		args, ok := g.args(f, depth > 0)
		if !ok {
			continue
		}
		field := f.Name + args
		if g.r.IntN(5) == 0 {
			field = g.name("a") + ": " + field
		}
		if object {
			inner := g.selection(sub, depth+1)
			switch g.r.IntN(5) {
			case 0: // a named fragment, spread once or twice
				name := g.name("F")
				g.frags = append(g.frags, "fragment "+name+" on "+sub.Name+" { "+inner+" }")
				inner = strings.Repeat("..."+name+" ", 1+g.r.IntN(2))
			case 1:
				inner = "... on " + sub.Name + " { " + inner + " }"
			}
			field += " { " + inner + " }"
		}
		parts = append(parts, field)
	}
	if len(parts) == 0 {
		return "__typename"
	}
	return strings.Join(parts, " ")
}

func (g *queryGen) query() (string, map[string]any) {
	g.frags, g.varDefs, g.vars = nil, nil, map[string]any{}
	body := g.selection(g.schema.Query, 0)
	head := "query"
	if len(g.varDefs) > 0 {
		head += "(" + strings.Join(g.varDefs, ", ") + ")"
	}
	return head + " { " + body + " }\n" + strings.Join(g.frags, "\n"), g.vars
}

// objects counts the JSON objects in a response: each is one value that
// the cost must have paid for.
func countObjects(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 1
		for _, e := range x {
			n += countObjects(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += countObjects(e)
		}
		return n
	}
	return 0
}

// TestCostBoundsTheResponse is a property test: for random queries over
// the real schema and data, the estimated cost is at least the number of
// objects in the response, and measuring stays linear in the document.
func TestCostBoundsTheResponse(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Demo(seed.DemoSize{PilotsPerRegion: 3, InnovationsPerRegion: 3, FirstFY: 2022, Years: 2}))
	h := NewHandler(s, Options{Introspection: true})
	analyst := hin.Principal{Subject: "a", Role: hin.RoleAnalyst}
	es := schemaForCost()
	g := &queryGen{r: rand.New(rand.NewPCG(8, 2026)), schema: es.Schema(), metric: "patients_benefiting", fillOptional: true}
	for i := range 150 {
		q, vars := g.query()
		m, cost, op := costOf(t, es, q, vars)
		m.depth(op.SelectionSet)
		m.count(op.SelectionSet)
		if n := selections(m.doc); m.steps > 3*n {
			t.Errorf("query %d: %d steps for %d selections\n%s", i, m.steps, n, q)
		}
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(hin.WithPrincipal(req.Context(), analyst)))
		var resp struct {
			Data   any
			Errors []struct {
				Message    string
				Extensions map[string]any
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("query %d: %v: %s", i, err, rec.Body.String())
		}
		for _, e := range resp.Errors {
			if e.Extensions["code"] == hin.EINTERNAL {
				t.Errorf("query %d: internal error\n%s", i, q)
			}
		}
		// the response's own top-level object is not a field
		if got := countObjects(resp.Data) - 1; got > cost {
			t.Errorf("query %d returned %d objects but was costed %d\n%s\n%v", i, got, cost, q, vars)
		}
	}
}

func TestRepeatsCountEachFragmentOncePerSelectionSet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query string
		name  string
		most  int
	}{
		{"{ regions { code code name } }", "code", 2},
		{fragmentBomb(30, "__typename"), "", 1},
		{"{ regions { ...A ...A ...B } } fragment A on Region { code code } fragment B on Region { ...A code }", "code", 3},
		{"{ regions { ... on Region { code } code a: code } }", "code", 2},
		{"{ a: regions { x: code x: name } }", "x", 2},
		{"{ ...A } fragment A on Query { ...B } fragment B on Query { ...A regions { code } }", "", 1},
	} {
		doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if name, n := mostRepeated(doc); n != tc.most || (tc.most > 1 && name != tc.name) {
			t.Errorf("%.60s: %s %d times, want %s %d times", tc.query, name, n, tc.name, tc.most)
		}
	}
}

// BenchmarkHostileShapes times whole requests of the shapes issue 8 found,
// under the shipped limits: go test -run - -bench HostileShapes ./graph/
func BenchmarkHostileShapes(b *testing.B) {
	limits := Limits{MaxTokens: 2000, MaxDepth: 15, MaxAliases: 15, MaxDirectives: 50, MaxCost: 50000, MaxCostAnonymous: 10000, MaxQueryBytes: 64 << 10}
	h := NewHandler(nil, Options{Limits: limits, Introspection: true})
	for _, tc := range []struct{ name, query string }{
		{"fragments doubled 30 times, answered", fragmentBomb(30, "__typename")},
		{"fragments doubled 30 times, refused for cost", fragmentBomb(30, "regions { code }")},
		{"one field 1900 times, refused", "{ regions { " + strings.Repeat("code ", 1900) + "} }"},
		{"32 copies of 32 copies, refused", "{ " + strings.Repeat("regions { "+strings.Repeat("code ", 32)+"} ", 32) + "}"},
	} {
		body, _ := json.Marshal(map[string]any{"query": tc.query})
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
			}
		})
	}
}
