package httpapi

import "testing"

func TestSafeReturnTo(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/dashboard":                    "/dashboard",
		"/returns?collection=1#x":       "/returns?collection=1#x",
		"/%2F%2Fevil.example":           "/%2F%2Fevil.example", // a path here, not a host
		"//evil.example":                "/",
		"///evil.example":               "/",
		`/\evil.example`:                "/",
		`\\evil.example`:                "/",
		"https://evil.example/":         "/",
		"http:/evil.example":            "/",
		"javascript:alert(1)":           "/",
		"dashboard":                     "/",
		" /dashboard":                   "/",
		"/\t/evil.example":              "/",
		"/x\r\nSet-Cookie: a=b":         "/",
		"/" + string(make([]byte, 600)): "/",
	} {
		if got := safeReturnTo(in); got != want {
			t.Errorf("safeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}
