package hin

import (
	"io"
	"slices"
	"strconv"
)

// Enumerations. Each is a string type whose values are the GraphQL enum
// values, so the same constant travels from the schema to the database.

// OrganisationKind says what sort of body an organisation is.
type OrganisationKind string

const (
	OrgICB         OrganisationKind = "ICB"
	OrgNHSTrust    OrganisationKind = "NHS_TRUST"
	OrgPrimaryCare OrganisationKind = "PRIMARY_CARE"
	OrgCareHome    OrganisationKind = "CARE_HOME"
	OrgIndustry    OrganisationKind = "INDUSTRY"
	OrgAcademia    OrganisationKind = "ACADEMIA"
	OrgCharity     OrganisationKind = "CHARITY"
	OrgOther       OrganisationKind = "OTHER"
)

// OrganisationKinds lists every OrganisationKind.
var OrganisationKinds = []OrganisationKind{OrgICB, OrgNHSTrust, OrgPrimaryCare, OrgCareHome, OrgIndustry, OrgAcademia, OrgCharity, OrgOther}

// CollaborativeKind separates the Patient Safety Collaboratives from others.
type CollaborativeKind string

const (
	CollabPatientSafety CollaborativeKind = "PATIENT_SAFETY"
	CollabOther         CollaborativeKind = "OTHER"
)

// CollaborativeKinds lists every CollaborativeKind.
var CollaborativeKinds = []CollaborativeKind{CollabPatientSafety, CollabOther}

// ProgrammeKind classifies national programmes.
type ProgrammeKind string

const (
	ProgPatientSafety    ProgrammeKind = "PATIENT_SAFETY"
	ProgNationalAdoption ProgrammeKind = "NATIONAL_ADOPTION"
	ProgOther            ProgrammeKind = "OTHER"
)

// ProgrammeKinds lists every ProgrammeKind.
var ProgrammeKinds = []ProgrammeKind{ProgPatientSafety, ProgNationalAdoption, ProgOther}

// ProgrammeStatus is where a programme stands. WITHDRAWN marks programmes
// that national bodies later said should not be used.
type ProgrammeStatus string

const (
	ProgActive    ProgrammeStatus = "ACTIVE"
	ProgCompleted ProgrammeStatus = "COMPLETED"
	ProgWithdrawn ProgrammeStatus = "WITHDRAWN"
)

// ProgrammeStatuses lists every ProgrammeStatus.
var ProgrammeStatuses = []ProgrammeStatus{ProgActive, ProgCompleted, ProgWithdrawn}

// Stage is a step of the innovation journey, in order.
type Stage string

const (
	StageIdentifyNeed         Stage = "IDENTIFY_NEED"
	StageSelectAndRefine      Stage = "SELECT_AND_REFINE"
	StageDevelopAndTest       Stage = "DEVELOP_AND_TEST"
	StageRealWorldPilot       Stage = "REAL_WORLD_PILOT"
	StageEvidenceIntoPractice Stage = "EVIDENCE_INTO_PRACTICE"
	StageAdoption             Stage = "ADOPTION"
	StageSystemChange         Stage = "SYSTEM_CHANGE"
)

// Stages lists the journey in order.
var Stages = []Stage{StageIdentifyNeed, StageSelectAndRefine, StageDevelopAndTest, StageRealWorldPilot, StageEvidenceIntoPractice, StageAdoption, StageSystemChange}

// PilotStatus is where a pilot stands.
type PilotStatus string

const (
	PilotPlanned    PilotStatus = "PLANNED"
	PilotRunning    PilotStatus = "RUNNING"
	PilotEvaluating PilotStatus = "EVALUATING"
	PilotCompleted  PilotStatus = "COMPLETED"
	PilotStopped    PilotStatus = "STOPPED"
)

// PilotStatuses lists every PilotStatus.
var PilotStatuses = []PilotStatus{PilotPlanned, PilotRunning, PilotEvaluating, PilotCompleted, PilotStopped}

// MetricKind says how a metric combines across regions and periods.
type MetricKind string

const (
	// MetricCount values add up over regions and periods.
	MetricCount MetricKind = "COUNT"
	// MetricRate values are numerator/denominator pairs; combined as
	// sum(numerators)/sum(denominators).
	MetricRate MetricKind = "RATE"
	// MetricSnapshot values are levels: latest per region, summed across regions.
	MetricSnapshot MetricKind = "SNAPSHOT"
)

// MetricKinds lists every MetricKind.
var MetricKinds = []MetricKind{MetricCount, MetricRate, MetricSnapshot}

