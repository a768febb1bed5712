package graph

import (
	"context"

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
