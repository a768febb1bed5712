package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The shapes --peer measures, each written once for hin-graph and once for
// PostGraphile V5 (its default amber preset: allX root connections,
// relations named xsByYId, the primary key as rowId). Both ask for the same
// rows in the same order, so their answers can be compared row for row
// before anything is timed.

type peerShape struct {
	name string
	what string // for the report
	hin  func(p *peerParams) []byte
	pg   func(p *peerParams) []byte
}

// peerParams are values the shapes need from the database (an id to look
// up), read once before the run.
type peerParams struct {
	innovationID string // UUID
}

// peerNested is also the in-process query deep_page (queries.go), to
// profile with --cpuprofile.
const peerNested = `query PeerNested { regions { code name
  innovations(first: 10) { nodes { id name stage
    pilots(first: 5) { nodes { id status startDate
      outcomes(first: 5) { nodes { id periodStart periodEnd value status } } } } } } } }`

var peerShapes = []*peerShape{
	{
		name: "nested",
		what: "15 regions → 10 innovations → 5 pilots → 5 outcomes",
		hin:  fixedBody(peerNested),
		pg: fixedBody(`query PeerNested { allRegions(orderBy: CODE_ASC) { nodes { code name
  innovationsByLeadRegionId(first: 10, orderBy: [NAME_ASC, PRIMARY_KEY_ASC]) { nodes { rowId name stage
    pilotsByInnovationId(first: 5, orderBy: [START_DATE_ASC, PRIMARY_KEY_ASC]) { nodes { rowId status startDate
      outcomesByPilotId(first: 5, orderBy: [PERIOD_START_ASC, PRIMARY_KEY_ASC]) { nodes { rowId periodStart periodEnd value status } } } } } } } } }`),
	},
	{
		name: "list",
		what: "50 innovations with lead region and totalCount",
		hin:  fixedBody(`query PeerList { innovations(first: 50) { totalCount nodes { id name stage clinicalArea leadRegion { code name } } } }`),
		pg: fixedBody(`query PeerList { allInnovations(first: 50, orderBy: [NAME_ASC, PRIMARY_KEY_ASC]) { totalCount nodes { rowId name stage clinicalArea
  regionByLeadRegionId { code name } } } }`),
	},
	{
		name: "lookup",
		what: "one innovation by id, with its lead region",
		hin: func(p *peerParams) []byte {
			return gqlBody(`query PeerLookup($id: ID!) { node(id: $id) { ... on Innovation { id name stage clinicalArea leadRegion { code name } } } }`,
				map[string]any{"id": hin.GlobalID(hin.KindInnovation, p.innovationID)})
		},
		pg: func(p *peerParams) []byte {
			return gqlBody(`query PeerLookup($id: UUID!) { innovationByRowId(rowId: $id) { rowId name stage clinicalArea regionByLeadRegionId { code name } } }`,
				map[string]any{"id": p.innovationID})
		},
	},
}

func fixedBody(query string) func(*peerParams) []byte {
	return func(*peerParams) []byte { return gqlBody(query, nil) }
}

func peerShapeNames() []string {
	names := make([]string, len(peerShapes))
	for i, s := range peerShapes {
		names[i] = s.name
	}
	return names
}

func findPeerShape(name string) *peerShape {
	for _, s := range peerShapes {
		if s.name == name {
			return s
		}
	}
	return nil
}

// peerNames maps PostGraphile's names onto hin-graph's, so both answers
// normalise to the same tree.
var peerNames = map[string]string{
	"allRegions":                "regions",
	"allInnovations":            "innovations",
	"innovationByRowId":         "node",
	"innovationsByLeadRegionId": "innovations",
	"pilotsByInnovationId":      "pilots",
	"outcomesByPilotId":         "outcomes",
	"regionByLeadRegionId":      "leadRegion",
	"rowId":                     "id",
}

// normalise turns a response's data into comparable text: PostGraphile's
// names become hin-graph's, hin-graph's global IDs become UUIDs, a
// connection holding only nodes becomes its list (hin-graph's regions is a
// plain list), numbers print alike. Object keys are sorted by encoding/json.
func normalise(body []byte, fromPeer bool) (string, error) {
	var r struct {
		Data   any               `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", err
	}
	if len(r.Errors) > 0 || r.Data == nil {
		return "", fmt.Errorf("errors in response: %s", truncate(string(body), 300))
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, val := range x {
				if fromPeer {
					if n, ok := peerNames[k]; ok {
						k = n
					}
				} else if s, ok := val.(string); ok && k == "id" {
					if _, uuid, err := hin.ParseGlobalID(s); err == nil {
						val = uuid
					}
				}
				out[k] = walk(val)
			}
			if nodes, ok := out["nodes"]; ok && len(out) == 1 {
				return nodes
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case float64:
			return strconv.FormatFloat(x, 'g', 12, 64)
		case string:
			// PostGraphile sends numeric and bigint columns as strings
			if f, err := strconv.ParseFloat(x, 64); err == nil && !strings.ContainsAny(x, "-:") {
				return strconv.FormatFloat(f, 'g', 12, 64)
			}
			return x
		}
		return v
	}
	b, err := json.Marshal(walk(r.Data))
	return string(b), err
}

// firstDifference says where two normalised answers part, for the report.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d: hin-graph …%s… vs PostGraphile …%s…", i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// countRows counts the objects in a normalised answer, to say how many rows
// were compared.
func countRows(normalised string) int {
	var v any
	_ = json.Unmarshal([]byte(normalised), &v)
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			n++
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return n
}
