package graph_test

// Schema lint: checks conventions of schema.graphqls that neither gqlparser
// nor gqlgen enforce (descriptions, Relay connections, the Node interface,
// naming). Each checker returns a list of problems rather than failing the
// test itself, so the same code runs on the real schema (expecting none) and
// on small bad schemas (expecting some), which proves the checks can fail.

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// schemaChecker inspects a loaded schema and describes each rule it breaks.
type schemaChecker func(*ast.Schema) []string

// schemaCheckers is the full lint suite, by name.
var schemaCheckers = []struct {
	name  string
	check schemaChecker
}{
	{"Descriptions", checkDescriptions},
	{"Connections", checkConnections},
	{"NodeInterface", checkNodeInterface},
	{"Naming", checkNaming},
}

func TestSchemaLint(t *testing.T) {
	t.Parallel()
	input, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	schema := loadFederatedLintSchema(t, string(input))
	for _, c := range schemaCheckers {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range c.check(schema) {
				t.Error(p)
			}
		})
	}
}

// TestSchemaLintCatchesProblems runs the checkers on deliberately bad
// schemas: a lint that cannot fail is worth nothing.
func TestSchemaLintCatchesProblems(t *testing.T) {
	t.Parallel()
	// good is a minimal schema every checker accepts; the cases below break
	// one rule each on top of it, so a reported problem can only come from
	// that rule.
	const good = `
"The root."
type Query {
  "Fetch by ID."
  node("The ID." id: ID!): Node
  "Things."
  things("How many." first: Int = 20 "Cursor." after: String): ThingConnection!
}
"Has an ID."
interface Node { "The ID." id: ID! }
"A thing."
type Thing implements Node { "The ID." id: ID! }
"Page info."
type PageInfo {
  "More after."
  hasNextPage: Boolean!
  "More before."
  hasPreviousPage: Boolean!
  "First cursor."
  startCursor: String
  "Last cursor."
  endCursor: String
}
"A page of things."
type ThingConnection {
  "Edges."
  edges: [ThingEdge!]!
  "Page."
  pageInfo: PageInfo!
  "Total."
  totalCount: Int!
}
"A thing with its cursor."
type ThingEdge { "The thing." node: Thing! "Its cursor." cursor: String! }
`
	t.Run("GoodSchemaIsClean", func(t *testing.T) {
		t.Parallel()
		schema := loadLintSchema(t, "good.graphqls", good)
		for _, c := range schemaCheckers {
			if got := c.check(schema); len(got) > 0 {
				t.Errorf("%s reported problems on the good schema: %q", c.name, got)
			}
		}
	})

	cases := []struct {
		name  string
		extra string // appended to good
		check schemaChecker
		want  string // substring of some reported problem
	}{
		{
			name:  "TypeWithoutDescription",
			extra: `type Bare { "Has one." x: Int }`,
			check: checkDescriptions,
			want:  "type Bare has no description",
		},
		{
			name:  "FieldWithoutDescription",
			extra: `"Described." type Half { x: Int }`,
			check: checkDescriptions,
			want:  "field Half.x has no description",
		},
		{
			name:  "ArgumentWithoutDescription",
			extra: `"Described." type Args { "Described." x(y: Int): Int }`,
			check: checkDescriptions,
			want:  "argument Args.x(y:) has no description",
		},
		{
			name:  "InputFieldWithoutDescription",
			extra: `"Described." input In { y: Int }`,
			check: checkDescriptions,
			want:  "input field In.y has no description",
		},
		{
			name:  "EnumValueWithoutDescription",
			extra: `"Described." enum Colour { "Described." RED GREEN }`,
			check: checkDescriptions,
			want:  "enum value Colour.GREEN has no description",
		},
		{
			name:  "ScalarWithoutDescription",
			extra: `scalar Money`,
			check: checkDescriptions,
			want:  "type Money has no description",
		},
		{
			name: "ConnectionWithoutPageInfo",
			extra: `"X." type Widget { "X." name: String }
"X." type WidgetConnection { "X." edges: [WidgetEdge!]! "X." totalCount: Int! }
"X." type WidgetEdge { "X." node: Widget! "X." cursor: String! }
extend type Query { "X." widgets("X." first: Int = 5 "X." after: String): WidgetConnection! }`,
			check: checkConnections,
			want:  "WidgetConnection has no pageInfo field",
		},
		{
			name: "EdgeWithNullableNode",
			extra: `"X." type Widget { "X." name: String }
"X." type WidgetConnection { "X." edges: [WidgetEdge!]! "X." pageInfo: PageInfo! "X." totalCount: Int! }
"X." type WidgetEdge { "X." node: Widget "X." cursor: String! }`,
			check: checkConnections,
			want:  "WidgetEdge.node has type Widget, want Widget!",
		},
		{
			name:  "ConnectionFieldWithoutFirstDefault",
			extra: `extend type Query { "X." more("X." first: Int "X." after: String): ThingConnection! }`,
			check: checkConnections,
			want:  "Query.more: argument first has no default value",
		},
		{
			name:  "ConnectionFieldWithoutAfter",
			extra: `extend type Query { "X." more("X." first: Int = 1): ThingConnection! }`,
			check: checkConnections,
			want:  "Query.more: missing argument after: String",
		},
		{
			name:  "IDTypeNotImplementingNode",
			extra: `"X." type Loose { "X." id: ID! }`,
			check: checkNodeInterface,
			want:  "Loose has id: ID! but does not implement Node",
		},
		{
			name:  "EnumValueNotScreamingSnake",
			extra: `"X." enum Mood { "X." happyDays }`,
			check: checkNaming,
			want:  "enum value Mood.happyDays",
		},
		{
			name:  "TypeNameNotPascal",
			extra: `"X." type snake_type { "X." x: Int }`,
			check: checkNaming,
			want:  "type name snake_type",
		},
		{
			name:  "FieldNameNotCamel",
			extra: `"X." type Odd { "X." Bad_Field: Int }`,
			check: checkNaming,
			want:  "field name Odd.Bad_Field",
		},
		{
			name:  "ArgumentNameNotCamel",
			extra: `"X." type Odd { "X." x("X." Some_Arg: Int): Int }`,
			check: checkNaming,
			want:  "argument name Odd.x(Some_Arg:)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			schema := loadLintSchema(t, "bad.graphqls", good+tc.extra)
			problems := tc.check(schema)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("want a problem containing %q, got %q", tc.want, problems)
			}
		})
	}

	// A schema with no Node interface and no node field at all must be
	// reported, not silently skipped.
	t.Run("MissingNodeInterface", func(t *testing.T) {
		t.Parallel()
		schema := loadLintSchema(t, "bad.graphqls", `"R." type Query { "X." x: Int }`)
		problems := checkNodeInterface(schema)
		for _, want := range []string{"interface Node is not defined", "Query has no node field"} {
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
				t.Errorf("want a problem containing %q, got %q", want, problems)
			}
		}
	})
}

