package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// Direct execution of plain reads.
//
// gqlgen executes a query field by field: for every field of every object
// a field context and a middleware call, for every resolver field a
// goroutine and a batcher lookup, and the selection set collected again for
// every object. On a deep page of thousands of rows that machinery cost
// several times the SQL (ARCHITECTURE.md, "Where a read's time goes").
//
// So a root field of a query whose whole selection is plain reads (the
// scalars, references, lists, pages and counts of the planned types: the
// fields devtools/gqlgen generates into direct_gen.go, the relations
// declared in direct_relations.go) is executed here instead, in three steps:
//
//  1. plan: each selection set is collected once (graphql.CollectFields, as
//     gqlgen does, so fragments, aliases and @skip/@include mean the same),
//     with its arguments coerced by the generated unmarshallers; a field
//     with an argument set that its relation does not read goes to gqlgen;
//  2. load: level by level, one store call per field of the plan for all
//     the objects at that level: the same store functions, filters,
//     visibility rules and page queries the resolvers use;
//  3. write: the JSON, field by field, into a pooled buffer, each scalar
//     as the generated marshaller writes it.
//
// Anything else (another field, @defer, a subscription or mutation) and any
// error, including a non-null reference that finds nothing, goes through
// gqlgen as before, so errors keep their paths and messages; the planned
// work is dropped and the field read again (the cost limit bounds the
// waste). TestDirectMatchesGqlgen holds both ways to the same bytes.

// errIndirect sends a root field back to gqlgen's execution.
var errIndirect = errors.New("graph: not a plain read")

// directRootFields serves the root fields it can plan and passes the rest on.
func directRootFields(s *store.Store, es *executableSchema, log *slog.Logger) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		op := graphql.GetOperationContext(ctx)
		rf := graphql.GetRootFieldContext(ctx)
		if op == nil || rf == nil || op.Operation == nil || op.Operation.Operation != ast.Query || directOff(ctx) {
			return next(ctx)
		}
		d := &direct{ctx: ctx, store: s, op: op, ec: newExecutionContext(op, es, nil), buf: buffers.Get().(*bytes.Buffer)}
		if err := d.run(rf.Field, log); err != nil {
			releaseBuffer(d.buf)
			return next(ctx)
		}
		if n, ok := ctx.Value(directCountKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
		return &written{buf: d.buf}
	}
}

// run is root with its panics caught: this middleware runs outside the
// recovery gqlgen puts around each root field, and a root field other than
// the first runs in a goroutine of its own, where a panic would end the
// process. A panic is logged as a bug and the field goes to gqlgen, which
// answers correctly and so would hide the bug: directPanics counts them,
// and the package's tests fail on any (TestMain).
func (d *direct) run(f graphql.CollectedField, log *slog.Logger) (err error) {
	defer func() {
		if p := recover(); p != nil {
			directPanics.Add(1)
			log.ErrorContext(d.ctx, "panic in direct execution", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = errIndirect
		}
	}()
	return d.root(f)
}

// directPanics counts the panics direct execution recovered from.
var directPanics atomic.Int64

type directOffKey struct{}

// withoutDirect makes every field of the request's queries go through
// gqlgen's own execution; tests compare the two.
func withoutDirect(ctx context.Context) context.Context {
	return context.WithValue(ctx, directOffKey{}, true)
}

func directOff(ctx context.Context) bool { return ctx.Value(directOffKey{}) != nil }

// directCountKey, in tests, holds an *atomic.Int64 counting the root fields
// executed directly.
type directCountKey struct{}

// buffers hold root fields' JSON from writing to the response: a deep
// page's is most of a megabyte, and growing a new one each time showed in
// profiles.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func releaseBuffer(b *bytes.Buffer) {
	if b.Cap() <= 4<<20 {
		b.Reset()
		buffers.Put(b)
	}
}

// written is a root field's value, already written; gqlgen copies it into
// the response once, and the buffer goes back to the pool.
type written struct{ buf *bytes.Buffer }

func (r *written) MarshalGQL(w io.Writer) {
	if r.buf == nil {
		return
	}
	_, _ = w.Write(r.buf.Bytes())
	releaseBuffer(r.buf)
	r.buf = nil
}

// direct is the state of one root field's direct execution.
type direct struct {
	ctx   context.Context
	store *store.Store
	op    *graphql.OperationContext
	ec    *executionContext
	buf   *bytes.Buffer
}

