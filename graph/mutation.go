package graph

import (
	"context"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// done adapts a store write's (value, error) to a resolver's (*value, error).
func done[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func publishOutcomes(ctx context.Context, s *store.Store, regionCode string, window hin.WindowInput, reason *string) (*model.PublishResult, error) {
	w, err := window.Resolve("window")
	if err != nil {
		return nil, err
	}
	n, err := s.PublishOutcomesWithReason(ctx, regionCode, w, reason)
	if err != nil {
		return nil, err
	}
	return &model.PublishResult{Published: n}, nil
}

func stageOr(stage *hin.Stage) hin.Stage {
	if stage == nil {
		return hin.StageIdentifyNeed
	}
	return *stage
}

// auditOrder defaults to newest first.
func auditOrder(o *model.AuditOrder) hin.Order {
	if o == nil {
		return hin.Order{Field: "AT", Direction: hin.Desc}
	}
	out := hin.Order{Field: string(o.Field), Direction: hin.Desc}
	if o.Direction != nil {
		out.Direction = *o.Direction
	}
	return out
}

func auditEntityID(e *hin.AuditEvent) *string {
	if e.EntityID == nil {
		return nil
	}
	id := hin.GlobalID(e.EntityKind, *e.EntityID)
	return &id
}
