package hin

// GlobalID methods give each node the opaque ID the API exposes.

func (v Region) GlobalID() string        { return GlobalID(KindRegion, v.ID) }
func (v Organisation) GlobalID() string  { return GlobalID(KindOrganisation, v.ID) }
func (v Collaborative) GlobalID() string { return GlobalID(KindCollaborative, v.ID) }
func (v Programme) GlobalID() string     { return GlobalID(KindProgramme, v.ID) }
func (v Innovation) GlobalID() string    { return GlobalID(KindInnovation, v.ID) }
func (v StageChange) GlobalID() string   { return GlobalID(KindStageChange, v.ID) }
func (v Pilot) GlobalID() string         { return GlobalID(KindPilot, v.ID) }
func (v Adoption) GlobalID() string      { return GlobalID(KindAdoption, v.ID) }
func (v Metric) GlobalID() string        { return GlobalID(KindMetric, v.ID) }
func (v Outcome) GlobalID() string       { return GlobalID(KindOutcome, v.ID) }
