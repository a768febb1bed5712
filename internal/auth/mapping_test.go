package auth

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// The tenant, client and groups of deploy/claim-mappings/entra.yaml.
const (
	entraTenant      = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	entraClient      = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	entraGroupEM     = "3c1f1a52-9f0e-4b8e-8a55-6b1d2e7f4a10"
	entraGroupWest   = "8e2d4b67-1a3c-4f5e-9b7d-2c6e8f0a1b32"
	entraGroupNENC   = "0b6f6d2c-5f43-4a6e-9d63-0f0a8f7c1e21"
	entraGroupOther  = "11111111-2222-3333-4444-555555555555"
	keycloakIssuer   = "https://keycloak.example.nhs.uk/realms/hin"
	keycloakAudience = "hin-graph"
)

var entraIssuer = "https://login.microsoftonline.com/" + entraTenant + "/v2.0"

// mappedRegions knows the regions the example mappings name.
func mappedRegions(_ context.Context, code string) (string, error) {
	ids := map[string]string{"HI-EM": "region-em", "HI-NENC": "region-nenc", "HI-WEST": "region-west"}
	if id, ok := ids[code]; ok {
		return id, nil
	}
	return "", hin.Errorf(hin.ENOTFOUND, "no region has the code %q", code)
}

func exampleMapping(t testing.TB, name string) *ClaimMapping {
	t.Helper()
	m, err := LoadClaimMapping(filepath.Join("..", "..", "deploy", "claim-mappings", name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mappedVerifier(t testing.TB, jwksURL, issuer, audience string, m *ClaimMapping) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), Config{JWKS: jwksURL, Issuer: issuer, Audience: audience, Mapping: m}, mappedRegions)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// entraToken is shaped as an Entra ID v2 access token for the app's own API.
func entraToken(edits jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"aud": entraClient, "iss": entraIssuer, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"aio": "AWQAm/8TAAAA", "azp": entraClient, "azpacl": "0", "name": "Priya Shah",
		"oid": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "preferred_username": "priya.shah@nhs.net",
		"rh": "0.AAAA", "scp": "access_as_user", "sub": "pairwise-sub-for-this-app",
		"tid": entraTenant, "uti": "AbCdEf", "ver": "2.0",
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// keycloakToken is shaped as a Keycloak access token with an audience
// mapper and a group membership mapper.
func keycloakToken(realmRoles []any, groups []any, edits jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "auth_time": now.Unix(), "jti": "onrtac:9a1b",
		"iss": keycloakIssuer, "aud": []any{keycloakAudience, "account"}, "sub": "b7c0d1e2-f3a4-4b5c-8d6e-7f8091a2b3c4",
		"typ": "Bearer", "azp": keycloakAudience, "sid": "5e6f", "acr": "1",
		"allowed-origins": []any{"https://hin.example.nhs.uk"},
		"realm_access":    map[string]any{"roles": realmRoles},
		"resource_access": map[string]any{"account": map[string]any{"roles": []any{"manage-account", "view-profile"}}},
		"scope":           "openid profile email", "email_verified": true, "name": "Tom Reed",
		"preferred_username": "tom.reed", "given_name": "Tom", "family_name": "Reed", "email": "tom.reed@nhs.net",
		"groups": groups,
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestEntraMapping(t *testing.T) {
	t.Parallel()
	k := testKeys()
	srv := newJWKSServer(t, standardJWKS(t))
	v := mappedVerifier(t, srv.URL, entraIssuer, entraClient, exampleMapping(t, "entra.yaml"))
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", c) }

	accepted := []struct {
		name   string
		claims jwt.MapClaims
		role   hin.Role
		region string
	}{
		{"app role national admin", entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}}), hin.RoleNationalAdmin, ""},
		{"app role analyst", entraToken(jwt.MapClaims{"roles": []any{"HinGraph.Analyst"}, "groups": []any{entraGroupOther}}), hin.RoleAnalyst, ""},
		{"app role editor, region from group", entraToken(jwt.MapClaims{"roles": []any{"HinGraph.RegionEditor"}, "groups": []any{entraGroupOther, entraGroupEM}}), hin.RoleRegionEditor, "region-em"},
		{"app role approver, region from group", entraToken(jwt.MapClaims{"roles": []any{"HinGraph.RegionApprover"}, "groups": []any{entraGroupWest}}), hin.RoleRegionApprover, "region-west"},
		{"group alone", entraToken(jwt.MapClaims{"groups": []any{entraGroupNENC}}), hin.RoleRegionEditor, "region-nenc"},
		{"first rule wins", entraToken(jwt.MapClaims{"roles": []any{"HinGraph.Analyst", "HinGraph.RegionEditor"}, "groups": []any{entraGroupEM}}), hin.RoleRegionEditor, "region-em"},
		{"ES256 key works too", nil, hin.RoleAnalyst, ""},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			tok := ""
			if tc.claims == nil {
				tok = sign(t, jwt.SigningMethodES256, k.ec, "ec-1", entraToken(jwt.MapClaims{"roles": []any{"HinGraph.Analyst"}}))
			} else {
				tok = rs(tc.claims)
			}
			p, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if p.Role != tc.role || p.RegionID != tc.region {
				t.Fatalf("principal = %+v, want %s in %q", p, tc.role, tc.region)
			}
			if p.Subject != "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" || p.Name != "Priya Shah" {
				t.Fatalf("subject %q name %q: want the oid and the name claim", p.Subject, p.Name)
			}
			if p.Expires.IsZero() {
				t.Fatal("no expiry")
			}
		})
	}

	rsaPEM, _ := publicPEM(t, &k.rsa.PublicKey)
	admin := entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}})
	refused := []struct {
		name, tok, code, msg string
	}{
		{"no role", rs(entraToken(nil)), hin.EFORBIDDEN, "none of your roles or groups"},
		{"unknown role and group", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.Admin"}, "groups": []any{entraGroupOther}})), hin.EFORBIDDEN, "none of your roles or groups"},
		{"editor without a regional group", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.RegionEditor"}})), hin.EFORBIDDEN, "which region"},
		{"editor in two regions", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.RegionEditor"}, "groups": []any{entraGroupEM, entraGroupWest}})), hin.EFORBIDDEN, "more than one region"},
		// The project's own claims mean nothing once a mapping is set.
		{"legacy role claim ignored", rs(entraToken(jwt.MapClaims{"role": "NATIONAL_ADMIN"})), hin.EFORBIDDEN, "none of your roles"},
		// Groups overage: Entra points to Graph instead; nothing there is read.
		{"distributed claims not followed", rs(entraToken(jwt.MapClaims{
			"_claim_names":   map[string]any{"groups": "src1"},
			"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://graph.microsoft.com/v1.0/users/x/getMemberObjects", "groups": []any{"HinGraph.NationalAdmin"}}},
		})), hin.EFORBIDDEN, "none of your roles"},
		{"role as an object is not a role", rs(entraToken(jwt.MapClaims{"roles": map[string]any{"HinGraph.NationalAdmin": true}})), hin.EFORBIDDEN, "none of your roles"},
		{"another tenant", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}, "tid": "99999999-0000-0000-0000-000000000000"})), hin.EUNAUTHORIZED, "tid claim"},
		{"another issuer", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}, "iss": "https://login.microsoftonline.com/99999999-0000-0000-0000-000000000000/v2.0"})), hin.EUNAUTHORIZED, "issuer"},
		{"v1 issuer of the same tenant", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}, "iss": "https://sts.windows.net/" + entraTenant + "/"})), hin.EUNAUTHORIZED, "issuer"},
		{"another audience", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}, "aud": "00000003-0000-0000-c000-000000000000"})), hin.EUNAUTHORIZED, "audience"},
		{"no subject", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}, "oid": nil})), hin.EUNAUTHORIZED, "subject"},
		// An admin role that no trusted key signed grants nothing.
		{"admin signed by another key", sign(t, jwt.SigningMethodRS256, k.rsaOther, "rsa-1", admin), hin.EUNAUTHORIZED, "signature"},
		{"admin with alg none", handMade(t, map[string]any{"alg": "none", "typ": "JWT"}, admin, nil), hin.EUNAUTHORIZED, "algorithm"},
		{"admin, HS256 keyed with the RSA public key", sign(t, jwt.SigningMethodHS256, rsaPEM, "rsa-1", admin), hin.EUNAUTHORIZED, "algorithm"},
		{"admin, RS256 header on the EC key", sign(t, jwt.SigningMethodRS256, k.rsa, "ec-1", admin), hin.EUNAUTHORIZED, "does not match its key"},
		{"expired", rs(entraToken(jwt.MapClaims{"roles": []any{"HinGraph.NationalAdmin"}, "exp": time.Now().Add(-time.Hour).Unix()})), hin.EUNAUTHORIZED, "expired"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.tok)
			if err == nil {
				t.Fatalf("accepted as %+v", p)
			}
			if hin.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error = %s %q, want %s containing %q", hin.ErrorCode(err), err, tc.code, tc.msg)
			}
			if p != (hin.Principal{}) {
				t.Fatalf("principal %+v on failure", p)
			}
		})
	}
}

