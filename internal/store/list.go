package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Every list in the API goes through this file. A list is a keyset-paginated
// query ordered by (sort key, id). Nested lists (a region's innovations, an
// innovation's pilots, ...) are fetched for many parents in one statement:
// unnest the parent ids and run the page query LATERAL per parent, so each
// parent's page uses its own index range and one request costs one statement
// per level, whatever the number of parents.

// ListIn says which page of a list to fetch, and for which parents.
type ListIn struct {
	Parent    string   // relation to the parent ("" for a root list)
	ParentIDs []string // parent UUIDs, when Parent is set
	Order     hin.Order
	Page      hin.PageArgs
	// Fields, when set, names the Go fields (or methods) of the item type
	// that the caller will read; a list that knows which columns they come
	// from selects only those (listDef.fieldCols). Columns left out are
	// zero in the items.
	Fields []string
	// WithTotal, for a root list, counts the rows matching the filter in
	// the page's own statement (Page.Total) rather than in one more.
	WithTotal bool
	// NoCursors leaves out the sort keys cursors are made of, for a caller
	// that will ask for none: the page's Cursor must then not be called.
	NoCursors bool
}

// orderSpec is how to sort by one order field.
type orderSpec struct {
	expr    string // SQL expression, e.g. "i.name"
	sqlType string // its type, for casting the cursor's value back
}

// parentSpec is how a list hangs off a parent: an optional join and the
// column that holds the parent's id.
type parentSpec struct {
	join string
	col  string
}

// listDef describes one entity's lists.
type listDef struct {
	cols         string
	from         string
	idCol        string
	orders       map[string]orderSpec
	defaultOrder string
	parents      map[string]parentSpec
	// fieldCols, when set, gives the columns each Go field or method of
	// the item type reads ("" for none beyond the id), so that a page reads
	// only the columns its query asks for: a deep page scans thousands of
	// rows, and decoding columns nobody asked for was much of its cost.
	// fieldColumns derives it from the type's db tags.
	fieldCols map[string]string
}

// columns is the select list for a page whose items need fields: the id
// and the columns of those fields, or every column when a field is not
// in fieldCols (or the fields are not known).
func (d *listDef) columns(fields []string) string {
	if fields == nil || d.fieldCols == nil {
		return d.cols
	}
	cols := []string{d.idCol}
	for _, f := range fields {
		c, ok := d.fieldCols[f]
		if !ok {
			return d.cols
		}
		for _, col := range strings.Split(c, ",") {
			if col = strings.TrimSpace(col); col != "" && !slices.Contains(cols, col) {
				cols = append(cols, col)
			}
		}
	}
	return strings.Join(cols, ", ")
}

// fieldColumns maps each Go field of T whose db tag names a column of
// cols (as alias.tag) to that column, plus extra (methods, by what they
// read). GlobalID reads only the id, which every page selects. A field
// read from an expression rather than a plain column is left out, so a
// caller asking for it gets every column.
func fieldColumns[T any](cols, alias string, extra map[string]string) map[string]string {
	in := map[string]bool{}
	for _, c := range strings.Split(cols, ",") {
		in[strings.TrimSpace(c)] = true
	}
	out := map[string]string{"GlobalID": ""}
	t := reflect.TypeFor[T]()
	for i := range t.NumField() {
		f := t.Field(i)
		if col := alias + "." + f.Tag.Get("db"); in[col] {
			out[f.Name] = col
		}
	}
	maps.Copy(out, extra)
	return out
}

// listQuery is a listDef with its filters applied.
type listQuery struct {
	err       error // a filter that cannot be run, reported when the query is
	def       *listDef
	parentCol string
	from      string
	where     []string
	args      []any
}

func (d *listDef) query(parent string) (*listQuery, error) {
	q := &listQuery{def: d, from: d.from}
	if parent != "" {
		ps, ok := d.parents[parent]
		if !ok {
			return nil, fmt.Errorf("list has no parent relation %q", parent)
		}
		q.parentCol = ps.col
		if ps.join != "" {
			q.from += " " + ps.join
		}
	}
	return q, nil
}

// arg adds a parameter and returns its placeholder.
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *listQuery) and(cond string) { q.where = append(q.where, cond) }

// inStrings adds "expr = ANY($n)" when values are given.
func (q *listQuery) inStrings(expr string, values []string) {
	if len(values) > 0 {
		q.and(expr + " = ANY(" + q.arg(pq.Array(values)) + ")")
	}
}

// inIDs decodes global IDs of one kind and filters on them.
func (q *listQuery) inIDs(expr, kind, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	uuids, err := hin.ParseIDsOf(kind, field, ids)
	if err != nil {
		return err
	}
	q.and(expr + " = ANY(" + q.arg(pq.Array(uuids)) + "::uuid[])")
	return nil
}

