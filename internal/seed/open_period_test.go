package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// make run opens last month's period of the demo collection, once, so a
// newcomer has a return to fill in; without the demo collection it does
// nothing.
func TestOpenDemoPeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testdb.New(t, testdb.Demo(seed.DemoSize{PilotsPerRegion: 3, InnovationsPerRegion: 3, FirstFY: 2022, Years: 2}))
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	p, opened, err := seed.OpenDemoPeriod(ctx, s, now)
	if err != nil || !opened {
		t.Fatalf("OpenDemoPeriod = %v, %v; want a new period", opened, err)
	}
	if got := p.PeriodStart.Format(time.DateOnly); got != "2026-11-01" {
		t.Errorf("period starts %s, want 2026-11-01 (the month before now)", got)
	}
	if !p.Deadline.After(now) || !p.CloseDate.After(p.Deadline) {
		t.Errorf("deadline %s and close date %s: the period must still take submissions on %s", p.Deadline, p.CloseDate, now)
	}
	if _, opened, err := seed.OpenDemoPeriod(ctx, s, now); err != nil || opened {
		t.Fatalf("second OpenDemoPeriod = %v, %v; want nothing opened and no error", opened, err)
	}

	bare := testdb.New(t, testdb.Reference)
	if _, opened, err := seed.OpenDemoPeriod(ctx, bare, now); err != nil || opened {
		t.Fatalf("without the demo collection: %v, %v; want nothing and no error", opened, err)
	}
}
