package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// DemoSource marks every generated outcome; generated organisations and
// innovations carry "Demo" in their names, so nobody mistakes them for
// published figures.
const DemoSource = "demo data (generated, not real figures)"

const demoVersion = "demo-4" // demo-4: a national collection and its submissions

// DemoSize says how much demo data to generate. Outcomes grow with
// PilotsPerRegion: about 52 per pilot, plus 12 region-level series.
type DemoSize struct {
	PilotsPerRegion      int
	InnovationsPerRegion int
	FirstFY              int // first financial year, by its starting calendar year (2020 = FY2020-21)
	Years                int // financial years of outcomes
}

// Scale is the preset behind the --scale flag: scale 1 is about 30
// thousand outcomes, 10 about 200 thousand, 100 about 2 million, over five
// financial years (FY2020-21 to FY2024-25).
func Scale(n int) DemoSize {
	return DemoSize{PilotsPerRegion: 26 * n, InnovationsPerRegion: 2 + 3*n, FirstFY: 2020, Years: 5}
}

// Fingerprint names a seed, so re-running the same seed is a no-op.
func Fingerprint(size *DemoSize) string {
	if size == nil {
		return referenceVersion
	}
	return fmt.Sprintf("%s+%s:%d/%d/%d/%d", referenceVersion, demoVersion, size.PilotsPerRegion, size.InnovationsPerRegion, size.FirstFY, size.Years)
}

// Build returns the reference data plus, when size is not nil, demo data.
// The same size always gives the same data, IDs included.
func Build(size *DemoSize) store.Dataset {
	d := Reference()
	if size != nil {
		addDemo(&d, *size)
	}
	return d
}

