package graph

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// fieldSpy is field middleware, as a permission check would be: it records
// every field it is called for.
type fieldSpy struct {
	mu     sync.Mutex
	fields map[string]int
}

func (s *fieldSpy) ExtensionName() string                   { return "fieldSpy" }
func (s *fieldSpy) Validate(graphql.ExecutableSchema) error { return nil }
func (s *fieldSpy) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	s.mu.Lock()
	s.fields[fc.Object+"."+fc.Field.Name]++
	s.mu.Unlock()
	return next(ctx)
}

// Field middleware sees every field: a server with any serves every query
// through gqlgen, since direct execution writes fields without calling it
// (docs/adr/0001-direct-execution.md).
func TestFieldMiddlewareSeesEveryField(t *testing.T) {
	t.Parallel()
	s := testdb.New(t, testdb.Demo(seed.DemoSize{PilotsPerRegion: 1, InnovationsPerRegion: 2, FirstFY: 2023, Years: 1}))
	q := `{ regions { code innovations(first: 2) { nodes { name leadRegion { code } } } } }`
	analyst := hin.WithPrincipal(context.Background(), hin.Principal{Subject: "a", Role: hin.RoleAnalyst})

	plain := &directHarness{t: t, h: NewHandler(s, Options{})}
	want := plain.post(context.WithValue(analyst, directCountKey{}, &plain.direct), q, nil)
	if plain.direct.Load() != 1 {
		t.Fatalf("without field middleware the query was not served directly (%d)", plain.direct.Load())
	}

	spy := &fieldSpy{fields: map[string]int{}}
	x := &directHarness{t: t, h: NewHandler(s, Options{Extensions: []graphql.HandlerExtension{spy}})}
	got := x.post(context.WithValue(analyst, directCountKey{}, &x.direct), q, nil)
	if got != want || !strings.Contains(got, `"leadRegion"`) {
		t.Errorf("with field middleware:\n%s\nwithout:\n%s", got, want)
	}
	if x.direct.Load() != 0 {
		t.Errorf("%d root fields were served directly, past the field middleware", x.direct.Load())
	}
	for _, f := range []string{"Query.regions", "Region.code", "Region.innovations", "Innovation.name", "Innovation.leadRegion"} {
		if spy.fields[f] == 0 {
			t.Errorf("field middleware never saw %s (saw %v)", f, spy.fields)
		}
	}
	for field, key := range map[string]string{"Region.code": `"code":`, "Innovation.name": `"name":`} {
		if n := strings.Count(got, key); spy.fields[field] != n {
			t.Errorf("field middleware saw %s %d times, the answer has it %d times", field, spy.fields[field], n)
		}
	}
}