func TestKeycloakMapping(t *testing.T) {
	t.Parallel()
	k := testKeys()
	srv := newJWKSServer(t, standardJWKS(t))
	v := mappedVerifier(t, srv.URL, keycloakIssuer, keycloakAudience, exampleMapping(t, "keycloak.yaml"))
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", c) }
	defaults := []any{"default-roles-hin", "offline_access", "uma_authorization"}
	roles := func(rs ...any) []any { return append(append([]any{}, defaults...), rs...) }

	accepted := []struct {
		name   string
		claims jwt.MapClaims
		role   hin.Role
		region string
	}{
		{"national admin", keycloakToken(roles("hin-national-admin"), nil, nil), hin.RoleNationalAdmin, ""},
		{"analyst", keycloakToken(roles("hin-analyst"), []any{"/staff"}, nil), hin.RoleAnalyst, ""},
		{"editor", keycloakToken(roles("hin-region-editor"), []any{"/staff", "/regions/east-midlands"}, nil), hin.RoleRegionEditor, "region-em"},
		{"approver over editor and analyst", keycloakToken(roles("hin-analyst", "hin-region-editor", "hin-region-approver"), []any{"/regions/west-of-england"}, nil), hin.RoleRegionApprover, "region-west"},
		{"audience as a string", keycloakToken(roles("hin-analyst"), nil, jwt.MapClaims{"aud": keycloakAudience}), hin.RoleAnalyst, ""},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), rs(tc.claims))
			if err != nil {
				t.Fatal(err)
			}
			if p.Role != tc.role || p.RegionID != tc.region || p.Subject != "b7c0d1e2-f3a4-4b5c-8d6e-7f8091a2b3c4" || p.Name != "Tom Reed" {
				t.Fatalf("principal = %+v, want %s in %q", p, tc.role, tc.region)
			}
		})
	}
	refused := []struct {
		name, tok, code, msg string
	}{
		{"default roles only", rs(keycloakToken(roles(), nil, nil)), hin.EFORBIDDEN, "none of your roles"},
		{"no realm_access", rs(keycloakToken(nil, nil, jwt.MapClaims{"realm_access": nil})), hin.EFORBIDDEN, "none of your roles"},
		// A client role of the same name is not a realm role.
		{"client role", rs(keycloakToken(roles(), nil, jwt.MapClaims{"resource_access": map[string]any{"hin-graph": map[string]any{"roles": []any{"hin-national-admin"}}}})), hin.EFORBIDDEN, "none of your roles"},
		{"editor without a region group", rs(keycloakToken(roles("hin-region-editor"), []any{"/staff"}, nil)), hin.EFORBIDDEN, "which region"},
		{"another realm", rs(keycloakToken(roles("hin-national-admin"), nil, jwt.MapClaims{"iss": "https://keycloak.example.nhs.uk/realms/master"})), hin.EUNAUTHORIZED, "issuer"},
		{"token for another client", rs(keycloakToken(roles("hin-national-admin"), nil, jwt.MapClaims{"aud": "account", "azp": "other"})), hin.EUNAUTHORIZED, "audience"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.tok)
			if err == nil {
				t.Fatalf("accepted as %+v", p)
			}
			if hin.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error = %s %q, want %s containing %q", hin.ErrorCode(err), err, tc.code, tc.msg)
			}
		})
	}
}