func loadLintSchema(t *testing.T, name, input string) *ast.Schema {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: input})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return schema
}

// federationPrelude declares the Apollo Federation directives the schema
// uses; gqlgen's federation plugin injects the full definitions when it
// generates the server. It is loaded as built in, so it is not linted.
const federationPrelude = `
directive @link(url: String!, import: [String!]) repeatable on SCHEMA
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
`

func loadFederatedLintSchema(t *testing.T, input string) *ast.Schema {
	t.Helper()
	schema, err := gqlparser.LoadSchema(
		&ast.Source{Name: "federation.graphqls", Input: federationPrelude, BuiltIn: true},
		&ast.Source{Name: "schema.graphqls", Input: input})
	if err != nil {
		t.Fatalf("load schema.graphqls: %v", err)
	}
	return schema
}

// ownTypes returns the schema's own type definitions (not the spec's
// built-in scalars and introspection types), sorted by name so that
// problems come out in a stable order.
func ownTypes(s *ast.Schema) []*ast.Definition {
	var defs []*ast.Definition
	for _, d := range s.Types {
		if d.BuiltIn || d.Position == nil || d.Position.Src == nil || d.Position.Src.BuiltIn {
			continue
		}
		defs = append(defs, d)
	}
	slices.SortFunc(defs, func(a, b *ast.Definition) int { return strings.Compare(a.Name, b.Name) })
	return defs
}

