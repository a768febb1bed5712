package graph

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestDirectKnowsEveryField: every field of a planned type, in the schema
// the server runs, is generated into direct_gen.go as a scalar with its
// writer, a relation declared in relations, or a field declared indirect.
// (devtools/gqlgen refuses to generate otherwise; this holds the checked-in
// files to the same rule.)
func TestDirectKnowsEveryField(t *testing.T) {
	t.Parallel()
	schema := schemaForCost().Schema()
	for _, name := range plannedTypes {
		def := schema.Types[name]
		if def == nil {
			t.Errorf("planned type %s is not in the schema", name)
			continue
		}
		typ := directTypes[name]
		if typ == nil || typ.id == nil {
			t.Errorf("planned type %s is not generated", name)
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			key := name + "." + f.Name
			gf := typ.fields[f.Name]
			_, indirect := indirectFields[key]
			switch {
			case gf == nil:
				t.Errorf("%s is not generated: run make generate", key)
			case gf.scalar != nil && !gf.relation && !gf.indirect && gf.goName != "":
			case gf.relation && gf.rel != nil && gf.to != "":
				if directTypes[gf.to] == nil {
					t.Errorf("%s leads to %s, which is not planned", key, gf.to)
				}
			case gf.indirect && indirect:
			default:
				t.Errorf("%s is none of bound, related (%v) or indirect (%v)", key, gf.rel != nil, indirect)
			}
			if len(gf.args) != len(f.Arguments) || len(f.Arguments) > 0 && gf.coerce == nil {
				t.Errorf("%s: generated arguments %v, schema has %d", key, gf.args, len(f.Arguments))
			}
		}
	}
	for key, rel := range relations {
		typ, field, _ := strings.Cut(key, ".")
		fields := directQuery
		if typ != "Query" {
			if directTypes[typ] == nil {
				t.Errorf("relation %s: %s is not planned", key, typ)
				continue
			}
			fields = directTypes[typ].fields
		}
		if gf := fields[field]; gf == nil || gf.rel != rel {
			t.Errorf("relation %s is not linked to a generated field", key)
		}
	}
	for key := range indirectFields {
		typ, field, _ := strings.Cut(key, ".")
		if dt := directTypes[typ]; dt == nil || dt.fields[field] == nil || !dt.fields[field].indirect {
			t.Errorf("indirect field %s is not generated as one", key)
		}
	}
}

// The search case: an argument added to a field that direct execution
// does not read (as `search: String` on innovations once was, answering
// 75 rows where gqlgen answered none) sends the field to gqlgen. The
// schema is left alone: the field's definition gets the argument here.
func TestDirectRefusesArgumentsItDoesNotRead(t *testing.T) {
	t.Parallel()
	es := schemaForCost()
	op := &graphql.OperationContext{RawQuery: "{}", Variables: map[string]any{"s": "zzz-no-such-name"}}
	d := &direct{ctx: context.Background(), op: op, ec: newExecutionContext(op, es, nil)}
	withSearch := func(typ, field string, value *ast.Value) graphql.CollectedField {
		def := *es.Schema().Types[typ].Fields.ForName(field)
		def.Arguments = append(slices.Clone(def.Arguments), &ast.ArgumentDefinition{Name: "search", Type: ast.NamedType("String", nil)})
		f := &ast.Field{Name: field, Alias: field, Definition: &def,
			Arguments: ast.ArgumentList{{Name: "first", Value: &ast.Value{Kind: ast.IntValue, Raw: "3"}}}}
		if value != nil {
			f.Arguments = append(f.Arguments, &ast.Argument{Name: "search", Value: value})
		}
		return graphql.CollectedField{Field: f}
	}
	literal := &ast.Value{Kind: ast.StringValue, Raw: "zzz-no-such-name"}
	variable := &ast.Value{Kind: ast.Variable, Raw: "s"}

	// the control: without search the arguments are read
	args, err := d.args(withSearch("Query", "innovations", nil), directQuery["innovations"])
	if err != nil || args["first"] == nil {
		t.Fatalf("innovations(first: 3): %v, %v", args, err)
	}
	for _, v := range []*ast.Value{literal, variable} {
		if err := d.root(withSearch("Query", "innovations", v)); err != errIndirect {
			t.Errorf("innovations(search: %s) at the root: %v, want it sent to gqlgen", v.Raw, err)
		}
		region := withSearch("Region", "innovations", v)
		sel := ast.SelectionSet{region.Field}
		if _, err := d.plan(directTypes["Region"], sel); err != errIndirect {
			t.Errorf("Region.innovations(search: %s): %v, want it sent to gqlgen", v.Raw, err)
		}
	}
	// a scalar consumes no argument at all
	name := &ast.Field{Name: "name", Alias: "name", Definition: &ast.FieldDefinition{Name: "name", Type: ast.NonNullNamedType("String", nil),
		Arguments: ast.ArgumentDefinitionList{{Name: "upper", Type: ast.NamedType("Boolean", nil)}}},
		Arguments: ast.ArgumentList{{Name: "upper", Value: &ast.Value{Kind: ast.BooleanValue, Raw: "true"}}}}
	gf := *directTypes["Region"].fields["name"]
	gf.args = []string{"upper"}
	if _, err := d.args(graphql.CollectedField{Field: name}, &gf); err != errIndirect {
		t.Errorf("Region.name(upper: true): %v, want it sent to gqlgen", err)
	}
}
