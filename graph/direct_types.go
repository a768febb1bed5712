package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"math"
	"strconv"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// The types and fields direct execution (direct.go) serves, each bound to
// what its resolver reads and marshalled as the generated code marshals it.
// A field missing here sends its query through gqlgen.

// directType is an object type: its scalar fields, its references to one
// object, and its pages.
type directType struct {
	name    string
	id      func(o any) string // the UUID, by which pages find their parent
	byID    func(ctx context.Context, s *store.Store, ids []string) (map[string]any, error)
	scalars map[string]scalarFn
	refs    map[string]*directRef
	lists   map[string]*directList
	pages   map[string]*directPage
}

// scalarFn writes one scalar field of an object.
type scalarFn func(w *bytes.Buffer, o any) error

// directRef is a field holding one object of type to, found by the key the
// parent holds (nil: null): by id, or by fetch when it is set.
type directRef struct {
	to      string
	key     func(o any) *string
	nonNull bool
	fetch   func(ctx context.Context, s *store.Store, keys []string) (map[string]any, error)
}

// directList is a field holding a list of objects of type to, fetched for
// many parents at once and keyed by the parent's id.
type directList struct {
	to    string
	fetch func(ctx context.Context, s *store.Store, parents []string) (map[string][]any, error)
}

// listsOf adapts a store function that lists records per parent.
func listsOf[T any](fetch func(*store.Store, context.Context, []string) (map[string][]T, error)) func(context.Context, *store.Store, []string) (map[string][]any, error) {
	return func(ctx context.Context, s *store.Store, parents []string) (map[string][]any, error) {
		m, err := fetch(s, ctx, parents)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]any, len(m))
		for k, vs := range m {
			out[k], _ = pointers(vs, nil)
		}
		return out, nil
	}
}

// linkedRegions lists the regions linked to each parent (a programme's or a
// collaborative's), in the order of the links, as regionsOf does.
func linkedRegions(links func(*store.Store, context.Context, []string) (map[string][]string, error)) func(context.Context, *store.Store, []string) (map[string][]any, error) {
	return func(ctx context.Context, s *store.Store, parents []string) (map[string][]any, error) {
		ids, err := links(s, ctx, parents)
		if err != nil {
			return nil, err
		}
		var all []string
		for _, p := range parents {
			all = append(all, ids[p]...)
		}
		regions := map[string]any{}
		if len(all) > 0 {
			if regions, err = byIDOf(regionRef)(ctx, s, all); err != nil {
				return nil, err
			}
		}
		out := make(map[string][]any, len(parents))
		for _, p := range parents {
			list := make([]any, 0, len(ids[p]))
			for _, id := range ids[p] {
				if r, ok := regions[id]; ok {
					list = append(list, r)
				}
			}
			out[p] = list
		}
		return out, nil
	}
}

// argsFn is a generated argument coercer, (*executionContext).field_X_y_args.
type argsFn func(ec *executionContext, ctx context.Context, raw map[string]any) (map[string]any, error)

// directPage is a connection field of items of type to, hanging off its
// parent by the store's relation parent ("" at the root).
type directPage struct {
	to     string
	parent string
	args   argsFn
	pageSource
}

// pageSource is the store's list and count of one item type, with the
// filter as the argument map holds it (*F).
type pageSource struct {
	fetch func(ctx context.Context, s *store.Store, in store.ListIn, filter any) (map[string]*directPageResult, error)
	count func(ctx context.Context, s *store.Store, parent string, ids []string, filter any) (map[string]int, error)
}

// directPageResult is a hin.Page with its items as pointers.
type directPageResult struct {
	items          []any
	next, previous bool
	total          *int
	cursor         func(i int) string
}

