package telemetry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hin-graph/hin-graph/internal/store"
)

// The hooks must plug into the store as they are.
var (
	_ store.StatementHook = (*Metrics)(nil).StatementHook()
	_ store.StatementHook = (*Tracer)(nil).StatementHook()
)

// gqlServer is a gqlgen server on a small hand-written schema (query
// { name }, a mutation that always fails) with exts installed first, as
// graph.NewHandler would, and a presenter that gives resolver errors the
// INTERNAL code the real one gives them.
func gqlServer(withResolverError bool, exts ...graphql.HandlerExtension) http.Handler {
	var srv *testserver.TestServer
	if withResolverError {
		srv = testserver.NewError()
	} else {
		srv = testserver.New()
	}
	srv.AddTransport(transport.POST{})
	for _, e := range exts {
		srv.Use(e)
	}
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		e := graphql.DefaultErrorPresenter(ctx, err)
		var ge *gqlerror.Error
		if (!errors.As(err, &ge) || ge.Err != nil) && e.Extensions["code"] == nil {
			e.Extensions = map[string]any{"code": "INTERNAL"}
		}
		return e
	})
	// Stand-in for a limit that refuses an operation without running it.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if graphql.GetOperationContext(ctx).Operation.Name == "Refused" {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
				Message: "too deep", Extensions: map[string]any{"code": "QUERY_TOO_DEEP"},
			}}})
		}
		return next(ctx)
	})
	return srv
}

func post(t *testing.T, h http.Handler, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