// objPlan is a selection set on objects of one type.
type objPlan struct {
	typ    *directType
	fields []fieldPlan
}

// fieldPlan is one response key of an objPlan: exactly one of scalar, ref,
// list and page is set.
type fieldPlan struct {
	key    string
	name   string
	gen    *genField // nil for __typename
	scalar scalarFn
	ref    *refPlan
	list   *listPlan
	page   *pagePlan
}

// refPlan is a reference field, with the objects it loaded by key.
type refPlan struct {
	src     *directRef
	nonNull bool
	sub     *objPlan
	objs    map[string]any
}

// listPlan is a list field, with the lists it loaded by parent id.
type listPlan struct {
	src   *directList
	sub   *objPlan
	items map[string][]any
}

// pagePlan is a connection field: its arguments, the shape of the
// connection selected, and the pages it loaded by parent id ("" at the root).
type pagePlan struct {
	src    *relation
	in     store.ListIn
	filter any
	conn   []connPlan
	pages  map[string]*directPageResult
	totals map[string]int // when totalCount is selected under a parent
}

// connPlan is one response key of a connection, an edge or a page info.
type connPlan struct {
	key  string
	name string // the schema field: nodes, edges, cursor, node, pageInfo, ...
	typ  string // for __typename
	sub  []connPlan
	node *objPlan // nodes, edges.node
}

// collect is graphql.CollectFields for an object of the named type, refusing
// deferred fragments.
func (d *direct) collect(sel ast.SelectionSet, typeName string) ([]graphql.CollectedField, error) {
	fields := graphql.CollectFields(d.op, sel, implementors(d.ec.Schema(), typeName))
	for _, f := range fields {
		if f.IsDeferred() {
			return nil, errIndirect
		}
	}
	return fields, nil
}

// implementors is what a selection on an object of the type may name: the
// type, its interfaces and its unions, as the generated code lists them.
func implementors(schema *ast.Schema, typeName string) []string {
	def := schema.Types[typeName]
	if def == nil {
		return []string{typeName}
	}
	out := []string{typeName}
	for _, i := range schema.GetImplements(def) {
		out = append(out, i.Name)
	}
	return out
}

// args coerces a field's arguments with the generated unmarshallers. It
// fails closed: an argument set (or defaulted) that the field's relation
// does not consume sends the field to gqlgen, since direct execution would
// ignore it.
func (d *direct) args(f graphql.CollectedField, gf *genField) (map[string]any, error) {
	if len(gf.args) == 0 {
		return nil, nil
	}
	raw := f.ArgumentMap(d.op.Variables)
	var consumes []string
	if gf.rel != nil {
		consumes = gf.rel.consumes
	}
	for name := range raw {
		if !slices.Contains(consumes, name) {
			return nil, errIndirect
		}
	}
	return gf.coerce(d.ec, d.ctx, raw)
}

// plan turns a selection set on objects of typ into an objPlan.
func (d *direct) plan(typ *directType, sel ast.SelectionSet) (*objPlan, error) {
	fields, err := d.collect(sel, typ.name)
	if err != nil {
		return nil, err
	}
	p := &objPlan{typ: typ, fields: make([]fieldPlan, 0, len(fields))}
	for _, f := range fields {
		fp := fieldPlan{key: f.Alias, name: f.Name}
		if f.Name == "__typename" {
			fp.scalar = typeName(typ.name)
			p.fields = append(p.fields, fp)
			continue
		}
		gf := typ.fields[f.Name]
		if gf == nil || gf.indirect {
			return nil, errIndirect
		}
		fp.gen = gf
		args, err := d.args(f, gf)
		if err != nil {
			return nil, err
		}
		switch rel := gf.rel; {
		case gf.scalar != nil:
			fp.scalar = gf.scalar
		case rel == nil || gf.to != "" && directTypes[gf.to] == nil:
			return nil, errIndirect
		case rel.ref != nil:
			sub, err := d.plan(directTypes[gf.to], f.Selections)
			if err != nil {
				return nil, err
			}
			fp.ref = &refPlan{src: rel.ref, nonNull: gf.nonNull, sub: sub}
		case rel.list != nil:
			sub, err := d.plan(directTypes[gf.to], f.Selections)
			if err != nil {
				return nil, err
			}
			fp.list = &listPlan{src: rel.list, sub: sub}
		case rel.page != nil:
			if fp.page, err = d.planPage(gf, f, args); err != nil {
				return nil, err
			}
		default:
			return nil, errIndirect
		}
		p.fields = append(p.fields, fp)
	}
	return p, nil
}

