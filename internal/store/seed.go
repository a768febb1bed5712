package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Link is a row of a many-to-many table: two UUIDs.
type Link [2]string

// Dataset is a whole graph to load at once: the reference data and the
// generated demo data. Outcomes are streamed because demo sets run to
// millions of rows.
type Dataset struct {
	Regions              []hin.Region
	Organisations        []hin.Organisation
	Collaboratives       []hin.Collaborative
	CollaborativeRegions []Link
	Programmes           []hin.Programme
	ProgrammeRegions     []Link
	Innovations          []hin.Innovation
	InnovationProgrammes []Link
	StageChanges         []hin.StageChange
	Pilots               []hin.Pilot
	Adoptions            []hin.Adoption
	Metrics              []hin.Metric
	Outcomes             func(emit func(hin.Outcome) error) error
	// National collections, loaded after the outcomes (the guard of
	// migration 00010 checks outcome writes against them).
	Collections          []hin.Collection
	CollectionMetrics    []hin.CollectionMetric
	CollectionExemptions []hin.CollectionExemption
	CollectionPeriods    []hin.CollectionPeriod
	Submissions          []hin.CollectionSubmission
}

// SeedFingerprint returns what the last seed loaded ("" if nothing).
func (s *Store) SeedFingerprint(ctx context.Context) (string, error) {
	const q = `SELECT value FROM seed_info WHERE key = 'fingerprint'`
	var v string
	err := s.getOne(ctx, s.db, &v, q)
	if hin.ErrorCode(err) == hin.ENOTFOUND {
		return "", nil
	}
	return v, err
}

