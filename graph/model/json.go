package model

import (
	"encoding/json"
	"io"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// MarshalJSON writes stored JSON (audit before/after) as it is.
func MarshalJSON(v hin.JSONText) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(v) == 0 {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(v)
	})
}

// UnmarshalJSON accepts any JSON value; the API takes none as input today.
func UnmarshalJSON(v any) (hin.JSONText, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, hin.Errorf(hin.EINVALID, "not a JSON value")
	}
	return b, nil
}