// planPage plans a connection field: its arguments and the parts of the
// connection it selects.
func (d *direct) planPage(gf *genField, f graphql.CollectedField, args map[string]any) (*pagePlan, error) {
	first, _ := args["first"].(*int)
	after, _ := args["after"].(*string)
	order, _ := args["orderBy"].(interface{ Order() hin.Order })
	p := &pagePlan{src: gf.rel, filter: args["filter"], in: store.ListIn{Page: pageArgs(first, after)}}
	if order != nil {
		p.in.Order = order.Order()
	}
	if err := p.in.Page.Validate(); err != nil {
		return nil, err
	}
	item := directTypes[gf.to]
	var names []string // the fields selected of the items, for the columns to read
	cursors := false   // whether any cursor is asked for
	var err error
	var planConn func(sel ast.SelectionSet, typ string) ([]connPlan, error)
	planConn = func(sel ast.SelectionSet, typ string) ([]connPlan, error) {
		fields, err := d.collect(sel, typ)
		if err != nil {
			return nil, err
		}
		out := make([]connPlan, 0, len(fields))
		for _, f := range fields {
			c := connPlan{key: f.Alias, name: f.Name, typ: typ}
			switch f.Name {
			case "cursor", "startCursor", "endCursor":
				cursors = true
			case "__typename", "totalCount", "hasNextPage", "hasPreviousPage":
			case "nodes", "node":
				if c.node, err = d.plan(item, f.Selections); err != nil {
					return nil, err
				}
				for _, fp := range c.node.fields {
					names = append(names, fp.name)
				}
			case "edges", "pageInfo":
				if c.sub, err = planConn(f.Selections, f.Definition.Type.Name()); err != nil {
					return nil, err
				}
			default:
				return nil, errIndirect
			}
			if f.Name == "totalCount" {
				p.in.WithTotal = true
			}
			out = append(out, c)
		}
		return out, nil
	}
	if p.conn, err = planConn(f.Selections, f.Definition.Type.Name()); err != nil {
		return nil, err
	}
	p.in.Fields, p.in.NoCursors = goFields(gf.to, names), !cursors
	return p, nil
}

// root plans, loads and writes one root field.
func (d *direct) root(f graphql.CollectedField) error {
	gf := directQuery[f.Name]
	if gf == nil || gf.rel == nil {
		return errIndirect
	}
	r := gf.rel
	args, err := d.args(f, gf)
	if err != nil {
		return err
	}
	switch {
	case r.node:
		return d.nodes(f, args)
	case r.page != nil:
		p, err := d.planPage(gf, f, args)
		if err != nil {
			return err
		}
		if err := d.loadPage(p, nil); err != nil {
			return err
		}
		return d.writePage(p, "")
	case directTypes[gf.to] == nil:
		return errIndirect
	}
	p, err := d.plan(directTypes[gf.to], f.Selections)
	if err != nil {
		return err
	}
	if r.rootList != nil {
		objs, err := r.rootList(d.ctx, d.store, args)
		if err != nil {
			return err
		}
		if err := d.load(p, objs); err != nil {
			return err
		}
		return d.objects(p, objs)
	}
	o, err := r.lookup(d.ctx, d.store, args)
	if err != nil {
		return err
	}
	if o == nil {
		d.buf.WriteString("null")
		return nil
	}
	if err := d.load(p, []any{o}); err != nil {
		return err
	}
	return d.object(p, o)
}

