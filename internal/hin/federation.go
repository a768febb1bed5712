package hin

import "time"

// NodeRole is what a hin-graph node is in the federated network.
type NodeRole string

const (
	// NodeNational combines every region and writes those without a node
	// of their own (today's single service).
	NodeNational NodeRole = "NATIONAL"
	// NodeRegional writes one region's data and reads the reference
	// catalogue from the national node.
	NodeRegional NodeRole = "REGIONAL"
)

// Node is how this node is configured.
type Node struct {
	Role        NodeRole
	RegionCode  string // a regional node's region
	NodeURL     string // this node's API, named in errors and coverage
	NationalURL string // the national node's API (a regional node names it)
	// StaleAfter is how far behind a replicated region may be before its
	// figures are marked stale.
	StaleAfter time.Duration
}

// DefaultStaleAfter is the replication delay after which a region's data
// counts as stale. An idle subscription hears from its publisher at least
// every wal_receiver_timeout/2 (30 s by default), so it must exceed that.
const DefaultStaleAfter = 2 * time.Minute

// RegionSource says where one region's data at this node comes from and
// how fresh it is.
type RegionSource struct {
	RegionID string `db:"region_id"`
	// Node is the role of the node that writes the region's data.
	Node    NodeRole `db:"node"`
	NodeURL string   `db:"node_url"`
	// Local: this node writes the region's data; nothing is replicated.
	Local bool `db:"local"`
	// Replicated: the region's rows reach this node by logical replication.
	Replicated bool `db:"replicated"`
	// Connected: the subscription's worker is running (the owning node is
	// reachable).
	Connected bool `db:"connected"`
	// LastReplicatedAt is the owning node's clock when it last sent this
	// node anything: every change it committed before then is here.
	LastReplicatedAt *time.Time `db:"last_replicated_at"`
	// LagSeconds is how long ago that was.
	LagSeconds *float64 `db:"lag_seconds"`
	Stale      bool     `db:"-"`
}

// MarkStale applies the staleness rule: a replicated region is stale when
// its node is unreachable, has never been heard from, or is further behind
// than staleAfter. Its last known rows still count in figures.
func (s *RegionSource) MarkStale(staleAfter time.Duration) {
	if !s.Replicated {
		s.Stale = false
		return
	}
	s.Stale = !s.Connected || s.LagSeconds == nil || *s.LagSeconds > staleAfter.Seconds()
}

// IsEntity marks the types other services can refer to by key in an
// Apollo Federation supergraph (the @key directives in schema.graphqls);
// the GraphQL layer's _Entity union asks for it.
func (Region) IsEntity()       {}
func (Programme) IsEntity()    {}
func (Metric) IsEntity()       {}
func (Organisation) IsEntity() {}
func (Innovation) IsEntity()   {}
func (Pilot) IsEntity()        {}
func (Outcome) IsEntity()      {}
