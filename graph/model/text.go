package model

import (
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// MarshalText writes the String scalar.
func MarshalText(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalText reads the String scalar, refusing text PostgreSQL cannot
// store or that is not text at all (invalid UTF-8, NUL), so every string
// argument is checked once, at the edge.
func UnmarshalText(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", hin.Errorf(hin.EINVALID, "expected a string")
	}
	if !utf8.ValidString(s) {
		return "", hin.Errorf(hin.EINVALID, "text must be valid UTF-8")
	}
	if strings.ContainsRune(s, 0) {
		return "", hin.Errorf(hin.EINVALID, "text must not contain NUL characters")
	}
	return s, nil
}
