package hin

import (
	"reflect"
	"testing"
)

// Extensions is what every edge writes for an error: the code, the field,
// the problems, and the details beside them, never in their place.
func TestErrorExtensions(t *testing.T) {
	e := &Error{Code: ECONFLICT, Message: "m", Field: "input.version", Problems: []Problem{{Field: "x", Message: "y"}},
		Details: map[string]any{"currentVersion": 3, "code": "NOT_THIS", "field": "nor this"}}
	want := map[string]any{"code": ECONFLICT, "field": "input.version", "problems": e.Problems, "currentVersion": 3}
	if got := e.Extensions(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := (&Error{Code: EINVALID}).Extensions(); !reflect.DeepEqual(got, map[string]any{"code": EINVALID}) {
		t.Errorf("bare error: %v", got)
	}
}
