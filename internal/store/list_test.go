package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// fixture is a reference database with a few regions and one metric to hang
// outcomes on.
type fixture struct {
	db      *sql.DB
	s       *store.Store
	regions []string // region UUIDs, in code order
	metric  string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := testdb.NewDB(t, testdb.Reference)
	f := fixture{db: db, s: store.NewFromDB(db)}
	rows, err := db.Query(`SELECT id FROM region ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.regions = append(f.regions, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(f.regions) < 3 {
		t.Fatalf("the reference data has %d regions, want at least 3", len(f.regions))
	}
	if err := db.QueryRow(`SELECT id FROM metric ORDER BY code LIMIT 1`).Scan(&f.metric); err != nil {
		t.Fatal(err)
	}
	return f
}

// outcome inserts a published outcome and returns its id.
func (f fixture) outcome(t *testing.T, region, start, end string, value float64) string {
	t.Helper()
	var id string
	err := f.db.QueryRow(`INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, status, published_at)
		VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'PUBLISHED', now()) RETURNING id`,
		f.metric, region, start, end, value).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type keyed struct{ start, id string }

// expected is the order the list must follow: (period_start, id), where ids
// compare as PostgreSQL compares uuids, which is their lower-case hex text.
func expected(rows []keyed, desc bool) []string {
	s := slices.Clone(rows)
	slices.SortFunc(s, func(a, b keyed) int {
		c := strings.Compare(a.start, b.start)
		if c == 0 {
			c = strings.Compare(a.id, b.id)
		}
		if desc {
			c = -c
		}
		return c
	})
	out := make([]string, len(s))
	for i, r := range s {
		out[i] = r.id
	}
	return out
}

func ids(p *hin.Page[hin.Outcome]) []string {
	out := make([]string, len(p.Items))
	for i, o := range p.Items {
		out[i] = o.ID
	}
	return out
}

// walk pages through a root list of outcomes first items at a time and
// checks every page's flags on the way.
func walk(t *testing.T, s *store.Store, order hin.Order, first int) []string {
	t.Helper()
	var all []string
	after := ""
	for range 100 {
		pages, err := s.Outcomes(context.Background(), store.ListIn{Order: order, Page: hin.PageArgs{First: first, After: after}}, hin.OutcomeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		p := pages[""]
		if p == nil {
			t.Fatal("no root page")
		}
		for i := range p.Items {
			if p.Cursor(i) == "" {
				t.Fatalf("item %d of %d has no cursor", i, len(p.Items))
			}
		}
		if p.HasPrevious != (after != "") {
			t.Errorf("HasPrevious = %v after %q", p.HasPrevious, after)
		}
		if len(p.Items) > first {
			t.Fatalf("page of %d items for first=%d", len(p.Items), first)
		}
		all = append(all, ids(p)...)
		if !p.HasNext {
			return all
		}
		if len(p.Items) < first {
			t.Fatalf("a short page (%d of %d) says there is more", len(p.Items), first)
		}
		after = p.Cursor(len(p.Items) - 1)
	}
	t.Fatal("paging did not end")
	return nil
}

func TestListPagesWithTies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var rows []keyed
	// Seven outcomes on three dates: the sort key ties, so only the id
	// tie-break keeps pages from repeating or skipping rows.
	for i, start := range []string{"2024-02-01", "2024-01-01", "2024-02-01", "2024-01-01", "2024-03-01", "2024-02-01", "2024-01-01"} {
		region := f.regions[i%2]
		end := start[:8] + fmt.Sprintf("%02d", 1+i) // one current outcome per key: the ends differ
		rows = append(rows, keyed{start, f.outcome(t, region, start, end, float64(i))})
	}
	for _, desc := range []bool{false, true} {
		order := hin.Order{Field: "PERIOD_START"}
		if desc {
			order.Direction = hin.Desc
		}
		want := expected(rows, desc)
		for _, first := range []int{1, 2, 3, 6, 7, 8, 500} {
			t.Run(fmt.Sprintf("desc=%v first=%d", desc, first), func(t *testing.T) {
				if got := walk(t, f.s, order, first); !slices.Equal(got, want) {
					t.Fatalf("paged ids\n got %v\nwant %v", got, want)
				}
			})
		}
	}
}

func TestListPageEdges(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for i := range 3 {
		f.outcome(t, f.regions[0], fmt.Sprintf("2024-0%d-01", i+1), fmt.Sprintf("2024-0%d-28", i+1), 1)
	}
	get := func(t *testing.T, page hin.PageArgs, order hin.Order) (*hin.Page[hin.Outcome], error) {
		t.Helper()
		pages, err := f.s.Outcomes(ctx, store.ListIn{Order: order, Page: page}, hin.OutcomeFilter{})
		if err != nil {
			return nil, err
		}
		return pages[""], nil
	}
	asc := hin.Order{Field: "PERIOD_START"}
	all, err := get(t, hin.PageArgs{First: 500}, asc)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 3 || all.HasNext || all.HasPrevious {
		t.Fatalf("first=500: %d items, next %v, previous %v", len(all.Items), all.HasNext, all.HasPrevious)
	}

	t.Run("first=0 says whether there is anything", func(t *testing.T) {
		p, err := get(t, hin.PageArgs{First: 0}, asc)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 0 || !p.HasNext {
			t.Fatalf("first=0: %d items, HasNext %v; want none and true", len(p.Items), p.HasNext)
		}
	})
	t.Run("first=1", func(t *testing.T) {
		p, err := get(t, hin.PageArgs{First: 1}, asc)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].ID != all.Items[0].ID || !p.HasNext {
			t.Fatalf("first=1: %v, HasNext %v", ids(p), p.HasNext)
		}
	})
	t.Run("after the last item", func(t *testing.T) {
		p, err := get(t, hin.PageArgs{First: 10, After: all.Cursor(2)}, asc)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 0 || p.HasNext || !p.HasPrevious {
			t.Fatalf("after the last: %v, next %v, previous %v", ids(p), p.HasNext, p.HasPrevious)
		}
	})
	t.Run("after the last but one, exactly one left", func(t *testing.T) {
		p, err := get(t, hin.PageArgs{First: 1, After: all.Cursor(1)}, asc)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(p), ids(all)[2:]) || p.HasNext {
			t.Fatalf("got %v, next %v", ids(p), p.HasNext)
		}
	})
	t.Run("a cursor of a deleted row still pages on", func(t *testing.T) {
		if _, err := f.db.Exec(`DELETE FROM outcome WHERE id = $1`, all.Items[0].ID); err != nil {
			t.Fatal(err)
		}
		p, err := get(t, hin.PageArgs{First: 10, After: all.Cursor(0)}, asc)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(p), ids(all)[1:]) {
			t.Fatalf("got %v, want %v", ids(p), ids(all)[1:])
		}
	})

	bad := []struct {
		name  string
		page  hin.PageArgs
		order hin.Order
		field string
	}{
		{"negative first", hin.PageArgs{First: -1}, asc, "first"},
		{"first over the maximum", hin.PageArgs{First: 501}, asc, "first"},
		{"cursor of another direction", hin.PageArgs{First: 1, After: all.Cursor(0)}, hin.Order{Field: "PERIOD_START", Direction: hin.Desc}, "after"},
		{"not base64", hin.PageArgs{First: 1, After: "!!!"}, asc, "after"},
		{"base64 of junk", hin.PageArgs{First: 1, After: "e30"}, asc, "after"}, // {}
		{"id not a uuid", hin.PageArgs{First: 1, After: "eyJvIjoiUEVSSU9EX1NUQVJUIiwiayI6IjIwMjQtMDEtMDEiLCJpIjoieCJ9"}, asc, "after"},
		{"unknown order", hin.PageArgs{First: 1}, hin.Order{Field: "VALUE"}, "orderBy.field"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := get(t, tc.page, tc.order)
			var he *hin.Error
			if !errors.As(err, &he) || he.Code != hin.EINVALID {
				t.Fatalf("error = %v, want INVALID", err)
			}
			if he.Field != tc.field {
				t.Errorf("field = %q, want %q", he.Field, tc.field)
			}
		})
	}
	t.Run("a cursor whose key is not a date", func(t *testing.T) {
		// A well-formed cursor can still carry a key the sort column cannot
		// take; PostgreSQL's refusal must come back as INVALID, not INTERNAL.
		_, err := get(t, hin.PageArgs{First: 1, After: "eyJvIjoiUEVSSU9EX1NUQVJUIiwiayI6Im5vdC1hLWRhdGUiLCJpIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAwIn0"}, asc)
		if code := hin.ErrorCode(err); code != hin.EINVALID {
			t.Fatalf("code = %s (%v), want INVALID", code, err)
		}
	})
}

// TestListNestedPages fetches one page per parent in one statement (the
// LATERAL join) and checks each parent gets its own page.
func TestListNestedPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b, empty := f.regions[0], f.regions[1], f.regions[2]
	var rowsA, rowsB []keyed
	for i := range 5 {
		start := fmt.Sprintf("2024-0%d-01", 1+i%2) // ties again
		end := fmt.Sprintf("2024-0%d-%02d", 1+i%2, 1+i)
		rowsA = append(rowsA, keyed{start, f.outcome(t, a, start, end, 1)})
	}
	for i := range 2 {
		start := fmt.Sprintf("2024-0%d-01", 1+i)
		rowsB = append(rowsB, keyed{start, f.outcome(t, b, start, start, 1)})
	}
	ctx, counter := store.WithStatementCounter(context.Background())
	parents := []string{a, b, empty}
	in := store.ListIn{Parent: "region", ParentIDs: parents, Order: hin.Order{Field: "PERIOD_START"}, Page: hin.PageArgs{First: 2}}
	pages, err := f.s.Outcomes(ctx, in, hin.OutcomeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := counter.Count(); n != 1 {
		t.Errorf("%d statements for 3 parents, want 1", n)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages for 3 parents", len(pages))
	}
	wantA, wantB := expected(rowsA, false), expected(rowsB, false)
	if p := pages[a]; !slices.Equal(ids(p), wantA[:2]) || !p.HasNext {
		t.Errorf("parent a: %v next %v, want %v next true", ids(p), p.HasNext, wantA[:2])
	}
	if p := pages[b]; !slices.Equal(ids(p), wantB) || p.HasNext {
		t.Errorf("parent b: %v next %v, want %v next false", ids(p), p.HasNext, wantB)
	}
	if p := pages[empty]; p == nil || len(p.Items) != 0 || p.HasNext {
		t.Errorf("parent without rows: %+v", p)
	}

	// The rest of a's list, page by page, through the nested form.
	got := ids(pages[a])
	after := pages[a].Cursor(1)
	for {
		in := store.ListIn{Parent: "region", ParentIDs: []string{a}, Order: hin.Order{Field: "PERIOD_START"}, Page: hin.PageArgs{First: 2, After: after}}
		pages, err := f.s.Outcomes(context.Background(), in, hin.OutcomeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		p := pages[a]
		got = append(got, ids(p)...)
		if !p.HasNext {
			break
		}
		after = p.Cursor(len(p.Items) - 1)
	}
	if !slices.Equal(got, wantA) {
		t.Errorf("parent a paged\n got %v\nwant %v", got, wantA)
	}

	counts, err := f.s.CountOutcomes(context.Background(), "region", parents, hin.OutcomeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if counts[a] != 5 || counts[b] != 2 || counts[empty] != 0 {
		t.Errorf("counts = %v, want 5, 2, 0", counts)
	}

	t.Run("unknown parent relation", func(t *testing.T) {
		_, err := f.s.Outcomes(context.Background(), store.ListIn{Parent: "organisation", ParentIDs: parents, Page: hin.PageArgs{First: 1}}, hin.OutcomeFilter{})
		if err == nil {
			t.Fatal("no error for an unknown parent relation")
		}
	})
}

// A page whose caller names the Go fields it reads reads only their
// columns; a field the list does not know reads every column, as does a
// page without fields.
func TestListReadsTheColumnsOfTheFieldsAsked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.outcome(t, f.regions[0], "2024-01-01", "2024-01-31", 42)
	get := func(fields []string) hin.Outcome {
		t.Helper()
		pages, err := f.s.Outcomes(context.Background(), store.ListIn{Page: hin.PageArgs{First: 5}, Fields: fields}, hin.OutcomeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		p := pages[""]
		if len(p.Items) != 1 || p.Items[0].ID != id {
			t.Fatalf("page %+v, want the one outcome %s", p.Items, id)
		}
		if p.Cursor(0) == "" {
			t.Error("no cursor")
		}
		return p.Items[0]
	}
	o := get([]string{"PeriodStart", "GlobalID"})
	if o.PeriodStart.Format("2006-01-02") != "2024-01-01" || o.Value != nil || o.RegionID != "" || o.Status != "" {
		t.Errorf("periodStart only: %+v", o)
	}
	o = get([]string{"Value", "RegionID"})
	if o.Value == nil || *o.Value != 42 || o.RegionID != f.regions[0] || !o.PeriodStart.IsZero() {
		t.Errorf("value and region: %+v", o)
	}
	if o = get([]string{"Rate"}); o.Value != nil || o.Status != "" {
		t.Errorf("rate reads numerator and denominator only: %+v", o)
	}
	for _, fields := range [][]string{nil, {"Value", "NoSuchField"}, {"value"}} {
		o = get(fields)
		if o.Value == nil || o.RegionID == "" || o.Status != hin.OutcomePublished || o.PeriodEnd.IsZero() || o.Version == 0 {
			t.Errorf("fields %v should read every column: %+v", fields, o)
		}
	}
}
