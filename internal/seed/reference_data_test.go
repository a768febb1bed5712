package seed

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	organisationKinds  = []string{"ICB", "NHS_TRUST", "PRIMARY_CARE", "CARE_HOME", "INDUSTRY", "ACADEMIA", "CHARITY", "OTHER"}
	collaborativeKinds = []string{"PATIENT_SAFETY", "OTHER"}
	programmeKinds     = []string{"PATIENT_SAFETY", "NATIONAL_ADOPTION", "OTHER"}
	programmeStatuses  = []string{"ACTIVE", "COMPLETED", "WITHDRAWN"}
	innovationStages   = []string{"IDENTIFY_NEED", "SELECT_AND_REFINE", "DEVELOP_AND_TEST", "REAL_WORLD_PILOT", "EVIDENCE_INTO_PRACTICE", "ADOPTION", "SYSTEM_CHANGE"}
	pilotStatuses      = []string{"PLANNED", "RUNNING", "EVALUATING", "COMPLETED", "STOPPED"}
	metricKinds        = []string{"COUNT", "RATE", "SNAPSHOT"}

	snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
)

// keySet returns the set of keys and reports any key that is empty or repeated.
func keySet(t *testing.T, what string, keys []string) map[string]bool {
	t.Helper()
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			t.Errorf("%s: empty key", what)
		}
		if set[k] {
			t.Errorf("%s: duplicate key %q", what, k)
		}
		set[k] = true
	}
	return set
}

func regionSet(t *testing.T) map[string]bool {
	t.Helper()
	keys := make([]string, 0, len(Regions))
	for _, r := range Regions {
		keys = append(keys, r.Code)
	}
	return keySet(t, "regions", keys)
}

func organisationSet(t *testing.T) map[string]bool {
	t.Helper()
	keys := make([]string, 0, len(Organisations))
	for _, o := range Organisations {
		keys = append(keys, o.Key)
	}
	return keySet(t, "organisations", keys)
}

func programmeSet(t *testing.T) map[string]bool {
	t.Helper()
	keys := make([]string, 0, len(Programmes))
	for _, p := range Programmes {
		keys = append(keys, p.Code)
	}
	return keySet(t, "programmes", keys)
}

func innovationSet(t *testing.T) map[string]bool {
	t.Helper()
	keys := make([]string, 0, len(Innovations))
	for _, i := range Innovations {
		keys = append(keys, i.Key)
	}
	return keySet(t, "innovations", keys)
}

// checkEnum reports a value that is not in the allowed set.
func checkEnum(t *testing.T, where, field, value string, allowed []string) {
	t.Helper()
	if !slices.Contains(allowed, value) {
		t.Errorf("%s: %s %q not in %v", where, field, value, allowed)
	}
}

// checkRef reports a non-empty reference that does not resolve; an empty
// reference is an error only when required.
func checkRef(t *testing.T, where, field, value string, set map[string]bool, required bool) {
	t.Helper()
	if value == "" {
		if required {
			t.Errorf("%s: %s is empty", where, field)
		}
		return
	}
	if !set[value] {
		t.Errorf("%s: %s %q does not resolve", where, field, value)
	}
}

// spanErr returns an error when a date does not parse as time.DateOnly or
// when both dates are set and the end is before the start.
func spanErr(start, end string) error {
	var from, to time.Time
	var err error
	if start != "" {
		if from, err = time.Parse(time.DateOnly, start); err != nil {
			return fmt.Errorf("bad start date %q: %w", start, err)
		}
	}
	if end != "" {
		if to, err = time.Parse(time.DateOnly, end); err != nil {
			return fmt.Errorf("bad end date %q: %w", end, err)
		}
	}
	if start != "" && end != "" && to.Before(from) {
		return fmt.Errorf("end %s is before start %s", end, start)
	}
	return nil
}

// checkSpan reports dates that do not parse and spans that end before they start.
func checkSpan(t *testing.T, where, start, end string) {
	t.Helper()
	if err := spanErr(start, end); err != nil {
		t.Errorf("%s: %v", where, err)
	}
}