// inRegionCodes filters a region id column by region codes.
func (q *listQuery) inRegionCodes(col string, codes []string) {
	if len(codes) > 0 {
		q.and(col + " IN (SELECT id FROM region WHERE code = ANY(" + q.arg(pq.Array(codes)) + "))")
	}
}

// maxSearchText bounds substring searches: a long pattern costs the
// database time per row scanned.
const maxSearchText = 200

// contains adds a case-insensitive substring match.
func (q *listQuery) contains(expr string, s *string) {
	if s != nil && utf8.RuneCountInString(*s) > maxSearchText {
		q.err = hin.Invalid("filter", "search text may be at most %d characters", maxSearchText)
		return
	}
	if s != nil && *s != "" {
		q.and(expr + " ILIKE " + q.arg("%"+escapeLike(*s)+"%"))
	}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func (q *listQuery) whereSQL(extra ...string) string {
	conds := append(append([]string{}, q.where...), extra...)
	if len(conds) == 0 {
		return "TRUE"
	}
	return strings.Join(conds, " AND ")
}

// cursor is what an opaque cursor holds: the order it belongs to, the sort
// key and the id of the last row seen.
type cursor struct {
	Order string `json:"o"`
	Key   string `json:"k"`
	ID    string `json:"i"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, order string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := hin.Invalid("after", "the cursor is not valid; use a cursor returned by this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return nil, bad
	}
	if c.Order != order {
		return nil, hin.Invalid("after", "the cursor was issued for another order (%s); keep the same orderBy while paging", c.Order)
	}
	if !hin.IsUUID(c.ID) {
		return nil, bad
	}
	return &c, nil
}

// pageRow is a scanned row that knows its parent and sort key.
type pageRow[T any] interface {
	item() T
	keys() (parentNo int, sortKey, id string)
	total() *int
}

// rowKeys is embedded in every page row type.
type rowKeys struct {
	ParentNo   int    `db:"parent_no"` // 1 for ListIn.ParentIDs[0], ...; 0 in a root list
	SortKey    string `db:"sort_key"`
	TotalCount *int   `db:"total_count"` // with ListIn.WithTotal
}

func (k rowKeys) total() *int { return k.TotalCount }

// pageQuery writes the statement of a page, adding its arguments to q.
func pageQuery(q *listQuery, in ListIn) (query string, err error) {
	if err := in.Page.Validate(); err != nil {
		return "", err
	}
	if q.err != nil {
		return "", q.err
	}
	orderName := in.Order.Field
	if orderName == "" {
		orderName = q.def.defaultOrder
	}
	spec, ok := q.def.orders[orderName]
	if !ok {
		return "", hin.Invalid("orderBy.field", "cannot order by %s", orderName)
	}
	dir, cmp := "ASC", ">"
	if in.Order.Direction == hin.Desc {
		dir, cmp = "DESC", "<"
		orderName += ":desc"
	}
	c, err := decodeCursor(in.Page.After, orderName)
	if err != nil {
		return "", err
	}
	var extra []string
	if c != nil {
		extra = append(extra, fmt.Sprintf("(%s, %s) %s (%s::%s, %s::uuid)",
			spec.expr, q.def.idCol, cmp, q.arg(c.Key), spec.sqlType, q.arg(c.ID)))
	}
	if q.parentCol != "" {
		extra = append(extra, q.parentCol+" = p.parent_key")
	}
	cols := q.def.columns(in.Fields)
	if in.WithTotal && q.parentCol == "" {
		// uncorrelated, so PostgreSQL counts once for the whole page
		cols += fmt.Sprintf(", (SELECT count(*) FROM %s WHERE %s) AS total_count", q.from, q.whereSQL())
	}
	if !in.NoCursors {
		cols += fmt.Sprintf(", (%s)::text AS sort_key", spec.expr)
	}
	// the limit is a parameter, so that page sizes share a prepared statement
	inner := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s %s, %s %s LIMIT %s",
		cols, q.from, q.whereSQL(extra...), spec.expr, dir, q.def.idCol, dir, q.arg(in.Page.First+1))
	if q.parentCol == "" {
		return inner, nil
	}
	// rows say their parent by its place in the array: a number is cheaper
	// to send and scan than the UUID as text
	return fmt.Sprintf("SELECT p.parent_no, t.* FROM unnest(%s::uuid[]) WITH ORDINALITY AS p(parent_key, parent_no) CROSS JOIN LATERAL (%s) t",
		q.arg(pq.Array(in.ParentIDs)), inner), nil
}

// pageKeys is what a page's cursors are made of, kept so that they are
// encoded only when a client asks for one (edges.cursor, pageInfo).
type pageKeys struct {
	order string
	keys  []cursor
}

func (k *pageKeys) cursor(i int) string {
	c := k.keys[i]
	c.Order = k.order
	return encodeCursor(c)
}

// pages splits rows into one page per parent ("" for a root list) and sets
// next/previous flags and the makings of cursors. Every requested parent
// gets a page, empty when it has no rows.
func pages[R pageRow[T], T any](rows []R, in ListIn, first int) map[string]*hin.Page[T] {
	order := in.Order.Field
	if in.Order.Direction == hin.Desc {
		order += ":desc"
	}
	type building struct {
		page *hin.Page[T]
		keys *pageKeys
	}
	out := make(map[string]building, max(1, len(in.ParentIDs)))
	// each page's items are allocated once, at their final size
	parentOf := func(no int) string {
		if no < 1 || no > len(in.ParentIDs) {
			return ""
		}
		return in.ParentIDs[no-1]
	}
	rowsOf := make(map[string]int, len(out))
	for _, r := range rows {
		no, _, _ := r.keys()
		rowsOf[parentOf(no)]++
	}
	newPage := func(parent string) building {
		size := min(first, rowsOf[parent])
		b := building{page: &hin.Page[T]{Items: make([]T, 0, size), HasPrevious: in.Page.After != ""}, keys: &pageKeys{order: order}}
		if !in.NoCursors {
			b.keys.keys = make([]cursor, 0, size)
			b.page.CursorAt = b.keys.cursor
		}
		return b
	}
	if in.Parent == "" {
		out[""] = newPage("")
	}
	for _, id := range in.ParentIDs {
		out[id] = newPage(id)
	}
	for _, r := range rows {
		no, key, id := r.keys()
		b, ok := out[parentOf(no)]
		if !ok {
			continue
		}
		if t := r.total(); t != nil {
			b.page.Total = t
		}
		if len(b.page.Items) == first {
			b.page.HasNext = true
			continue
		}
		b.page.Items = append(b.page.Items, r.item())
		if !in.NoCursors {
			b.keys.keys = append(b.keys.keys, cursor{Key: key, ID: id})
		}
	}
	pages := make(map[string]*hin.Page[T], len(out))
	for k, b := range out {
		pages[k] = b.page
	}
	return pages
}

// maxPrealloc bounds the rows list sets room for up front: pages of many
// parents are rarely all full.
const maxPrealloc = 1024

// list runs a page query and splits the result per parent.
func list[R pageRow[T], T any](ctx context.Context, s *Store, q *listQuery, in ListIn) (map[string]*hin.Page[T], error) {
	if in.Order.Field == "" {
		in.Order.Field = q.def.defaultOrder
	}
	query, err := pageQuery(q, in)
	if err != nil {
		return nil, err
	}
	// room for every row the statement can return, scanned in place (first
	// is valid here)
	rows := make([]R, 0, min(max(1, len(in.ParentIDs))*(in.Page.First+1), maxPrealloc))
	if err := selectRows(ctx, s, s.reads(), &rows, query, q.args...); err != nil {
		return nil, err
	}
	return pages[R, T](rows, in, in.Page.First), nil
}

// count returns the number of rows per parent ("" for a root list).
func (s *Store) count(ctx context.Context, q *listQuery, parentIDs []string) (map[string]int, error) {
	type row struct {
		ParentKey string `db:"parent_key"`
		N         int    `db:"n"`
	}
	if q.err != nil {
		return nil, q.err
	}
	var rows []row
	var query string
	if q.parentCol == "" {
		query = fmt.Sprintf("SELECT '' AS parent_key, count(*) AS n FROM %s WHERE %s", q.from, q.whereSQL())
	} else {
		cond := q.parentCol + " = ANY(" + q.arg(pq.Array(parentIDs)) + "::uuid[])"
		query = fmt.Sprintf("SELECT %s::text AS parent_key, count(*) AS n FROM %s WHERE %s GROUP BY 1",
			q.parentCol, q.from, q.whereSQL(cond))
	}
	if err := s.selectPrepared(ctx, s.reads(), &rows, query, q.args...); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(parentIDs)+1)
	for _, id := range parentIDs {
		out[id] = 0
	}
	for _, r := range rows {
		out[r.ParentKey] = r.N
	}
	return out, nil
}

// byIDs loads rows by primary key; callers map them by id.
func (s *Store) byIDs(ctx context.Context, dest any, query string, ids []string) error {
	return s.selectPrepared(ctx, s.reads(), dest, query, pq.Array(ids))
}

func pqArray(v any) any { return pq.Array(v) }

// unlessArchived hides archived records unless the filter asks for them.
func (q *listQuery) unlessArchived(col string, include *bool) {
	if include == nil || !*include {
		q.and(col + " IS NULL")
	}
}

// visibleOutcomes keeps the drafts the caller may not see out of every
// read of outcomes: lists, counts and lookups by id alike.
func (q *listQuery) visibleOutcomes(alias string, scope hin.DraftScope) {
	switch {
	case scope.All:
	case len(scope.RegionIDs) > 0:
		q.and("(" + alias + ".status <> 'DRAFT' OR " + alias + ".region_id = ANY(" + q.arg(pq.Array(scope.RegionIDs)) + "::uuid[]))")
	default:
		q.and(alias + ".status <> 'DRAFT'")
	}
}
