package graph_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/client"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// The scale data set: three regions, written through the store's write
// methods (the API's) as a national admin, so every figure below can be
// worked out by hand.
//
// Organisations (on 2024-06-01 A-ICB-1 and A-ICB-2 have merged into A-ICB):
//
//	HI-A  A-ICB-1, A-ICB-2 (ICB, to 2023-09-30), A-ICB (ICB, from 2023-10-01), A-T1, A-T2 (trusts), A-GP1 (primary care)
//	HI-B  B-ICB, B-T1, B-T2, B-T3 (trusts), B-CH1 (care home)
//	HI-C  C-ICB, C-T1 (trust), C-X (trust, archived), C-GP1, C-GP2 (primary care)
//
// Innovations, clinical areas, pilots (region, site, dates, status, result) and adoptions:
//
//	Alpha   Cardiovascular  A A-T1 2023-04-01..2023-12-31 COMPLETED POSITIVE; B B-T1 2023-06-01..2024-03-31 COMPLETED MIXED;
//	                        C C-T1 2024-01-01..open RUNNING. Adopted by A-GP1 2024-01-15, archived.
//	Beta    Cardiovascular  B B-T2 2023-05-01..2023-10-31 COMPLETED NEGATIVE; C C-GP1 2023-07-01..2023-09-30 COMPLETED.
//	                        Adopted by C-GP2 2022-01-01, before either pilot.
//	Gamma   Respiratory     A A-ICB-1 2023-04-01..2023-08-31 COMPLETED POSITIVE; B B-T3 2023-05-01..2023-11-30 COMPLETED.
//	                        Adopted by B-T2 2023-12-01 and by C-ICB 2024-02-01 (another region).
//	Delta   Respiratory     A A-T2 2023-06-01..2023-09-30 COMPLETED; B B-T1 same dates, archived.
//	Epsilon Respiratory     C C-GP1 2023-07-01..2023-08-31 COMPLETED POSITIVE; B B-CH1 2023-04-01..2023-05-31 STOPPED.
//	Zeta    Diabetes        A A-T1 2023-04-01..2023-06-30 COMPLETED POSITIVE. Adopted by A-GP1 2024-09-01.
//
// Programmes: P1 holds Alpha and Gamma, P2 holds Gamma and Zeta.
type scaleData struct {
	db          *sql.DB
	s           *store.Store
	innovations map[string]hin.Innovation
	orgs        map[string]hin.Organisation
	programmes  map[string]hin.Programme
}

func loadScaleData(t *testing.T) *scaleData {
	t.Helper()
	db := testdb.NewDB(t, testdb.Empty)
	d := &scaleData{db: db, s: store.NewFromDB(db), innovations: map[string]hin.Innovation{}, orgs: map[string]hin.Organisation{}, programmes: map[string]hin.Programme{}}
	for _, code := range []string{"HI-A", "HI-B", "HI-C"} {
		if _, err := db.Exec(`INSERT INTO region (id, code, name) VALUES ($1, $2, $3)`, hin.StableUUID("region", code), code, "Region "+code); err != nil {
			t.Fatal(err)
		}
	}
	ctx := adminCtx()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	org := func(name string, kind hin.OrganisationKind, region, from, to string) {
		in := hin.OrganisationInput{Name: name, Kind: kind, RegionCode: &region}
		if from != "" {
			f := day(from)
			in.ValidFrom = &f
		}
		if to != "" {
			e := day(to)
			in.ValidTo = &e
		}
		o, err := d.s.CreateOrganisation(ctx, in, nil)
		must(err)
		d.orgs[name] = o
	}
	org("A-ICB-1", hin.OrgICB, "HI-A", "2019-01-01", "2023-09-30")
	org("A-ICB-2", hin.OrgICB, "HI-A", "2019-01-01", "2023-09-30")
	org("A-ICB", hin.OrgICB, "HI-A", "2023-10-01", "")
	org("A-T1", hin.OrgNHSTrust, "HI-A", "", "")
	org("A-T2", hin.OrgNHSTrust, "HI-A", "", "")
	org("A-GP1", hin.OrgPrimaryCare, "HI-A", "", "")
	org("B-ICB", hin.OrgICB, "HI-B", "", "")
	org("B-T1", hin.OrgNHSTrust, "HI-B", "", "")
	org("B-T2", hin.OrgNHSTrust, "HI-B", "", "")
	org("B-T3", hin.OrgNHSTrust, "HI-B", "", "")
	org("B-CH1", hin.OrgCareHome, "HI-B", "", "")
	org("C-ICB", hin.OrgICB, "HI-C", "", "")
	org("C-T1", hin.OrgNHSTrust, "HI-C", "", "")
	org("C-X", hin.OrgNHSTrust, "HI-C", "", "")
	org("C-GP1", hin.OrgPrimaryCare, "HI-C", "", "")
	org("C-GP2", hin.OrgPrimaryCare, "HI-C", "", "")
	_, err := d.s.ArchiveOrganisation(ctx, d.orgs["C-X"].GlobalID(), d.orgs["C-X"].Version)
	must(err)

	for _, code := range []string{"P1", "P2"} {
		p, err := d.s.CreateProgramme(ctx, hin.ProgrammeInput{Code: code, Name: "Programme " + code, Kind: hin.ProgOther, Status: hin.ProgActive}, nil)
		must(err)
		d.programmes[code] = p
	}
	a := "HI-A"
	for _, x := range []struct{ name, area string }{
		{"Alpha", "Cardiovascular"}, {"Beta", "Cardiovascular"}, {"Gamma", "Respiratory"},
		{"Delta", "Respiratory"}, {"Epsilon", "Respiratory"}, {"Zeta", "Diabetes"},
	} {
		area := x.area
		var progs []string
		for code, members := range map[string][]string{"P1": {"Alpha", "Gamma"}, "P2": {"Gamma", "Zeta"}} {
			if slices.Contains(members, x.name) {
				progs = append(progs, d.programmes[code].GlobalID())
			}
		}
		inn, err := d.s.CreateInnovation(ctx, hin.InnovationInput{Name: x.name, ClinicalArea: &area, LeadRegionCode: &a, ProgrammeIDs: progs}, hin.StageRealWorldPilot, nil, nil)
		must(err)
		d.innovations[x.name] = inn
	}
	pilot := func(inn, site string, status hin.PilotStatus, start, end string, result hin.EvaluationResult) hin.Pilot {
		in := hin.PilotInput{InnovationID: d.innovations[inn].GlobalID(), SiteID: d.orgs[site].GlobalID(), Status: status, StartDate: day(start)}
		if end != "" {
			e := day(end)
			in.EndDate = &e
		}
		if result != "" {
			in.EvaluationResult = &result
		}
		p, err := d.s.CreatePilot(ctx, in, nil)
		must(err)
		return p
	}
	done := hin.PilotCompleted
	pilot("Alpha", "A-T1", done, "2023-04-01", "2023-12-31", hin.EvalPositive)
	pilot("Alpha", "B-T1", done, "2023-06-01", "2024-03-31", hin.EvalMixed)
	pilot("Alpha", "C-T1", hin.PilotRunning, "2024-01-01", "", "")
	pilot("Beta", "B-T2", done, "2023-05-01", "2023-10-31", hin.EvalNegative)
	pilot("Beta", "C-GP1", done, "2023-07-01", "2023-09-30", "")
	pilot("Gamma", "A-ICB-1", done, "2023-04-01", "2023-08-31", hin.EvalPositive)
	pilot("Gamma", "B-T3", done, "2023-05-01", "2023-11-30", "")
	pilot("Delta", "A-T2", done, "2023-06-01", "2023-09-30", "")
	archived := pilot("Delta", "B-T1", done, "2023-06-01", "2023-09-30", hin.EvalPositive)
	_, err = d.s.ArchivePilot(ctx, archived.GlobalID(), archived.Version)
	must(err)
	pilot("Epsilon", "C-GP1", done, "2023-07-01", "2023-08-31", hin.EvalPositive)
	pilot("Epsilon", "B-CH1", hin.PilotStopped, "2023-04-01", "2023-05-31", "")
	pilot("Zeta", "A-T1", done, "2023-04-01", "2023-06-30", hin.EvalPositive)

	adopt := func(inn, org, on string) hin.Adoption {
		ad, err := d.s.CreateAdoption(ctx, hin.AdoptionInput{InnovationID: d.innovations[inn].GlobalID(), OrganisationID: d.orgs[org].GlobalID(), AdoptedOn: day(on)}, nil)
		must(err)
		return ad
	}
	gone := adopt("Alpha", "A-GP1", "2024-01-15")
	_, err = d.s.ArchiveAdoption(ctx, gone.GlobalID(), gone.Version)
	must(err)
	adopt("Beta", "C-GP2", "2022-01-01")
	adopt("Gamma", "B-T2", "2023-12-01")
	adopt("Gamma", "C-ICB", "2024-02-01")
	adopt("Zeta", "A-GP1", "2024-09-01")
	return d
}

