package graph

// FragmentBomb is fragmentBomb for the package's external tests.
var FragmentBomb = fragmentBomb