func pagesOf[T, F any](list func(*store.Store, context.Context, store.ListIn, F) (map[string]*hin.Page[T], error),
	count func(*store.Store, context.Context, string, []string, F) (map[string]int, error)) pageSource {
	filter := func(f any) F {
		p, _ := f.(*F)
		return deref(p)
	}
	return pageSource{
		fetch: func(ctx context.Context, s *store.Store, in store.ListIn, f any) (map[string]*directPageResult, error) {
			pages, err := list(s, ctx, in, filter(f))
			if err != nil {
				return nil, err
			}
			out := make(map[string]*directPageResult, len(pages))
			for k, p := range pages {
				r := &directPageResult{items: make([]any, len(p.Items)), next: p.HasNext, previous: p.HasPrevious, total: p.Total, cursor: p.Cursor}
				for i := range p.Items {
					r.items[i] = &p.Items[i]
				}
				out[k] = r
			}
			return out, nil
		},
		count: func(ctx context.Context, s *store.Store, parent string, ids []string, f any) (map[string]int, error) {
			return count(s, ctx, parent, ids, filter(f))
		},
	}
}

var (
	organisationPages = pagesOf((*store.Store).Organisations, (*store.Store).CountOrganisations)
	programmePages    = pagesOf((*store.Store).Programmes, (*store.Store).CountProgrammes)
	innovationPages   = pagesOf((*store.Store).Innovations, (*store.Store).CountInnovations)
	pilotPages        = pagesOf((*store.Store).Pilots, (*store.Store).CountPilots)
	outcomePages      = pagesOf((*store.Store).Outcomes, (*store.Store).CountOutcomes)
	adoptionPages     = pagesOf((*store.Store).Adoptions, (*store.Store).CountAdoptions)
)

// byIDOf loads objects of one type by UUID, as the ref loaders do.
func byIDOf[T any](r ref[T]) func(context.Context, *store.Store, []string) (map[string]any, error) {
	return func(ctx context.Context, s *store.Store, ids []string) (map[string]any, error) {
		m, err := r.fetch(s, ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = &v
		}
		return out, nil
	}
}

// The scalar writers append to the buffer what the generated code's
// marshaller for the field writes (graphql.MarshalString, MarshalID,
// MarshalInt, MarshalFloatContext, MarshalTime, model.MarshalDate, the
// enums' MarshalGQL), without a Marshaler per value: on a deep page these
// run for every field of thousands of objects. TestScalarWritersMatch
// holds each to its marshaller.

func field[T any](write func(w *bytes.Buffer, v *T) error) scalarFn {
	return func(w *bytes.Buffer, o any) error { return write(w, o.(*T)) }
}

func globalID[T any](kind string, uuid func(*T) string) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error { writeGlobalID(w, kind, uuid(v)); return nil })
}

func text[T any](get func(*T) string) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error { writeString(w, get(v)); return nil })
}

func integer[T any](get func(*T) int) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error {
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(get(v)), 10))
		return nil
	})
}

func enum[T any, E ~string](get func(*T) E) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error {
		w.Write(strconv.AppendQuote(w.AvailableBuffer(), string(get(v))))
		return nil
	})
}

func date[T any](get func(*T) time.Time) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error { writeTime(w, get(v), time.DateOnly); return nil })
}

func dateTime[T any](get func(*T) time.Time) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error {
		t := get(v)
		if t.IsZero() {
			return errIndirect // MarshalTime's null, in a non-null field: gqlgen reports it
		}
		writeTime(w, t, time.RFC3339Nano)
		return nil
	})
}

// optional writes null for a nil value, otherwise what write writes.
func optional[T, V any](get func(*T) *V, write func(w *bytes.Buffer, v V)) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error {
		if p := get(v); p != nil {
			write(w, *p)
		} else {
			w.WriteString("null")
		}
		return nil
	})
}

func optText[T any](get func(*T) *string) scalarFn { return optional(get, writeString) }

func optEnum[T any, E ~string](get func(*T) *E) scalarFn {
	return optional(get, func(w *bytes.Buffer, v E) { w.Write(strconv.AppendQuote(w.AvailableBuffer(), string(v))) })
}

func optDate[T any](get func(*T) *time.Time) scalarFn {
	return optional(get, func(w *bytes.Buffer, t time.Time) { writeTime(w, t, time.DateOnly) })
}

func optDateTime[T any](get func(*T) *time.Time) scalarFn {
	return optional(get, func(w *bytes.Buffer, t time.Time) {
		if t.IsZero() {
			w.WriteString("null") // as MarshalTime
			return
		}
		writeTime(w, t, time.RFC3339Nano)
	})
}

