package model

import (
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The aggregate results. Resolvers fill them completely from one SQL
// statement each, so they are plain structs.

// Figure is a combined figure with coverage and per-region parts.
type Figure struct {
	Metrics        []hin.Metric
	Kind           hin.MetricKind
	Unit           string
	Window         hin.Window
	Value          *float64
	Numerator      *float64
	Denominator    *float64
	OutcomeCount   int
	IncludesDrafts bool
	Coverage       *Coverage
	ByRegion       []RegionFigure
}

// Coverage says which regions reported.
type Coverage struct {
	ReportingRegions []hin.Region
	MissingRegions   []hin.Region
	ReportingCount   int
	ExpectedCount    int
}

// RegionFigure is one region's part of a figure.
type RegionFigure struct {
	Region          hin.Region
	Reported        bool
	Value           *float64
	Numerator       *float64
	Denominator     *float64
	LatestPeriodEnd *Date
	OutcomeCount    int
}

// Date is a calendar day for the Date scalar.
type Date = time.Time

// FigureGroup is one group of a breakdown.
type FigureGroup struct {
	Region          *hin.Region
	Programme       *hin.Programme
	Innovation      *hin.Innovation
	ClinicalArea    *string
	InnovationStage *hin.Stage
	Period          *hin.Period
	Value           *float64
	Numerator       *float64
	Denominator     *float64
	OutcomeCount    int
	ReportingCount  int
}

// Series is a time series.
type Series struct {
	Metrics []hin.Metric
	Kind    hin.MetricKind
	Unit    string
	Window  hin.Window
	Points  []SeriesPoint
}

// SeriesPoint is one period of a series.
type SeriesPoint struct {
	Period         hin.Period
	Reported       bool
	Value          *float64
	Numerator      *float64
	Denominator    *float64
	OutcomeCount   int
	ReportingCount int
}

// RegionComparison is regions side by side.
type RegionComparison struct {
	Metrics  []hin.Metric
	Window   hin.Window
	Rows     []RegionComparisonRow
	National []Figure
}

// RegionComparisonRow is one region's row.
type RegionComparisonRow struct {
	Region hin.Region
	Cells  []RegionFigure
}

// Pipeline is the innovation pipeline.
type Pipeline struct {
	Stages   []hin.StageCount
	ByRegion []RegionPipeline
	Moves    int
}

// RegionPipeline is one region's pipeline.
type RegionPipeline struct {
	Region hin.Region
	Stages []hin.StageCount
	Moves  int
}

// AdoptionSpread is how far adoption has spread.
type AdoptionSpread struct {
	Adopters int
	ByRegion []RegionAdoption
}

// RegionAdoption is adoption in one region.
type RegionAdoption struct {
	Region   hin.Region
	Adopters int
	ByKind   []KindAdoption
}

// KindAdoption is adoption among one kind of organisation.
type KindAdoption struct {
	Kind          hin.OrganisationKind
	Adopters      int
	Organisations int
	Share         *float64
}