// as serves the data set's database to the given caller, counting statements.
func (d *scaleData) as(who hin.Principal) *server {
	srv := &server{}
	d.s.AddHook(func(ctx context.Context, _ string) (context.Context, func(error)) {
		srv.statements.Add(1)
		return ctx, func(error) {}
	})
	h := graph.NewHandler(d.s, graph.Options{Introspection: true})
	srv.c = client.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(hin.WithPrincipal(r.Context(), who)))
	}))
	return srv
}

type dupPilot struct {
	StartDate  string
	EndDate    *string
	Site       struct{ Name string }
	Region     struct{ Code string }
	Innovation struct {
		Name string
	}
	EvaluationResult string
}

type duplicationResp struct {
	ByInnovation []struct {
		Innovation  struct{ Name string }
		Regions     []struct{ Code string }
		RegionCount int
		PilotCount  int
		FirstStart  string
		LastEnd     *string
		Pilots      []dupPilot
	}
	ByClinicalArea []struct {
		ClinicalArea    string
		Innovations     []struct{ Name string }
		InnovationCount int
		Regions         []struct{ Code string }
		RegionCount     int
		Pilots          []dupPilot
	}
}

const duplicationFields = `byInnovation { innovation { name } regions { code } regionCount pilotCount firstStart lastEnd
		pilots { startDate endDate site { name } region { code } innovation { name } evaluationResult } }
	byClinicalArea { clinicalArea innovations { name } innovationCount regions { code } regionCount
		pilots { startDate endDate site { name } region { code } innovation { name } evaluationResult } }`

func codes(rs []struct{ Code string }) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Code)
	}
	return strings.Join(out, ",")
}

func pilotKeys(ps []dupPilot) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Innovation.Name+"@"+p.Site.Name)
	}
	return strings.Join(out, ",")
}

