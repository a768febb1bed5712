package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

func pageArgs(first *int, after *string) hin.PageArgs {
	p := hin.PageArgs{First: hin.DefaultPageSize}
	if first != nil {
		p.First = *first
	}
	if after != nil {
		p.After = *after
	}
	return p
}

func deref[F any](f *F) F {
	var zero F
	if f == nil {
		return zero
	}
	return *f
}

// rootConnection serves a root list straight from the store; the total is
// counted only if the client selects totalCount.
func rootConnection[T, F any](ctx context.Context, filter *F, order hin.Order, first *int, after *string,
	list listFetch[T, F], count countFetch[F]) (*model.Connection[T], error) {
	f := deref(filter)
	in := store.ListIn{Order: order, Page: pageArgs(first, after), Fields: itemFields(ctx), WithTotal: selects(ctx, "totalCount")}
	pages, err := list(ctx, in, f)
	if err != nil {
		return nil, err
	}
	page := pages[""]
	produced(ctx, "", 1)
	produced(ctx, "nodes", len(page.Items))
	produced(ctx, "edges.node", len(page.Items))
	return &model.Connection[T]{
		Page: page,
		Count: func(ctx context.Context) (int, error) {
			if page.Total != nil {
				return *page.Total, nil
			}
			n, err := count(ctx, "", nil, f)
			return n[""], err
		},
	}, nil
}

// nestedConnection serves a list under one parent; every parent asking with
// the same arguments at the same place in the query shares one statement.
func nestedConnection[T, F any](ctx context.Context, name, parent, parentID string, filter *F, order hin.Order,
	first *int, after *string, list listFetch[T, F], count countFetch[F]) (*model.Connection[T], error) {
	f := deref(filter)
	in := store.ListIn{Order: order, Page: pageArgs(first, after)}
	if err := in.Page.Validate(); err != nil {
		return nil, err
	}
	page, _, err := pageBatcher(ctx, name, parent, f, in, list).Load(ctx, parentID)
	if err != nil {
		return nil, err
	}
	return &model.Connection[T]{
		Page: page,
		Count: func(ctx context.Context) (int, error) {
			n, _, err := countBatcher(ctx, name, parent, f, count).Load(ctx, parentID)
			return n, err
		},
	}, nil
}

// itemFields names, by their Go names, what the query reads of the items
// of the connection being resolved (under nodes and edges.node, fragments
// included), so that the store reads only their columns.
func itemFields(ctx context.Context) []string {
	fc, op := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || op == nil {
		return nil
	}
	names := []string{}
	add := func(sel ast.SelectionSet) {
		// no type filter: every fragment counts, which can only add columns
		for _, f := range graphql.CollectFields(op, sel, nil) {
			names = append(names, f.Name)
		}
	}
	for _, f := range graphql.CollectFields(op, fc.Field.Selections, nil) {
		switch f.Name {
		case "nodes":
			add(f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(op, f.Selections, nil) {
				if e.Name == "node" {
					add(e.Selections)
				}
			}
		}
	}
	fields := directQuery
	if t := directTypes[fc.Object]; t != nil {
		fields = t.fields
	} else if fc.Object != "Query" {
		return nil
	}
	gf := fields[fc.Field.Name]
	if gf == nil {
		return nil
	}
	return goFields(gf.to, names)
}

// selects reports whether the query selects a field of the field being
// resolved.
func selects(ctx context.Context, name string) bool {
	fc, op := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || op == nil {
		return false
	}
	for _, f := range graphql.CollectFields(op, fc.Field.Selections, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}
