package graph_test

import (
	"fmt"
	"testing"

	"github.com/hin-graph/hin-graph/internal/testdb"
)

// A root list's totalCount comes with its page, in one statement, and
// still counts the whole filtered list on a later page.
func TestRootTotalCountComesWithThePage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Demo(small))
	var resp struct{ Innovations page }
	before := srv.statements.Load()
	srv.query(t, `{ innovations(first: 2) { totalCount edges { cursor node { id name } } } }`, &resp)
	if n := srv.statements.Load() - before; n != 1 {
		t.Errorf("%d statements for a root page with totalCount, want 1", n)
	}
	total := resp.Innovations.TotalCount
	ids, counted := pageThrough(t, srv, "", 2)
	if total != len(ids) || counted != total {
		t.Errorf("totalCount %d on the first page, %d on the others, %d innovations paged through", total, counted, len(ids))
	}
	var later struct{ Innovations page }
	srv.query(t, fmt.Sprintf(`{ innovations(first: 2, after: %q) { totalCount } }`, resp.Innovations.Edges[1].Cursor), &later)
	if later.Innovations.TotalCount != total {
		t.Errorf("totalCount after a cursor: %d, want %d", later.Innovations.TotalCount, total)
	}
}
