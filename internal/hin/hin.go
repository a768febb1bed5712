package hin

import "time"

// Region is one of the 15 Health Innovation Networks (formerly Academic
// Health Science Networks). Code is the short stable handle used in URLs,
// filters and tokens.
type Region struct {
	ID         string `db:"id"`
	Code       string `db:"code"`
	Name       string `db:"name"`
	FormerName string `db:"former_name"`
	Summary    string `db:"summary"`
	Version    int    `db:"version"`
}

// Organisation is a body in a region's footprint (ICB, trust, practice, care
// home) or a partner (innovator company, university, charity). Footprints
// change and ICBs merge, so membership is dated.
type Organisation struct {
	ID         string           `db:"id"`
	Name       string           `db:"name"`
	Kind       OrganisationKind `db:"kind"`
	RegionID   *string          `db:"region_id"`
	ValidFrom  *time.Time       `db:"valid_from"`
	ValidTo    *time.Time       `db:"valid_to"`
	Version    int              `db:"version"`
	ArchivedAt *time.Time       `db:"archived_at"`
}

// Collaborative is a group of organisations improving something together;
// each region hosts one Patient Safety Collaborative.
type Collaborative struct {
	ID           string            `db:"id"`
	Code         string            `db:"code"`
	Name         string            `db:"name"`
	Kind         CollaborativeKind `db:"kind"`
	HostRegionID string            `db:"host_region_id"`
	Description  string            `db:"description"`
}

// Programme is a national programme or one of its workstreams (ParentID).
type Programme struct {
	ID           string          `db:"id"`
	Code         string          `db:"code"`
	Name         string          `db:"name"`
	Kind         ProgrammeKind   `db:"kind"`
	ClinicalArea string          `db:"clinical_area"`
	Description  string          `db:"description"`
	StartDate    *time.Time      `db:"start_date"`
	EndDate      *time.Time      `db:"end_date"`
	ParentID     *string         `db:"parent_id"`
	Status       ProgrammeStatus `db:"status"`
	Version      int             `db:"version"`
}

// Innovation is a product, service or practice a network supports along the
// innovation journey.
type Innovation struct {
	ID             string     `db:"id"`
	Name           string     `db:"name"`
	Description    string     `db:"description"`
	InnovatorID    *string    `db:"innovator_id"`
	ClinicalArea   string     `db:"clinical_area"`
	LeadRegionID   *string    `db:"lead_region_id"`
	Stage          Stage      `db:"stage"`
	StageChangedOn time.Time  `db:"stage_changed_on"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	Version        int        `db:"version"`
	ArchivedAt     *time.Time `db:"archived_at"`
}

// StageChange records an innovation moving to a stage on a date.
type StageChange struct {
	ID           string    `db:"id"`
	InnovationID string    `db:"innovation_id"`
	FromStage    *Stage    `db:"from_stage"`
	ToStage      Stage     `db:"to_stage"`
	ChangedOn    time.Time `db:"changed_on"`
}

// Pilot is an innovation tried at one site (an organisation) in a region.
type Pilot struct {
	ID                string      `db:"id"`
	InnovationID      string      `db:"innovation_id"`
	SiteID            string      `db:"site_id"`
	RegionID          string      `db:"region_id"`
	Status            PilotStatus `db:"status"`
	StartDate         time.Time   `db:"start_date"`
	EndDate           *time.Time  `db:"end_date"`
	EvaluationSummary *string     `db:"evaluation_summary"`
	// EvaluationResult is the evaluation's verdict as data, set by the
	// region that ran the pilot.
	EvaluationResult EvaluationResult `db:"evaluation_result"`
	Version          int              `db:"version"`
	ArchivedAt       *time.Time       `db:"archived_at"`
}

// Adoption records an organisation taking up an innovation for routine use.
type Adoption struct {
	ID             string     `db:"id"`
	InnovationID   string     `db:"innovation_id"`
	OrganisationID string     `db:"organisation_id"`
	RegionID       string     `db:"region_id"`
	AdoptedOn      time.Time  `db:"adopted_on"`
	Version        int        `db:"version"`
	ArchivedAt     *time.Time `db:"archived_at"`
}

// Metric is a catalogue entry: what is measured, in which unit, and how
// values combine across regions and periods (Kind).
type Metric struct {
	ID          string     `db:"id"`
	Code        string     `db:"code"`
	Name        string     `db:"name"`
	Description string     `db:"description"`
	Unit        string     `db:"unit"`
	Kind        MetricKind `db:"kind"`
	Version     int        `db:"version"`
}

// Outcome is one measured value of a metric for a region and a period. Rate
// metrics carry Numerator and Denominator instead of Value.
type Outcome struct {
	ID              string        `db:"id"`
	MetricID        string        `db:"metric_id"`
	RegionID        string        `db:"region_id"`
	PeriodStart     time.Time     `db:"period_start"`
	PeriodEnd       time.Time     `db:"period_end"`
	Value           *float64      `db:"value"`
	Numerator       *float64      `db:"numerator"`
	Denominator     *float64      `db:"denominator"`
	InnovationID    *string       `db:"innovation_id"`
	PilotID         *string       `db:"pilot_id"`
	ProgrammeID     *string       `db:"programme_id"`
	Source          string        `db:"source"`
	Status          OutcomeStatus `db:"status"`
	CreatedAt       time.Time     `db:"created_at"`
	UpdatedAt       time.Time     `db:"updated_at"`
	PublishedAt     *time.Time    `db:"published_at"`
	WithdrawnAt     *time.Time    `db:"withdrawn_at"`
	WithdrawnReason *string       `db:"withdrawn_reason"`
	Version         int           `db:"version"`
}

// Rate is Numerator/Denominator for a rate outcome, nil otherwise or when
// the denominator is zero.
func (o Outcome) Rate() *float64 {
	if o.Numerator == nil || o.Denominator == nil || *o.Denominator == 0 {
		return nil
	}
	r := *o.Numerator / *o.Denominator
	return &r
}
