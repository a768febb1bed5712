package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// hostileKind is one kind of hostile request. body makes the n-th request
// of the kind; query texts end in a comment with n, so that every request
// is new text to the server and its parsed-query cache does not help (an
// attacker would vary them as cheaply).
type hostileKind struct {
	name   string
	expect string // what the defaults should answer, for the reader
	body   func(n int64) []byte
	extra  bool // not in the default mix; --hostile-kinds names it
}

func gqlBody(query string, vars map[string]any) []byte {
	m := map[string]any{"query": query}
	if vars != nil {
		m["variables"] = vars
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// unique appends a comment that makes the text differ per request.
func unique(query string, n int64) string { return query + "\n# " + strconv.FormatInt(n, 10) }

func fixedQuery(query string, vars map[string]any) func(int64) []byte {
	return func(n int64) []byte { return gqlBody(unique(query, n), vars) }
}

// maxPassingCost is a nested page just under the default cost limit of
// 50000: 1 (pilots) + 500 (nodes) + 500 (outcomes) + 500*48 (nodes) +
// 500*48 (id) = 49001; first: 49 would cost 50001 and be refused. It asks
// for about 24,000 outcomes, and id is the longest scalar an outcome has.
const maxPassingCost = `query HostileMaxCost { pilots(first: 500) { nodes { outcomes(first: 48) { nodes { id } } } } }`

// overCost: 15 regions x 500 innovations x 500 pilots.
const overCost = `query HostileOverCost { regions { innovations(first: 500) { nodes { pilots(first: 500) { nodes { id } } } } } }`

// breakdown groups five years of outcomes by innovation and month: cheap
// under the cost estimate (a plain list), thousands of groups.
const breakdown = `query HostileBreakdown { figureBreakdown(metrics: ["patients_benefiting"],
  window: {from: "` + seriesFrom + `", to: "` + seriesTo + `"}, groupBy: [INNOVATION, MONTH], includeDrafts: false) {
  innovation { id name } period { label start end } value outcomeCount reportingCount } }`

// introspection is graphql-js's getIntrospectionQuery(), the query every
// GraphQL tool sends first.
const introspection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

const searchOrganisations = `query HostileSearch($s: String) { organisations(first: 500, filter: {nameContains: $s}) { nodes { id name } } }`

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("query HostileAliases {")
	for i := range n {
		fmt.Fprintf(&b, " a%d: regions { code name }", i)
	}
	b.WriteString(" }")
	return b.String()
}

func aliasedBreakdowns(n int) string {
	inner := breakdown[strings.Index(breakdown, "figureBreakdown") : len(breakdown)-1]
	var b strings.Builder
	b.WriteString("query HostileBreakdowns {")
	for i := range n {
		fmt.Fprintf(&b, " b%d: %s", i, inner)
	}
	b.WriteString(" }")
	return b.String()
}

func directives(n int) string {
	var b strings.Builder
	b.WriteString("query HostileDirectives { regions {")
	for i := range n {
		if i%2 == 0 {
			b.WriteString(" code @include(if: true)")
		} else {
			b.WriteString(" code @skip(if: false)")
		}
	}
	b.WriteString(" } }")
	return b.String()
}

func manyTokens(n int) string {
	// "query", "{", "regions", "{", n x "code", "}", "}"
	return "query HostileTokens { regions {" + strings.Repeat(" code", n) + " } }"
}

var hostileKinds = []*hostileKind{
	{name: "aliases_100", expect: "ALIAS_LIMIT_EXCEEDED", body: fixedQuery(aliases(100), nil)},
	{name: "depth_40", expect: "DEPTH_LIMIT_EXCEEDED", body: fixedQuery(deepQuery(40), nil)},
	{name: "directives_150", expect: "DIRECTIVE_LIMIT_EXCEEDED", body: fixedQuery(directives(150), nil)},
	{name: "tokens_3000", expect: "TOKEN_LIMIT_EXCEEDED", body: fixedQuery(manyTokens(3000), nil)},
	{name: "cost_over", expect: "COST_LIMIT_EXCEEDED", body: fixedQuery(overCost, nil)},
	{name: "cost_max_pass", expect: "200, ~24,000 outcomes (cost 49001)", body: fixedQuery(maxPassingCost, nil)},
	{name: "breakdown_5y", expect: "200, innovation x month groups", body: fixedQuery(breakdown, nil)},
	{name: "first_501", expect: "INVALID_ARGUMENT", body: fixedQuery(`query HostileFirst { innovations(first: 501) { nodes { id } } }`, nil)},
	{name: "malformed_json", expect: "400 BAD_REQUEST", body: func(int64) []byte {
		return []byte(`{"query": "{ regions { code } }", "variables": {"a": [1, 2,`)
	}},
	{name: "body_900k", expect: "200 (a 900 KB comment, then __typename)", body: hugeBody(900 << 10)},
	{name: "search_200", expect: "200, no match", body: fixedQuery(searchOrganisations, map[string]any{"s": longSearch(200)})},
	{name: "introspection", expect: "200, the whole schema", body: fixedQuery(introspection, nil)},
	// extras, measured on request (--hostile-kinds):
	// the tuned page one step over the limit, to show it is at the edge
	{name: "cost_max_plus1", expect: "COST_LIMIT_EXCEEDED (cost 50001)", extra: true,
		body: fixedQuery(strings.Replace(maxPassingCost, "first: 48", "first: 49", 1), nil)},
	// the breakdown under 15 aliases (the alias limit): the cost estimate counts it as a plain list
	{name: "breakdown_5y_x15", expect: "passes the limits; 15 breakdowns", extra: true, body: fixedQuery(aliasedBreakdowns(15), nil)},
	// the known bug of graph/hostile_test.go (bugLongSearch)
	{name: "search_900k", expect: "INVALID_ARGUMENT once nameContains is capped", extra: true,
		body: fixedQuery(searchOrganisations, map[string]any{"s": longSearch(900 << 10)})},
}

// deepQuery nests regions > innovations > nodes > leadRegion > ... to
// exactly depth levels, ending on a scalar.
func deepQuery(depth int) string {
	var b strings.Builder
	b.WriteString("query HostileDepth { regions {")
	d, braces := 1, 1 // regions
	// each round adds innovations, nodes and leadRegion; the tail needs 1 to 3 more levels
	for depth-d > 3 {
		b.WriteString(" innovations(first: 1) { nodes { leadRegion {")
		d += 3
		braces += 3
	}
	switch depth - d {
	case 1:
		b.WriteString(" code")
	case 2:
		b.WriteString(" innovations(first: 1) { totalCount }")
	case 3:
		b.WriteString(" innovations(first: 1) { nodes { name } }")
	}
	b.WriteString(strings.Repeat(" }", braces+1))
	return b.String()
}

// longSearch is n characters that match no name: letters, digits and the
// LIKE wildcards, which the store must escape.
func longSearch(n int) string {
	const alphabet = "zq%_x9"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[i%len(alphabet)]
	}
	return string(b)
}

// hugeBody is a query of size bytes, nearly all of it one comment (one
// token, so under the token limit), different on every request.
func hugeBody(size int) func(int64) []byte {
	head := []byte(`{"query":"# `)
	tail := []byte(`\n{ __typename }"}`)
	pad := size - len(head) - len(tail) - 20
	return func(n int64) []byte {
		b := make([]byte, 0, size)
		b = append(b, head...)
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ' ')
		for len(b) < pad {
			b = append(b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"...)
		}
		return append(b, tail...)
	}
}

func hostileKindNames(extra bool) []string {
	var names []string
	for _, k := range hostileKinds {
		if k.extra == extra {
			names = append(names, k.name)
		}
	}
	return names
}

func findHostileKind(name string) *hostileKind {
	for _, k := range hostileKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}
