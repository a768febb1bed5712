package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

const metricCols = `m.id, m.code, m.name, m.description, m.unit, m.kind, m.version`

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

// CreateMetric adds a catalogue entry (national admins).
func (s *Store) CreateMetric(ctx context.Context, in hin.MetricInput, key *string) (hin.Metric, error) {
	var out hin.Metric
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("creating a metric"); err != nil {
			return err
		}
		if err := in.Validate().Err(); err != nil {
			return err
		}
		prior, err := w.claimKey(key, "createMetric", in)
		if err != nil || prior != "" {
			if err == nil {
				err = w.get(&out, `SELECT `+metricCols+` FROM metric m WHERE m.id = $1`, prior)
			}
			return err
		}
		const q = `INSERT INTO metric AS m (id, code, name, description, unit, kind) VALUES (gen_random_uuid(), $1, $2, coalesce($3, ''), $4, $5)
			RETURNING ` + metricCols
		if err := w.get(&out, q, in.Code, in.Name, in.Description, in.Unit, string(in.Kind)); err != nil {
			if hin.ErrorCode(err) == hin.ECONFLICT {
				return &hin.Error{Code: hin.ECONFLICT, Field: "code", Message: fmt.Sprintf("a metric with the code %q already exists", in.Code)}
			}
			return err
		}
		if err := w.audit("CREATE", hin.KindMetric, &out.ID, nil, nil, out); err != nil {
			return err
		}
		return w.keyResult(key, out.ID)
	})
	return out, err
}

// UpdateMetric changes a catalogue entry. Its code never changes, and its
// kind and unit only while no outcome uses it: they define how recorded
// values combine.
func (s *Store) UpdateMetric(ctx context.Context, id string, version int, in hin.MetricInput) (hin.Metric, error) {
	var out hin.Metric
	err := s.write(ctx, func(w *writer) error {
		if err := w.who.CanAdmin("updating a metric"); err != nil {
			return err
		}
		uuid, err := uuidOf(hin.KindMetric, "id", id)
		if err != nil {
			return err
		}
		var before hin.Metric
		if err := w.lock(&before, `SELECT `+metricCols+` FROM metric m WHERE m.id = $1 FOR UPDATE`, hin.KindMetric, uuid); err != nil {
			return err
		}
		if err := checkVersion("metric", before.Version, version); err != nil {
			return err
		}
		p := in.Validate()
		if in.Code != before.Code {
			p.Add("code", "a metric's code never changes (it is %q)", before.Code)
		}
		if in.Kind != before.Kind || in.Unit != before.Unit {
			var used bool
			if err := w.get(&used, `SELECT EXISTS (SELECT 1 FROM outcome WHERE metric_id = $1)`, uuid); err != nil {
				return err
			}
			if used {
				p.Add("kind", "kind and unit cannot change once outcomes are recorded for the metric; create a new metric instead")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		const q = `UPDATE metric AS m SET name = $2, description = coalesce($3, ''), unit = $4, kind = $5, version = version + 1
			WHERE m.id = $1 RETURNING ` + metricCols
		if err := w.get(&out, q, uuid, in.Name, in.Description, in.Unit, string(in.Kind)); err != nil {
			return err
		}
		return w.audit("UPDATE", hin.KindMetric, &uuid, nil, before, out)
	})
	return out, err
}

// MetricsByCode loads metrics by code, keyed by code.
func (s *Store) MetricsByCode(ctx context.Context, codes []string) (map[string]hin.Metric, error) {
	ms, err := s.Metrics(ctx, hin.MetricFilter{Codes: codes})
	return byID(ms, func(m hin.Metric) string { return m.Code }), err
}
