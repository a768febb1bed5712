package graph

import (
	"context"

	"github.com/hin-graph/hin-graph/graph/model"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// What direct execution knows that the schema does not: which types it
// plans, how each field with a resolver reaches its objects, and which
// fields it leaves to gqlgen. devtools/gqlgen reads the names declared
// here (plannedTypes, the keys of relations and of indirectFields) and
// generates everything else into direct_gen.go; it fails when a field of a
// planned type is none of bound, related or indirect.

// plannedTypes are the object types direct execution plans.
var plannedTypes = []string{"Region", "Organisation", "Programme", "Innovation", "Pilot", "Metric", "Outcome", "Adoption",
	"Collaborative", "StageChange"}

// indirectFields are fields of planned types left to gqlgen on purpose: a
// query selecting one goes through gqlgen's execution.
var indirectFields = map[string]string{
	"Region.figure":             figureReason,
	"Region.figureBreakdown":    figureReason,
	"Region.series":             figureReason,
	"Region.innovationPipeline": figureReason,
	"Region.adoptionSpread":     figureReason,
	"Region.pilotDuplication":   figureReason,
	"Region.pilotConversion":    figureReason,
	"Region.spreadTargets":      figureReason,
	"Outcome.history":           "an outcome's revisions, read one outcome at a time",
}

const figureReason = "an aggregate over many rows, computed in SQL by its own resolver"

// relation is how a field with a resolver reaches its objects, for the
// resolver and the planner alike. consumes are the arguments it reads:
// a query setting any other argument of the field goes to gqlgen.
type relation struct {
	consumes []string
	ref      *directRef
	list     *directList
	page     *pageSource
	parent   string // a page's relation to its parent in the store ("" at the root)
	rootList func(ctx context.Context, s *store.Store, args map[string]any) ([]any, error)
	lookup   func(ctx context.Context, s *store.Store, args map[string]any) (any, error) // nil: null
	node     bool                                                                        // Query.node and Query.nodes
}

var pageArgNames = []string{"first", "after", "filter", "orderBy"}

// relations are every field of a planned type (and every root field) that
// direct execution serves through a resolver's store call.
var relations = map[string]*relation{
	"Query.node":           {consumes: []string{"id"}, node: true},
	"Query.nodes":          {consumes: []string{"ids"}, node: true},
	"Query.organisations":  pageRel("", organisationPages),
	"Query.programmes":     pageRel("", programmePages),
	"Query.innovations":    pageRel("", innovationPages),
	"Query.pilots":         pageRel("", pilotPages),
	"Query.outcomes":       pageRel("", outcomePages),
	"Query.adoptions":      pageRel("", adoptionPages),
	"Query.collaboratives": rootList((*store.Store).Collaboratives),
	"Query.regions":        rootList((*store.Store).Regions),
	"Query.metrics":        rootList((*store.Store).Metrics),
	"Query.region":         byCode((*store.Store).RegionByCode),
	"Query.programme":      byCode((*store.Store).ProgrammeByCode),

	"Region.organisations":              pageRel("region", organisationPages),
	"Region.programmes":                 pageRel("region", programmePages),
	"Region.innovations":                pageRel("region", innovationPages),
	"Region.pilots":                     pageRel("region", pilotPages),
	"Region.outcomes":                   pageRel("region", outcomePages),
	"Region.adoptions":                  pageRel("region", adoptionPages),
	"Region.collaboratives":             listRel(listsOf((*store.Store).CollaborativesByRegion)),
	"Region.patientSafetyCollaborative": {ref: &directRef{keyField: "ID", key: mustKey(func(v *hin.Region) string { return v.ID }), fetch: hostedPSCs}},

	"Organisation.region":      refTo(regionRef, "RegionID", func(v *hin.Organisation) *string { return v.RegionID }),
	"Organisation.pilots":      pageRel("site", pilotPages),
	"Organisation.innovations": pageRel("innovator", innovationPages),
	"Organisation.adoptions":   pageRel("organisation", adoptionPages),

	"Programme.parent":      refTo(programmeRef, "ParentID", func(v *hin.Programme) *string { return v.ParentID }),
	"Programme.workstreams": pageRel("parent", programmePages),
	"Programme.innovations": pageRel("programme", innovationPages),
	"Programme.outcomes":    pageRel("programme", outcomePages),
	"Programme.regions":     listRel(linkedRegions((*store.Store).ProgrammeRegions)),

	"Innovation.innovator":    refTo(organisationRef, "InnovatorID", func(v *hin.Innovation) *string { return v.InnovatorID }),
	"Innovation.leadRegion":   refTo(regionRef, "LeadRegionID", func(v *hin.Innovation) *string { return v.LeadRegionID }),
	"Innovation.programmes":   pageRel("innovation", programmePages),
	"Innovation.pilots":       pageRel("innovation", pilotPages),
	"Innovation.outcomes":     pageRel("innovation", outcomePages),
	"Innovation.adoptions":    pageRel("innovation", adoptionPages),
	"Innovation.stageHistory": listRel(listsOf((*store.Store).StageHistories)),

	"Pilot.innovation": mustRefTo(innovationRef, "InnovationID", func(v *hin.Pilot) string { return v.InnovationID }),
	"Pilot.site":       mustRefTo(organisationRef, "SiteID", func(v *hin.Pilot) string { return v.SiteID }),
	"Pilot.region":     mustRefTo(regionRef, "RegionID", func(v *hin.Pilot) string { return v.RegionID }),
	"Pilot.outcomes":   pageRel("pilot", outcomePages),

	"Metric.outcomes": pageRel("metric", outcomePages),

	"Outcome.metric":     mustRefTo(metricRef, "MetricID", func(v *hin.Outcome) string { return v.MetricID }),
	"Outcome.region":     mustRefTo(regionRef, "RegionID", func(v *hin.Outcome) string { return v.RegionID }),
	"Outcome.innovation": refTo(innovationRef, "InnovationID", func(v *hin.Outcome) *string { return v.InnovationID }),
	"Outcome.pilot":      refTo(pilotRef, "PilotID", func(v *hin.Outcome) *string { return v.PilotID }),
	"Outcome.programme":  refTo(programmeRef, "ProgrammeID", func(v *hin.Outcome) *string { return v.ProgrammeID }),

	"Adoption.innovation":   mustRefTo(innovationRef, "InnovationID", func(v *hin.Adoption) string { return v.InnovationID }),
	"Adoption.organisation": mustRefTo(organisationRef, "OrganisationID", func(v *hin.Adoption) string { return v.OrganisationID }),
	"Adoption.region":       mustRefTo(regionRef, "RegionID", func(v *hin.Adoption) string { return v.RegionID }),

	"Collaborative.hostRegion": mustRefTo(regionRef, "HostRegionID", func(v *hin.Collaborative) string { return v.HostRegionID }),
	"Collaborative.regions":    listRel(linkedRegions((*store.Store).CollaborativeMembers)),
}

// directLoaders load objects of a planned type by UUID: node(id) and
// nodes(ids).
var directLoaders = map[string]func(ctx context.Context, s *store.Store, ids []string) (map[string]any, error){
	hin.KindRegion:        byIDOf(regionRef),
	hin.KindOrganisation:  byIDOf(organisationRef),
	hin.KindProgramme:     byIDOf(programmeRef),
	hin.KindInnovation:    byIDOf(innovationRef),
	hin.KindPilot:         byIDOf(pilotRef),
	hin.KindMetric:        byIDOf(metricRef),
	hin.KindOutcome:       byIDOf(outcomeRef),
	hin.KindAdoption:      byIDOf(adoptionRef),
	hin.KindCollaborative: byIDOf(collaborativeRef),
}

func pageRel(parent string, src pageSource) *relation {
	return &relation{consumes: pageArgNames, page: &src, parent: parent}
}

func listRel(l *directList) *relation {
	return &relation{list: l}
}

// refTo is a reference by a nullable key field of the parent, keyField
// being its Go name.
func refTo[T, P any](r ref[T], keyField string, key func(*P) *string) *relation {
	return &relation{ref: &directRef{keyField: keyField, key: refKey(key), fetch: byIDOf(r), typed: r}}
}

// mustRefTo is a reference by a key field the parent always holds.
func mustRefTo[T, P any](r ref[T], keyField string, key func(*P) string) *relation {
	return &relation{ref: &directRef{keyField: keyField, key: mustKey(key), fetch: byIDOf(r), typed: r}}
}

// rootList is a root list with an optional filter.
func rootList[T, F any](fetch func(*store.Store, context.Context, F) ([]T, error)) *relation {
	return &relation{consumes: []string{"filter"}, rootList: func(ctx context.Context, s *store.Store, args map[string]any) ([]any, error) {
		f, _ := args["filter"].(*F)
		return pointers(fetch(s, ctx, deref(f)))
	}}
}

// byCode is a root lookup by code.
func byCode[T any](fetch func(*store.Store, context.Context, string) (T, error)) *relation {
	return &relation{consumes: []string{"code"}, lookup: func(ctx context.Context, s *store.Store, args map[string]any) (any, error) {
		code, _ := args["code"].(string)
		return lookup(fetch(s, ctx, code))
	}}
}

// hostedPSCs is each region's patient safety collaborative, among those it
// takes part in (patientSafetyCollaborative).
func hostedPSCs(ctx context.Context, s *store.Store, regionIDs []string) (map[string]any, error) {
	cs, err := s.CollaborativesByRegion(ctx, regionIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, id := range regionIDs {
		if c := hostsPSC(id, cs[id]); c != nil {
			out[id] = c
		}
	}
	return out, nil
}

// The resolvers of relations read them here, so that both ways of
// executing a field use the same store call, parent relation and key.

// relPage resolves a page relation ("Region.innovations"; parentID ""
// at the root).
func relPage[T, F any](ctx context.Context, key, parentID string, filter *F, order hin.Order, first *int, after *string) (*model.Connection[T], error) {
	rel := relations[key]
	tp := rel.page.typed.(typedPage[T, F])
	s := loadersFrom(ctx).store
	list := func(ctx context.Context, in store.ListIn, f F) (map[string]*hin.Page[T], error) {
		return tp.list(s, ctx, in, f)
	}
	count := func(ctx context.Context, parent string, ids []string, f F) (map[string]int, error) {
		return tp.count(s, ctx, parent, ids, f)
	}
	if rel.parent == "" {
		return rootConnection(ctx, filter, order, first, after, list, count)
	}
	return nestedConnection(ctx, key, rel.parent, parentID, filter, order, first, after, list, count)
}

// relRef resolves a reference relation of obj.
func relRef[T, P any](ctx context.Context, key string, obj *P) (*T, error) {
	r := relations[key].ref
	return loadRef(ctx, r.typed.(ref[T]), r.key(obj))
}

// relList resolves a list relation of the parent with the UUID id.
func relList[V any](ctx context.Context, key, id string) ([]V, error) {
	fetch := relations[key].list.typed.(func(*store.Store, context.Context, []string) (map[string][]V, error))
	return loadList(ctx, key, fetch, id)
}

// relRegions resolves a relation to linked regions.
func relRegions(ctx context.Context, key, id string) ([]hin.Region, error) {
	links := relations[key].list.typed.(func(*store.Store, context.Context, []string) (map[string][]string, error))
	s := loadersFrom(ctx).store
	return regionsOf(ctx, key, func(ctx context.Context, ids []string) (map[string][]string, error) { return links(s, ctx, ids) }, id)
}
