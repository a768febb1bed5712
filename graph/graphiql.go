package graph

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
)

// exampleQueries open as tabs in GraphiQL, so a newcomer can run something
// useful straight away.
var exampleQueries = []struct{ Title, Query string }{
	{"Regions", `# The 15 Health Innovation Networks and who hosts which Patient Safety Collaborative.
query Regions {
  regions {
    code
    name
    formerName
    patientSafetyCollaborative { name }
  }
}`},
	{"Region to outcomes", `# One region, its innovations, their pilots and the outcomes measured in them.
# Each level is one SQL statement, however many rows come back.
query RegionDrilldown {
  region(code: "HI-EM") {
    name
    innovations(first: 5) {
      totalCount
      nodes {
        name
        stage
        pilots(first: 3) {
          nodes {
            site { name }
            status
            outcomes(first: 4, filter: { statuses: [PUBLISHED] }) {
              nodes { metric { code unit } periodStart value numerator denominator }
            }
          }
        }
      }
    }
  }
}`},
	{"Innovations by stage", `# Innovations in spread or later, in two regions, furthest along first. Page with after: endCursor.
query Innovations($after: String) {
  innovations(
    first: 10
    after: $after
    filter: { regionCodes: ["HI-WESSEX", "HIN-SL"], stages: [EVIDENCE_INTO_PRACTICE, ADOPTION, SYSTEM_CHANGE] }
    orderBy: { field: STAGE, direction: DESC }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { name stage leadRegion { code } innovator { name } } }
  }
}`},
	{"Programmes", `# National programmes with their workstreams and status (withdrawn ones included).
query Programmes {
  programmes(first: 50, filter: { topLevelOnly: true }) {
    nodes {
      code
      name
      kind
      status
      startDate
      endDate
      workstreams(first: 10) { nodes { code name } }
    }
  }
}`},
	{"Metric catalogue", `# What is measured, in which unit, and how each metric combines across regions.
query Metrics {
  metrics { code name unit kind description }
}`},
}

// graphiqlPage loads GraphiQL from the server itself (web/, bundled from
// pinned npm packages): nothing comes from a CDN, so it works with no
// internet access and under a CSP of the server's own origin. The tabs go
// in a JSON data block, which the CSP allows, not in an inline script.
var graphiqlPage = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hin-graph: GraphiQL</title>
<link rel="stylesheet" href="/assets/graphiql.css">
<script defer src="/assets/graphiql.js"></script>
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}" data-style-nonce="{{.StyleNonce}}">Loading GraphiQL…</div>
<script type="application/json" id="graphiql-tabs">{{.Tabs}}</script>
</body>
</html>`))

// GraphiQLHandler serves GraphiQL pointed at endpoint, with example queries.
// Its scripts and styles are the embedded bundle at /assets/ (see
// internal/httpapi), which must have been built (make web).
func GraphiQLHandler(endpoint string) http.Handler {
	tabs, _ := json.Marshal(exampleQueries)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		nonce, _ := r.Context().Value(styleNonceKey{}).(string)
		_ = graphiqlPage.Execute(w, map[string]any{"Tabs": template.JS(tabs), "Endpoint": endpoint, "StyleNonce": nonce})
	})
}

type styleNonceKey struct{}

// WithStyleNonce gives the GraphiQL page the nonce its Content-Security-
// Policy allows inline styles by (GraphiQL's dialogs add one while open).
func WithStyleNonce(ctx context.Context, nonce string) context.Context {
	return context.WithValue(ctx, styleNonceKey{}, nonce)
}