func TestClaimMappingRefused(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"admin from a name claim", "roleClaims: [preferred_username]\nroles: [{value: boss, role: NATIONAL_ADMIN}]", "profile claim"},
		{"admin from email", "roleClaims: [roles, email]\nroles: [{value: a@b, role: NATIONAL_ADMIN}]", "profile claim"},
		{"region from a name claim", "roleClaims: [roles]\nroles: [{value: e, role: REGION_EDITOR}]\nregion: {claim: given_name}", "profile claim"},
		{"distributed claims", "roleClaims: [_claim_sources]\nroles: [{value: x, role: ANALYST}]", "profile claim"},
		{"misspelt key", "roleClaims: [roles]\nrole: [{value: x, role: ANALYST}]", "unknown field"},
		{"unknown role", "roleClaims: [roles]\nroles: [{value: x, role: SUPERUSER}]", "role must be one of"},
		{"region on a national role", "roleClaims: [roles]\nroles: [{value: x, role: NATIONAL_ADMIN, region: HI-EM}]", "only REGION_EDITOR and REGION_APPROVER"},
		{"bad region code", "roleClaims: [roles]\nroles: [{value: x, role: REGION_EDITOR, region: east}]", "not a region code"},
		{"regional role without a region source", "roleClaims: [roles]\nroles: [{value: x, role: REGION_APPROVER}]", "needs region.claim"},
		{"table without claim", "roleClaims: [roles]\nroles: [{value: x, role: ANALYST}]\nregion: {table: {g: HI-EM}}", "needs region.claim"},
		{"same value twice", "roleClaims: [roles]\nroles: [{value: x, role: ANALYST}, {value: x, role: NATIONAL_ADMIN}]", "earlier rule"},
		{"no rules", "roleClaims: [roles]", "at least one rule"},
		{"no role claims", "roles: [{value: x, role: ANALYST}]", "at least one claim"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseClaimMapping([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	// JSON is YAML too.
	if _, err := ParseClaimMapping([]byte(`{"roleClaims":["roles"],"roles":[{"value":"x","role":"ANALYST"}]}`)); err != nil {
		t.Fatalf("JSON mapping: %v", err)
	}
}
