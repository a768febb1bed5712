package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

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
	MaxCost       int // most values a query may return, as graph/cost.go estimates them
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
	OnReject func(limit hin.Limit)
}

// limitError is a refused request with a stable code and a message that
// says how to get under the limit.
func (l *Limits) reject(limit hin.Limit, code, format string, args ...any) *gqlerror.Error {
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
	es            graphql.ExecutableSchema
	cache         graphql.Cache[*ast.QueryDocument] // the server's parsed-query cache
}

var (
	_ graphql.HandlerExtension          = &limitExtension{}
	_ graphql.OperationParameterMutator = &limitExtension{}
	_ graphql.OperationContextMutator   = &limitExtension{}
)

func (*limitExtension) ExtensionName() string { return "HinGraphLimits" }

// Validate keeps the schema, whose complexity functions price each field.
func (e *limitExtension) Validate(es graphql.ExecutableSchema) error {
	e.es = es
	return nil
}

func (e *limitExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	l := e.l
	if l.AllowList != nil && hin.PrincipalFrom(ctx).Role == hin.RoleAnonymous {
		if err := l.allow(p); err != nil {
			return err
		}
	}
	if l.MaxQueryBytes > 0 && len(p.Query) > l.MaxQueryBytes {
		return l.reject(hin.LimitQuerySize, hin.EQUERYTOOLARGE, "the query text is %d bytes; the limit is %d", len(p.Query), l.MaxQueryBytes)
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
				return l.reject(hin.LimitTokens, hin.ETOKENLIMIT, "the query has more than %d tokens; split it into smaller queries", l.MaxTokens)
			}
		}
	}
	// A query in the cache was validated before; any other is parsed here
	// once more (linear) so that validation never sees a field repeated
	// enough to make it slow. Each repeat is at least two bytes.
	if len(p.Query) > 2*maxFieldRepeats && !e.cached(ctx, p.Query) {
		if doc, err := parser.ParseQuery(&ast.Source{Input: p.Query}); err == nil {
			if name, n := mostRepeated(doc); n > maxFieldRepeats {
				return l.reject(hin.LimitRepeats, hin.EREPEATLIMIT, "%s is selected %d times in one selection set; the limit is %d: select it once", hin.Quote(name), n, maxFieldRepeats)
			}
		}
	}
	return nil
}

func (e *limitExtension) cached(ctx context.Context, query string) bool {
	if e.cache == nil {
		return false
	}
	_, ok := e.cache.Get(ctx, query)
	return ok
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
		return l.reject(hin.LimitAllowList, hin.EPERSISTEDNOTALLOWED, "this endpoint runs only registered operations for callers without a token")
	}
	sum := sha256.Sum256([]byte(p.Query))
	if _, ok := l.AllowList[hex.EncodeToString(sum[:])]; !ok {
		return l.reject(hin.LimitAllowList, hin.EPERSISTEDNOTALLOWED, "this endpoint runs only registered operations for callers without a token")
	}
	return nil
}

func (e *limitExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	l := e.l
	anonymous := hin.PrincipalFrom(ctx).Role == hin.RoleAnonymous
	oc.DisableIntrospection = !e.introspection || anonymous && !l.AnonymousIntrospection
	if err := strictVariables(e.es.Schema(), oc.Operation, oc.Variables); err != nil {
		return err
	}
	if err := checkRepresentations(e.es.Schema(), oc.Doc, oc.Operation, oc.Variables); err != nil {
		return err
	}
	m := newMeasure(ctx, e.es, oc.Doc, oc.Variables)
	depth := m.depth(oc.Operation.SelectionSet)
	if m.introspects && oc.DisableIntrospection {
		// refused here, with our code, rather than by gqlgen's resolver
		msg := "introspection is turned off on this server"
		if e.introspection {
			msg = "introspection is not available to callers without a token on this server"
		}
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": hin.EINTROSPECTION}}
	}
	if l.MaxDepth > 0 && depth > l.MaxDepth {
		return l.reject(hin.LimitDepth, hin.EDEPTHLIMIT, "the query is nested %d levels deep; the limit is %d", depth, l.MaxDepth)
	}
	m.count(oc.Operation.SelectionSet)
	m.directives += len(oc.Operation.Directives)
	if m.defers {
		// gqlgen would run it, but no transport here sends the later
		// parts: the answer would stop at "hasNext": true, with nulls
		return &gqlerror.Error{Message: "@defer is not supported: every answer comes whole in one response; remove @defer",
			Extensions: map[string]any{"code": errcode.ValidationFailed}}
	}
	if l.MaxAliases > 0 && m.aliases > l.MaxAliases {
		return l.reject(hin.LimitAliases, hin.EALIASLIMIT, "the query uses %d aliases; the limit is %d", m.aliases, l.MaxAliases)
	}
	if l.MaxDirectives > 0 && m.directives > l.MaxDirectives {
		return l.reject(hin.LimitDirectives, hin.EDIRECTIVELIMIT, "the query uses %d directives; the limit is %d", m.directives, l.MaxDirectives)
	}
	if maxCost := l.maxCost(anonymous); maxCost > 0 {
		cost := m.cost(oc.Operation.SelectionSet)
		oc.Stats.SetExtension(costStat, cost) // a subscription's counts against its caller's budget (share.go)
		if cost > maxCost {
			return l.reject(hin.LimitCost, hin.ECOSTLIMIT, "%s", l.costRefusal("the query", cost, anonymous))
		}
	}
	return nil
}

// costRefusal says why what (a query, an export) costing cost is refused.
func (l *Limits) costRefusal(what string, cost int, anonymous bool) string {
	who := ""
	if anonymous && l.MaxCostAnonymous > 0 {
		who = " for callers without a token"
	}
	return fmt.Sprintf("%s could return up to %d values (each field 1, times the most items of every list around it: first for a page, the periods of a series, the groups of a breakdown); the limit%s is %d: ask for fewer items per page, a shorter window or fewer groups", what, cost, who, l.maxCost(anonymous))
}

// CheckCost refuses, as a query over the limit is refused (the same code
// and message, the same count in the metrics), what a caller outside
// GraphQL asks for: what names it ("the export"), cost is its cost as
// graph/cost.go estimates it.
func (l *Limits) CheckCost(ctx context.Context, what string, cost int) error {
	anonymous := hin.PrincipalFrom(ctx).Role == hin.RoleAnonymous
	if maxCost := l.maxCost(anonymous); maxCost > 0 && cost > maxCost {
		if l.OnReject != nil {
			l.OnReject(hin.LimitCost)
		}
		return &hin.Error{Code: hin.ECOSTLIMIT, Message: l.costRefusal(what, cost, anonymous)}
	}
	return nil
}

// maxCost is the cost limit for a caller with or without a token; 0 means
// none.
func (l *Limits) maxCost(anonymous bool) int {
	if anonymous && l.MaxCostAnonymous > 0 {
		return l.MaxCostAnonymous
	}
	return l.MaxCost
}

// suggestion matches gqlparser's "Did you mean ...?" hints, which reveal
// the schema to callers who may not introspect it.
var suggestion = regexp.MustCompile(` Did you mean [^?]*\?`)

func hideSuggestions(msg string) string { return suggestion.ReplaceAllString(msg, "") }
