package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// BenchmarkReturnUnderCollectionGuard measures what migration 00010's guard
// adds to a bulk return, side by side in one run: a return of 1,000 drafts
// with no collection period open (the guard's EXISTS alone), with periods
// open for other metrics (its join, finding nothing), and with every row a
// collected figure of an open period (its join, every row checked). Each
// iteration writes the next month of 1,000 keys (innovation and programme
// pairs) of one metric.
//
//	scripts/with-postgres.sh go test -run '^$' -bench ReturnUnderCollectionGuard -benchtime 10x ./internal/store
func BenchmarkReturnUnderCollectionGuard(b *testing.B) {
	for _, c := range []struct {
		name    string
		collect []string // the metrics a collection with open periods asks for
	}{
		{"no-period-open", nil},
		{"periods-open-for-other-metrics", []string{"jobs_created"}},
		{"every-row-collected", []string{"staff_trained"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			db := testdb.NewDB(b, testdb.Reference)
			s := store.NewFromDB(db)
			ctx := hin.WithPrincipal(context.Background(), hin.Principal{Subject: "bench", Role: hin.RoleNationalAdmin})
			if c.collect != nil {
				in := hin.CollectionInput{Code: "BENCH", Name: "Bench", Cadence: hin.CadenceMonthly}
				for _, m := range c.collect {
					in.Metrics = append(in.Metrics, hin.CollectionMetricInput{MetricCode: m})
				}
				coll, err := s.CreateCollection(ctx, in, nil)
				if err != nil {
					b.Fatal(err)
				}
				// every month the iterations write into
				if _, err := db.Exec(`INSERT INTO collection_period (id, collection_id, period_start, period_end, deadline, close_date)
					SELECT gen_random_uuid(), $1, d, (d + interval '1 month - 1 day')::date, (d + interval '1 month 14 days')::date,
						(d + interval '2 months')::date FROM generate_series('2000-01-01'::date, '2199-12-01'::date, interval '1 month') d`, coll.ID); err != nil {
					b.Fatal(err)
				}
			}
			var inns, progs []string
			if err := db.QueryRow(`SELECT array_agg(id::text) FROM innovation`).Scan(pqStrings(&inns)); err != nil {
				b.Fatal(err)
			}
			if err := db.QueryRow(`SELECT array_agg(id::text) FROM programme`).Scan(pqStrings(&progs)); err != nil {
				b.Fatal(err)
			}
			if len(inns)*len(progs) < 1000 {
				b.Fatalf("%d innovations and %d programmes make fewer than 1,000 keys", len(inns), len(progs))
			}
			b.ResetTimer()
			for i := range b.N {
				start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, i, 0)
				end := start.AddDate(0, 1, -1)
				rows := make([]hin.ReturnRow, 1000)
				for k := range rows {
					v := float64(k % 50)
					inn, prog := hin.GlobalID(hin.KindInnovation, inns[k%len(inns)]), hin.GlobalID(hin.KindProgramme, progs[k/len(inns)])
					rows[k] = hin.ReturnRow{MetricCode: "staff_trained", PeriodStart: &start, PeriodEnd: &end, Value: &v, InnovationID: &inn, ProgrammeID: &prog}
				}
				if _, err := s.SubmitReturnCSV(ctx, hin.ReturnInput{RegionCode: "HI-EM", Rows: rows}, nil); err != nil {
					b.Fatal(fmt.Errorf("iteration %d: %w", i, err))
				}
			}
		})
	}
}

func pqStrings(dst *[]string) any { return (*pq.StringArray)(dst) }
