package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Regions returns the networks in code order, optionally only some codes.
func (s *Store) Regions(ctx context.Context, f hin.RegionFilter) ([]hin.Region, error) {
	const q = `SELECT id, code, name, former_name, summary FROM region
		WHERE coalesce(cardinality($1::text[]), 0) = 0 OR code = ANY($1) ORDER BY code`
	regions := []hin.Region{}
	if err := s.selectAll(ctx, s.db, &regions, q, pq.Array(f.Codes)); err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	return regions, nil
}

// RegionByCode returns one region.
func (s *Store) RegionByCode(ctx context.Context, code string) (hin.Region, error) {
	const q = `SELECT id, code, name, former_name, summary FROM region WHERE code = $1`
	var r hin.Region
	if err := s.getOne(ctx, s.db, &r, q, code); err != nil {
		if hin.ErrorCode(err) == hin.ENOTFOUND {
			return r, hin.Errorf(hin.ENOTFOUND, "no region has the code %q", code)
		}
		return r, fmt.Errorf("region %s: %w", code, err)
	}
	return r, nil
}

// RegionsByID loads regions by UUID.
func (s *Store) RegionsByID(ctx context.Context, ids []string) (map[string]hin.Region, error) {
	const q = `SELECT id, code, name, former_name, summary FROM region WHERE id = ANY($1::uuid[])`
	var rows []hin.Region
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("regions by id: %w", err)
	}
	return byID(rows, func(r hin.Region) string { return r.ID }), nil
}

func byID[T any](rows []T, id func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}