func TestPilotDuplication(t *testing.T) {
	t.Parallel()
	d := loadScaleData(t)
	srv := d.as(hin.Principal{})

	t.Run("innovations and clinical areas piloted in parallel with no adoption following", func(t *testing.T) {
		var resp struct{ PilotDuplication duplicationResp }
		srv.query(t, `{ pilotDuplication(window: {financialYear: "FY2023-24"}) { `+duplicationFields+` } }`, &resp)
		got := resp.PilotDuplication
		// Alpha: A-B overlap Jun-Dec 2023, B-C Jan-Mar 2024; the archived adoption does not count.
		// Beta: B-C overlap Jul-Sep 2023; its adoption came before both pilots.
		// Gamma was adopted after its pilots (in B and in C); Delta's B pilot is archived.
		if len(got.ByInnovation) != 2 {
			t.Fatalf("byInnovation = %+v, want Alpha and Beta", got.ByInnovation)
		}
		alpha, beta := got.ByInnovation[0], got.ByInnovation[1]
		if alpha.Innovation.Name != "Alpha" || codes(alpha.Regions) != "HI-A,HI-B,HI-C" || alpha.RegionCount != 3 || alpha.PilotCount != 3 ||
			alpha.FirstStart != "2023-04-01" || alpha.LastEnd != nil {
			t.Errorf("first duplication = %+v, want Alpha in 3 regions from 2023-04-01, still running", alpha)
		}
		if pilotKeys(alpha.Pilots) != "Alpha@A-T1,Alpha@B-T1,Alpha@C-T1" || alpha.Pilots[0].EvaluationResult != "POSITIVE" || alpha.Pilots[2].EvaluationResult != "NOT_YET_EVALUATED" {
			t.Errorf("Alpha pilots = %+v", alpha.Pilots)
		}
		if beta.Innovation.Name != "Beta" || codes(beta.Regions) != "HI-B,HI-C" || beta.LastEnd == nil || *beta.LastEnd != "2023-10-31" {
			t.Errorf("second duplication = %+v, want Beta in HI-B and HI-C to 2023-10-31", beta)
		}
		// Cardiovascular: Alpha A/B against Beta B/C (Alpha C starts after Beta's pilots ended).
		// Respiratory: Delta A (Jun-Sep) against Epsilon C (Jul-Aug); Epsilon B ended 31 May, the day before Delta began.
		if len(got.ByClinicalArea) != 2 {
			t.Fatalf("byClinicalArea = %+v", got.ByClinicalArea)
		}
		cv, resp2 := got.ByClinicalArea[0], got.ByClinicalArea[1]
		if cv.ClinicalArea != "Cardiovascular" || cv.InnovationCount != 2 || cv.RegionCount != 3 ||
			pilotKeys(cv.Pilots) != "Alpha@A-T1,Beta@B-T2,Alpha@B-T1,Beta@C-GP1" {
			t.Errorf("Cardiovascular = %+v", cv)
		}
		if resp2.ClinicalArea != "Respiratory" || codes(resp2.Regions) != "HI-A,HI-C" || pilotKeys(resp2.Pilots) != "Delta@A-T2,Epsilon@C-GP1" {
			t.Errorf("Respiratory = %+v", resp2)
		}
	})

	t.Run("filters: regions, window, clinical area and programme", func(t *testing.T) {
		var resp struct{ PilotDuplication duplicationResp }
		srv.query(t, `{ pilotDuplication(filter: {regionCodes: ["HI-A", "HI-B"]}) { `+duplicationFields+` } }`, &resp)
		got := resp.PilotDuplication
		// Alpha's B pilot overlaps Beta's only in C, now left out
		if len(got.ByInnovation) != 1 || got.ByInnovation[0].Innovation.Name != "Alpha" || codes(got.ByInnovation[0].Regions) != "HI-A,HI-B" {
			t.Errorf("A and B only: %+v, want Alpha in HI-A and HI-B", got.ByInnovation)
		}
		if len(got.ByClinicalArea) != 1 || pilotKeys(got.ByClinicalArea[0].Pilots) != "Alpha@A-T1,Beta@B-T2" {
			t.Errorf("A and B only, by area: %+v", got.ByClinicalArea)
		}
		srv.query(t, `{ pilotDuplication(window: {from: "2024-01-01", to: "2024-03-31"}) { `+duplicationFields+` } }`, &resp)
		got = resp.PilotDuplication
		if len(got.ByInnovation) != 1 || pilotKeys(got.ByInnovation[0].Pilots) != "Alpha@B-T1,Alpha@C-T1" || len(got.ByClinicalArea) != 0 {
			t.Errorf("Q4 only: %+v", got)
		}
		srv.query(t, `{ pilotDuplication(filter: {clinicalArea: "respir"}) { `+duplicationFields+` } }`, &resp)
		if len(resp.PilotDuplication.ByInnovation) != 0 || len(resp.PilotDuplication.ByClinicalArea) != 1 {
			t.Errorf("respiratory only: %+v", resp.PilotDuplication)
		}
		srv.query(t, fmt.Sprintf(`{ pilotDuplication(filter: {programmeIds: [%q]}) { `+duplicationFields+` } }`, d.programmes["P1"].GlobalID()), &resp)
		if len(resp.PilotDuplication.ByInnovation) != 1 || resp.PilotDuplication.ByInnovation[0].Innovation.Name != "Alpha" || len(resp.PilotDuplication.ByClinicalArea) != 0 {
			t.Errorf("P1 only: %+v", resp.PilotDuplication)
		}
	})

	t.Run("under each region: the duplications it took part in", func(t *testing.T) {
		var resp struct {
			Regions []struct {
				Code             string
				PilotDuplication duplicationResp
			}
		}
		srv.query(t, `{ regions { code pilotDuplication(window: {financialYear: "FY2023-24"}) { `+duplicationFields+` } } }`, &resp)
		want := map[string][2]string{
			"HI-A": {"Alpha", "Cardiovascular,Respiratory"},
			"HI-B": {"Alpha,Beta", "Cardiovascular"},
			"HI-C": {"Alpha,Beta", "Cardiovascular,Respiratory"},
		}
		for _, r := range resp.Regions {
			var inns, areas []string
			for _, x := range r.PilotDuplication.ByInnovation {
				inns = append(inns, x.Innovation.Name)
			}
			for _, x := range r.PilotDuplication.ByClinicalArea {
				areas = append(areas, x.ClinicalArea)
			}
			if got := [2]string{strings.Join(inns, ","), strings.Join(areas, ",")}; got != want[r.Code] {
				t.Errorf("%s: %v, want %v", r.Code, got, want[r.Code])
			}
		}
	})
}

