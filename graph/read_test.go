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

// A lookup by id, and nodes of one kind (a repeated id included), are
// registered as response objects, so their nested fields batch by count
// (without the idle wait that nodes of mixed kinds need) and still get
// every answer in one statement.
func TestNodesOfOneKindBatchTheirFields(t *testing.T) {
	t.Parallel()
	srv := newServer(t, testdb.Demo(small))
	var list struct {
		Innovations struct {
			Nodes []struct {
				ID         string
				LeadRegion *struct{ Code string }
			}
		}
	}
	srv.query(t, `{ innovations(first: 50) { nodes { id leadRegion { code } } } }`, &list)
	var led []string
	for _, n := range list.Innovations.Nodes {
		if n.LeadRegion != nil {
			led = append(led, n.ID)
		}
	}
	if len(led) < 3 {
		t.Fatalf("%d innovations with a lead region, want at least 3", len(led))
	}
	id := led[0]
	var one struct {
		Node struct{ LeadRegion struct{ Code string } }
	}
	srv.query(t, fmt.Sprintf(`{ node(id: %q) { ... on Innovation { leadRegion { code } } } }`, id), &one)
	if one.Node.LeadRegion.Code == "" {
		t.Errorf("no lead region: %+v", one)
	}
	ids := fmt.Sprintf("[%q, %q, %q, %q]", id, led[1], led[2], id)
	var many struct {
		Nodes []struct{ LeadRegion struct{ Code string } }
	}
	before := srv.statements.Load()
	srv.query(t, `{ nodes(ids: `+ids+`) { ... on Innovation { leadRegion { code } } } }`, &many)
	if n := srv.statements.Load() - before; n != 2 {
		t.Errorf("%d statements for nodes of one kind and their lead regions, want 2", n)
	}
	for i, n := range many.Nodes {
		if n.LeadRegion.Code == "" {
			t.Errorf("node %d has no lead region", i)
		}
	}
}
