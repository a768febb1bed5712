package main

import (
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/internal/testdb"
)

// TestE2EDefaultDepthLimitIsExact: with no flags, the server takes a query
// exactly 15 fields deep and refuses the same query one level deeper with
// DEPTH_LIMIT_EXCEEDED. The path (innovations -> pilots -> innovation ...)
// is valid schema, so nothing but our limit can refuse it.
func TestE2EDefaultDepthLimitIsExact(t *testing.T) {
	t.Parallel()
	s := startServer(t, testdb.URL(t, testdb.Reference))
	chain := func(n int) string {
		hops := []string{"pilots(first: 1)", "nodes", "innovation"}
		path := []string{"innovations(first: 1)", "nodes"}
		for i := 0; len(path) < n-1; i++ {
			path = append(path, hops[i%len(hops)])
		}
		leaf := "id"
		if strings.HasPrefix(path[len(path)-1], "pilots") {
			leaf = "totalCount"
		}
		return "query Chain { " + strings.Join(path, " { ") + " { " + leaf + strings.Repeat(" }", len(path)+1)
	}
	var data struct{ Innovations struct{ Nodes []any } }
	s.query(t, gqlRequest{Query: chain(15), OperationName: "Chain"}, &data)
	if len(data.Innovations.Nodes) == 0 {
		t.Errorf("the 15-deep query found no innovation to walk from")
	}
	_, out := s.post(t, gqlRequest{Query: chain(16), OperationName: "Chain"}, nil)
	if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "DEPTH_LIMIT_EXCEEDED" || out.hasData() {
		t.Errorf("16 deep: codes %v, data %s, errors %+v", codes, out.Data, out.Errors)
	}
}
