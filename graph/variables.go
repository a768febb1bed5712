package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// strictVariables refuses variable values that GraphQL's input coercion
// does not accept but gqlparser lets through: an Int or Float sent as a
// JSON string, and an Int with a fraction or outside 32 bits. Otherwise
// "500" would be one thing to the cost limit and another to a resolver.
// (Enum values in the wrong case pass here and are refused, with a hint,
// by the enum's own unmarshaller.)
func strictVariables(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	for _, def := range op.VariableDefinitions {
		if v, ok := vars[def.Variable]; ok {
			if msg := checkValue(schema, def.Type, v); msg != "" {
				err := gqlerror.ErrorPathf(ast.Path{ast.PathName("variable"), ast.PathName(def.Variable)},
					"variable $%s: %s", def.Variable, msg)
				err.Extensions = map[string]any{"code": hin.EVALIDATION}
				return err
			}
		}
	}
	return nil
}

func checkValue(schema *ast.Schema, t *ast.Type, v any) string {
	if v == nil {
		return "" // nullability is validation's
	}
	if t.Elem != nil {
		items, ok := v.([]any)
		if !ok {
			return checkValue(schema, t.Elem, v) // one value stands for a list of one
		}
		for i, item := range items {
			if msg := checkValue(schema, t.Elem, item); msg != "" {
				return fmt.Sprintf("item %d: %s", i, msg)
			}
		}
		return ""
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return ""
	}
	switch def.Kind {
	case ast.Scalar:
		switch def.Name {
		case "Int":
			return checkInt(v)
		case "Float":
			if _, ok := number(v); !ok {
				return fmt.Sprintf("a Float must be a JSON number, not %s", describe(v))
			}
		}
	case ast.InputObject:
		fields, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		for _, f := range def.Fields {
			if fv, ok := fields[f.Name]; ok {
				if msg := checkValue(schema, f.Type, fv); msg != "" {
					return f.Name + ": " + msg
				}
			}
		}
	}
	return ""
}

func checkInt(v any) string {
	f, ok := number(v)
	if !ok {
		return fmt.Sprintf("an Int must be a JSON number, not %s; send 500, not \"500\"", describe(v))
	}
	if f != math.Trunc(f) {
		return fmt.Sprintf("an Int must be a whole number, not %v", f)
	}
	if f < math.MinInt32 || f > math.MaxInt32 {
		return fmt.Sprintf("%v is outside the range of Int (32-bit)", f)
	}
	return ""
}

// number reads a JSON number as gqlgen's decoders leave it.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "the string " + hin.Quote(x)
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return "that value"
}
