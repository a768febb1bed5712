package graph_test

import (
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// chainQuery is a query whose deepest path has exactly n fields, walking
// innovations -> pilots -> innovation -> pilots ... through the real
// schema, so gqlparser validates it and only our depth limit can stop it.
// A fragment spread and an inline fragment in the path add no depth.
func chainQuery(n int, fragments bool) string {
	hops := []string{"pilots(first: 1)", "nodes", "innovation"}
	path := []string{"innovations(first: 1)", "nodes"}
	for i := 0; len(path) < n-1; i++ {
		path = append(path, hops[i%len(hops)])
	}
	path = path[:n-1]
	leaf := "id"
	if strings.HasPrefix(path[len(path)-1], "pilots") {
		leaf = "totalCount"
	}
	var b strings.Builder
	b.WriteString("query Chain { ")
	for i, f := range path {
		b.WriteString(f + " { ")
		if fragments && i == 1 {
			b.WriteString("...Deeper } } }") // the rest goes in the fragment
			b.WriteString(" fragment Deeper on Innovation { ... on Innovation { ")
		}
	}
	b.WriteString(leaf)
	for range path {
		b.WriteString(" }")
	}
	if !fragments {
		b.WriteString(" }") // the operation; with fragments, the inline fragment's
	}
	return b.String()
}

// TestDepthLimitIsExact: under the shipped limits (depth 15), a query
// exactly 15 fields deep runs, and one level more is DEPTH_LIMIT_EXCEEDED,
// for every caller and with fragments in the path.
func TestDepthLimitIsExact(t *testing.T) {
	t.Parallel()
	if defaultLimits.MaxDepth != 15 {
		t.Fatalf("the shipped depth limit is 15 (cmd/hingraph/config.go), got %d", defaultLimits.MaxDepth)
	}
	for _, who := range []hin.Principal{anonymous, analyst} {
		srv := limitedServer(t, defaultLimits, who)
		for _, fragments := range []bool{false, true} {
			at, over := chainQuery(15, fragments), chainQuery(16, fragments)
			var data map[string]any
			srv.query(t, at, &data) // fails the test on any error
			if len(data["innovations"].(map[string]any)["nodes"].([]any)) == 0 {
				t.Errorf("the 15-deep query found no innovation to walk from")
			}
			errs := srv.queryErr(t, over)
			if codeOf(errs) != "DEPTH_LIMIT_EXCEEDED" || !strings.Contains(errs[0].Message, "16 levels deep; the limit is 15") {
				t.Errorf("%s, fragments %v: 16 deep got %+v\n%s", who.Role, fragments, errs, over)
			}
		}
	}
}

// The chain is as deep as it says: one field per level, fragments flat.
func TestChainQueryDepth(t *testing.T) {
	t.Parallel()
	if got := chainQuery(4, false); got != "query Chain { innovations(first: 1) { nodes { pilots(first: 1) { totalCount } } } }" {
		t.Errorf("chainQuery(4) = %s", got)
	}
	if got := chainQuery(4, true); got != "query Chain { innovations(first: 1) { nodes { ...Deeper } } } fragment Deeper on Innovation { ... on Innovation { pilots(first: 1) { totalCount } } }" {
		t.Errorf("chainQuery(4, fragments) = %s", got)
	}
}