var clinicalAreas = []string{
	"cardiovascular disease", "respiratory", "maternity and neonatal", "mental health", "musculoskeletal",
	"medicines safety", "diabetes", "frailty and care homes", "cancer diagnosis", "digital health",
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

func addDemo(d *store.Dataset, size DemoSize) {
	rng := rand.New(rand.NewPCG(2026, uint64(size.PilotsPerRegion)))
	referencePilots := len(d.Pilots)
	windowStart := month(size.FirstFY, time.April)
	months := 12 * size.Years
	windowEnd := windowStart.AddDate(0, months, -1)
	uid := func(kind string, parts ...any) string { return hin.StableUUID("demo/"+kind, fmt.Sprint(parts...)) }
	randDate := func(from time.Time, spanDays int) time.Time { return from.AddDate(0, 0, rng.IntN(max(1, spanDays))) }

	// programmes the demo innovations can belong to: the adoption and safety programmes
	var progs []hin.Programme
	for _, p := range d.Programmes {
		if p.Kind != hin.ProgOther {
			progs = append(progs, p)
		}
	}
	metricByCode := map[string]hin.Metric{}
	for _, m := range d.Metrics {
		metricByCode[m.Code] = m
	}

	// innovator companies, national
	var innovators []string
	for i := 1; i <= 40; i++ {
		id := uid("org", "innovator", i)
		innovators = append(innovators, id)
		d.Organisations = append(d.Organisations, hin.Organisation{ID: id, Name: fmt.Sprintf("Demo Health Technology %02d Ltd", i), Kind: hin.OrgIndustry})
	}

	type regionSites struct{ trusts, practices, homes []string }
	validFrom := month(2015, time.April)
	innovationProgramme := map[string]string{}
	for ri, r := range d.Regions[:15] {
		var sites regionSites
		addOrg := func(kind hin.OrganisationKind, n int, name string, into *[]string) {
			for i := 1; i <= n; i++ {
				id := uid("org", r.Code, kind, i)
				rid := r.ID
				d.Organisations = append(d.Organisations, hin.Organisation{ID: id, Name: fmt.Sprintf(name, i, r.Code), Kind: kind, RegionID: &rid, ValidFrom: &validFrom})
				*into = append(*into, id)
			}
		}
		addOrg(hin.OrgNHSTrust, 8, "Demo NHS Trust %d (%s)", &sites.trusts)
		addOrg(hin.OrgPrimaryCare, 30, "Demo GP Practice %d (%s)", &sites.practices)
		addOrg(hin.OrgCareHome, 20, "Demo Care Home %d (%s)", &sites.homes)
		allSites := append(append(append([]string{}, sites.trusts...), sites.practices...), sites.homes...)

		// innovations led by this region
		var regionInnovations []hin.Innovation
		for i := 0; i < size.InnovationsPerRegion; i++ {
			id := uid("innovation", r.Code, i)
			stage := hin.Stages[rng.IntN(len(hin.Stages))]
			created := randDate(windowStart.AddDate(-1, 0, 0), 365)
			innovator := innovators[rng.IntN(len(innovators))]
			rid := r.ID
			var from *hin.Stage
			when := created
			for si := 0; si < stage.Ordinal(); si++ {
				to := hin.Stages[si]
				if si > 0 {
					when = when.AddDate(0, 1+rng.IntN(9), rng.IntN(28))
					if when.After(windowEnd) {
						when = windowEnd
					}
				}
				d.StageChanges = append(d.StageChanges, hin.StageChange{ID: uid("stage", id, si), InnovationID: id, FromStage: from, ToStage: to, ChangedOn: when})
				from = &to
			}
			inn := hin.Innovation{
				ID: id, Name: fmt.Sprintf("Demo innovation %s-%03d (%s)", r.Code, i+1, clinicalAreas[(ri+i)%len(clinicalAreas)]),
				Description: "Generated demo innovation; not a real product.", InnovatorID: &innovator,
				ClinicalArea: clinicalAreas[(ri+i)%len(clinicalAreas)], LeadRegionID: &rid, Stage: stage,
				StageChangedOn: when, CreatedAt: created, UpdatedAt: when,
			}
			regionInnovations = append(regionInnovations, inn)
			d.Innovations = append(d.Innovations, inn)
			p := progs[rng.IntN(len(progs))]
			innovationProgramme[id] = p.ID
			d.InnovationProgrammes = append(d.InnovationProgrammes, store.Link{id, p.ID})
			// adoptions for innovations that have reached adoption
			if stage.Ordinal() >= hin.StageAdoption.Ordinal() {
				n := 2 + rng.IntN(12)
				perm := rng.Perm(len(allSites))
				for k := 0; k < n && k < len(perm); k++ {
					d.Adoptions = append(d.Adoptions, hin.Adoption{
						ID: uid("adoption", id, k), InnovationID: id, OrganisationID: allSites[perm[k]], RegionID: r.ID,
						AdoptedOn: randDate(when, 300),
					})
				}
			}
		}

		// pilots at this region's sites
		for i := 0; i < size.PilotsPerRegion; i++ {
			inn := regionInnovations[rng.IntN(len(regionInnovations))]
			start := windowStart.AddDate(0, rng.IntN(months), 0)
			end := start.AddDate(0, 6+rng.IntN(19), -1)
			status := pilotStatus(start, end, windowEnd, rng)
			var endp *time.Time
			if status != hin.PilotRunning && status != hin.PilotPlanned {
				endp = &end
			}
			summary := "Demo pilot: generated data."
			d.Pilots = append(d.Pilots, hin.Pilot{
				ID: uid("pilot", r.Code, i), InnovationID: inn.ID, SiteID: allSites[rng.IntN(len(allSites))],
				RegionID: r.ID, Status: status, StartDate: start, EndDate: endp, EvaluationSummary: &summary,
			})
		}
	}

	regions := d.Regions[:15]
	pilots := d.Pilots[referencePilots:] // real pilots' figures are not public: no invented outcomes for them
	cells := addDemoCollection(d, windowEnd)
	d.Outcomes = func(emit func(hin.Outcome) error) error {
		orng := rand.New(rand.NewPCG(7, uint64(size.PilotsPerRegion)))
		n := 0
		out := func(o hin.Outcome, monthIndex int) error {
			o.Status = hin.OutcomePublished
			// the latest quarter is still being checked; a few older drafts linger
			if monthIndex >= months-3 && orng.IntN(2) == 0 || orng.IntN(100) == 0 {
				o.Status = hin.OutcomeDraft
			}
			// a collected figure is as its submission is: published only once approved
			if st, ok := cells.of(o); ok {
				switch st {
				case hin.SubmissionNotStarted:
					return nil
				case hin.SubmissionApproved:
					o.Status = hin.OutcomePublished
				default:
					o.Status = hin.OutcomeDraft
				}
			}
			n++
			o.ID = hin.StableUUID("demo/outcome", fmt.Sprint(size.PilotsPerRegion, "/", n))
			o.Source = DemoSource
			return emit(o)
		}
		// pilot-level monthly returns
		pilotMetrics := []string{"patients_benefiting", "bed_days_saved", "cost_savings", "lipid_treated_to_target"}
		for _, p := range pilots {
			if p.Status == hin.PilotPlanned {
				continue
			}
			innID, pilotID := p.InnovationID, p.ID
			progID := innovationProgramme[innID]
			for t, mi := p.StartDate, int(monthsBetween(windowStart, p.StartDate)); !t.After(windowEnd) && (p.EndDate == nil || !t.After(*p.EndDate)); t, mi = t.AddDate(0, 1, 0), mi+1 {
				for _, code := range pilotMetrics {
					m := metricByCode[code]
					o := hin.Outcome{MetricID: m.ID, RegionID: p.RegionID, PeriodStart: t, PeriodEnd: t.AddDate(0, 1, -1),
						InnovationID: &innID, PilotID: &pilotID, ProgrammeID: &progID}
					setValue(&o, m, orng, 1)
					if err := out(o, mi); err != nil {
						return err
					}
				}
			}
		}
		// region-level monthly returns for every metric, with a few missing months
		for _, r := range regions {
			for _, m := range d.Metrics {
				level := 50 + orng.Float64()*200
				for mi := 0; mi < months; mi++ {
					if orng.IntN(33) == 0 {
						continue // not reported: coverage shows the gap
					}
					t := windowStart.AddDate(0, mi, 0)
					o := hin.Outcome{MetricID: m.ID, RegionID: r.ID, PeriodStart: t, PeriodEnd: t.AddDate(0, 1, -1)}
					if m.Kind == hin.MetricSnapshot {
						level += orng.Float64() * 10
						v := math.Round(level)
						o.Value = &v
					} else {
						setValue(&o, m, orng, 20)
					}
					if err := out(o, mi); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
}

func setValue(o *hin.Outcome, m hin.Metric, rng *rand.Rand, scale float64) {
	switch m.Kind {
	case hin.MetricRate:
		den := math.Round(20*scale + rng.Float64()*80*scale)
		num := math.Round(den * (0.5 + rng.Float64()*0.45))
		o.Numerator, o.Denominator = &num, &den
	default:
		v := math.Round(rng.Float64() * 100 * scale)
		if m.Unit == "GBP" {
			v *= 250
		}
		o.Value = &v
	}
}

func pilotStatus(start, end, now time.Time, rng *rand.Rand) hin.PilotStatus {
	switch {
	case start.After(now):
		return hin.PilotPlanned
	case end.After(now):
		return hin.PilotRunning
	case end.AddDate(0, 3, 0).After(now):
		return hin.PilotEvaluating
	case rng.IntN(20) == 0:
		return hin.PilotStopped
	default:
		return hin.PilotCompleted
	}
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}