// HasData reports whether any region exists.
func (s *Store) HasData(ctx context.Context) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM region)`
	var ok bool
	err := s.getOne(ctx, s.db, &ok, q)
	return ok, err
}

// ReplaceAll empties every table and loads d in one transaction, so readers
// see either the old data set or the new one, never half of either.
func (s *Store) ReplaceAll(ctx context.Context, d Dataset, fingerprint string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// a bulk load is not a request: the per-statement budget does not apply
		if _, err := s.exec(ctx, tx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		const truncate = `TRUNCATE collection_note, collection_submission, collection_period, collection_exemption, collection_metric, collection,
			outcome, adoption, pilot, innovation_stage_change, innovation_programme, innovation,
			programme_region, programme, collaborative_region, collaborative, organisation, metric, audit_event, idempotency_key, web_session, region, seed_info`
		if _, err := s.exec(ctx, tx, truncate); err != nil {
			return fmt.Errorf("empty tables: %w", err)
		}
		if err := loadDataset(ctx, tx, d); err != nil {
			return err
		}
		const mark = `INSERT INTO seed_info (key, value) VALUES ('fingerprint', $1)`
		_, err := s.exec(ctx, tx, mark, fingerprint)
		return err
	})
}

func loadDataset(ctx context.Context, tx *sqlx.Tx, d Dataset) error {
	steps := []loadStep{
		{"region", []string{"id", "code", "name", "former_name", "summary"}, func(emit func(...any) error) error {
			for _, r := range d.Regions {
				if err := emit(r.ID, r.Code, r.Name, r.FormerName, r.Summary); err != nil {
					return err
				}
			}
			return nil
		}},
		{"organisation", []string{"id", "name", "kind", "region_id", "valid_from", "valid_to"}, func(emit func(...any) error) error {
			for _, o := range d.Organisations {
				if err := emit(o.ID, o.Name, string(o.Kind), o.RegionID, date(o.ValidFrom), date(o.ValidTo)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"collaborative", []string{"id", "code", "name", "kind", "host_region_id", "description"}, func(emit func(...any) error) error {
			for _, c := range d.Collaboratives {
				if err := emit(c.ID, c.Code, c.Name, string(c.Kind), c.HostRegionID, c.Description); err != nil {
					return err
				}
			}
			return nil
		}},
		{"collaborative_region", []string{"collaborative_id", "region_id"}, links(d.CollaborativeRegions)},
		{"programme", []string{"id", "code", "name", "kind", "clinical_area", "description", "start_date", "end_date", "parent_id", "status"}, func(emit func(...any) error) error {
			for _, p := range d.Programmes {
				if err := emit(p.ID, p.Code, p.Name, string(p.Kind), p.ClinicalArea, p.Description, date(p.StartDate), date(p.EndDate), p.ParentID, string(p.Status)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"programme_region", []string{"programme_id", "region_id"}, links(d.ProgrammeRegions)},
		{"metric", []string{"id", "code", "name", "description", "unit", "kind"}, func(emit func(...any) error) error {
			for _, m := range d.Metrics {
				if err := emit(m.ID, m.Code, m.Name, m.Description, m.Unit, string(m.Kind)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"innovation", []string{"id", "name", "description", "innovator_id", "clinical_area", "lead_region_id", "stage", "stage_changed_on", "created_at", "updated_at"}, func(emit func(...any) error) error {
			for _, i := range d.Innovations {
				if err := emit(i.ID, i.Name, i.Description, i.InnovatorID, i.ClinicalArea, i.LeadRegionID, string(i.Stage), i.StageChangedOn, i.CreatedAt, i.UpdatedAt); err != nil {
					return err
				}
			}
			return nil
		}},
		{"innovation_programme", []string{"innovation_id", "programme_id"}, links(d.InnovationProgrammes)},
		{"innovation_stage_change", []string{"id", "innovation_id", "from_stage", "to_stage", "changed_on"}, func(emit func(...any) error) error {
			for _, c := range d.StageChanges {
				var from *string
				if c.FromStage != nil {
					s := string(*c.FromStage)
					from = &s
				}
				if err := emit(c.ID, c.InnovationID, from, string(c.ToStage), c.ChangedOn); err != nil {
					return err
				}
			}
			return nil
		}},
		{"pilot", []string{"id", "innovation_id", "site_id", "region_id", "status", "start_date", "end_date", "evaluation_summary"}, func(emit func(...any) error) error {
			for _, p := range d.Pilots {
				if err := emit(p.ID, p.InnovationID, p.SiteID, p.RegionID, string(p.Status), p.StartDate, date(p.EndDate), p.EvaluationSummary); err != nil {
					return err
				}
			}
			return nil
		}},
		{"adoption", []string{"id", "innovation_id", "organisation_id", "region_id", "adopted_on"}, func(emit func(...any) error) error {
			for _, a := range d.Adoptions {
				if err := emit(a.ID, a.InnovationID, a.OrganisationID, a.RegionID, a.AdoptedOn); err != nil {
					return err
				}
			}
			return nil
		}},
		{"outcome", []string{"id", "metric_id", "region_id", "period_start", "period_end", "value", "numerator", "denominator", "innovation_id", "pilot_id", "programme_id", "source", "status"}, func(emit func(...any) error) error {
			if d.Outcomes == nil {
				return nil
			}
			return d.Outcomes(func(o hin.Outcome) error {
				return emit(o.ID, o.MetricID, o.RegionID, o.PeriodStart, o.PeriodEnd, o.Value, o.Numerator, o.Denominator,
					o.InnovationID, o.PilotID, o.ProgrammeID, o.Source, string(o.Status))
			})
		}},
	}
	steps = append(steps, collectionSteps(d)...)
	for _, st := range steps {
		if err := copyRows(ctx, tx, st.table, st.cols, st.rows); err != nil {
			return fmt.Errorf("load %s: %w", st.table, err)
		}
	}
	return nil
}

// loadStep loads one table of a data set.
type loadStep struct {
	table string
	cols  []string
	rows  func(emit func(...any) error) error
}

// collectionSteps loads the national collections of a data set.
func collectionSteps(d Dataset) []loadStep {
	return []loadStep{
		{"collection", []string{"id", "code", "name", "description", "cadence", "deadline_days", "close_days", "created_at", "updated_at"}, func(emit func(...any) error) error {
			for _, c := range d.Collections {
				if err := emit(c.ID, c.Code, c.Name, c.Description, string(c.Cadence), c.DeadlineDays, c.CloseDays, c.CreatedAt, c.UpdatedAt); err != nil {
					return err
				}
			}
			return nil
		}},
		{"collection_metric", []string{"collection_id", "metric_id", "position", "median_factor", "denominator_factor", "flag_zero"}, func(emit func(...any) error) error {
			for _, m := range d.CollectionMetrics {
				if err := emit(m.CollectionID, m.MetricID, m.Position, m.MedianFactor, m.DenominatorFactor, m.FlagZero); err != nil {
					return err
				}
			}
			return nil
		}},
		{"collection_exemption", []string{"collection_id", "region_id", "reason"}, func(emit func(...any) error) error {
			for _, e := range d.CollectionExemptions {
				if err := emit(e.CollectionID, e.RegionID, e.Reason); err != nil {
					return err
				}
			}
			return nil
		}},
		{"collection_period", []string{"id", "collection_id", "period_start", "period_end", "deadline", "close_date", "opened_at", "opened_by"}, func(emit func(...any) error) error {
			for _, p := range d.CollectionPeriods {
				if err := emit(p.ID, p.CollectionID, p.PeriodStart, p.PeriodEnd, p.Deadline, p.CloseDate, p.OpenedAt, p.OpenedBy); err != nil {
					return err
				}
			}
			return nil
		}},
		{"collection_submission", []string{"id", "period_id", "region_id", "state", "submitted_by", "submitted_at", "approved_by", "approved_at",
			"returned_by", "returned_at", "return_comment", "updated_at"}, func(emit func(...any) error) error {
			for _, s := range d.Submissions {
				if err := emit(s.ID, s.PeriodID, s.RegionID, string(s.State), s.SubmittedBy, s.SubmittedAt, s.ApprovedBy, s.ApprovedAt,
					s.ReturnedBy, s.ReturnedAt, s.ReturnComment, s.UpdatedAt); err != nil {
					return err
				}
			}
			return nil
		}},
	}
}

// copyRows streams rows into a table with COPY, the fastest way in.
func copyRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows func(emit func(...any) error) error) error {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", pq.QuoteIdentifier(table), strings.Join(quoted, ", ")))
	if err != nil {
		return mapError(err)
	}
	defer func() { _ = stmt.Close() }()
	err = rows(func(vals ...any) error {
		_, err := stmt.ExecContext(ctx, vals...)
		return err
	})
	if err != nil {
		return mapError(err)
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return mapError(err)
	}
	return nil
}

func links(ls []Link) func(emit func(...any) error) error {
	return func(emit func(...any) error) error {
		for _, l := range ls {
			if err := emit(l[0], l[1]); err != nil {
				return err
			}
		}
		return nil
	}
}

// date passes a nullable date to the driver.
func date(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// Analyze refreshes planner statistics after a bulk load.
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.exec(ctx, s.db, `ANALYZE`)
	return err
}
