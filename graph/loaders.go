package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/vikstrous/dataloadgen"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// batchWait is how long a loader collects keys before it runs its batch.
// All siblings at one depth of a response are resolved concurrently, so a
// short wait is enough to gather them into one statement.
const batchWait = 2 * time.Millisecond

// Loaders batch and cache the nested reads of one request. Records are
// loaded by id; nested lists are loaded per parent, one loader per distinct
// set of list arguments, so every parent at one depth shares one statement.
type Loaders struct {
	store *store.Store

	Region        *dataloadgen.Loader[string, hin.Region]
	Organisation  *dataloadgen.Loader[string, hin.Organisation]
	Collaborative *dataloadgen.Loader[string, hin.Collaborative]
	Programme     *dataloadgen.Loader[string, hin.Programme]
	Innovation    *dataloadgen.Loader[string, hin.Innovation]
	Pilot         *dataloadgen.Loader[string, hin.Pilot]
	Adoption      *dataloadgen.Loader[string, hin.Adoption]
	Metric        *dataloadgen.Loader[string, hin.Metric]
	Outcome       *dataloadgen.Loader[string, hin.Outcome]

	StageHistory         *dataloadgen.Loader[string, []hin.StageChange]
	RegionCollaboratives *dataloadgen.Loader[string, []hin.Collaborative]
	ProgrammeRegions     *dataloadgen.Loader[string, []string]
	CollaborativeRegions *dataloadgen.Loader[string, []string]

	mu     sync.Mutex
	lists  map[string]any
	counts map[string]*dataloadgen.Loader[string, int]
}

// NewLoaders makes the loaders for one request.
func NewLoaders(s *store.Store) *Loaders {
	opt := dataloadgen.WithWait(batchWait)
	return &Loaders{
		store:                s,
		Region:               dataloadgen.NewMappedLoader(s.RegionsByID, opt),
		Organisation:         dataloadgen.NewMappedLoader(s.OrganisationsByID, opt),
		Collaborative:        dataloadgen.NewMappedLoader(s.CollaborativesByID, opt),
		Programme:            dataloadgen.NewMappedLoader(s.ProgrammesByID, opt),
		Innovation:           dataloadgen.NewMappedLoader(s.InnovationsByID, opt),
		Pilot:                dataloadgen.NewMappedLoader(s.PilotsByID, opt),
		Adoption:             dataloadgen.NewMappedLoader(s.AdoptionsByID, opt),
		Metric:               dataloadgen.NewMappedLoader(s.MetricsByID, opt),
		Outcome:              dataloadgen.NewMappedLoader(s.OutcomesByID, opt),
		StageHistory:         dataloadgen.NewMappedLoader(s.StageHistories, opt),
		RegionCollaboratives: dataloadgen.NewMappedLoader(s.CollaborativesByRegion, opt),
		ProgrammeRegions:     dataloadgen.NewMappedLoader(s.ProgrammeRegions, opt),
		CollaborativeRegions: dataloadgen.NewMappedLoader(s.CollaborativeMembers, opt),
		lists:                map[string]any{},
		counts:               map[string]*dataloadgen.Loader[string, int]{},
	}
}

type loadersKey struct{}

// WithLoaders puts fresh loaders for one request on its context.
func WithLoaders(ctx context.Context, s *store.Store) context.Context {
	return context.WithValue(ctx, loadersKey{}, NewLoaders(s))
}

// LoadersMiddleware gives every HTTP request its own loaders, so nothing
// cached leaks from one request (or one caller) to another.
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

// listFetch fetches pages of a list for many parents.
type listFetch[T, F any] func(ctx context.Context, in store.ListIn, f F) (map[string]*hin.Page[T], error)

// countFetch counts a list for many parents.
type countFetch[F any] func(ctx context.Context, parent string, ids []string, f F) (map[string]int, error)

// argsKey identifies a list's arguments; parents asking with equal
// arguments share a loader and so a statement.
func argsKey(name, parent string, f any, in store.ListIn) string {
	b, _ := json.Marshal(struct {
		F any
		O hin.Order
		P hin.PageArgs
	}{f, in.Order, in.Page})
	return fmt.Sprintf("%s|%s|%s", name, parent, b)
}

func pageLoader[T, F any](l *Loaders, name, parent string, f F, in store.ListIn, fetch listFetch[T, F]) *dataloadgen.Loader[string, *hin.Page[T]] {
	key := argsKey(name, parent, f, in)
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.lists[key]; ok {
		return ld.(*dataloadgen.Loader[string, *hin.Page[T]])
	}
	ld := dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]*hin.Page[T], error) {
		in := in
		in.Parent, in.ParentIDs = parent, ids
		return fetch(ctx, in, f)
	}, dataloadgen.WithWait(batchWait))
	l.lists[key] = ld
	return ld
}

func countLoader[F any](l *Loaders, name, parent string, f F, count countFetch[F]) *dataloadgen.Loader[string, int] {
	key := argsKey(name+"#count", parent, f, store.ListIn{})
	l.mu.Lock()
	defer l.mu.Unlock()
	if ld, ok := l.counts[key]; ok {
		return ld
	}
	ld := dataloadgen.NewMappedLoader(func(ctx context.Context, ids []string) (map[string]int, error) {
		return count(ctx, parent, ids, f)
	}, dataloadgen.WithWait(batchWait))
	l.counts[key] = ld
	return ld
}
