package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Limits stop one careless or hostile query from slowing the service for
// everyone. Zero disables a limit; cmd/hingraph sets the documented
// defaults.
type Limits struct {
	MaxTokens     int // lexical tokens in the query text, checked before parsing
	MaxDepth      int // nesting of selections, fragments expanded
	MaxAliases    int // aliased fields in the operation
	MaxDirectives int // directives in the operation
	MaxCost       int // estimated cost; a connection multiplies its children by first
	// MaxCostAnonymous is the cost limit for callers without a token, who
	// may be anyone on the internet; 0 means MaxCost applies to them too.
	MaxCostAnonymous int
	// MaxQueryBytes bounds the query text itself: a comment is one token,
	// so the token limit alone would let megabytes through to the parser
	// and the parsed-query cache.
	MaxQueryBytes int
	// AnonymousIntrospection lets callers without a token read the schema.
	// Authenticated callers always may.
	AnonymousIntrospection bool
	// AnonymousSuggestions adds "did you mean" hints to anonymous callers'
	// validation errors (only where they may introspect anyway). Off, a
	// scanner probing for field names learns nothing from typos.
	AnonymousSuggestions bool
	// AllowList, when set, is the only operations anonymous callers may run:
	// the SHA-256 of each registered query text mapped to the text.
	AllowList map[string]string
	// OnReject is told which limit refused a request (for metrics).
	OnReject func(limit string)
}

// Error codes of the limits, in extensions.code.
const (
	codeTokenLimit     = "TOKEN_LIMIT_EXCEEDED"
	codeDepthLimit     = "DEPTH_LIMIT_EXCEEDED"
	codeAliasLimit     = "ALIAS_LIMIT_EXCEEDED"
	codeDirectiveLimit = "DIRECTIVE_LIMIT_EXCEEDED"
	codeCostLimit      = "COST_LIMIT_EXCEEDED"
	codeNotAllowed     = "PERSISTED_QUERY_NOT_ALLOWED"
	codeQueryTooLarge  = "QUERY_TOO_LARGE"
)

