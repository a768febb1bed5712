package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const metricCols = `m.id, m.code, m.name, m.description, m.unit, m.kind`

// Metrics lists the catalogue by code.
func (s *Store) Metrics(ctx context.Context, f hin.MetricFilter) ([]hin.Metric, error) {
	const q = `SELECT ` + metricCols + ` FROM metric m
		WHERE (coalesce(cardinality($1::text[]), 0) = 0 OR m.kind = ANY($1))
		  AND (coalesce(cardinality($2::text[]), 0) = 0 OR m.code = ANY($2))
		ORDER BY m.code`
	rows := []hin.Metric{}
	if err := s.selectAll(ctx, s.db, &rows, q, pq.Array(enumStrings(f.Kinds)), pq.Array(f.Codes)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return rows, nil
}

// MetricsByID loads metrics by UUID.
func (s *Store) MetricsByID(ctx context.Context, ids []string) (map[string]hin.Metric, error) {
	const q = `SELECT ` + metricCols + ` FROM metric m WHERE m.id = ANY($1::uuid[])`
	var rows []hin.Metric
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("metrics by id: %w", err)
	}
	return byID(rows, func(r hin.Metric) string { return r.ID }), nil
}