// nodes serves node(id) (one) and nodes(ids) (many), as loadNodes does:
// one statement per kind, null for an id of a kind nothing is stored as.
func (d *direct) nodes(f graphql.CollectedField, args map[string]any) error {
	ids, many := args["ids"].([]string)
	if !many {
		id, _ := args["id"].(string)
		ids = []string{id}
	}
	if len(ids) > maxNodes {
		return errIndirect
	}
	type byKind struct {
		plan  *objPlan
		uuids []string
		objs  map[string]any
	}
	kinds := map[string]*byKind{}
	uuids := make([]string, len(ids))
	types := make([]*byKind, len(ids))
	for i, id := range ids {
		kind, uuid, err := hin.ParseGlobalID(id)
		if err != nil {
			return err
		}
		if _, stored := nodeLoaders[kind]; !stored {
			continue
		}
		typ := directTypes[kind]
		if typ == nil || typ.byID == nil {
			return errIndirect
		}
		k := kinds[kind]
		if k == nil {
			p, err := d.plan(typ, f.Selections)
			if err != nil {
				return err
			}
			k = &byKind{plan: p}
			kinds[kind] = k
		}
		k.uuids = append(k.uuids, uuid)
		uuids[i], types[i] = uuid, k
	}
	for _, k := range kinds {
		objs, err := k.plan.typ.byID(d.ctx, d.store, k.uuids)
		if err != nil {
			return err
		}
		k.objs = objs
		if err := d.load(k.plan, inOrder(k.uuids, objs)); err != nil {
			return err
		}
	}
	w := d.buf
	if many {
		w.WriteByte('[')
	}
	for i := range ids {
		if i > 0 {
			w.WriteByte(',')
		}
		k := types[i]
		o, found := (any)(nil), false
		if k != nil {
			o, found = k.objs[uuids[i]]
		}
		if !found {
			w.WriteString("null")
			continue
		}
		if err := d.object(k.plan, o); err != nil {
			return err
		}
	}
	if many {
		w.WriteByte(']')
	}
	return nil
}

// inOrder is the objects found for keys, once each, in the keys' order.
func inOrder(keys []string, objs map[string]any) []any {
	out := make([]any, 0, len(objs))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if o, ok := objs[k]; ok && !seen[k] {
			seen[k] = true
			out = append(out, o)
		}
	}
	return out
}

// load fetches what the plan's references and pages need for objs, one
// store call per field, then the same for the objects those return.
func (d *direct) load(p *objPlan, objs []any) error {
	if len(objs) == 0 {
		return nil
	}
	for i := range p.fields {
		f := &p.fields[i]
		switch {
		case f.ref != nil:
			keys := uniqueKeys(objs, func(o any) (string, bool) {
				k := f.ref.src.key(o)
				return deref(k), k != nil
			})
			f.ref.objs = map[string]any{}
			if len(keys) == 0 {
				continue
			}
			objs, err := f.ref.src.fetch(d.ctx, d.store, keys)
			if err != nil {
				return err
			}
			f.ref.objs = objs
			if err := d.load(f.ref.sub, inOrder(keys, objs)); err != nil {
				return err
			}
		case f.list != nil:
			ids := idsOf(p.typ, objs)
			items, err := f.list.src.fetch(d.ctx, d.store, ids)
			if err != nil {
				return err
			}
			f.list.items = items
			var children []any
			for _, id := range ids {
				children = append(children, items[id]...)
			}
			if err := d.load(f.list.sub, children); err != nil {
				return err
			}
		case f.page != nil:
			if err := d.loadPage(f.page, idsOf(p.typ, objs)); err != nil {
				return err
			}
		}
	}
	return nil
}

// idsOf is the UUIDs of objs, once each.
func idsOf(typ *directType, objs []any) []string {
	return uniqueKeys(objs, func(o any) (string, bool) { return typ.id(o), true })
}

