package graph

import (
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

var graphiqlPage = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hin-graph: GraphiQL</title>
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script crossorigin src="https://unpkg.com/react@18.3.1/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3.8.3/graphiql.min.js"></script>
<script>
  const tabs = {{.Tabs}};
  const fetcher = GraphiQL.createFetcher({ url: {{.Endpoint}} });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultEditorToolsVisibility: true,
      defaultTabs: tabs.map(t => ({ query: t.Query })),
    }));
</script>
</body>
</html>`))

// GraphiQLHandler serves GraphiQL pointed at endpoint, with example queries.
func GraphiQLHandler(endpoint string) http.Handler {
	tabs, _ := json.Marshal(exampleQueries)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = graphiqlPage.Execute(w, map[string]any{"Tabs": template.JS(tabs), "Endpoint": endpoint})
	})
}
