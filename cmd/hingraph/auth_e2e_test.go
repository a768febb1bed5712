package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// Tokens through the real server: a region editor writes its own region's
// data, is refused another's, and bad tokens never get in.
func TestE2ETokensAndRoles(t *testing.T) {
	t.Parallel()
	const secret = "e2e-test-secret-that-is-long-enough-for-hs256"
	s := startServer(t, testdb.URL(t, testdb.Reference), "--jwt-secret", secret)
	mint := func(role, region string, issued time.Time) string {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(secret), Subject: "e2e-" + role, Role: role, RegionCode: region, TTL: time.Hour, Now: issued})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	create := func(region string) gqlRequest {
		return gqlRequest{Query: `mutation($r: String!) { createInnovation(input: {name: "E2E innovation", leadRegionCode: $r}) { id version } }`,
			Variables: map[string]any{"r": region}}
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	editor := mint("REGION_EDITOR", "HI-EM", time.Now())

	resp, out := s.post(t, create("HI-EM"), bearer(editor))
	if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 || !out.hasData() {
		t.Fatalf("editor writing its own region: %d %+v", resp.StatusCode, out.Errors)
	}
	_, out = s.post(t, create("HI-WM"), bearer(editor))
	if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "FORBIDDEN" {
		t.Errorf("editor writing another region: %+v", out.Errors)
	}
	_, out = s.post(t, create("HI-EM"), nil)
	if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "UNAUTHENTICATED" {
		t.Errorf("no token: %+v", out.Errors)
	}
	for name, tok := range map[string]string{
		"expired": mint("ANALYST", "", time.Now().Add(-2*time.Hour)),
		"wrong secret": func() string {
			t, _ := auth.Mint(auth.MintConfig{Secret: []byte("another-secret-that-is-long-enough-too!!"), Subject: "x", Role: "ANALYST", TTL: time.Hour, Now: time.Now()})
			return t
		}(),
		"malformed": "not.a.token",
		"alg none":  "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZSI6Ik5BVElPTkFMX0FETUlOIiwiZXhwIjo0MTAyNDQ0ODAwfQ.",
	} {
		resp, out := s.post(t, gqlRequest{Query: `{ regions { code } }`}, bearer(tok))
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s token: status %d, want 401 with WWW-Authenticate", name, resp.StatusCode)
		}
		if codes := errorCodes(out.Errors); len(codes) != 1 || codes[0] != "UNAUTHENTICATED" {
			t.Errorf("%s token: %+v", name, out.Errors)
		}
	}
}