type rateResp struct {
	Numerator, Denominator int
	Rate                   *float64
}

type conversionGroupResp struct {
	Region                                *struct{ Code string }
	Programme                             *struct{ Code string }
	Innovation                            *struct{ Name string }
	ClinicalArea                          *string
	Pilots                                int
	SameRegion, Anywhere                  rateResp
	MedianDaysToFirstAdoption             *float64
	MedianMonthsToFirstAdoption           *float64
	MedianDaysToFirstAdoptionSameRegion   *float64
	MedianMonthsToFirstAdoptionSameRegion *float64
}

const conversionGroupFields = `region { code } programme { code } innovation { name } clinicalArea pilots
	sameRegion { numerator denominator rate } anywhere { numerator denominator rate }
	medianDaysToFirstAdoption medianMonthsToFirstAdoption medianDaysToFirstAdoptionSameRegion medianMonthsToFirstAdoptionSameRegion`

type conversionResp struct {
	WithinMonths int
	Statuses     []string
	Total        conversionGroupResp
	Groups       []conversionGroupResp
}

func (g conversionGroupResp) check(t *testing.T, name string, pilots, same, anywhere int) {
	t.Helper()
	if g.Pilots != pilots || g.SameRegion.Denominator != pilots || g.Anywhere.Denominator != pilots ||
		g.SameRegion.Numerator != same || g.Anywhere.Numerator != anywhere {
		t.Errorf("%s: %d pilots, same region %d/%d, anywhere %d/%d; want %d pilots, %d same region, %d anywhere",
			name, g.Pilots, g.SameRegion.Numerator, g.SameRegion.Denominator, g.Anywhere.Numerator, g.Anywhere.Denominator, pilots, same, anywhere)
	}
	if pilots > 0 && !near(g.Anywhere.Rate, float64(anywhere)/float64(pilots)) {
		t.Errorf("%s: anywhere rate %v", name, deref(g.Anywhere.Rate))
	}
}