// limitError is a refused request with a stable code and a message that
// says how to get under the limit.
func (l *Limits) reject(limit, code, format string, args ...any) *gqlerror.Error {
	if l.OnReject != nil {
		l.OnReject(limit)
	}
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// limitExtension applies the limits through gqlgen's hooks: the allow-list
// and token count before parsing, the rest on the validated operation.
type limitExtension struct {
	l             *Limits
	introspection bool
}

var (
	_ graphql.HandlerExtension          = limitExtension{}
	_ graphql.OperationParameterMutator = limitExtension{}
	_ graphql.OperationContextMutator   = limitExtension{}
)

func (limitExtension) ExtensionName() string                   { return "HinGraphLimits" }
func (limitExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (e limitExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	l := e.l
	if l.AllowList != nil && hin.PrincipalFrom(ctx).Role == hin.RoleAnonymous {
		if err := l.allow(p); err != nil {
			return err
		}
	}
	if l.MaxQueryBytes > 0 && len(p.Query) > l.MaxQueryBytes {
		return l.reject("query_size", codeQueryTooLarge, "the query text is %d bytes; the limit is %d", len(p.Query), l.MaxQueryBytes)
	}
	// every token is at least a byte, so a short query needs no counting
	if l.MaxTokens > 0 && len(p.Query) > l.MaxTokens {
		n := 0
		lx := lexer.New(&ast.Source{Input: p.Query})
		for {
			tok, err := lx.ReadToken()
			if err != nil || tok.Kind == lexer.EOF {
				break // the parser reports lexical errors properly
			}
			if n++; n > l.MaxTokens {
				return l.reject("tokens", codeTokenLimit, "the query has more than %d tokens; split it into smaller queries", l.MaxTokens)
			}
		}
	}
	return nil
}

// allow lets anonymous callers run only registered operations, sent as the
// full text or as the hash alone (Apollo persisted query form).
func (l *Limits) allow(p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		if pq, ok := p.Extensions["persistedQuery"].(map[string]any); ok {
			if hash, ok := pq["sha256Hash"].(string); ok {
				if q, ok := l.AllowList[strings.ToLower(hash)]; ok {
					p.Query = q
					return nil
				}
			}
		}
		return l.reject("allowlist", codeNotAllowed, "this endpoint runs only registered operations for callers without a token")
	}
	sum := sha256.Sum256([]byte(p.Query))
	if _, ok := l.AllowList[hex.EncodeToString(sum[:])]; !ok {
		return l.reject("allowlist", codeNotAllowed, "this endpoint runs only registered operations for callers without a token")
	}
	return nil
}

func (e limitExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	l := e.l
	anonymous := hin.PrincipalFrom(ctx).Role == hin.RoleAnonymous
	oc.DisableIntrospection = !e.introspection || anonymous && !l.AnonymousIntrospection
	w := walker{doc: oc.Doc, vars: oc.Variables}
	depth := w.depth(oc.Operation.SelectionSet, 0)
	if l.MaxDepth > 0 && depth > l.MaxDepth {
		return l.reject("depth", codeDepthLimit, "the query is nested %d levels deep; the limit is %d", depth, l.MaxDepth)
	}
	w.count(oc.Operation.SelectionSet, map[string]bool{})
	w.directives += len(oc.Operation.Directives)
	if l.MaxAliases > 0 && w.aliases > l.MaxAliases {
		return l.reject("aliases", codeAliasLimit, "the query uses %d aliases; the limit is %d", w.aliases, l.MaxAliases)
	}
	if l.MaxDirectives > 0 && w.directives > l.MaxDirectives {
		return l.reject("directives", codeDirectiveLimit, "the query uses %d directives; the limit is %d", w.directives, l.MaxDirectives)
	}
	maxCost := l.MaxCost
	if anonymous && l.MaxCostAnonymous > 0 {
		maxCost = l.MaxCostAnonymous
	}
	if maxCost > 0 {
		if cost := w.cost(oc.Operation.SelectionSet, 1); cost > maxCost {
			who := ""
			if anonymous && l.MaxCostAnonymous > 0 {
				who = " for callers without a token"
			}
			return l.reject("cost", codeCostLimit, "the query could cost %d (each field 1, times the first of every connection and the groups of every breakdown around it); the limit%s is %d: ask for fewer items per page or fewer groups", cost, who, maxCost)
		}
	}
	return nil
}

// walker measures a validated operation. Fragments were checked for
// cycles by validation, so expanding them terminates.
type walker struct {
	doc                 *ast.QueryDocument
	vars                map[string]any
	aliases, directives int
}

func (w *walker) fragment(name string) *ast.FragmentDefinition { return w.doc.Fragments.ForName(name) }

func (w *walker) depth(set ast.SelectionSet, d int) int {
	max := d
	for _, sel := range set {
		var sub int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				sub = d + 1
			} else {
				sub = w.depth(s.SelectionSet, d+1)
			}
		case *ast.InlineFragment:
			sub = w.depth(s.SelectionSet, d)
		case *ast.FragmentSpread:
			if f := w.fragment(s.Name); f != nil {
				sub = w.depth(f.SelectionSet, d)
			}
		}
		if sub > max {
			max = sub
		}
	}
	return max
}

// count tallies aliases and directives; each fragment is counted once
// however often it is spread, like the text the client sent.
func (w *walker) count(set ast.SelectionSet, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			w.directives += len(s.Directives)
			w.count(s.SelectionSet, seen)
		case *ast.InlineFragment:
			w.directives += len(s.Directives)
			w.count(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			w.directives += len(s.Directives)
			if !seen[s.Name] {
				seen[s.Name] = true
				if f := w.fragment(s.Name); f != nil {
					w.directives += len(f.Directives)
					w.count(f.SelectionSet, seen)
				}
			}
		}
	}
}

// plainListSize is the multiplier for lists that are not connections
// (regions, byRegion, stageHistory): they are bounded by the number of
// regions or similar, so 15 is a fair upper estimate.
const plainListSize = 15

// costCap keeps the estimate from overflowing on absurd queries.
const costCap = 1 << 40

