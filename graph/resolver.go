package graph

import "github.com/hin-graph/hin-graph/internal/store"

// Resolver holds what resolvers depend on. Root fields use the store
// directly; nested fields go through the request's loaders.
type Resolver struct {
	Store *store.Store
	// Live serves the subscriptions; nil refuses them.
	Live *Live
}
