package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Loaders batch the nested reads of one request: one batcher per field path
// and argument set, created on first use. Nothing is shared between
// requests, so nothing one caller may see can leak to another.
type Loaders struct {
	store *store.Store
	objs  *objects

	mu       sync.Mutex
	batchers map[string]any
	byPath   map[pathKey]any // the same batchers, found without building their key

	figures *store.Figures
	sources sourcesCache
}

// NewLoaders makes the loaders for one request.
func NewLoaders(s *store.Store) *Loaders {
	return &Loaders{store: s, figures: s.Figures(), objs: &objects{n: map[string]int{}}, batchers: map[string]any{}, byPath: map[pathKey]any{}}
}

type loadersKey struct{}

// WithLoaders puts fresh loaders for one request on its context.
func WithLoaders(ctx context.Context, s *store.Store) context.Context {
	return context.WithValue(ctx, loadersKey{}, NewLoaders(s))
}

// LoadersMiddleware gives every HTTP request its own loaders.
func LoadersMiddleware(s *store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(WithLoaders(r.Context(), s)))
	})
}

func loadersFrom(ctx context.Context) *Loaders {
	l, _ := ctx.Value(loadersKey{}).(*Loaders)
	if l == nil {
		panic("graph: no loaders on the context; wrap the handler with LoadersMiddleware")
	}
	return l
}

// batcherFor returns the batcher for the field being resolved, making it on
// first use. name tells apart the loaders one field may use.
func batcherFor[K comparable, V any](ctx context.Context, name string, fetch func(context.Context, []K) (map[K]V, error),
	register func(*objects, string, []K, map[K]V)) *batcher[K, V] {
	pattern := fieldPattern(ctx)
	return batcherIn(loadersFrom(ctx), pattern+"|"+name, pattern, fetch, register)
}

// batcherIn finds the request's batcher by key, making it for pattern on
// first use.
func batcherIn[K comparable, V any](l *Loaders, key, pattern string, fetch func(context.Context, []K) (map[K]V, error),
	register func(*objects, string, []K, map[K]V)) *batcher[K, V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.batchers[key]; ok {
		return b.(*batcher[K, V])
	}
	b := newBatcher(l.objs, pattern, fetch, register)
	l.batchers[key] = b
	return b
}

// maxPathKeyDepth bounds the fields a pathKey holds; deeper fields (beyond
// the default depth limit) take the slower way to their batcher.
const maxPathKeyDepth = 16

// pathKey names the batcher of the field being resolved by the query's own
// field nodes from the root, list indexes left out. Every sibling has the
// same nodes, and within one request the nodes also fix the arguments, so
// the key stands for the pattern and argument key that batcherFor builds,
// yet costs no allocation: each nested field looks its batcher up once per
// parent object, and building strings there showed in profiles.
type pathKey struct {
	fields      [maxPathKeyDepth]*ast.Field
	loader, rel string // which of the field's loaders, e.g. "outcome", "pilot"
}

func pathKeyOf(ctx context.Context, loader, rel string) (pathKey, bool) {
	k := pathKey{loader: loader, rel: rel}
	var rev [maxPathKeyDepth]*ast.Field
	n := 0
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Field.Field == nil {
			continue // a list element
		}
		if n == maxPathKeyDepth {
			return k, false
		}
		rev[n] = fc.Field.Field
		n++
	}
	for i := range n {
		k.fields[i] = rev[n-1-i]
	}
	return k, true
}

// cachedBatcher finds the batcher of the field being resolved by its
// pathKey, and calls build (which makes the full key) only on a miss.
func cachedBatcher[K comparable, V any](ctx context.Context, loader, rel string, build func() *batcher[K, V]) *batcher[K, V] {
	l := loadersFrom(ctx)
	key, ok := pathKeyOf(ctx, loader, rel)
	if ok {
		l.mu.Lock()
		b, found := l.byPath[key]
		l.mu.Unlock()
		if found {
			return b.(*batcher[K, V])
		}
	}
	b := build()
	if ok {
		l.mu.Lock()
		l.byPath[key] = b
		l.mu.Unlock()
	}
	return b
}

// produced records objects a resolver put in the response at its own path,
// for fields that are not batched (root fields).
func produced(ctx context.Context, suffix string, n int) {
	p := fieldPattern(ctx)
	if suffix != "" {
		p += "." + suffix
	}
	loadersFrom(ctx).objs.add(p, n)
}

// ref is a kind of record loaded by id.
type ref[T any] struct {
	name  string
	fetch func(s *store.Store, ctx context.Context, ids []string) (map[string]T, error)
}

var (
	regionRef        = ref[hin.Region]{"region", (*store.Store).RegionsByID}
	organisationRef  = ref[hin.Organisation]{"organisation", (*store.Store).OrganisationsByID}
	collaborativeRef = ref[hin.Collaborative]{"collaborative", (*store.Store).CollaborativesByID}
	programmeRef     = ref[hin.Programme]{"programme", (*store.Store).ProgrammesByID}
	innovationRef    = ref[hin.Innovation]{"innovation", (*store.Store).InnovationsByID}
	pilotRef         = ref[hin.Pilot]{"pilot", (*store.Store).PilotsByID}
	adoptionRef      = ref[hin.Adoption]{"adoption", (*store.Store).AdoptionsByID}
	metricRef        = ref[hin.Metric]{"metric", (*store.Store).MetricsByID}
	outcomeRef       = ref[hin.Outcome]{"outcome", (*store.Store).OutcomesByID}
)

