package hin_test

import (
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

func TestCombineRatesAddsNumeratorsAndDenominators(t *testing.T) {
	// 9/10 and 1/90 combine to 10/100 = 0.1, not the mean of the rates (0.456)
	got := hin.CombineRates(hin.ConversionRate{Numerator: 9, Denominator: 10}, hin.ConversionRate{Numerator: 1, Denominator: 90})
	if got.Numerator != 10 || got.Denominator != 100 || *got.Rate() != 0.1 {
		t.Errorf("combined = %+v (%v)", got, *got.Rate())
	}
	if (hin.ConversionRate{}).Rate() != nil {
		t.Error("a rate of no pilots must be null, not 0")
	}
}

func TestDaysToMonthsUsesTheMeanMonth(t *testing.T) {
	days := 365.2425
	if m := hin.DaysToMonths(&days); *m != 12 {
		t.Errorf("a mean year = %v months, want 12", *m)
	}
	if hin.DaysToMonths(nil) != nil {
		t.Error("no median must stay null")
	}
}

func TestScaleArguments(t *testing.T) {
	w := hin.Window{From: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)}
	q, err := hin.NewConversionQuery(w, nil, nil, nil, hin.ScaleFilter{})
	if err != nil || q.WithinMonths != 12 || len(q.Statuses) != 1 || q.Statuses[0] != hin.PilotCompleted {
		t.Errorf("defaults = %+v, %v", q, err)
	}
	bad := []func() error{
		func() error {
			m := 121
			_, err := hin.NewConversionQuery(w, &m, nil, nil, hin.ScaleFilter{})
			return err
		},
		func() error {
			_, err := hin.NewConversionQuery(w, nil, nil, []hin.Dimension{hin.DimInnovationStage}, hin.ScaleFilter{})
			return err
		},
		func() error {
			_, err := hin.NewSpreadQuery(hin.SpreadEvidence{}, nil, nil, w.From, nil, hin.ScaleFilter{})
			return err
		},
		func() error {
			yes, first := true, -1
			_, err := hin.NewSpreadQuery(hin.SpreadEvidence{PositivePilot: &yes}, nil, nil, w.From, &first, hin.ScaleFilter{})
			return err
		},
	}
	for i, f := range bad {
		if hin.ErrorCode(f()) != hin.EINVALID {
			t.Errorf("case %d was not refused as INVALID_ARGUMENT", i)
		}
	}
}

func TestSpreadTargetsKeepTheTotalWhenNoneAreAsked(t *testing.T) {
	rows := []hin.SpreadTarget{{Rank: 1, TotalCount: 7}}
	got := hin.NewSpreadTargets(time.Time{}, rows, 0)
	if got.TotalCount != 7 || len(got.Targets) != 0 {
		t.Errorf("got %+v", got)
	}
}