// OutcomeStatus separates figures still being checked from published ones.
type OutcomeStatus string

const (
	OutcomeDraft     OutcomeStatus = "DRAFT"
	OutcomePublished OutcomeStatus = "PUBLISHED"
	// OutcomeWithdrawn marks a published figure taken back, with a reason;
	// it stays visible but is never counted.
	OutcomeWithdrawn OutcomeStatus = "WITHDRAWN"
)

// OutcomeStatuses lists every OutcomeStatus.
var OutcomeStatuses = []OutcomeStatus{OutcomeDraft, OutcomePublished, OutcomeWithdrawn}

// SortDirection orders a list.
type SortDirection string

const (
	Asc  SortDirection = "ASC"
	Desc SortDirection = "DESC"
)

// SortDirections lists both directions.
var SortDirections = []SortDirection{Asc, Desc}

func (v OrganisationKind) IsValid() bool  { return slices.Contains(OrganisationKinds, v) }
func (v CollaborativeKind) IsValid() bool { return slices.Contains(CollaborativeKinds, v) }
func (v ProgrammeKind) IsValid() bool     { return slices.Contains(ProgrammeKinds, v) }
func (v ProgrammeStatus) IsValid() bool   { return slices.Contains(ProgrammeStatuses, v) }
func (v Stage) IsValid() bool             { return slices.Contains(Stages, v) }
func (v PilotStatus) IsValid() bool       { return slices.Contains(PilotStatuses, v) }
func (v MetricKind) IsValid() bool        { return slices.Contains(MetricKinds, v) }
func (v OutcomeStatus) IsValid() bool     { return slices.Contains(OutcomeStatuses, v) }
func (v SortDirection) IsValid() bool     { return slices.Contains(SortDirections, v) }

// Ordinal is the stage's position on the journey, from 1.
func (v Stage) Ordinal() int { return slices.Index(Stages, v) + 1 }

// The GraphQL marshalling below lets gqlgen bind the schema's enums straight
// to these types; it needs only io and strconv.

func (v OrganisationKind) MarshalGQL(w io.Writer)    { writeEnum(w, string(v)) }
func (v CollaborativeKind) MarshalGQL(w io.Writer)   { writeEnum(w, string(v)) }
func (v ProgrammeKind) MarshalGQL(w io.Writer)       { writeEnum(w, string(v)) }
func (v ProgrammeStatus) MarshalGQL(w io.Writer)     { writeEnum(w, string(v)) }
func (v Stage) MarshalGQL(w io.Writer)               { writeEnum(w, string(v)) }
func (v PilotStatus) MarshalGQL(w io.Writer)         { writeEnum(w, string(v)) }
func (v MetricKind) MarshalGQL(w io.Writer)          { writeEnum(w, string(v)) }
func (v OutcomeStatus) MarshalGQL(w io.Writer)       { writeEnum(w, string(v)) }
func (v SortDirection) MarshalGQL(w io.Writer)       { writeEnum(w, string(v)) }
func (v *OrganisationKind) UnmarshalGQL(x any) error { return readEnum(x, v, "OrganisationKind") }
func (v *CollaborativeKind) UnmarshalGQL(x any) error {
	return readEnum(x, v, "CollaborativeKind")
}
func (v *ProgrammeKind) UnmarshalGQL(x any) error   { return readEnum(x, v, "ProgrammeKind") }
func (v *ProgrammeStatus) UnmarshalGQL(x any) error { return readEnum(x, v, "ProgrammeStatus") }
func (v *Stage) UnmarshalGQL(x any) error           { return readEnum(x, v, "InnovationStage") }
func (v *PilotStatus) UnmarshalGQL(x any) error     { return readEnum(x, v, "PilotStatus") }
func (v *MetricKind) UnmarshalGQL(x any) error      { return readEnum(x, v, "MetricKind") }
func (v *OutcomeStatus) UnmarshalGQL(x any) error   { return readEnum(x, v, "OutcomeStatus") }
func (v *SortDirection) UnmarshalGQL(x any) error   { return readEnum(x, v, "SortDirection") }

type enum interface {
	~string
	IsValid() bool
}

func writeEnum(w io.Writer, s string) { _, _ = io.WriteString(w, strconv.Quote(s)) }

func readEnum[T enum](x any, dst *T, name string) error {
	s, ok := x.(string)
	if !ok {
		return Errorf(EINVALID, "%s must be an enum value", name)
	}
	v := T(s)
	if !v.IsValid() {
		return Errorf(EINVALID, "%s is not a valid %s", Quote(s), name)
	}
	*dst = v
	return nil
}
