package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClaimsCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	entra := `{"oid":"0f1e","name":"Priya Shah","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47",
		"roles":["HinGraph.RegionEditor"],"groups":["3c1f1a52-9f0e-4b8e-8a55-6b1d2e7f4a10"]}`
	b64 := base64.RawURLEncoding.EncodeToString
	jwt := b64([]byte(`{"alg":"RS256"}`)) + "." + b64([]byte(`{"sub":"kc-1","name":"Tom Reed","realm_access":{"roles":["hin-analyst"]}}`)) + ".c2ln"
	cases := []struct {
		name, mapping, input, want, err string
	}{
		{"Entra claims as JSON", "entra.yaml", entra, "role: REGION_EDITOR\nregion: HI-EM", ""},
		{"Keycloak JWT", "keycloak.yaml", jwt, "subject: kc-1\nname: Tom Reed\nrole: ANALYST", ""},
		{"no role", "entra.yaml", `{"oid":"x","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","roles":["Other"]}`, "", "refused (FORBIDDEN)"},
		{"another tenant", "entra.yaml", `{"oid":"x","tid":"other","roles":["HinGraph.Analyst"]}`, "", "tid claim"},
		{"not a token", "entra.yaml", "hello", "", "neither a JWT nor"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"claims", "--claim-mapping", filepath.Join("..", "..", "deploy", "claim-mappings", tc.mapping), write(tc.name, tc.input)},
				func(string) string { return "" }, &out, &errb)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "not verified") {
				t.Fatalf("output %q, error %v; want %q", out.String(), err, tc.want)
			}
		})
	}
}
