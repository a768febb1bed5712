package graph

import (
	"context"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
)

// maxNodes caps nodes(ids:) like a page.
const maxNodes = hin.MaxPageSize

// nodeLoader loads nodes of one kind by UUID, keyed by UUID.
type nodeLoader func(ctx context.Context, uuids []string) (map[string]model.Node, error)

// Nodes of several kinds are not registered as response objects: a
// fragment on one type makes only some of them ask for a nested field, so
// their children batch by idle time instead of by count. Nodes of one kind
// are all of one type, so each asks for the same fields; loadNodes
// registers them, and a lookup by id does not wait out the idle time.
func nodesOf[T model.Node](r ref[T]) nodeLoader {
	return func(ctx context.Context, uuids []string) (map[string]model.Node, error) {
		s := loadersFrom(ctx).store
		b := batcherFor(ctx, "node:"+r.name, func(ctx context.Context, ids []string) (map[string]T, error) {
			return r.fetch(s, ctx, ids)
		}, nil)
		vs, err := b.LoadMany(ctx, uuids)
		if err != nil {
			return nil, err
		}
		m := make(map[string]model.Node, len(vs))
		for _, v := range vs {
			_, uuid, _ := hin.ParseGlobalID(v.GlobalID())
			m[uuid] = v
		}
		return m, nil
	}
}

var nodeLoaders = map[string]nodeLoader{
	hin.KindRegion:        nodesOf(regionRef),
	hin.KindOrganisation:  nodesOf(organisationRef),
	hin.KindCollaborative: nodesOf(collaborativeRef),
	hin.KindProgramme:     nodesOf(programmeRef),
	hin.KindInnovation:    nodesOf(innovationRef),
	hin.KindPilot:         nodesOf(pilotRef),
	hin.KindAdoption:      nodesOf(adoptionRef),
	hin.KindMetric:        nodesOf(metricRef),
	hin.KindOutcome:       nodesOf(outcomeRef),
	// national collections
	hin.KindCollection:           nodesOf(collectionRef),
	hin.KindCollectionPeriod:     nodesOf(periodRef),
	hin.KindCollectionSubmission: nodesOf(submissionRef),
}

func loadNode(ctx context.Context, id string) (model.Node, error) {
	nodes, err := loadNodes(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return nodes[0], nil
}

// loadNodes fetches nodes of any kinds: one statement per kind asked for,
// results in the order asked, null for IDs that match nothing.
func loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > maxNodes {
		return nil, hin.Invalid("ids", "at most %d ids at a time, got %d", maxNodes, len(ids))
	}
	type parsed struct{ kind, uuid string }
	want := make([]parsed, len(ids))
	byKind := map[string][]string{}
	for i, id := range ids {
		kind, uuid, err := hin.ParseGlobalID(id)
		if err != nil {
			return nil, err
		}
		want[i] = parsed{kind, uuid}
		if _, ok := nodeLoaders[kind]; ok {
			byKind[kind] = append(byKind[kind], uuid)
		}
	}
	found := map[parsed]model.Node{}
	for kind, uuids := range byKind {
		m, err := nodeLoaders[kind](ctx, uuids)
		if err != nil {
			return nil, err
		}
		for uuid, n := range m {
			found[parsed{kind, uuid}] = n
		}
	}
	out := make([]model.Node, len(ids))
	n := 0
	for i, w := range want {
		out[i] = found[w]
		if out[i] != nil {
			n++
		}
	}
	if len(byKind) == 1 {
		produced(ctx, "", n)
	}
	return out, nil
}
