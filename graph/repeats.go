package graph

import (
	"encoding/binary"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxFieldRepeats bounds how often one response name may be selected in
// one merged selection set. gqlparser's check that same-named fields can
// merge compares them in pairs, and the pairs of nested fields multiply:
// 32 copies of a field, each holding 32 copies of another, take about
// 200 ms to validate, 2,000 flat copies as long. Counting the copies as
// GraphQL merges them, and refusing more than 16, keeps validation to a
// few milliseconds under the token limit. Real queries repeat a field a
// handful of times at most, through overlapping fragments.
const maxFieldRepeats = 16

// repeats finds the response name selected most often in any merged
// selection set of a parsed, not yet validated, document: the fields of a
// set, of its inline fragments and of each distinct fragment it spreads,
// and below a name selected n times, the n sub-selections together.
type repeats struct {
	doc *ast.QueryDocument
	// A group of sets checks the same wherever it stands, so each is
	// checked once: keyed by the ids of the sets' first selections.
	ids   map[ast.Selection]int
	done  map[string]bool
	worst string
	most  int
}

func mostRepeated(doc *ast.QueryDocument) (string, int) {
	r := &repeats{doc: doc, ids: map[ast.Selection]int{}, done: map[string]bool{}}
	for _, op := range doc.Operations {
		r.merged([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments {
		// as if spread, so that a cycle back to it stops
		r.merged([]ast.SelectionSet{{&ast.FragmentSpread{Name: f.Name}}})
	}
	return r.worst, r.most
}

func (r *repeats) key(sets []ast.SelectionSet) string {
	b := make([]byte, 0, 8*len(sets))
	for _, set := range sets {
		id, ok := r.ids[set[0]]
		if !ok {
			id = len(r.ids)
			r.ids[set[0]] = id
		}
		b = binary.AppendUvarint(b, uint64(id))
	}
	return string(b)
}

// merged checks selection sets that GraphQL merges into one.
func (r *repeats) merged(sets []ast.SelectionSet) {
	k := r.key(sets)
	if r.done[k] {
		return
	}
	r.done[k] = true
	groups := map[string][]*ast.Field{}
	var order []string
	seen := map[string]bool{}
	for _, set := range sets {
		r.collect(set, groups, &order, seen)
	}
	for _, name := range order {
		fields := groups[name]
		if len(fields) > r.most {
			r.worst, r.most = name, len(fields)
		}
		if r.most > maxFieldRepeats {
			return // refused already
		}
		var below []ast.SelectionSet
		for _, f := range fields {
			// (every set below is non-empty: the parser refuses "{ }")
			if len(f.SelectionSet) > 0 {
				below = append(below, f.SelectionSet)
			}
		}
		if len(below) > 0 {
			r.merged(below)
		}
	}
}

func (r *repeats) collect(set ast.SelectionSet, groups map[string][]*ast.Field, order *[]string, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if _, ok := groups[name]; !ok {
				*order = append(*order, name)
			}
			groups[name] = append(groups[name], s)
		case *ast.InlineFragment:
			r.collect(s.SelectionSet, groups, order, seen)
		case *ast.FragmentSpread:
			if !seen[s.Name] {
				seen[s.Name] = true
				if f := r.doc.Fragments.ForName(s.Name); f != nil {
					r.collect(f.SelectionSet, groups, order, seen)
				}
			}
		}
	}
}