func TestReferenceData(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"regions", func(t *testing.T) {
			codes := regionSet(t)
			if len(Regions) != 15 || len(codes) != 15 {
				t.Errorf("want 15 unique regions, got %d (%d unique)", len(Regions), len(codes))
			}
			for _, r := range Regions {
				if r.Name == "" || r.FormerName == "" || r.Summary == "" {
					t.Errorf("region %s: name, former name and summary are required", r.Code)
				}
			}
		}},
		{"organisations", func(t *testing.T) {
			regions := regionSet(t)
			organisationSet(t)
			icbs := map[string]int{}
			for _, o := range Organisations {
				where := "organisation " + o.Key
				if o.Name == "" {
					t.Errorf("%s: empty name", where)
				}
				checkEnum(t, where, "kind", o.Kind, organisationKinds)
				checkRef(t, where, "region", o.RegionCode, regions, o.Kind == "ICB")
				checkSpan(t, where, o.ValidFrom, o.ValidTo)
				if o.Kind == "ICB" {
					icbs[o.RegionCode]++
					if o.ValidFrom == "" {
						t.Errorf("%s: ICB needs ValidFrom", where)
					}
					if !strings.HasPrefix(o.Key, "icb:") || !strings.HasSuffix(o.Name, "Integrated Care Board") {
						t.Errorf("%s: ICB key or name does not follow the convention", where)
					}
				}
			}
			for _, r := range Regions {
				if icbs[r.Code] == 0 {
					t.Errorf("region %s has no ICB", r.Code)
				}
			}
		}},
		{"collaboratives", func(t *testing.T) {
			regions := regionSet(t)
			codes := make([]string, 0, len(Collaboratives))
			hosted := map[string]int{}
			for _, c := range Collaboratives {
				codes = append(codes, c.Code)
				where := "collaborative " + c.Code
				checkEnum(t, where, "kind", c.Kind, collaborativeKinds)
				checkRef(t, where, "host region", c.HostRegionCode, regions, true)
				if c.Name == "" || c.Description == "" {
					t.Errorf("%s: name and description are required", where)
				}
				if !slices.Contains(c.MemberRegionCodes, c.HostRegionCode) {
					t.Errorf("%s: host %s is not a member", where, c.HostRegionCode)
				}
				seen := map[string]bool{}
				for _, m := range c.MemberRegionCodes {
					checkRef(t, where, "member region", m, regions, true)
					if seen[m] {
						t.Errorf("%s: member %s repeated", where, m)
					}
					seen[m] = true
				}
				if c.Kind == "PATIENT_SAFETY" {
					hosted[c.HostRegionCode]++
					if c.Code != "PSC-"+c.HostRegionCode {
						t.Errorf("%s: PSC code should be PSC-%s", where, c.HostRegionCode)
					}
				}
			}
			keySet(t, "collaboratives", codes)
			for _, r := range Regions {
				if hosted[r.Code] != 1 {
					t.Errorf("region %s hosts %d patient safety collaboratives, want 1", r.Code, hosted[r.Code])
				}
			}
		}},
		{"programmes", func(t *testing.T) {
			regions := regionSet(t)
			programmeSet(t)
			earlier := map[string]bool{}
			for _, p := range Programmes {
				where := "programme " + p.Code
				checkEnum(t, where, "kind", p.Kind, programmeKinds)
				checkEnum(t, where, "status", p.Status, programmeStatuses)
				checkSpan(t, where, p.StartDate, p.EndDate)
				if p.Name == "" || p.Description == "" || p.SourceURL == "" {
					t.Errorf("%s: name, description and source URL are required", where)
				}
				if strings.Contains(p.SourceURL, " ") || strings.Contains(p.SourceURL, "|") {
					t.Errorf("%s: source URL should be a single URL: %q", where, p.SourceURL)
				}
				if p.ParentCode != "" && !earlier[p.ParentCode] {
					t.Errorf("%s: parent %q is not listed before it", where, p.ParentCode)
				}
				if p.ParentCode == p.Code {
					t.Errorf("%s: is its own parent", where)
				}
				if p.Status == "COMPLETED" && p.EndDate == "" {
					t.Errorf("%s: completed programme needs an end date", where)
				}
				if p.Status == "ACTIVE" && p.EndDate != "" {
					t.Errorf("%s: active programme has an end date", where)
				}
				if p.RegionCodes != nil && len(p.RegionCodes) == 0 {
					t.Errorf("%s: use nil, not an empty list, for all regions", where)
				}
				for _, rc := range p.RegionCodes {
					checkRef(t, where, "region", rc, regions, true)
				}
				earlier[p.Code] = true
			}
			for _, p := range Programmes {
				if p.Code == "SIM" && p.Status != "WITHDRAWN" {
					t.Errorf("SIM must be WITHDRAWN, got %s", p.Status)
				}
			}
		}},
		{"innovations", func(t *testing.T) {
			regions := regionSet(t)
			orgs := organisationSet(t)
			progs := programmeSet(t)
			innovationSet(t)
			if len(Innovations) < 44 {
				t.Errorf("want at least 44 innovations, got %d", len(Innovations))
			}
			for _, in := range Innovations {
				where := "innovation " + in.Key
				if in.Name == "" || in.Description == "" || in.SourceURL == "" {
					t.Errorf("%s: name, description and source URL are required", where)
				}
				checkRef(t, where, "innovator", in.InnovatorKey, orgs, false)
				checkRef(t, where, "lead region", in.LeadRegionCode, regions, false)
				checkEnum(t, where, "stage", in.Stage, innovationStages)
				seen := map[string]bool{}
				for _, pc := range in.ProgrammeCodes {
					checkRef(t, where, "programme", pc, progs, true)
					if seen[pc] {
						t.Errorf("%s: programme %s repeated", where, pc)
					}
					seen[pc] = true
				}
				if len(in.StageHistory) == 0 {
					t.Errorf("%s: empty stage history", where)
					continue
				}
				if last := in.StageHistory[len(in.StageHistory)-1]; last.Stage != in.Stage {
					t.Errorf("%s: history ends with %s, stage is %s", where, last.Stage, in.Stage)
				}
				prev := ""
				for _, h := range in.StageHistory {
					checkEnum(t, where, "history stage", h.Stage, innovationStages)
					if h.On == "" {
						t.Errorf("%s: history entry %s has no date", where, h.Stage)
						continue
					}
					checkSpan(t, where+" history", prev, h.On)
					prev = h.On
				}
			}
		}},
		{"pilots", func(t *testing.T) {
			regions := regionSet(t)
			orgs := organisationSet(t)
			innovations := innovationSet(t)
			pairs := make([]string, 0, len(Pilots))
			for _, p := range Pilots {
				where := "pilot " + p.InnovationKey + "@" + p.SiteKey
				pairs = append(pairs, p.InnovationKey+"@"+p.SiteKey)
				checkRef(t, where, "innovation", p.InnovationKey, innovations, true)
				checkRef(t, where, "site", p.SiteKey, orgs, true)
				checkRef(t, where, "region", p.RegionCode, regions, true)
				checkEnum(t, where, "status", p.Status, pilotStatuses)
				checkSpan(t, where, p.StartDate, p.EndDate)
				if p.Summary == "" {
					t.Errorf("%s: empty summary", where)
				}
			}
			keySet(t, "pilots", pairs)
		}},
		{"metrics", func(t *testing.T) {
			codes := make([]string, 0, len(Metrics))
			kinds := map[string]bool{}
			for _, m := range Metrics {
				codes = append(codes, m.Code)
				where := "metric " + m.Code
				if !snakeCase.MatchString(m.Code) {
					t.Errorf("%s: code is not snake_case", where)
				}
				checkEnum(t, where, "kind", m.Kind, metricKinds)
				if m.Name == "" || m.Description == "" || m.Unit == "" {
					t.Errorf("%s: name, description and unit are required", where)
				}
				kinds[m.Kind] = true
			}
			keySet(t, "metrics", codes)
			for _, k := range metricKinds {
				if !kinds[k] {
					t.Errorf("no metric of kind %s", k)
				}
			}
		}},
	}

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.check(t)
		})
	}
}

// TestSpanErr makes sure the date check itself rejects bad input.
func TestSpanErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		start, end string
		wantErr    bool
	}{
		{"open", "2020-04-01", "", false},
		{"unknown", "", "", false},
		{"ordered", "2020-04-01", "2021-03-31", false},
		{"same day", "2020-04-01", "2020-04-01", false},
		{"reversed", "2021-03-31", "2020-04-01", true},
		{"bad format", "2020/04/01", "", true},
		{"bad day", "2020-02-30", "", true},
		{"bad end", "", "31-03-2021", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := spanErr(tc.start, tc.end); (err != nil) != tc.wantErr {
				t.Errorf("spanErr(%q, %q) = %v, want error %v", tc.start, tc.end, err, tc.wantErr)
			}
		})
	}
}
