package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const collaborativeCols = `c.id, c.code, c.name, c.kind, c.host_region_id, c.description`

// Collaboratives lists collaboratives by name.
func (s *Store) Collaboratives(ctx context.Context, f hin.CollaborativeFilter) ([]hin.Collaborative, error) {
	const q = `SELECT ` + collaborativeCols + ` FROM collaborative c
		WHERE (coalesce(cardinality($1::text[]), 0) = 0 OR c.kind = ANY($1))
		  AND (coalesce(cardinality($2::text[]), 0) = 0 OR c.id IN (
		      SELECT cr.collaborative_id FROM collaborative_region cr JOIN region r ON r.id = cr.region_id
		      WHERE r.code = ANY($2)))
		ORDER BY c.name, c.id`
	rows := []hin.Collaborative{}
	if err := s.selectAll(ctx, s.db, &rows, q, pq.Array(enumStrings(f.Kinds)), pq.Array(f.RegionCodes)); err != nil {
		return nil, fmt.Errorf("collaboratives: %w", err)
	}
	return rows, nil
}

// CollaborativesByRegion returns, per region, the collaboratives it takes
// part in (hosted or as a member).
func (s *Store) CollaborativesByRegion(ctx context.Context, regionIDs []string) (map[string][]hin.Collaborative, error) {
	const q = `SELECT cr.region_id::text AS region_key, ` + collaborativeCols + `
		FROM collaborative_region cr JOIN collaborative c ON c.id = cr.collaborative_id
		WHERE cr.region_id = ANY($1::uuid[]) ORDER BY c.name, c.id`
	var rows []struct {
		RegionKey string `db:"region_key"`
		hin.Collaborative
	}
	if err := s.byIDs(ctx, &rows, q, regionIDs); err != nil {
		return nil, fmt.Errorf("collaboratives by region: %w", err)
	}
	out := make(map[string][]hin.Collaborative, len(regionIDs))
	for _, id := range regionIDs {
		out[id] = []hin.Collaborative{}
	}
	for _, r := range rows {
		out[r.RegionKey] = append(out[r.RegionKey], r.Collaborative)
	}
	return out, nil
}

// CollaborativesByID loads collaboratives by UUID.
func (s *Store) CollaborativesByID(ctx context.Context, ids []string) (map[string]hin.Collaborative, error) {
	const q = `SELECT ` + collaborativeCols + ` FROM collaborative c WHERE c.id = ANY($1::uuid[])`
	var rows []hin.Collaborative
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("collaboratives by id: %w", err)
	}
	return byID(rows, func(r hin.Collaborative) string { return r.ID }), nil
}

// CollaborativeMembers returns, per collaborative, the UUIDs of its member regions.
func (s *Store) CollaborativeMembers(ctx context.Context, ids []string) (map[string][]string, error) {
	const q = `SELECT cr.collaborative_id::text AS a, cr.region_id::text AS b
		FROM collaborative_region cr JOIN region r ON r.id = cr.region_id
		WHERE cr.collaborative_id = ANY($1::uuid[]) ORDER BY r.code`
	return s.pairs(ctx, q, ids)
}

// pairs runs a two-column id query and groups the second column by the first.
func (s *Store) pairs(ctx context.Context, q string, ids []string) (map[string][]string, error) {
	var rows []struct {
		A string `db:"a"`
		B string `db:"b"`
	}
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ids))
	for _, id := range ids {
		out[id] = []string{}
	}
	for _, r := range rows {
		out[r.A] = append(out[r.A], r.B)
	}
	return out, nil
}
