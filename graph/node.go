package graph

import (
	"context"
	"errors"

	"github.com/vikstrous/dataloadgen"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
)

// maxNodes caps nodes(ids:) like a page.
const maxNodes = hin.MaxPageSize

// loadNode resolves a global ID to its object through the request's
// loaders, so node and nodes batch like any nested field.
func loadNode(ctx context.Context, id string) (model.Node, error) {
	thunk, err := nodeThunk(ctx, id)
	if err != nil {
		return nil, err
	}
	return thunk()
}

// nodeThunk starts loading a node and returns a function that waits for it,
// so nodes(ids:) queues every id before the first batch runs.
func nodeThunk(ctx context.Context, id string) (func() (model.Node, error), error) {
	kind, uuid, err := hin.ParseGlobalID(id)
	if err != nil {
		return nil, err
	}
	l := loadersFrom(ctx)
	switch kind {
	case hin.KindRegion:
		return thunk(ctx, l.Region, uuid), nil
	case hin.KindOrganisation:
		return thunk(ctx, l.Organisation, uuid), nil
	case hin.KindCollaborative:
		return thunk(ctx, l.Collaborative, uuid), nil
	case hin.KindProgramme:
		return thunk(ctx, l.Programme, uuid), nil
	case hin.KindInnovation:
		return thunk(ctx, l.Innovation, uuid), nil
	case hin.KindPilot:
		return thunk(ctx, l.Pilot, uuid), nil
	case hin.KindAdoption:
		return thunk(ctx, l.Adoption, uuid), nil
	case hin.KindMetric:
		return thunk(ctx, l.Metric, uuid), nil
	case hin.KindOutcome:
		return thunk(ctx, l.Outcome, uuid), nil
	}
	return func() (model.Node, error) { return nil, nil }, nil
}

func thunk[T model.Node](ctx context.Context, ld *dataloadgen.Loader[string, T], uuid string) func() (model.Node, error) {
	wait := ld.LoadThunk(ctx, uuid)
	return func() (model.Node, error) {
		v, err := wait()
		if errors.Is(err, dataloadgen.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return v, nil
	}
}

func loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > maxNodes {
		return nil, hin.Invalid("ids", "at most %d ids at a time, got %d", maxNodes, len(ids))
	}
	thunks := make([]func() (model.Node, error), len(ids))
	for i, id := range ids {
		t, err := nodeThunk(ctx, id)
		if err != nil {
			return nil, err
		}
		thunks[i] = t
	}
	out := make([]model.Node, len(ids))
	for i, t := range thunks {
		n, err := t()
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
