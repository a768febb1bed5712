package store

// MapError lets the external tests check the error mapping on errors that a
// real PostgreSQL returned.
var MapError = mapError