func optFloat[T any](get func(*T) *float64) scalarFn {
	return field(func(w *bytes.Buffer, v *T) error {
		p := get(v)
		switch {
		case p == nil:
			w.WriteString("null")
		case math.IsInf(*p, 0) || math.IsNaN(*p):
			return errIndirect // MarshalFloatContext refuses them; gqlgen reports it
		default:
			w.Write(strconv.AppendFloat(w.AvailableBuffer(), *p, 'g', -1, 64)) // fmt's %g
		}
		return nil
	})
}

func typeName(name string) scalarFn {
	return func(w *bytes.Buffer, _ any) error { writeString(w, name); return nil }
}

// writeString quotes s as graphql.MarshalString does: only ", \ and the
// control characters are escaped, everything else is copied byte for byte.
func writeString(w *bytes.Buffer, s string) {
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		w.WriteString(s[start:i])
		switch c {
		case '\t':
			w.WriteString(`\t`)
		case '\r':
			w.WriteString(`\r`)
		case '\n':
			w.WriteString(`\n`)
		case '\\':
			w.WriteString(`\\`)
		case '"':
			w.WriteString(`\"`)
		default:
			w.WriteString(`\u00`)
			w.WriteByte(hexDigits[c>>4])
			w.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	w.WriteString(s[start:])
	w.WriteByte('"')
}

const hexDigits = "0123456789ABCDEF"

// writeTime quotes t in layout; the layouts used give only characters
// strconv.Quote leaves alone.
func writeTime(w *bytes.Buffer, t time.Time, layout string) {
	b := append(w.AvailableBuffer(), '"')
	b = t.AppendFormat(b, layout)
	w.Write(append(b, '"'))
}

// writeGlobalID writes hin.GlobalID(kind, uuid), quoted: base64 needs no
// escaping.
func writeGlobalID(w *bytes.Buffer, kind, uuid string) {
	var raw [64]byte
	src := append(append(append(raw[:0], kind...), ':'), uuid...)
	b := append(w.AvailableBuffer(), '"')
	b = base64.RawURLEncoding.AppendEncode(b, src)
	w.Write(append(b, '"'))
}

func idOf[T any](get func(*T) string) func(any) string {
	return func(o any) string { return get(o.(*T)) }
}

func refKey[T any](get func(*T) *string) func(any) *string {
	return func(o any) *string { return get(o.(*T)) }
}

func mustKey[T any](get func(*T) string) func(any) *string {
	return func(o any) *string { k := get(o.(*T)); return &k }
}

// directTypes are the object types by name; filled in init, since types
// refer to each other.
var directTypes map[string]*directType

// directRoot is a root field: a connection (page), or a list or lookup of
// objects of type to.
type directRoot struct {
	page *directPage
	to   string
	args argsFn
	list func(ctx context.Context, s *store.Store, args map[string]any) ([]any, error)
	one  func(ctx context.Context, s *store.Store, args map[string]any) (any, error) // nil: null
}

var directRoots map[string]directRoot

func init() {
	region := &directType{
		name: "Region",
		id:   idOf(func(v *hin.Region) string { return v.ID }),
		byID: byIDOf(regionRef),
		scalars: map[string]scalarFn{
			"id":         globalID(hin.KindRegion, func(v *hin.Region) string { return v.ID }),
			"code":       text(func(v *hin.Region) string { return v.Code }),
			"name":       text(func(v *hin.Region) string { return v.Name }),
			"formerName": text(func(v *hin.Region) string { return v.FormerName }),
			"summary":    text(func(v *hin.Region) string { return v.Summary }),
			"version":    integer(func(v *hin.Region) int { return v.Version }),
		},
		pages: map[string]*directPage{
			"organisations": {"Organisation", "region", (*executionContext).field_Region_organisations_args, organisationPages},
			"programmes":    {"Programme", "region", (*executionContext).field_Region_programmes_args, programmePages},
			"innovations":   {"Innovation", "region", (*executionContext).field_Region_innovations_args, innovationPages},
			"pilots":        {"Pilot", "region", (*executionContext).field_Region_pilots_args, pilotPages},
			"outcomes":      {"Outcome", "region", (*executionContext).field_Region_outcomes_args, outcomePages},
			"adoptions":     {"Adoption", "region", (*executionContext).field_Region_adoptions_args, adoptionPages},
		},
		lists: map[string]*directList{
			"collaboratives": {to: "Collaborative", fetch: listsOf((*store.Store).CollaborativesByRegion)},
		},
		refs: map[string]*directRef{
			// the collaborative it hosts, among those it takes part in
			"patientSafetyCollaborative": {to: "Collaborative", key: mustKey(func(v *hin.Region) string { return v.ID }),
				fetch: func(ctx context.Context, s *store.Store, regionIDs []string) (map[string]any, error) {
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
				}},
		},
	}
	organisation := &directType{
		name: "Organisation",
		id:   idOf(func(v *hin.Organisation) string { return v.ID }),
		byID: byIDOf(organisationRef),
		scalars: map[string]scalarFn{
			"id":         globalID(hin.KindOrganisation, func(v *hin.Organisation) string { return v.ID }),
			"name":       text(func(v *hin.Organisation) string { return v.Name }),
			"kind":       enum(func(v *hin.Organisation) hin.OrganisationKind { return v.Kind }),
			"validFrom":  optDate(func(v *hin.Organisation) *time.Time { return v.ValidFrom }),
			"validTo":    optDate(func(v *hin.Organisation) *time.Time { return v.ValidTo }),
			"version":    integer(func(v *hin.Organisation) int { return v.Version }),
			"archivedAt": optDateTime(func(v *hin.Organisation) *time.Time { return v.ArchivedAt }),
		},
		refs: map[string]*directRef{
			"region": {to: "Region", key: refKey(func(v *hin.Organisation) *string { return v.RegionID })},
		},
		pages: map[string]*directPage{
			"pilots":      {"Pilot", "site", (*executionContext).field_Organisation_pilots_args, pilotPages},
			"innovations": {"Innovation", "innovator", (*executionContext).field_Organisation_innovations_args, innovationPages},
			"adoptions":   {"Adoption", "organisation", (*executionContext).field_Organisation_adoptions_args, adoptionPages},
		},
	}
	programme := &directType{
		name: "Programme",
		id:   idOf(func(v *hin.Programme) string { return v.ID }),
		byID: byIDOf(programmeRef),
		scalars: map[string]scalarFn{
			"id":           globalID(hin.KindProgramme, func(v *hin.Programme) string { return v.ID }),
			"code":         text(func(v *hin.Programme) string { return v.Code }),
			"name":         text(func(v *hin.Programme) string { return v.Name }),
			"kind":         enum(func(v *hin.Programme) hin.ProgrammeKind { return v.Kind }),
			"clinicalArea": text(func(v *hin.Programme) string { return v.ClinicalArea }),
			"description":  text(func(v *hin.Programme) string { return v.Description }),
			"startDate":    optDate(func(v *hin.Programme) *time.Time { return v.StartDate }),
			"endDate":      optDate(func(v *hin.Programme) *time.Time { return v.EndDate }),
			"status":       enum(func(v *hin.Programme) hin.ProgrammeStatus { return v.Status }),
			"version":      integer(func(v *hin.Programme) int { return v.Version }),
		},
		refs: map[string]*directRef{
			"parent": {to: "Programme", key: refKey(func(v *hin.Programme) *string { return v.ParentID })},
		},
		pages: map[string]*directPage{
			"workstreams": {"Programme", "parent", (*executionContext).field_Programme_workstreams_args, programmePages},
			"innovations": {"Innovation", "programme", (*executionContext).field_Programme_innovations_args, innovationPages},
			"outcomes":    {"Outcome", "programme", (*executionContext).field_Programme_outcomes_args, outcomePages},
		},
		lists: map[string]*directList{
			"regions": {to: "Region", fetch: linkedRegions((*store.Store).ProgrammeRegions)},
		},
	}
	innovation := &directType{
		name: "Innovation",
		id:   idOf(func(v *hin.Innovation) string { return v.ID }),
		byID: byIDOf(innovationRef),
		scalars: map[string]scalarFn{
			"id":             globalID(hin.KindInnovation, func(v *hin.Innovation) string { return v.ID }),
			"name":           text(func(v *hin.Innovation) string { return v.Name }),
			"description":    text(func(v *hin.Innovation) string { return v.Description }),
			"clinicalArea":   text(func(v *hin.Innovation) string { return v.ClinicalArea }),
			"stage":          enum(func(v *hin.Innovation) hin.Stage { return v.Stage }),
			"stageChangedOn": date(func(v *hin.Innovation) time.Time { return v.StageChangedOn }),
			"createdAt":      dateTime(func(v *hin.Innovation) time.Time { return v.CreatedAt }),
			"updatedAt":      dateTime(func(v *hin.Innovation) time.Time { return v.UpdatedAt }),
			"version":        integer(func(v *hin.Innovation) int { return v.Version }),
			"archivedAt":     optDateTime(func(v *hin.Innovation) *time.Time { return v.ArchivedAt }),
		},
		refs: map[string]*directRef{
			"innovator":  {to: "Organisation", key: refKey(func(v *hin.Innovation) *string { return v.InnovatorID })},
			"leadRegion": {to: "Region", key: refKey(func(v *hin.Innovation) *string { return v.LeadRegionID })},
		},
		pages: map[string]*directPage{
			"programmes": {"Programme", "innovation", (*executionContext).field_Innovation_programmes_args, programmePages},
			"pilots":     {"Pilot", "innovation", (*executionContext).field_Innovation_pilots_args, pilotPages},
			"outcomes":   {"Outcome", "innovation", (*executionContext).field_Innovation_outcomes_args, outcomePages},
			"adoptions":  {"Adoption", "innovation", (*executionContext).field_Innovation_adoptions_args, adoptionPages},
		},
		lists: map[string]*directList{
			"stageHistory": {to: "StageChange", fetch: listsOf((*store.Store).StageHistories)},
		},
	}
	pilot := &directType{
		name: "Pilot",
		id:   idOf(func(v *hin.Pilot) string { return v.ID }),
		byID: byIDOf(pilotRef),
		scalars: map[string]scalarFn{
			"id":                globalID(hin.KindPilot, func(v *hin.Pilot) string { return v.ID }),
			"status":            enum(func(v *hin.Pilot) hin.PilotStatus { return v.Status }),
			"startDate":         date(func(v *hin.Pilot) time.Time { return v.StartDate }),
			"endDate":           optDate(func(v *hin.Pilot) *time.Time { return v.EndDate }),
			"evaluationSummary": optText(func(v *hin.Pilot) *string { return v.EvaluationSummary }),
			"evaluationResult":  enum(func(v *hin.Pilot) hin.EvaluationResult { return v.EvaluationResult }),
			"version":           integer(func(v *hin.Pilot) int { return v.Version }),
			"archivedAt":        optDateTime(func(v *hin.Pilot) *time.Time { return v.ArchivedAt }),
		},
		refs: map[string]*directRef{
			"innovation": {to: "Innovation", key: mustKey(func(v *hin.Pilot) string { return v.InnovationID }), nonNull: true},
			"site":       {to: "Organisation", key: mustKey(func(v *hin.Pilot) string { return v.SiteID }), nonNull: true},
			"region":     {to: "Region", key: mustKey(func(v *hin.Pilot) string { return v.RegionID }), nonNull: true},
		},
		pages: map[string]*directPage{
			"outcomes": {"Outcome", "pilot", (*executionContext).field_Pilot_outcomes_args, outcomePages},
		},
	}
	metric := &directType{
		name: "Metric",
		id:   idOf(func(v *hin.Metric) string { return v.ID }),
		byID: byIDOf(metricRef),
		scalars: map[string]scalarFn{
			"id":          globalID(hin.KindMetric, func(v *hin.Metric) string { return v.ID }),
			"code":        text(func(v *hin.Metric) string { return v.Code }),
			"name":        text(func(v *hin.Metric) string { return v.Name }),
			"description": text(func(v *hin.Metric) string { return v.Description }),
			"unit":        text(func(v *hin.Metric) string { return v.Unit }),
			"kind":        enum(func(v *hin.Metric) hin.MetricKind { return v.Kind }),
			"version":     integer(func(v *hin.Metric) int { return v.Version }),
		},
		pages: map[string]*directPage{
			"outcomes": {"Outcome", "metric", (*executionContext).field_Metric_outcomes_args, outcomePages},
		},
	}
	outcome := &directType{
		name: "Outcome",
		id:   idOf(func(v *hin.Outcome) string { return v.ID }),
		byID: byIDOf(outcomeRef),
		scalars: map[string]scalarFn{
			"id":              globalID(hin.KindOutcome, func(v *hin.Outcome) string { return v.ID }),
			"periodStart":     date(func(v *hin.Outcome) time.Time { return v.PeriodStart }),
			"periodEnd":       date(func(v *hin.Outcome) time.Time { return v.PeriodEnd }),
			"value":           optFloat(func(v *hin.Outcome) *float64 { return v.Value }),
			"numerator":       optFloat(func(v *hin.Outcome) *float64 { return v.Numerator }),
			"denominator":     optFloat(func(v *hin.Outcome) *float64 { return v.Denominator }),
			"rate":            optFloat(func(v *hin.Outcome) *float64 { return v.Rate() }),
			"source":          text(func(v *hin.Outcome) string { return v.Source }),
			"status":          enum(func(v *hin.Outcome) hin.OutcomeStatus { return v.Status }),
			"createdAt":       dateTime(func(v *hin.Outcome) time.Time { return v.CreatedAt }),
			"updatedAt":       dateTime(func(v *hin.Outcome) time.Time { return v.UpdatedAt }),
			"publishedAt":     optDateTime(func(v *hin.Outcome) *time.Time { return v.PublishedAt }),
			"withdrawnAt":     optDateTime(func(v *hin.Outcome) *time.Time { return v.WithdrawnAt }),
			"withdrawnReason": optText(func(v *hin.Outcome) *string { return v.WithdrawnReason }),
			"version":         integer(func(v *hin.Outcome) int { return v.Version }),
		},
		refs: map[string]*directRef{
			"metric":     {to: "Metric", key: mustKey(func(v *hin.Outcome) string { return v.MetricID }), nonNull: true},
			"region":     {to: "Region", key: mustKey(func(v *hin.Outcome) string { return v.RegionID }), nonNull: true},
			"innovation": {to: "Innovation", key: refKey(func(v *hin.Outcome) *string { return v.InnovationID })},
			"pilot":      {to: "Pilot", key: refKey(func(v *hin.Outcome) *string { return v.PilotID })},
			"programme":  {to: "Programme", key: refKey(func(v *hin.Outcome) *string { return v.ProgrammeID })},
		},
	}
	adoption := &directType{
		name: "Adoption",
		id:   idOf(func(v *hin.Adoption) string { return v.ID }),
		byID: byIDOf(adoptionRef),
		scalars: map[string]scalarFn{
			"id":         globalID(hin.KindAdoption, func(v *hin.Adoption) string { return v.ID }),
			"adoptedOn":  date(func(v *hin.Adoption) time.Time { return v.AdoptedOn }),
			"version":    integer(func(v *hin.Adoption) int { return v.Version }),
			"archivedAt": optDateTime(func(v *hin.Adoption) *time.Time { return v.ArchivedAt }),
		},
		refs: map[string]*directRef{
			"innovation":   {to: "Innovation", key: mustKey(func(v *hin.Adoption) string { return v.InnovationID }), nonNull: true},
			"organisation": {to: "Organisation", key: mustKey(func(v *hin.Adoption) string { return v.OrganisationID }), nonNull: true},
			"region":       {to: "Region", key: mustKey(func(v *hin.Adoption) string { return v.RegionID }), nonNull: true},
		},
	}
	collaborative := &directType{
		name: "Collaborative",
		id:   idOf(func(v *hin.Collaborative) string { return v.ID }),
		byID: byIDOf(collaborativeRef),
		scalars: map[string]scalarFn{
			"id":          globalID(hin.KindCollaborative, func(v *hin.Collaborative) string { return v.ID }),
			"code":        text(func(v *hin.Collaborative) string { return v.Code }),
			"name":        text(func(v *hin.Collaborative) string { return v.Name }),
			"kind":        enum(func(v *hin.Collaborative) hin.CollaborativeKind { return v.Kind }),
			"description": text(func(v *hin.Collaborative) string { return v.Description }),
		},
		refs: map[string]*directRef{
			"hostRegion": {to: "Region", key: mustKey(func(v *hin.Collaborative) string { return v.HostRegionID }), nonNull: true},
		},
		lists: map[string]*directList{
			"regions": {to: "Region", fetch: linkedRegions((*store.Store).CollaborativeMembers)},
		},
	}
	stageChange := &directType{
		name: "StageChange",
		id:   idOf(func(v *hin.StageChange) string { return v.ID }),
		scalars: map[string]scalarFn{
			"fromStage": optEnum(func(v *hin.StageChange) *hin.Stage { return v.FromStage }),
			"toStage":   enum(func(v *hin.StageChange) hin.Stage { return v.ToStage }),
			"changedOn": date(func(v *hin.StageChange) time.Time { return v.ChangedOn }),
		},
	}
	directTypes = map[string]*directType{}
	for _, t := range []*directType{region, organisation, programme, innovation, pilot, metric, outcome, adoption, collaborative, stageChange} {
		directTypes[t.name] = t
	}

	directRoots = map[string]directRoot{
		"organisations": {page: &directPage{"Organisation", "", (*executionContext).field_Query_organisations_args, organisationPages}},
		"programmes":    {page: &directPage{"Programme", "", (*executionContext).field_Query_programmes_args, programmePages}},
		"innovations":   {page: &directPage{"Innovation", "", (*executionContext).field_Query_innovations_args, innovationPages}},
		"pilots":        {page: &directPage{"Pilot", "", (*executionContext).field_Query_pilots_args, pilotPages}},
		"outcomes":      {page: &directPage{"Outcome", "", (*executionContext).field_Query_outcomes_args, outcomePages}},
		"adoptions":     {page: &directPage{"Adoption", "", (*executionContext).field_Query_adoptions_args, adoptionPages}},
		"collaboratives": {to: "Collaborative", args: (*executionContext).field_Query_collaboratives_args,
			list: func(ctx context.Context, s *store.Store, args map[string]any) ([]any, error) {
				f, _ := args["filter"].(*hin.CollaborativeFilter)
				return pointers(s.Collaboratives(ctx, deref(f)))
			}},
		"regions": {to: "Region", args: (*executionContext).field_Query_regions_args,
			list: func(ctx context.Context, s *store.Store, args map[string]any) ([]any, error) {
				f, _ := args["filter"].(*hin.RegionFilter)
				return pointers(s.Regions(ctx, deref(f)))
			}},
		"metrics": {to: "Metric", args: (*executionContext).field_Query_metrics_args,
			list: func(ctx context.Context, s *store.Store, args map[string]any) ([]any, error) {
				f, _ := args["filter"].(*hin.MetricFilter)
				return pointers(s.Metrics(ctx, deref(f)))
			}},
		"region": {to: "Region", args: (*executionContext).field_Query_region_args,
			one: func(ctx context.Context, s *store.Store, args map[string]any) (any, error) {
				code, _ := args["code"].(string)
				return lookup(s.RegionByCode(ctx, code))
			}},
		"programme": {to: "Programme", args: (*executionContext).field_Query_programme_args,
			one: func(ctx context.Context, s *store.Store, args map[string]any) (any, error) {
				code, _ := args["code"].(string)
				return lookup(s.ProgrammeByCode(ctx, code))
			}},
	}
}

// pointers is a list's items as the any-typed pointers direct execution
// passes around.
func pointers[T any](items []T, err error) ([]any, error) {
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out, nil
}

// lookup is lookedUpValue's answer as direct execution passes objects
// around: an untyped nil when nothing matches.
func lookup[T any](v T, err error) (any, error) {
	p, err := lookedUpValue(v, err)
	if p == nil {
		return nil, err
	}
	return p, nil
}
