package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// The pieces direct execution (direct.go) is built from: the types of the
// generated table (direct_gen.go), the relations' store calls, and the
// scalar writers the generated table names, each writing what the
// generated marshaller writes.

// genType is a planned type as devtools/gqlgen generates it
// (direct_gen.go): how to find an object's UUID, and its fields.
type genType struct {
	id     func(o any) string
	fields map[string]*genField
}

// genField is one field of a planned type: a scalar with its writer, a
// relation (its resolver's store call, in relations) or a field left to
// gqlgen. args are all its arguments, coerce their generated coercer.
type genField struct {
	goName   string // the Go field or method a scalar reads
	scalar   scalarFn
	relation bool
	indirect bool
	to       string // a relation's object type (a connection's item type)
	nonNull  bool
	args     []string
	coerce   argsFn
	rel      *relation // relations[type.field], linked by linkDirect
}

// directType is a planned type with its fields linked to their relations.
type directType struct {
	name   string
	id     func(o any) string // the UUID, by which pages find their parent
	byID   func(ctx context.Context, s *store.Store, ids []string) (map[string]any, error)
	fields map[string]*genField
}

// directTypes are the planned types by name, directQuery the root fields.
var directTypes, directQuery = linkDirect()

// linkDirect joins the generated fields to their relations.
func linkDirect() (map[string]*directType, map[string]*genField) {
	types := make(map[string]*directType, len(plannedTypes))
	link := func(typ string, fields map[string]*genField) {
		for name, f := range fields {
			if f.relation {
				f.rel = relations[typ+"."+name]
			}
		}
	}
	for _, name := range plannedTypes {
		g := genTypes[name]
		link(name, g.fields)
		types[name] = &directType{name: name, id: g.id, byID: directLoaders[name], fields: g.fields}
	}
	link("Query", genTypes["Query"].fields)
	return types, genTypes["Query"].fields
}

// scalarFn writes one scalar field of an object.
type scalarFn func(w *bytes.Buffer, o any) error

// directRef is a field holding one object, found by the key the parent
// holds in its Go field keyField (nil: null).
type directRef struct {
	keyField string
	key      func(o any) *string
	fetch    func(ctx context.Context, s *store.Store, keys []string) (map[string]any, error)
	typed    any // the ref[T] the resolver loads through (relRef)
}

// directList is a field holding a list of objects, fetched for many
// parents at once and keyed by the parent's id.
type directList struct {
	fetch func(ctx context.Context, s *store.Store, parents []string) (map[string][]any, error)
	typed any // the store function the resolver loads through (relList, relRegions)
}

// listsOf adapts a store function that lists records per parent.
func listsOf[T any](fetch func(*store.Store, context.Context, []string) (map[string][]T, error)) *directList {
	return &directList{typed: fetch, fetch: func(ctx context.Context, s *store.Store, parents []string) (map[string][]any, error) {
		m, err := fetch(s, ctx, parents)
		if err != nil {
			return nil, err
		}
		out := make(map[string][]any, len(m))
		for k, vs := range m {
			out[k], _ = pointers(vs, nil)
		}
		return out, nil
	}}
}

// linkedRegions lists the regions linked to each parent (a programme's or a
// collaborative's), in the order of the links, as regionsOf does.
func linkedRegions(links func(*store.Store, context.Context, []string) (map[string][]string, error)) *directList {
	return &directList{typed: links, fetch: func(ctx context.Context, s *store.Store, parents []string) (map[string][]any, error) {
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
	}}
}

// argsFn is a generated argument coercer, (*executionContext).field_X_y_args.
type argsFn func(ec *executionContext, ctx context.Context, raw map[string]any) (map[string]any, error)

// pageSource is the store's list and count of one item type, with the
// filter as the argument map holds it (*F).
type pageSource struct {
	fetch func(ctx context.Context, s *store.Store, in store.ListIn, filter any) (map[string]*directPageResult, error)
	count func(ctx context.Context, s *store.Store, parent string, ids []string, filter any) (map[string]int, error)
	typed any // the typedPage[T, F] the resolver reads through (relPage)
}

// typedPage is a page source's store functions, as the resolvers call them.
type typedPage[T, F any] struct {
	list  func(*store.Store, context.Context, store.ListIn, F) (map[string]*hin.Page[T], error)
	count func(*store.Store, context.Context, string, []string, F) (map[string]int, error)
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
		typed: typedPage[T, F]{list, count},
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

// goField is the Go name the store knows a field of a planned type by:
// the Go field or method a scalar reads, or the key field of a reference;
// "" for a field that reads nothing beyond the id (pages, lists,
// __typename). ok is false for a field it cannot tell (then the store
// reads every column).
func goField(typ *directType, name string) (goName string, ok bool) {
	if name == "__typename" {
		return "", true
	}
	gf := typ.fields[name]
	switch {
	case gf == nil || gf.indirect:
		return "", false
	case gf.scalar != nil:
		return gf.goName, true
	case gf.rel != nil && gf.rel.ref != nil:
		return gf.rel.ref.keyField, true
	case gf.rel != nil:
		return "", true
	}
	return "", false
}

// goFields is what the store needs to read for fields (GraphQL names) of
// objects of the named type: their Go names, or nil for every column.
func goFields(typeName string, names []string) []string {
	typ := directTypes[typeName]
	if typ == nil {
		return nil
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		g, ok := goField(typ, n)
		if !ok {
			return nil
		}
		if g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