// countFound registers one object per call that found its record.
func countFound[K comparable, V any](objs *objects, pattern string, calls []K, res map[K]V) {
	n := 0
	for _, k := range calls {
		if _, ok := res[k]; ok {
			n++
		}
	}
	objs.add(pattern, n)
}

// countItems registers the items of list results, once per call.
func countItems[K comparable, V any](objs *objects, pattern string, calls []K, res map[K][]V) {
	n := 0
	for _, k := range calls {
		n += len(res[k])
	}
	objs.add(pattern, n)
}

func (r ref[T]) batcher(ctx context.Context) *batcher[string, T] {
	return cachedBatcher(ctx, r.name, "ref", func() *batcher[string, T] {
		s := loadersFrom(ctx).store
		return batcherFor(ctx, r.name, func(ctx context.Context, ids []string) (map[string]T, error) {
			return r.fetch(s, ctx, ids)
		}, countFound[string, T])
	})
}

// loadOne loads a record by id; a missing record is null, not an error.
func loadOne[T any](ctx context.Context, r ref[T], id string) (*T, error) {
	v, found, err := r.batcher(ctx).Load(ctx, id)
	if err != nil || !found {
		return nil, err
	}
	return &v, nil
}

// loadRef loads the record an optional foreign key points at.
func loadRef[T any](ctx context.Context, r ref[T], id *string) (*T, error) {
	if id == nil {
		r.batcher(ctx).Skip(ctx)
		return nil, nil
	}
	return loadOne(ctx, r, *id)
}

// loadMany loads records by id in the order of ids, as one call.
func loadMany[T any](ctx context.Context, r ref[T], ids []string) ([]T, error) {
	return r.batcher(ctx).LoadMany(ctx, ids)
}

// loadList loads a per-record list (stage history, collaboratives).
func loadList[V any](ctx context.Context, name string, fetch func(s *store.Store, ctx context.Context, ids []string) (map[string][]V, error), id string) ([]V, error) {
	b := cachedBatcher(ctx, name, "list", func() *batcher[string, []V] {
		s := loadersFrom(ctx).store
		return batcherFor(ctx, name, func(ctx context.Context, ids []string) (map[string][]V, error) {
			return fetch(s, ctx, ids)
		}, countItems[string, V])
	})
	v, _, err := b.Load(ctx, id)
	if v == nil {
		v = []V{}
	}
	return v, err
}

// listFetch fetches pages of a list for many parents.
type listFetch[T, F any] func(ctx context.Context, in store.ListIn, f F) (map[string]*hin.Page[T], error)

// countFetch counts a list for many parents.
type countFetch[F any] func(ctx context.Context, parent string, ids []string, f F) (map[string]int, error)

// argsKey identifies a list's arguments.
func argsKey(name, parent string, f any, in store.ListIn) string {
	b, _ := json.Marshal(struct {
		F any
		O hin.Order
		P hin.PageArgs
	}{f, in.Order, in.Page})
	return fmt.Sprintf("%s/%s/%s", name, parent, b)
}

// registerPages records one connection per call and its items, which the
// client may reach through nodes or edges.node.
func registerPages[T any](objs *objects, pattern string, calls []string, res map[string]*hin.Page[T]) {
	items := 0
	for _, k := range calls {
		if p := res[k]; p != nil {
			items += len(p.Items)
		}
	}
	objs.add(pattern, len(calls))
	objs.add(pattern+".nodes", items)
	objs.add(pattern+".edges.node", items)
}

func pageBatcher[T, F any](ctx context.Context, name, parent string, f F, in store.ListIn, fetch listFetch[T, F]) *batcher[string, *hin.Page[T]] {
	return cachedBatcher(ctx, name, parent, func() *batcher[string, *hin.Page[T]] {
		fields := itemFields(ctx)
		return batcherFor(ctx, argsKey(name, parent, f, in), func(ctx context.Context, ids []string) (map[string]*hin.Page[T], error) {
			in := in
			in.Parent, in.ParentIDs, in.Fields = parent, ids, fields
			return fetch(ctx, in, f)
		}, registerPages[T])
	})
}

func countBatcher[F any](ctx context.Context, name, parent string, f F, count countFetch[F]) *batcher[string, int] {
	return cachedBatcher(ctx, name+"#count", parent, func() *batcher[string, int] {
		return batcherFor(ctx, argsKey(name+"#count", parent, f, store.ListIn{}), func(ctx context.Context, ids []string) (map[string]int, error) {
			return count(ctx, parent, ids, f)
		}, nil)
	})
}

// requestCache is what every aggregate of one request needs: the metric
// catalogue and the regions, read once by the request's figure service.
type requestCache struct {
	metrics map[string]hin.Metric
	regions []hin.Region
}

func (l *Loaders) reference(ctx context.Context) (requestCache, error) {
	metrics, regions, err := l.figures.Reference(ctx)
	return requestCache{metrics: metrics, regions: regions}, err
}