func TestPilotConversion(t *testing.T) {
	t.Parallel()
	d := loadScaleData(t)
	srv := d.as(hin.Principal{})
	conversion := func(args string) conversionResp {
		t.Helper()
		var resp struct{ PilotConversion conversionResp }
		srv.query(t, fmt.Sprintf(`{ pilotConversion(window: {financialYear: "FY2023-24"} %s) { withinMonths statuses
			total { %s } groups { %s } } }`, args, conversionGroupFields, conversionGroupFields), &resp)
		return resp.PilotConversion
	}

	t.Run("completed pilots followed by an adoption within 12 months", func(t *testing.T) {
		// Nine COMPLETED pilots ended in FY2023-24: Alpha A and B, Beta B and C, Gamma A and B, Delta A,
		// Epsilon C, Zeta A. Alpha C has no end date, Delta B is archived, Epsilon B was STOPPED.
		// Gamma's pilots are followed by B-T2 (2023-12-01, in B) and C-ICB (2024-02-01, elsewhere);
		// Beta's adoption came before its pilots; Zeta's came 14 months after its pilot ended.
		c := conversion("")
		if c.WithinMonths != 12 || strings.Join(c.Statuses, ",") != "COMPLETED" || len(c.Groups) != 0 {
			t.Errorf("arguments echoed: %+v", c)
		}
		c.Total.check(t, "total", 9, 1, 2)
		// first adoption from each Gamma pilot's start: 244 days (A, from 2023-04-01), 214 days (B, from 2023-05-01)
		if !near(c.Total.MedianDaysToFirstAdoption, 229) || !near(c.Total.MedianMonthsToFirstAdoption, 229/30.436875) ||
			!near(c.Total.MedianDaysToFirstAdoptionSameRegion, 214) {
			t.Errorf("medians = %v days (%v months), same region %v; want 229, 7.52, 214",
				deref(c.Total.MedianDaysToFirstAdoption), deref(c.Total.MedianMonthsToFirstAdoption), deref(c.Total.MedianDaysToFirstAdoptionSameRegion))
		}
	})

	t.Run("a longer follow-up and stopped pilots", func(t *testing.T) {
		c := conversion("withinMonths: 24")
		// Zeta's A-GP1 adoption (2024-09-01, 519 days after the pilot began) now counts, in its own region too.
		c.Total.check(t, "24 months", 9, 2, 3)
		if !near(c.Total.MedianDaysToFirstAdoption, 244) || !near(c.Total.MedianDaysToFirstAdoptionSameRegion, (214+519)/2.0) {
			t.Errorf("24-month medians = %v, %v; want 244 and 366.5", deref(c.Total.MedianDaysToFirstAdoption), deref(c.Total.MedianDaysToFirstAdoptionSameRegion))
		}
		c = conversion("statuses: [COMPLETED, STOPPED]")
		c.Total.check(t, "with stopped", 10, 1, 2)
		c = conversion("withinMonths: 0")
		// an adoption must come by the pilot's last day: none did
		c.Total.check(t, "0 months", 9, 0, 0)
		if c.Total.MedianDaysToFirstAdoption != nil || c.Total.Anywhere.Rate == nil || *c.Total.Anywhere.Rate != 0 {
			t.Errorf("0 months: median %v rate %v; want null and 0", deref(c.Total.MedianDaysToFirstAdoption), deref(c.Total.Anywhere.Rate))
		}
	})

	t.Run("grouped by region, clinical area and programme", func(t *testing.T) {
		c := conversion("groupBy: [REGION]")
		c.Total.check(t, "total", 9, 1, 2)
		want := map[string][3]int{"HI-A": {4, 0, 1}, "HI-B": {3, 1, 1}, "HI-C": {2, 0, 0}}
		if len(c.Groups) != 3 {
			t.Fatalf("groups = %+v", c.Groups)
		}
		for _, g := range c.Groups {
			w := want[g.Region.Code]
			g.check(t, g.Region.Code, w[0], w[1], w[2])
		}
		c = conversion("groupBy: [CLINICAL_AREA]")
		areas := map[string][3]int{"Cardiovascular": {4, 0, 0}, "Diabetes": {1, 0, 0}, "Respiratory": {4, 1, 2}}
		for _, g := range c.Groups {
			w := areas[*g.ClinicalArea]
			g.check(t, *g.ClinicalArea, w[0], w[1], w[2])
		}
		// Gamma is in both programmes, so its pilots count in both groups: 4 + 3 + 4 = 11 > 9
		c = conversion("groupBy: [PROGRAMME]")
		progs := map[string][3]int{"P1": {4, 1, 2}, "P2": {3, 1, 2}, "": {4, 0, 0}}
		if len(c.Groups) != 3 {
			t.Fatalf("programme groups = %+v", c.Groups)
		}
		for _, g := range c.Groups {
			code := ""
			if g.Programme != nil {
				code = g.Programme.Code
			}
			w := progs[code]
			g.check(t, "programme "+code, w[0], w[1], w[2])
		}
		c.Total.check(t, "total over overlapping programmes", 9, 1, 2)
		c = conversion("groupBy: [INNOVATION, REGION]")
		if len(c.Groups) != 9 {
			t.Errorf("innovation x region: %d groups, want 9", len(c.Groups))
		}
	})

	t.Run("under each region, batched", func(t *testing.T) {
		var resp struct {
			Regions []struct {
				Code            string
				PilotConversion conversionResp
			}
		}
		before := srv.statements.Load()
		srv.query(t, `{ regions { code pilotConversion(window: {financialYear: "FY2023-24"}) { total { `+conversionGroupFields+` } groups { pilots } } } }`, &resp)
		want := map[string][3]int{"HI-A": {4, 0, 1}, "HI-B": {3, 1, 1}, "HI-C": {2, 0, 0}}
		for _, r := range resp.Regions {
			w := want[r.Code]
			r.PilotConversion.Total.check(t, r.Code, w[0], w[1], w[2])
		}
		if n := srv.statements.Load() - before; n > 2 {
			t.Errorf("%d statements for every region's conversion, want at most 2 (regions, conversion)", n)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for args, field := range map[string]string{
			"withinMonths: -1":              "withinMonths",
			"withinMonths: 121":             "withinMonths",
			"groupBy: [MONTH]":              "groupBy",
			"groupBy: [REGION, REGION]":     "groupBy",
			`filter: {programmeIds: ["x"]}`: "filter.programmeIds",
		} {
			errs := srv.queryErr(t, `{ pilotConversion(window: {financialYear: "FY2023-24"} `+args+`) { total { pilots } } }`)
			if codeOf(errs) != "INVALID_ARGUMENT" || !strings.Contains(fmt.Sprint(errs), field) {
				t.Errorf("%s: %+v, want INVALID_ARGUMENT about %s", args, errs, field)
			}
		}
	})
}

type spreadResp struct {
	On         string
	TotalCount int
	Targets    []struct {
		Rank            int
		Innovation      struct{ Name string }
		Region          struct{ Code string }
		Kind            string
		Organisations   int
		NotAdopted      int
		PositivePilots  int
		AdoptionRegions int
		OutcomeValue    *float64
	}
}

const spreadFields = `on totalCount targets { rank innovation { name } region { code } kind organisations notAdopted positivePilots adoptionRegions outcomeValue }`

func (r spreadResp) ranking() string {
	var out []string
	for _, t := range r.Targets {
		out = append(out, fmt.Sprintf("%d %s %s %s %d", t.Rank, t.Innovation.Name, t.Region.Code, t.Kind, t.NotAdopted))
	}
	return strings.Join(out, "\n")
}

func TestSpreadTargets(t *testing.T) {
	t.Parallel()
	d := loadScaleData(t)
	srv := d.as(hin.Principal{})
	spread := func(args string) spreadResp {
		t.Helper()
		var resp struct{ SpreadTargets spreadResp }
		srv.query(t, `{ spreadTargets(`+args+`) { `+spreadFields+` } }`, &resp)
		return resp.SpreadTargets
	}
	only := func(names ...string) string {
		var ids []string
		for _, n := range names {
			ids = append(ids, fmt.Sprintf("%q", d.innovations[n].GlobalID()))
		}
		return "filter: {innovationIds: [" + strings.Join(ids, ", ") + "]}"
	}

	t.Run("ties ranked by region, kind, innovation name", func(t *testing.T) {
		// Gamma was piloted at A-ICB-1 (A, ICB) and B-T3 (B, trust), adopted by B-T2 (B, trust) and C-ICB (C, ICB).
		// Zeta was piloted at A-T1 (A, trust) and adopted by A-GP1 (A, primary care).
		// On 2024-06-01 A's two ICBs have merged into one; C-X is archived.
		got := spread(`evidence: {positivePilot: true}, on: "2024-06-01", ` + only("Gamma", "Zeta"))
		want := strings.Join([]string{
			"1 Zeta HI-B NHS_TRUST 3",
			"2 Gamma HI-A NHS_TRUST 2",
			"3 Gamma HI-C PRIMARY_CARE 2",
			"4 Zeta HI-C PRIMARY_CARE 2",
			"5 Zeta HI-A ICB 1",
			"6 Gamma HI-A PRIMARY_CARE 1",
			"7 Gamma HI-B ICB 1",
			"8 Zeta HI-B ICB 1",
			"9 Gamma HI-B CARE_HOME 1",
			"10 Zeta HI-B CARE_HOME 1",
			"11 Zeta HI-C ICB 1",
			"12 Gamma HI-C NHS_TRUST 1",
			"13 Zeta HI-C NHS_TRUST 1",
		}, "\n")
		if got.ranking() != want || got.TotalCount != 13 || got.On != "2024-06-01" {
			t.Errorf("ranking (total %d):\n%s\nwant (13):\n%s", got.TotalCount, got.ranking(), want)
		}
		if got.Targets[0].PositivePilots != 1 || got.Targets[0].AdoptionRegions != 1 || got.Targets[1].AdoptionRegions != 2 {
			t.Errorf("evidence: %+v", got.Targets[:2])
		}
		top := spread(`evidence: {positivePilot: true}, on: "2024-06-01", first: 2, ` + only("Gamma", "Zeta"))
		if top.TotalCount != 13 || len(top.Targets) != 2 || top.Targets[1].Innovation.Name != "Gamma" {
			t.Errorf("first 2: %+v", top)
		}
		none := spread(`evidence: {positivePilot: true}, on: "2024-06-01", first: 0, ` + only("Gamma", "Zeta"))
		if none.TotalCount != 13 || len(none.Targets) != 0 {
			t.Errorf("first 0: %+v", none)
		}
	})

	t.Run("an ICB merged away is not a target", func(t *testing.T) {
		before := spread(`evidence: {positivePilot: true}, on: "2023-06-01", kinds: [ICB], ` + only("Zeta"))
		after := spread(`evidence: {positivePilot: true}, on: "2024-06-01", kinds: [ICB], ` + only("Zeta"))
		if before.ranking() != "1 Zeta HI-A ICB 2\n2 Zeta HI-B ICB 1\n3 Zeta HI-C ICB 1" {
			t.Errorf("before the merger:\n%s", before.ranking())
		}
		if after.ranking() != "1 Zeta HI-A ICB 1\n2 Zeta HI-B ICB 1\n3 Zeta HI-C ICB 1" {
			t.Errorf("after the merger:\n%s", after.ranking())
		}
	})

	t.Run("evidence: adoption in regions, outcomes above a threshold, drafts", func(t *testing.T) {
		got := spread(`evidence: {adoptedInRegions: 2}, on: "2024-06-01"`)
		want := "1 Gamma HI-A NHS_TRUST 2\n2 Gamma HI-C PRIMARY_CARE 2\n3 Gamma HI-A PRIMARY_CARE 1\n4 Gamma HI-B ICB 1\n5 Gamma HI-B CARE_HOME 1\n6 Gamma HI-C NHS_TRUST 1"
		if got.ranking() != want {
			t.Errorf("adopted in 2 regions:\n%s\nwant\n%s", got.ranking(), want)
		}
		if _, err := d.s.CreateMetric(adminCtx(), hin.MetricInput{Code: "patients_reached", Name: "Patients reached", Unit: "patients", Kind: hin.MetricCount}, nil); err != nil {
			t.Fatal(err)
		}
		const q = `INSERT INTO outcome (id, metric_id, region_id, period_start, period_end, value, innovation_id, status)
			VALUES (gen_random_uuid(), (SELECT id FROM metric WHERE code = 'patients_reached'), (SELECT id FROM region WHERE code = $1), $2, $3, $4, $5, $6)`
		for _, o := range []struct {
			region, start, end string
			value              float64
			inn, status        string
		}{
			{"HI-C", "2023-07-01", "2023-07-31", 70, "Epsilon", "PUBLISHED"},
			{"HI-C", "2023-08-01", "2023-08-31", 50, "Epsilon", "PUBLISHED"}, // 120 in all
			{"HI-B", "2023-06-01", "2023-06-30", 100, "Delta", "PUBLISHED"},  // not above 100
			{"HI-B", "2023-07-01", "2023-07-31", 500, "Beta", "DRAFT"},       // only with drafts
		} {
			if _, err := d.db.Exec(q, o.region, o.start, o.end, o.value, d.innovations[o.inn].ID, o.status); err != nil {
				t.Fatal(err)
			}
		}
		got = spread(`evidence: {outcome: {metric: "patients_reached", above: 100}}, on: "2024-06-01", kinds: [ICB]`)
		if got.ranking() != "1 Epsilon HI-A ICB 1\n2 Epsilon HI-B ICB 1\n3 Epsilon HI-C ICB 1" || !near(got.Targets[0].OutcomeValue, 120) {
			t.Errorf("outcome evidence:\n%s", got.ranking())
		}
		errs := srv.queryErr(t, `{ spreadTargets(evidence: {outcome: {metric: "patients_reached", above: 100, includeDrafts: true}}) { totalCount } }`)
		if codeOf(errs) != "FORBIDDEN" {
			t.Errorf("drafts for anonymous: %+v", errs)
		}
		var resp struct{ SpreadTargets spreadResp }
		d.as(analyst).query(t, `{ spreadTargets(evidence: {outcome: {metric: "patients_reached", above: 100, includeDrafts: true}}, on: "2024-06-01", kinds: [ICB]) { `+spreadFields+` } }`, &resp)
		// Beta (500 in drafts) was adopted by C-GP2 only, so all three ICBs remain targets for it
		if resp.SpreadTargets.TotalCount != 6 || resp.SpreadTargets.Targets[0].Innovation.Name != "Beta" {
			t.Errorf("with drafts:\n%s", resp.SpreadTargets.ranking())
		}
	})

	t.Run("target regions and Region.spreadTargets", func(t *testing.T) {
		got := spread(`evidence: {positivePilot: true}, on: "2024-06-01", filter: {regionCodes: ["HI-B"], innovationIds: ["` + d.innovations["Gamma"].GlobalID() + `"]}`)
		if got.ranking() != "1 Gamma HI-B ICB 1\n2 Gamma HI-B CARE_HOME 1" {
			t.Errorf("HI-B only:\n%s", got.ranking())
		}
		var resp struct {
			Regions []struct {
				Code          string
				SpreadTargets spreadResp
			}
		}
		before := srv.statements.Load()
		srv.query(t, `{ regions { code spreadTargets(evidence: {positivePilot: true}, on: "2024-06-01", `+only("Gamma")+`) { `+spreadFields+` } } }`, &resp)
		want := map[string]string{
			"HI-A": "1 Gamma HI-A NHS_TRUST 2\n2 Gamma HI-A PRIMARY_CARE 1",
			"HI-B": "1 Gamma HI-B ICB 1\n2 Gamma HI-B CARE_HOME 1",
			"HI-C": "1 Gamma HI-C PRIMARY_CARE 2\n2 Gamma HI-C NHS_TRUST 1",
		}
		for _, r := range resp.Regions {
			if r.SpreadTargets.ranking() != want[r.Code] || r.SpreadTargets.TotalCount != 2 {
				t.Errorf("%s:\n%s", r.Code, r.SpreadTargets.ranking())
			}
		}
		// regions, the targets, their innovations and their regions: one statement each
		if n := srv.statements.Load() - before; n > 4 {
			t.Errorf("%d statements, want at most 4", n)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for args, field := range map[string]string{
			`evidence: {}`:                                  "evidence",
			`evidence: {positivePilot: false}`:              "evidence",
			`evidence: {adoptedInRegions: 0}`:               "adoptedInRegions",
			`evidence: {positivePilot: true}, first: 1001`:  "first",
			`evidence: {outcome: {metric: "no", above: 1}}`: "evidence.outcome.metric",
		} {
			errs := srv.queryErr(t, `{ spreadTargets(`+args+`) { totalCount } }`)
			if codeOf(errs) != "INVALID_ARGUMENT" || !strings.Contains(fmt.Sprint(errs), field) {
				t.Errorf("%s: %+v, want INVALID_ARGUMENT about %s", args, errs, field)
			}
		}
	})
}

// TestSpreadTargetsDropAFullyAdoptedPlace: a region and kind where every
// organisation has adopted the innovation is no target, even when no
// adoption or pilot is recorded in that region. Here the only charity of
// HI-B adopted Zeta (a POSITIVE pilot) and then moved to HI-C: its adoption
// still belongs to HI-B, and (HI-C, CHARITY) has notAdopted 0, so it is
// dropped, while HI-A's charity, which has not adopted Zeta, is a target.
func TestSpreadTargetsDropAFullyAdoptedPlace(t *testing.T) {
	t.Parallel()
	d := loadScaleData(t)
	ctx := adminCtx()
	for _, x := range []struct{ name, region string }{{"A-CHARITY", "HI-A"}, {"B-CHARITY", "HI-B"}} {
		region := x.region
		o, err := d.s.CreateOrganisation(ctx, hin.OrganisationInput{Name: x.name, Kind: hin.OrgCharity, RegionCode: &region}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d.orgs[x.name] = o
	}
	moved := d.orgs["B-CHARITY"]
	ad, err := d.s.CreateAdoption(ctx, hin.AdoptionInput{InnovationID: d.innovations["Zeta"].GlobalID(), OrganisationID: moved.GlobalID(), AdoptedOn: day("2024-03-01")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := "HI-C"
	if _, err := d.s.UpdateOrganisation(ctx, moved.GlobalID(), moved.Version, hin.OrganisationInput{Name: moved.Name, Kind: hin.OrgCharity, RegionCode: &c}); err != nil {
		t.Fatal(err)
	}
	var adoptionRegion string
	if err := d.db.QueryRow(`SELECT r.code FROM adoption a JOIN region r ON r.id = a.region_id WHERE a.id = $1`, ad.ID).Scan(&adoptionRegion); err != nil || adoptionRegion != "HI-B" {
		t.Fatalf("the adoption belongs to %q (%v), want HI-B, where it was made", adoptionRegion, err)
	}
	var resp struct{ SpreadTargets spreadResp }
	d.as(hin.Principal{}).query(t, `{ spreadTargets(evidence: {positivePilot: true}, kinds: [CHARITY], on: "2024-06-01",
		filter: {innovationIds: ["`+d.innovations["Zeta"].GlobalID()+`"]}) { `+spreadFields+` } }`, &resp)
	if got := resp.SpreadTargets; got.ranking() != "1 Zeta HI-A CHARITY 1" || got.TotalCount != 1 {
		t.Errorf("charity targets (total %d):\n%s\nwant only HI-A: HI-C's one charity has adopted Zeta", got.TotalCount, got.ranking())
	}
}

// TestPilotEvaluationResult: the result is set through createPilot and
// updatePilot by the region that ran the pilot, kept by an update that does
// not name it, and recorded in the audit trail.
func TestPilotEvaluationResult(t *testing.T) {
	t.Parallel()
	ws := newWriteServer(t)
	f := ws.fixtures(t, 1)
	type pilotResp struct {
		ID               string
		Version          int
		EvaluationResult string
	}
	var created struct{ CreatePilot pilotResp }
	ws.as(editorEM).query(t, fmt.Sprintf(`mutation { createPilot(input: {innovationId: %q, siteId: %q, status: COMPLETED, startDate: "2023-01-01",
		endDate: "2023-06-30", evaluationResult: POSITIVE}) { id version evaluationResult } }`, f.innovation.GlobalID(), f.site.GlobalID()), &created)
	if created.CreatePilot.EvaluationResult != "POSITIVE" {
		t.Fatalf("created %+v", created)
	}
	update := func(who hin.Principal, version int, result string) []gqlError {
		doc := fmt.Sprintf(`mutation { updatePilot(id: %q, version: %d, input: {innovationId: %q, siteId: %q, status: COMPLETED,
			startDate: "2023-01-01", endDate: "2023-06-30", evaluationSummary: "Reduced admissions" %s}) { id version evaluationResult } }`,
			created.CreatePilot.ID, version, f.innovation.GlobalID(), f.site.GlobalID(), result)
		if who == editorWM {
			return ws.as(who).queryErr(t, doc)
		}
		var resp struct{ UpdatePilot pilotResp }
		ws.as(who).query(t, doc, &resp)
		if resp.UpdatePilot.EvaluationResult != "MIXED" {
			t.Errorf("after update: %+v, want MIXED", resp.UpdatePilot)
		}
		return nil
	}
	if errs := update(editorWM, 1, ", evaluationResult: NEGATIVE"); codeOf(errs) != "FORBIDDEN" {
		t.Errorf("another region's editor: %+v, want FORBIDDEN", errs)
	}
	update(editorEM, 1, ", evaluationResult: MIXED")
	update(editorEM, 2, "") // not named: kept
	var fresh struct{ CreatePilot pilotResp }
	ws.as(editorEM).query(t, fmt.Sprintf(`mutation { createPilot(input: {innovationId: %q, siteId: %q, status: RUNNING, startDate: "2023-01-01"}) { id version evaluationResult } }`,
		f.innovation.GlobalID(), f.site.GlobalID()), &fresh)
	if fresh.CreatePilot.EvaluationResult != "NOT_YET_EVALUATED" {
		t.Errorf("a new pilot's result = %s, want NOT_YET_EVALUATED", fresh.CreatePilot.EvaluationResult)
	}
	errs := ws.as(editorEM).queryErr(t, fmt.Sprintf(`mutation { createPilot(input: {innovationId: %q, siteId: %q, status: RUNNING, startDate: "2023-01-01", evaluationResult: GREAT}) { id } }`,
		f.innovation.GlobalID(), f.site.GlobalID()))
	if len(errs) == 0 {
		t.Error("an unknown result was accepted")
	}
	var audit []string
	rows, err := ws.db.Query(`SELECT coalesce(before->>'EvaluationResult', '') || '>' || (after->>'EvaluationResult') FROM audit_event
		WHERE entity_kind = 'Pilot' AND entity_id = $1 ORDER BY at, id`, mustUUID(t, created.CreatePilot.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		audit = append(audit, s)
	}
	if strings.Join(audit, " ") != ">POSITIVE POSITIVE>MIXED MIXED>MIXED" {
		t.Errorf("audit trail of the result: %v", audit)
	}
}

func mustUUID(t *testing.T, id string) string {
	t.Helper()
	u, err := hin.ParseIDOf(hin.KindPilot, "id", id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestScaleStatementsDoNotGrowWithRows runs every scale report, nationally
// and under every region, with their nested objects, before and after
// adding innovations, pilots and adoptions: the statement count must not
// change.
func TestScaleStatementsDoNotGrowWithRows(t *testing.T) {
	t.Parallel()
	d := loadScaleData(t)
	srv := d.as(hin.Principal{})
	const doc = `{
		pilotDuplication { byInnovation { innovation { name leadRegion { code } } regions { code } pilots { site { name } region { code } innovation { name } } }
			byClinicalArea { innovations { name } regions { code } pilots { site { name } } } }
		pilotConversion(window: {financialYear: "FY2023-24"}, groupBy: [REGION, PROGRAMME, INNOVATION]) {
			total { pilots } groups { region { code } programme { code } innovation { name } pilots anywhere { rate } } }
		spreadTargets(evidence: {positivePilot: true, adoptedInRegions: 1}, on: "2024-06-01") { totalCount targets { innovation { name } region { code } } }
		regions {
			pilotDuplication { byInnovation { innovation { name } pilots { site { name } } } }
			pilotConversion(window: {financialYear: "FY2023-24"}, groupBy: [INNOVATION]) { groups { innovation { name } pilots } }
			spreadTargets(evidence: {positivePilot: true}, on: "2024-06-01", first: 3) { targets { innovation { name } region { code } } }
		}
	}`
	run := func() (int64, int) {
		var resp struct {
			SpreadTargets struct{ TotalCount int }
		}
		before := srv.statements.Load()
		srv.query(t, doc, &resp)
		return srv.statements.Load() - before, resp.SpreadTargets.TotalCount
	}
	small, smallTargets := run()

	ctx := adminCtx()
	sites := []string{"A-T1", "B-T1", "C-T1", "A-T2", "B-T2", "C-GP1"}
	area := "Cardiovascular"
	lead := "HI-B"
	for i := range 8 {
		inn, err := d.s.CreateInnovation(ctx, hin.InnovationInput{Name: fmt.Sprintf("More %d", i), ClinicalArea: &area, LeadRegionCode: &lead,
			ProgrammeIDs: []string{d.programmes["P1"].GlobalID()}}, hin.StageRealWorldPilot, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j, site := range sites {
			end := day("2023-09-30")
			result := hin.EvalPositive
			if _, err := d.s.CreatePilot(ctx, hin.PilotInput{InnovationID: inn.GlobalID(), SiteID: d.orgs[site].GlobalID(), Status: hin.PilotCompleted,
				StartDate: day("2023-04-01").AddDate(0, j%3, 0), EndDate: &end, EvaluationResult: &result}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			if _, err := d.s.CreateAdoption(ctx, hin.AdoptionInput{InnovationID: inn.GlobalID(), OrganisationID: d.orgs["B-ICB"].GlobalID(), AdoptedOn: day("2023-12-01")}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	large, largeTargets := run()
	if largeTargets <= smallTargets {
		t.Fatalf("the larger data set has %d targets, the smaller %d: the data did not grow", largeTargets, smallTargets)
	}
	if large != small {
		t.Errorf("%d statements before adding rows, %d after: the count grows with the data", small, large)
	}
	// one per report (3 root, 3 under regions), one for regions, and one
	// per nested field path that loads records (19)
	if small > 26 {
		t.Errorf("%d statements for the whole document, want at most 26", small)
	}
	t.Logf("%d statements for every scale report with nested objects", small)
}
