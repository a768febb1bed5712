// Package seed builds the data hin-graph ships: the public reference data
// (written from shared/reference into reference_data.go) and a deterministic
// demo data generator for what is not public (pilots, adoptions, outcomes).
package seed

import (
	"fmt"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// referenceVersion changes whenever reference_data.go changes meaning, so
// an already seeded database is reloaded.
const referenceVersion = "ref-2"

func regionID(code string) string { return hin.StableUUID("region", code) }
func orgID(key string) string     { return hin.StableUUID("organisation", key) }
func progID(code string) string   { return hin.StableUUID("programme", code) }
func innovID(key string) string   { return hin.StableUUID("innovation", key) }
func metricID(code string) string { return hin.StableUUID("metric", code) }

func day(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(fmt.Sprintf("seed: bad date %q in reference data", s)) // guarded by reference_data_test
	}
	return &t
}

func optional(s string, id func(string) string) *string {
	if s == "" {
		return nil
	}
	v := id(s)
	return &v
}

// Reference converts the reference data into a data set with stable IDs.
func Reference() store.Dataset {
	var d store.Dataset
	allRegions := make([]string, 0, len(Regions))
	for _, r := range Regions {
		d.Regions = append(d.Regions, hin.Region{ID: regionID(r.Code), Code: r.Code, Name: r.Name, FormerName: r.FormerName, Summary: r.Summary})
		allRegions = append(allRegions, r.Code)
	}
	for _, o := range Organisations {
		d.Organisations = append(d.Organisations, hin.Organisation{
			ID: orgID(o.Key), Name: o.Name, Kind: hin.OrganisationKind(o.Kind),
			RegionID: optional(o.RegionCode, regionID), ValidFrom: day(o.ValidFrom), ValidTo: day(o.ValidTo),
		})
	}
	for _, c := range Collaboratives {
		id := hin.StableUUID("collaborative", c.Code)
		d.Collaboratives = append(d.Collaboratives, hin.Collaborative{
			ID: id, Code: c.Code, Name: c.Name, Kind: hin.CollaborativeKind(c.Kind),
			HostRegionID: regionID(c.HostRegionCode), Description: c.Description,
		})
		members := map[string]bool{c.HostRegionCode: true}
		d.CollaborativeRegions = append(d.CollaborativeRegions, store.Link{id, regionID(c.HostRegionCode)})
		for _, m := range c.MemberRegionCodes {
			if !members[m] {
				members[m] = true
				d.CollaborativeRegions = append(d.CollaborativeRegions, store.Link{id, regionID(m)})
			}
		}
	}
	for _, p := range Programmes {
		d.Programmes = append(d.Programmes, hin.Programme{
			ID: progID(p.Code), Code: p.Code, Name: p.Name, Kind: hin.ProgrammeKind(p.Kind),
			ClinicalArea: p.ClinicalArea, Description: p.Description,
			StartDate: day(p.StartDate), EndDate: day(p.EndDate),
			ParentID: optional(p.ParentCode, progID), Status: hin.ProgrammeStatus(p.Status),
		})
		regions := p.RegionCodes
		if regions == nil {
			regions = allRegions
		}
		for _, r := range regions {
			d.ProgrammeRegions = append(d.ProgrammeRegions, store.Link{progID(p.Code), regionID(r)})
		}
	}
	stageDate := map[string]map[hin.Stage]time.Time{}
	for _, in := range Innovations {
		id := innovID(in.Key)
		hist := in.StageHistory
		first, last := *day(hist[0].On), *day(hist[len(hist)-1].On)
		d.Innovations = append(d.Innovations, hin.Innovation{
			ID: id, Name: in.Name, Description: in.Description, InnovatorID: optional(in.InnovatorKey, orgID),
			ClinicalArea: in.ClinicalArea, LeadRegionID: optional(in.LeadRegionCode, regionID),
			Stage: hin.Stage(in.Stage), StageChangedOn: last, CreatedAt: first, UpdatedAt: last,
		})
		stageDate[in.Key] = map[hin.Stage]time.Time{}
		var from *hin.Stage
		for i, h := range hist {
			to := hin.Stage(h.Stage)
			d.StageChanges = append(d.StageChanges, hin.StageChange{
				ID: hin.StableUUID("stage-change", fmt.Sprintf("%s/%d", in.Key, i)), InnovationID: id,
				FromStage: from, ToStage: to, ChangedOn: *day(h.On),
			})
			stageDate[in.Key][to] = *day(h.On)
			from = &to
		}
		for _, p := range in.ProgrammeCodes {
			d.InnovationProgrammes = append(d.InnovationProgrammes, store.Link{id, progID(p)})
		}
	}
	for i, p := range Pilots {
		start := day(p.StartDate)
		if start == nil {
			// unknown start: the date the innovation reached its pilot stage, else its first record
			t, ok := stageDate[p.InnovationKey][hin.StageRealWorldPilot]
			if !ok {
				t = firstStageDate(p.InnovationKey)
			}
			start = &t
		}
		end := day(p.EndDate)
		if end != nil && start.After(*end) {
			start = end
		}
		var summary *string
		if p.Summary != "" {
			summary = &p.Summary
		}
		d.Pilots = append(d.Pilots, hin.Pilot{
			ID: hin.StableUUID("pilot", fmt.Sprintf("ref/%d/%s/%s", i, p.InnovationKey, p.SiteKey)), InnovationID: innovID(p.InnovationKey),
			SiteID: orgID(p.SiteKey), RegionID: regionID(p.RegionCode), Status: hin.PilotStatus(p.Status),
			StartDate: *start, EndDate: end, EvaluationSummary: summary,
		})
	}
	for _, m := range Metrics {
		d.Metrics = append(d.Metrics, hin.Metric{ID: metricID(m.Code), Code: m.Code, Name: m.Name, Description: m.Description, Unit: m.Unit, Kind: hin.MetricKind(m.Kind)})
	}
	return d
}

func firstStageDate(key string) time.Time {
	for _, in := range Innovations {
		if in.Key == key {
			return *day(in.StageHistory[0].On)
		}
	}
	return time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC)
}
