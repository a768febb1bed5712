package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
)

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	regions := func(_ context.Context, code string) (string, error) {
		if code == "HI-EM" {
			return "region-em", nil
		}
		return "", hin.Errorf(hin.ENOTFOUND, "no region %q", code)
	}
	const custom = "a-custom-secret-that-is-at-least-32-bytes"
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		secret   string
		want     hin.Principal
		warns    bool
		wantErr  string
		verifier auth.Config
	}{
		{name: "region editor, dev secret", args: []string{"--role", "REGION_EDITOR", "--region", "HI-EM"}, secret: devJWTSecret, warns: true,
			want: hin.Principal{Subject: "local-developer", Role: hin.RoleRegionEditor, RegionID: "region-em"}},
		{name: "analyst, lower case", args: []string{"--role", "analyst", "--subject", "alice"}, secret: devJWTSecret, warns: true,
			want: hin.Principal{Subject: "alice", Role: hin.RoleAnalyst}},
		{name: "secret from env", args: []string{"--role", "NATIONAL_ADMIN", "--ttl", "5m"}, env: map[string]string{"HINGRAPH_JWT_SECRET": custom}, secret: custom,
			want: hin.Principal{Subject: "local-developer", Role: hin.RoleNationalAdmin}},
		{name: "secret flag over env", args: []string{"--role", "ANALYST", "--secret", custom}, env: map[string]string{"HINGRAPH_JWT_SECRET": "something-else-entirely-but-long-enough"}, secret: custom,
			want: hin.Principal{Subject: "local-developer", Role: hin.RoleAnalyst}},
		{name: "issuer and audience", args: []string{"--role", "ANALYST", "--issuer", "me", "--audience", "hin-graph"}, secret: devJWTSecret, warns: true,
			verifier: auth.Config{Issuer: "me", Audience: "hin-graph"},
			want:     hin.Principal{Subject: "local-developer", Role: hin.RoleAnalyst}},
		{name: "no role", args: []string{"--region", "HI-EM"}, wantErr: "--role is required"},
		{name: "unknown role", args: []string{"--role", "ROOT"}, wantErr: "the role must be one of"},
		{name: "region editor without region", args: []string{"--role", "REGION_EDITOR"}, wantErr: "needs a region code"},
		{name: "bad region", args: []string{"--role", "REGION_EDITOR", "--region", "HI EM"}, wantErr: "not a region code"},
		{name: "region on analyst", args: []string{"--role", "ANALYST", "--region", "HI-EM"}, wantErr: "only REGION_EDITOR"},
		{name: "short secret", args: []string{"--role", "ANALYST", "--secret", "short"}, wantErr: "at least 32 bytes"},
		{name: "negative ttl", args: []string{"--role", "ANALYST", "--ttl", "-1h"}, wantErr: "lifetime"},
		{name: "ttl over the server's limit", args: []string{"--role", "ANALYST", "--ttl", "25h"}, wantErr: "at most 24h"},
		{name: "ttl over a configured limit", args: []string{"--role", "ANALYST", "--ttl", "3h"}, env: map[string]string{"HINGRAPH_JWT_MAX_LIFETIME": "2h"}, wantErr: "at most 2h"},
		{name: "stray argument", args: []string{"--role", "ANALYST", "extra"}, wantErr: "unexpected arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return tc.env[k] }
			var stdout, stderr bytes.Buffer
			err := cmdToken(context.Background(), tc.args, getenv, &stdout, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
				}
				if stdout.Len() != 0 {
					t.Fatalf("stdout = %q on error", stdout.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("cmdToken: %v (stderr %s)", err, stderr.String())
			}
			out := stdout.String()
			tok := strings.TrimSuffix(out, "\n")
			if tok == "" || strings.ContainsAny(tok, " \n") || strings.Count(tok, ".") != 2 {
				t.Fatalf("stdout = %q, want just a token and a newline", out)
			}
			if warned := strings.Contains(stderr.String(), "development secret"); warned != tc.warns {
				t.Errorf("warned = %v, want %v (stderr %q)", warned, tc.warns, stderr.String())
			}
			cfg := tc.verifier
			cfg.HMACSecret = []byte(tc.secret)
			v, err := auth.NewVerifier(context.Background(), cfg, regions)
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(context.Background(), tok)
			p.Expires = time.Time{} // the token's own; auth tests it
			if err != nil || p != tc.want {
				t.Fatalf("Verify = %+v, %v; want %+v", p, err, tc.want)
			}
		})
	}
}
