package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Regions returns the networks in code order, optionally only some codes.
func (s *Store) Regions(ctx context.Context, f hin.RegionFilter) ([]hin.Region, error) {
	const q = `SELECT id, code, name, former_name, summary, version FROM region
		WHERE coalesce(cardinality($1::text[]), 0) = 0 OR code = ANY($1) ORDER BY code`
	regions := []hin.Region{}
	if err := s.selectAll(ctx, s.db, &regions, q, pq.Array(f.Codes)); err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	return regions, nil
}

// RegionByCode returns one region.
func (s *Store) RegionByCode(ctx context.Context, code string) (hin.Region, error) {
	const q = `SELECT id, code, name, former_name, summary, version FROM region WHERE code = $1`
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
	const q = `SELECT id, code, name, former_name, summary, version FROM region WHERE id = ANY($1::uuid[])`
	var rows []hin.Region
	if err := s.byIDs(ctx, &rows, q, ids); err != nil {
		return nil, fmt.Errorf("regions by id: %w", err)
	}
	return byID(rows, func(r hin.Region) string { return r.ID }), nil
}

// RegionsByCode loads regions by code, keyed by code.
func (s *Store) RegionsByCode(ctx context.Context, codes []string) (map[string]hin.Region, error) {
	rs, err := s.Regions(ctx, hin.RegionFilter{Codes: codes})
	return byID(rs, func(r hin.Region) string { return r.Code }), err
}

func byID[T any](rows []T, id func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}

// UpdateRegion changes a region's names and summary (national admins); its
// code, used in tokens and filters, never changes.
func (s *Store) UpdateRegion(ctx context.Context, code string, version int, in hin.RegionInput) (hin.Region, error) {
	var out hin.Region
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("updating a region"); err != nil {
			return err
		}
		var before hin.Region
		if err := w.get(&before, `SELECT id, code, name, former_name, summary, version FROM region WHERE code = $1 FOR UPDATE`, code); err != nil {
			if hin.ErrorCode(err) == hin.ENOTFOUND {
				return hin.Errorf(hin.ENOTFOUND, "no region has the code %q", code)
			}
			return err
		}
		if err := checkVersion("region", before.Version, version); err != nil {
			return err
		}
		if err := in.Validate().Err(); err != nil {
			return err
		}
		const q = `UPDATE region SET name = $2, former_name = coalesce($3, ''), summary = coalesce($4, ''), version = version + 1
			WHERE id = $1 RETURNING id, code, name, former_name, summary, version`
		if err := w.get(&out, q, before.ID, in.Name, in.FormerName, in.Summary); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindRegion, &before.ID, &before.ID, before, out)
	})
	return out, err
}
