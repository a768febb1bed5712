// Package model holds the GraphQL-only types: connections, the Date scalar
// and the generated order inputs. Everything else binds to internal/hin.
package model

import (
	"context"
	"sync"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// Connection is a Relay connection over one page of T. The total count is
// fetched only if a client asks for it, through Count.
type Connection[T any] struct {
	Page  *hin.Page[T]
	Count func(ctx context.Context) (int, error)

	once  sync.Once
	edges []Edge[T]
}

// Edge is one item of a page with its cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// PageInfo follows the Relay cursor connections specification.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Edges pairs each item with its cursor.
func (c *Connection[T]) Edges() []Edge[T] {
	c.once.Do(func() {
		c.edges = make([]Edge[T], len(c.Page.Items))
		for i, it := range c.Page.Items {
			c.edges[i] = Edge[T]{Cursor: c.Page.Cursor(i), Node: it}
		}
	})
	return c.edges
}

// Nodes is the items without cursors.
func (c *Connection[T]) Nodes() []T { return c.Page.Items }

// PageInfo says where the page sits.
func (c *Connection[T]) PageInfo() *PageInfo {
	pi := &PageInfo{HasNextPage: c.Page.HasNext, HasPreviousPage: c.Page.HasPrevious}
	if n := len(c.Page.Items); n > 0 {
		start, end := c.Page.Cursor(0), c.Page.Cursor(n-1)
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// TotalCount counts every item matching the list's filter.
func (c *Connection[T]) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// The GraphQL connection and edge types, one per listed node type.
type (
	OrganisationConnection = Connection[hin.Organisation]
	OrganisationEdge       = Edge[hin.Organisation]
	ProgrammeConnection    = Connection[hin.Programme]
	ProgrammeEdge          = Edge[hin.Programme]
	InnovationConnection   = Connection[hin.Innovation]
	InnovationEdge         = Edge[hin.Innovation]
	PilotConnection        = Connection[hin.Pilot]
	PilotEdge              = Edge[hin.Pilot]
	AdoptionConnection     = Connection[hin.Adoption]
	AdoptionEdge           = Edge[hin.Adoption]
	OutcomeConnection      = Connection[hin.Outcome]
	OutcomeEdge            = Edge[hin.Outcome]
	AuditEventConnection   = Connection[hin.AuditEvent]
	AuditEventEdge         = Edge[hin.AuditEvent]
)

// Node is anything node(id:) can return: every type with a global ID.
type Node interface {
	GlobalID() string
}
