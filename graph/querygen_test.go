package graph

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The random query generator's optional arguments (filter, orderBy, after,
// includeDrafts, ...): each is left out or filled from its type in one of
// the legal spellings (a literal, a variable, a bare value for a list of
// one, null), with values the demo data can match, so that a query both
// ways is likely to find rows and an argument direct execution ignored
// would show as a different answer.

// optional is "name: value" for an optional argument, or "" to leave it out.
func (g *queryGen) optional(a *ast.ArgumentDefinition) string {
	if !g.fillOptional || g.r.IntN(3) == 0 {
		return ""
	}
	return a.Name + ": " + g.value(a.Type, a.Name, 0)
}

// value writes a value of type t for an argument or input field called name.
func (g *queryGen) value(t *ast.Type, name string, depth int) string {
	if !t.NonNull && g.r.IntN(10) == 0 {
		return "null"
	}
	if t.Elem != nil {
		if def := g.schema.Types[t.Elem.Name()]; def.Kind != ast.InputObject && g.r.IntN(4) == 0 {
			// a bare value is a list of one, but only as written: a variable
			// of the element's type may not stand for the list
			g.literalOnly = true
			v := g.value(t.Elem, name, depth)
			g.literalOnly = false
			return v
		}
		items := make([]string, 1+g.r.IntN(2))
		for i := range items {
			items[i] = g.value(t.Elem, name, depth)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	def := g.schema.Types[t.Name()]
	switch def.Kind {
	case ast.InputObject:
		var parts []string
		for _, f := range def.Fields {
			required := f.Type.NonNull && f.DefaultValue == nil
			if required || depth < 2 && g.r.IntN(3) == 0 {
				parts = append(parts, f.Name+": "+g.value(f.Type, f.Name, depth+1))
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case ast.Enum:
		v := def.EnumValues[g.r.IntN(len(def.EnumValues))].Name
		return g.maybeVariable(t, v, v)
	}
	lit, js := g.scalar(t.Name(), name)
	return g.maybeVariable(t, lit, js)
}

// maybeVariable spells a leaf value as written or as a variable of its type.
func (g *queryGen) maybeVariable(t *ast.Type, literal string, js any) string {
	if g.literalOnly || g.r.IntN(3) != 0 {
		return literal
	}
	n := g.name("o")
	g.varDefs = append(g.varDefs, "$"+n+": "+t.String())
	g.vars[n] = js
	return "$" + n
}

// idKinds guesses the kind of the records an ID argument names.
var idKinds = map[string]string{"programme": hin.KindProgramme, "parent": hin.KindProgramme, "innovation": hin.KindInnovation,
	"innovator": hin.KindOrganisation, "site": hin.KindOrganisation, "organisation": hin.KindOrganisation,
	"metric": hin.KindMetric, "pilot": hin.KindPilot, "entity": hin.KindInnovation}

// scalar is a value of a scalar type, as a literal and as JSON.
func (g *queryGen) scalar(typ, name string) (string, any) {
	pick := func(vs ...string) (string, any) {
		v := vs[g.r.IntN(len(vs))]
		return fmt.Sprintf("%q", v), v
	}
	lower := strings.ToLower(name)
	switch typ {
	case "ID":
		kind := hin.KindRegion
		for prefix, k := range idKinds {
			if strings.HasPrefix(lower, prefix) {
				kind = k
			}
		}
		return pick(hin.GlobalID(kind, fmt.Sprintf("00000000-0000-4000-8000-%012x", g.r.IntN(3))), "not an id")
	case "Date":
		return pick("2022-04-01", "2023-01-01", "2023-10-15", "2024-03-31")
	case "DateTime":
		return pick("2023-06-01T00:00:00Z", "2024-03-31T12:00:00+01:00")
	case "Boolean":
		b := g.r.IntN(2) == 0
		return fmt.Sprint(b), b
	case "Int":
		n := g.r.IntN(6)
		return fmt.Sprint(n), json.Number(fmt.Sprint(n))
	case "Float":
		f := float64(g.r.IntN(100)) / 4
		return fmt.Sprint(f), f
	}
	switch {
	case name == "after":
		return pick("", "bogus")
	case strings.HasPrefix(lower, "metric"):
		return pick(g.metric)
	case strings.Contains(lower, "code"):
		return pick("UCLP", "HI-EM", "HI-WEST", "NOPE")
	case name == "financialYear":
		return pick("FY2023-24", "FY2022-23")
	case name == "quarter":
		return pick("FY2023-24 Q2")
	case name == "actions":
		return pick("create", "update")
	}
	return pick("a", "e", "Care", "zzz-no-such-name")
}
