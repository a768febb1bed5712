package graph

import (
	"strings"
	"testing"
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
