package graph

import (
	"context"
	"fmt"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// outcomeHistory answers Outcome.history, one statement for every outcome
// of the response asking with the same first.
func outcomeHistory(ctx context.Context, o *hin.Outcome, first *int) ([]hin.OutcomeRevision, error) {
	n := 20
	if first != nil {
		n = *first
	}
	if n < 0 || n > hin.MaxHistory {
		return nil, hin.Invalid("first", "first must be from 0 to %d", hin.MaxHistory)
	}
	if n == 0 {
		return []hin.OutcomeRevision{}, nil
	}
	return loadList(ctx, fmt.Sprint("history/", n), func(s *store.Store, ctx context.Context, ids []string) (map[string][]hin.OutcomeRevision, error) {
		return s.OutcomeHistory(ctx, ids, n)
	}, o.ID)
}

// revisionChangedBy answers OutcomeRevision.changedBy, a token subject,
// under the audit trail's rule.
func revisionChangedBy(ctx context.Context, r *hin.OutcomeRevision) (string, error) {
	if err := hin.PrincipalFrom(ctx).MaySeeWhoChanged(r.RegionID); err != nil {
		return "", err
	}
	return r.ChangedBy, nil
}
