// Package hin holds the domain of hin-graph: the Health Innovation Networks,
// what they run and what they measure, with validation and the error
// vocabulary shared by every layer. It imports only the standard library so
// that the store and the GraphQL adapter can both depend on it.
package hin
