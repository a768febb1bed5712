package graph

import (
	"context"
	"errors"

	"github.com/vikstrous/dataloadgen"

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
	pages, err := list(ctx, store.ListIn{Order: order, Page: pageArgs(first, after)}, f)
	if err != nil {
		return nil, err
	}
	return &model.Connection[T]{
		Page: pages[""],
		Count: func(ctx context.Context) (int, error) {
			n, err := count(ctx, "", nil, f)
			return n[""], err
		},
	}, nil
}

// nestedConnection serves a list under one parent through a loader shared
// by every parent asking with the same arguments.
func nestedConnection[T, F any](ctx context.Context, name, parent, parentID string, filter *F, order hin.Order,
	first *int, after *string, list listFetch[T, F], count countFetch[F]) (*model.Connection[T], error) {
	l := loadersFrom(ctx)
	f := deref(filter)
	in := store.ListIn{Order: order, Page: pageArgs(first, after)}
	if err := in.Page.Validate(); err != nil {
		return nil, err
	}
	page, err := pageLoader(l, name, parent, f, in, list).Load(ctx, parentID)
	if err != nil {
		return nil, err
	}
	return &model.Connection[T]{
		Page: page,
		Count: func(ctx context.Context) (int, error) {
			return countLoader(l, name, parent, f, count).Load(ctx, parentID)
		},
	}, nil
}

// loadRef loads the record an optional foreign key points at.
func loadRef[T any](ctx context.Context, ld *dataloadgen.Loader[string, T], id *string) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return loadOne(ctx, ld, *id)
}

// loadOne loads a record by id; a missing record is null, not an error.
func loadOne[T any](ctx context.Context, ld *dataloadgen.Loader[string, T], id string) (*T, error) {
	v, err := ld.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// loadMany loads records by id, keeping the order of ids.
func loadMany[T any](ctx context.Context, ld *dataloadgen.Loader[string, T], ids []string) ([]T, error) {
	vs, err := ld.LoadAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	return vs, nil
}
