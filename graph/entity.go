package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Apollo Federation entities: a router sends representations ({__typename,
// key}) to _entities, and gqlgen resolves each in its own goroutine. They
// all go through one batcher per entity type and key (batched by idle
// time, as node(ids:) is), so a call costs one = ANY($1) statement per type
// and key, however many representations it carries. A key that matches
// nothing resolves to null.

func entityByID[T any](ctx context.Context, kind string, r ref[T], id string) (*T, error) {
	uuid, err := hin.ParseIDOf(kind, "id", id)
	if err != nil {
		return nil, nil // not an ID of this type: no such entity
	}
	s := loadersFrom(ctx).store
	b := entityBatcher(ctx, "id:"+r.name, func(ctx context.Context, ids []string) (map[string]T, error) {
		return r.fetch(s, ctx, ids)
	})
	return found(b.Load(ctx, uuid))
}

func entityByCode[T any](ctx context.Context, name, code string, fetch func(*store.Store, context.Context, []string) (map[string]T, error)) (*T, error) {
	s := loadersFrom(ctx).store
	b := entityBatcher(ctx, "code:"+name, func(ctx context.Context, codes []string) (map[string]T, error) {
		return fetch(s, ctx, codes)
	})
	return found(b.Load(ctx, code))
}

// entityBatcher is the request's batcher for one entity type and key. Its
// pattern names no response objects, so nothing tells it how many calls to
// expect: a batch closes when calls stop arriving (idle time).
func entityBatcher[V any](ctx context.Context, name string, fetch func(context.Context, []string) (map[string]V, error)) *batcher[string, V] {
	key := "_entities.by." + name // parent "_entities.by" holds no objects
	return batcherIn[string, V](loadersFrom(ctx), key, key, fetch, nil)
}

func found[T any](v T, ok bool, err error) (*T, error) {
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}

// checkRepresentations refuses, before anything runs, an _entities call
// whose representations gqlgen's federation code would fail on with a plain
// error (shown as INTERNAL): each must be an object whose __typename names
// an entity type and which carries one of that type's keys, each key field
// a string or a number. Types and keys are read from the schema's @key
// directives, so a new entity needs nothing here.
func checkRepresentations(schema *ast.Schema, doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	if op.Operation != ast.Query {
		return nil
	}
	var keys map[string][][]string // read only when _entities is asked for
	seen := map[string]bool{}
	var walk func(set ast.SelectionSet) *gqlerror.Error
	walk = func(set ast.SelectionSet) *gqlerror.Error {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != "_entities" {
					continue
				}
				if keys == nil {
					keys = entityKeys(schema)
				}
				if err := checkEntityReps(keys, s.ArgumentMap(vars)["representations"]); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if err := walk(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if f := doc.Fragments.ForName(s.Name); f != nil && !seen[s.Name] {
					seen[s.Name] = true
					if err := walk(f.SelectionSet); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(op.SelectionSet)
}

// entityKeys lists each entity type's keys, a key being its field names.
func entityKeys(schema *ast.Schema) map[string][][]string {
	out := map[string][][]string{}
	if union := schema.Types["_Entity"]; union != nil {
		for _, name := range union.Types {
			if def := schema.Types[name]; def != nil {
				for _, d := range def.Directives.ForNames("key") {
					if a := d.Arguments.ForName("fields"); a != nil && a.Value != nil {
						out[name] = append(out[name], strings.Fields(a.Value.Raw))
					}
				}
			}
		}
	}
	return out
}

func checkEntityReps(keys map[string][][]string, reps any) *gqlerror.Error {
	list, ok := reps.([]any)
	if !ok {
		list = []any{reps} // one value stands for a list of one
	}
	types := slices.Sorted(maps.Keys(keys))
	for i, rep := range list {
		field := fmt.Sprintf("representations[%d]", i)
		bad := func(format string, args ...any) *gqlerror.Error {
			return &gqlerror.Error{Message: field + ": " + fmt.Sprintf(format, args...),
				Extensions: map[string]any{"code": hin.EINVALID, "field": field}}
		}
		obj, ok := rep.(map[string]any)
		if !ok {
			return bad(`a representation is an object such as {"__typename": "Region", "code": "HI-EM"}`)
		}
		typ, ok := obj["__typename"].(string)
		if !ok {
			return bad("give __typename as a string naming an entity type: one of %s", strings.Join(types, ", "))
		}
		typeKeys, ok := keys[typ]
		if !ok {
			return bad("%s is not an entity type; use one of %s", hin.Quote(typ), strings.Join(types, ", "))
		}
		if !slices.ContainsFunc(typeKeys, func(key []string) bool {
			return !slices.ContainsFunc(key, func(f string) bool { return !isKeyValue(obj[f]) })
		}) {
			var names []string
			for _, k := range typeKeys {
				names = append(names, strings.Join(k, " and "))
			}
			return bad("a %s is found by %s: give one of them, as a string", typ, strings.Join(names, " or by "))
		}
	}
	return nil
}

// isKeyValue reports whether v can be read as an ID or String key.
func isKeyValue(v any) bool {
	switch v.(type) {
	case string, json.Number, float64, int64, int:
		return true
	}
	return false
}