// ownFields skips the __schema and __type fields that gqlparser adds to the
// query type: they are the spec's, not ours.
func ownFields(d *ast.Definition) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range d.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// checkDescriptions requires a description on every type, field, argument,
// input field and enum value (and on directives we define), because the
// descriptions are the API's only documentation in GraphiQL and codegen.
func checkDescriptions(s *ast.Schema) []string {
	var problems []string
	for _, d := range ownTypes(s) {
		// "OBJECT" -> "object", "INPUT_OBJECT" -> "input object".
		kind := strings.ReplaceAll(strings.ToLower(string(d.Kind)), "_", " ")
		if blank(d.Description) {
			problems = append(problems, fmt.Sprintf("%s type %s has no description", kind, d.Name))
		}
		for _, f := range ownFields(d) {
			what := "field"
			if d.Kind == ast.InputObject {
				what = "input field"
			}
			if blank(f.Description) {
				problems = append(problems, fmt.Sprintf("%s %s.%s has no description", what, d.Name, f.Name))
			}
			for _, a := range f.Arguments {
				if blank(a.Description) {
					problems = append(problems, fmt.Sprintf("argument %s.%s(%s:) has no description", d.Name, f.Name, a.Name))
				}
			}
		}
		for _, v := range d.EnumValues {
			if blank(v.Description) {
				problems = append(problems, fmt.Sprintf("enum value %s.%s has no description", d.Name, v.Name))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Directives)) {
		dir := s.Directives[name]
		if dir.Position == nil || dir.Position.Src == nil || dir.Position.Src.BuiltIn {
			continue
		}
		if blank(dir.Description) {
			problems = append(problems, fmt.Sprintf("directive @%s has no description", name))
		}
		for _, a := range dir.Arguments {
			if blank(a.Description) {
				problems = append(problems, fmt.Sprintf("argument @%s(%s:) has no description", name, a.Name))
			}
		}
	}
	return problems
}

// fieldType describes a field's expected type for checkFields; "" as the
// type means the field must merely exist.
type fieldType struct{ name, typ string }

// checkFields reports each wanted field that d lacks or types differently.
func checkFields(d *ast.Definition, want []fieldType) []string {
	var problems []string
	for _, w := range want {
		f := d.Fields.ForName(w.name)
		switch {
		case f == nil:
			problems = append(problems, fmt.Sprintf("%s has no %s field (want %s: %s)", d.Name, w.name, w.name, w.typ))
		case f.Type.String() != w.typ:
			problems = append(problems, fmt.Sprintf("%s.%s has type %s, want %s", d.Name, w.name, f.Type.String(), w.typ))
		}
	}
	return problems
}

// checkConnections enforces the Relay cursor connections spec plus our own
// rules: non-null edges, a totalCount, and first/after on every field that
// returns a connection, with first defaulted so clients need not pass it.
func checkConnections(s *ast.Schema) []string {
	var problems []string

	if pi := s.Types["PageInfo"]; pi == nil {
		problems = append(problems, "type PageInfo is not defined")
	} else {
		problems = append(problems, checkFields(pi, []fieldType{
			{"hasNextPage", "Boolean!"},
			{"hasPreviousPage", "Boolean!"},
			{"startCursor", "String"},
			{"endCursor", "String"},
		})...)
	}

	for _, d := range ownTypes(s) {
		if d.Kind != ast.Object || !strings.HasSuffix(d.Name, "Connection") || d.Name == "Connection" {
			continue
		}
		node := strings.TrimSuffix(d.Name, "Connection")
		edgeName := node + "Edge"
		problems = append(problems, checkFields(d, []fieldType{
			{"edges", "[" + edgeName + "!]!"},
			{"pageInfo", "PageInfo!"},
			{"totalCount", "Int!"},
		})...)
		edge := s.Types[edgeName]
		if edge == nil {
			problems = append(problems, fmt.Sprintf("%s: edge type %s is not defined", d.Name, edgeName))
			continue
		}
		problems = append(problems, checkFields(edge, []fieldType{
			{"node", node + "!"},
			{"cursor", "String!"},
		})...)
	}

	// Every field anywhere (objects and interfaces) returning a connection
	// must be pageable forward.
	for _, d := range ownTypes(s) {
		if d.Kind != ast.Object && d.Kind != ast.Interface {
			continue
		}
		for _, f := range ownFields(d) {
			if !strings.HasSuffix(f.Type.Name(), "Connection") {
				continue
			}
			where := d.Name + "." + f.Name
			first := f.Arguments.ForName("first")
			switch {
			case first == nil:
				problems = append(problems, where+": missing argument first: Int")
			case first.Type.String() != "Int":
				problems = append(problems, fmt.Sprintf("%s: argument first has type %s, want Int", where, first.Type.String()))
			case first.DefaultValue == nil:
				problems = append(problems, where+": argument first has no default value")
			}
			after := f.Arguments.ForName("after")
			switch {
			case after == nil:
				problems = append(problems, where+": missing argument after: String")
			case after.Type.String() != "String":
				problems = append(problems, fmt.Sprintf("%s: argument after has type %s, want String", where, after.Type.String()))
			}
		}
	}
	return problems
}

// checkNodeInterface enforces Relay object identification: a Node interface
// with id: ID!, implemented by every object that has an id: ID!, and a
// Query.node(id: ID!): Node to refetch any of them.
func checkNodeInterface(s *ast.Schema) []string {
	var problems []string

	node := s.Types["Node"]
	switch {
	case node == nil:
		problems = append(problems, "interface Node is not defined")
	case node.Kind != ast.Interface:
		problems = append(problems, fmt.Sprintf("Node is a %s, want an interface", node.Kind))
	default:
		problems = append(problems, checkFields(node, []fieldType{{"id", "ID!"}})...)
	}

	for _, d := range ownTypes(s) {
		if d.Kind != ast.Object {
			continue
		}
		if id := d.Fields.ForName("id"); id != nil && id.Type.String() == "ID!" && !slices.Contains(d.Interfaces, "Node") {
			problems = append(problems, fmt.Sprintf("%s has id: ID! but does not implement Node", d.Name))
		}
	}

	if s.Query == nil {
		return append(problems, "schema has no Query type")
	}
	f := s.Query.Fields.ForName("node")
	if f == nil {
		return append(problems, "Query has no node field (want node(id: ID!): Node)")
	}
	if f.Type.String() != "Node" {
		problems = append(problems, fmt.Sprintf("Query.node has type %s, want Node", f.Type.String()))
	}
	if len(f.Arguments) != 1 || f.Arguments[0].Name != "id" || f.Arguments[0].Type.String() != "ID!" {
		problems = append(problems, "Query.node must take exactly one argument, id: ID!")
	}
	return problems
}

var (
	screamingSnake = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
	pascalCase     = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	camelCase      = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
)

// checkNaming enforces the usual GraphQL naming style, which gqlgen relies
// on to derive Go names and clients rely on for predictability.
func checkNaming(s *ast.Schema) []string {
	var problems []string
	for _, d := range ownTypes(s) {
		if !pascalCase.MatchString(d.Name) {
			problems = append(problems, fmt.Sprintf("type name %s is not PascalCase", d.Name))
		}
		for _, f := range ownFields(d) {
			if !camelCase.MatchString(f.Name) {
				problems = append(problems, fmt.Sprintf("field name %s.%s is not camelCase", d.Name, f.Name))
			}
			for _, a := range f.Arguments {
				if !camelCase.MatchString(a.Name) {
					problems = append(problems, fmt.Sprintf("argument name %s.%s(%s:) is not camelCase", d.Name, f.Name, a.Name))
				}
			}
		}
		for _, v := range d.EnumValues {
			if !screamingSnake.MatchString(v.Name) {
				problems = append(problems, fmt.Sprintf("enum value %s.%s is not SCREAMING_SNAKE_CASE", d.Name, v.Name))
			}
		}
	}
	return problems
}