// uniqueKeys is each object's key once, in the objects' order, leaving out
// objects without one.
func uniqueKeys(objs []any, key func(any) (string, bool)) []string {
	keys := make([]string, 0, len(objs))
	seen := make(map[string]bool, len(objs))
	for _, o := range objs {
		if k, ok := key(o); ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

// loadPage fetches a connection's pages for its parents (nil at the root)
// in one statement, their totals if asked for, then what the items need.
func (d *direct) loadPage(p *pagePlan, parents []string) error {
	in := p.in
	if parents != nil {
		in.Parent, in.ParentIDs, in.WithTotal = p.src.parent, parents, false
	}
	pages, err := p.src.page.fetch(d.ctx, d.store, in, p.filter)
	if err != nil {
		return err
	}
	p.pages = pages
	if p.in.WithTotal {
		if parents != nil {
			p.totals, err = p.src.page.count(d.ctx, d.store, p.src.parent, parents, p.filter)
		} else if pages[""] != nil && pages[""].total == nil {
			p.totals, err = p.src.page.count(d.ctx, d.store, "", nil, p.filter)
		}
		if err != nil {
			return err
		}
	}
	var items []any
	if parents == nil {
		parents = []string{""}
	}
	for _, id := range parents {
		if pg := pages[id]; pg != nil {
			items = append(items, pg.items...)
		}
	}
	var loadNodes func(cs []connPlan) error
	loadNodes = func(cs []connPlan) error {
		for _, c := range cs {
			if c.node != nil {
				if err := d.load(c.node, items); err != nil {
					return err
				}
			}
			if err := loadNodes(c.sub); err != nil {
				return err
			}
		}
		return nil
	}
	return loadNodes(p.conn)
}

// key writes a response key; keys are GraphQL names, which need no escaping.
func (d *direct) key(k string) {
	d.buf.WriteByte('"')
	d.buf.WriteString(k)
	d.buf.WriteString(`":`)
}

func (d *direct) objects(p *objPlan, objs []any) error {
	d.buf.WriteByte('[')
	for i, o := range objs {
		if i > 0 {
			d.buf.WriteByte(',')
		}
		if err := d.object(p, o); err != nil {
			return err
		}
	}
	d.buf.WriteByte(']')
	return nil
}

func (d *direct) object(p *objPlan, o any) error {
	w := d.buf
	w.WriteByte('{')
	for i := range p.fields {
		f := &p.fields[i]
		if i > 0 {
			w.WriteByte(',')
		}
		d.key(f.key)
		switch {
		case f.scalar != nil:
			if err := f.scalar(w, o); err != nil {
				return err
			}
		case f.ref != nil:
			var c any
			found := false
			if k := f.ref.src.key(o); k != nil {
				c, found = f.ref.objs[*k]
			}
			if !found {
				if f.ref.nonNull {
					return errIndirect // gqlgen reports the null
				}
				w.WriteString("null")
				continue
			}
			if err := d.object(f.ref.sub, c); err != nil {
				return err
			}
		case f.list != nil:
			if err := d.objects(f.list.sub, f.list.items[p.typ.id(o)]); err != nil {
				return err
			}
		case f.page != nil:
			if err := d.writePage(f.page, p.typ.id(o)); err != nil {
				return err
			}
		}
	}
	w.WriteByte('}')
	return nil
}

// writePage writes the connection of one parent ("" at the root).
func (d *direct) writePage(p *pagePlan, parent string) error {
	pg := p.pages[parent]
	if pg == nil {
		return errIndirect
	}
	return d.writeConn(p.conn, p, pg, parent, -1)
}

// writeConn writes the fields of a connection, an edge (item i) or a page
// info.
func (d *direct) writeConn(cs []connPlan, p *pagePlan, pg *directPageResult, parent string, item int) error {
	w := d.buf
	w.WriteByte('{')
	for i, c := range cs {
		if i > 0 {
			w.WriteByte(',')
		}
		d.key(c.key)
		switch c.name {
		case "__typename":
			writeString(w, c.typ)
		case "totalCount":
			n, ok := p.totals[parent]
			if pg.total != nil {
				n, ok = *pg.total, true
			}
			if !ok && parent == "" {
				return errIndirect
			}
			w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(n), 10))
		case "nodes":
			if err := d.objects(c.node, pg.items); err != nil {
				return err
			}
		case "edges":
			w.WriteByte('[')
			for j := range pg.items {
				if j > 0 {
					w.WriteByte(',')
				}
				if err := d.writeConn(c.sub, p, pg, parent, j); err != nil {
					return err
				}
			}
			w.WriteByte(']')
		case "node":
			if err := d.object(c.node, pg.items[item]); err != nil {
				return err
			}
		case "cursor":
			writeString(w, pg.cursor(item))
		case "pageInfo":
			if err := d.writeConn(c.sub, p, pg, parent, -1); err != nil {
				return err
			}
		case "hasNextPage":
			w.Write(strconv.AppendBool(w.AvailableBuffer(), pg.next))
		case "hasPreviousPage":
			w.Write(strconv.AppendBool(w.AvailableBuffer(), pg.previous))
		case "startCursor", "endCursor":
			if len(pg.items) == 0 {
				w.WriteString("null")
				break
			}
			at := 0
			if c.name == "endCursor" {
				at = len(pg.items) - 1
			}
			writeString(w, pg.cursor(at))
		}
	}
	w.WriteByte('}')
	return nil
}