// cost is the estimated number of values a selection can produce: one per
// field, times the page size of every connection (first, default 20) and
// the size of every list around it.
func (w *walker) cost(set ast.SelectionSet, times int) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // introspection reads the static schema; depth bounds it
			}
			total += times
			if len(s.SelectionSet) > 0 {
				total += w.cost(s.SelectionSet, min(costCap, times*w.multiplier(s)))
			}
		case *ast.InlineFragment:
			total += w.cost(s.SelectionSet, times)
		case *ast.FragmentSpread:
			if f := w.fragment(s.Name); f != nil {
				total += w.cost(f.SelectionSet, times)
			}
		}
		if total > costCap {
			return costCap
		}
	}
	return total
}

func (w *walker) multiplier(f *ast.Field) int {
	if f.Definition == nil || f.Definition.Type == nil {
		return 1
	}
	t := f.Definition.Type
	if strings.HasSuffix(t.Name(), "Connection") {
		first := 20
		if v, ok := f.ArgumentMap(w.vars)["first"]; ok {
			if n, ok := v.(int64); ok {
				first = int(n)
			} else if n, ok := v.(int); ok {
				first = n
			}
		}
		return max(1, first)
	}
	if t.Elem != nil {
		switch f.Name {
		case "edges", "nodes": // the connection already counted its page
			if f.ObjectDefinition != nil && strings.HasSuffix(f.ObjectDefinition.Name, "Connection") {
				return 1
			}
		}
		if f.Name == "nodes" || f.Name == "outcomes" {
			if ids, ok := f.ArgumentMap(w.vars)["ids"].([]any); ok {
				return max(1, len(ids))
			}
		}
		if f.Name == "figureBreakdown" {
			return w.groups(f)
		}
		return plainListSize
	}
	return 1
}

// Estimated sizes of the dimensions a breakdown can group by: one group per
// value. Programmes and innovations are bounded by what a window's outcomes
// name, which for innovations can be thousands: 500 is a deliberately
// high estimate, so a breakdown by innovation and month is costed as the
// large answer it is.
var dimensionSize = map[string]int{
	"REGION": 15, "PROGRAMME": 60, "INNOVATION": 500, "CLINICAL_AREA": 20, "INNOVATION_STAGE": 7,
}

// groups estimates how many groups a figureBreakdown returns: the product
// of its dimensions' sizes, a period dimension counting the periods of the
// window.
func (w *walker) groups(f *ast.Field) int {
	args := f.ArgumentMap(w.vars)
	months := 12
	if win, ok := args["window"].(map[string]any); ok {
		months = windowMonths(win)
	}
	n := 1
	dims, _ := args["groupBy"].([]any)
	for _, d := range dims {
		name, _ := d.(string)
		switch name {
		case "MONTH":
			n *= months
		case "QUARTER":
			n *= max(1, (months+2)/3)
		case "FINANCIAL_YEAR":
			n *= max(1, (months+11)/12)
		default:
			if size, ok := dimensionSize[name]; ok {
				n *= size
			}
		}
		n = min(n, costCap)
	}
	return max(1, n)
}

// windowMonths counts the months a window argument spans (12 when it
// cannot tell).
func windowMonths(win map[string]any) int {
	if _, ok := win["quarter"].(string); ok {
		return 3
	}
	if _, ok := win["financialYear"].(string); ok {
		return 12
	}
	from, okF := win["from"].(string)
	to, okT := win["to"].(string)
	if !okF || !okT || len(from) < 7 || len(to) < 7 {
		return 12
	}
	var fy, fm, ty, tm int
	if _, err := fmt.Sscanf(from[:7], "%d-%d", &fy, &fm); err != nil {
		return 12
	}
	if _, err := fmt.Sscanf(to[:7], "%d-%d", &ty, &tm); err != nil {
		return 12
	}
	return max(1, (ty-fy)*12+tm-fm+1)
}

// suggestion matches gqlparser's "Did you mean ...?" hints, which reveal
// the schema to callers who may not introspect it.
var suggestion = regexp.MustCompile(` Did you mean [^?]*\?`)

func hideSuggestions(msg string) string { return suggestion.ReplaceAllString(msg, "") }
