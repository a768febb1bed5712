package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// newProvider serves a discovery document and the standard JWKS; doc may
// change the document (issuer, algorithms) before it is served.
func newProvider(t testing.TB, doc func(base string, d map[string]any)) *httptest.Server {
	t.Helper()
	jwks := standardJWKS(t)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			d := map[string]any{
				"issuer": srv.URL, "jwks_uri": srv.URL + "/keys",
				"authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token",
				"id_token_signing_alg_values_supported": []string{"RS256"},
			}
			if doc != nil {
				doc(srv.URL, d)
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(d)
		case "/keys":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jwks)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOIDCDiscovery(t *testing.T) {
	t.Parallel()
	k := testKeys()
	// The document advertises HS256 and none besides RS256: neither may
	// become acceptable through it.
	op := newProvider(t, func(_ string, d map[string]any) {
		d["id_token_signing_alg_values_supported"] = []string{"RS256", "HS256", "none"}
	})
	m, err := ParseClaimMapping([]byte("roleClaims: [roles]\nroles: [{value: admin, role: NATIONAL_ADMIN}, {value: reader, role: ANALYST}]"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(context.Background(), Config{OIDCIssuer: op.URL, Audience: "hin-graph", Mapping: m, HMACSecret: testSecret}, mappedRegions)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(edits jwt.MapClaims) jwt.MapClaims {
		now := time.Now()
		c := jwt.MapClaims{"iss": op.URL, "aud": "hin-graph", "sub": "u1", "roles": []any{"admin"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range edits {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	p, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims(nil)))
	if err != nil || p.Role != hin.RoleNationalAdmin {
		t.Fatalf("good token: %+v, %v", p, err)
	}
	// The server's own HS256 tokens (hingraph token) keep the role and
	// region claims beside a provider, and need neither its iss nor aud.
	own := claimsFor("REGION_EDITOR", jwt.MapClaims{"region": "HI-EM"})
	if p, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, testSecret, "", own)); err != nil || p.Role != hin.RoleRegionEditor || p.RegionID != "region-em" {
		t.Fatalf("own HS256 token: %+v, %v", p, err)
	}
	rsaPEM, _ := publicPEM(t, &k.rsa.PublicKey)
	refused := []struct{ name, tok, msg string }{
		{"another issuer", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims(jwt.MapClaims{"iss": "https://evil.example"})), "issuer"},
		{"no issuer", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims(jwt.MapClaims{"iss": ""})), "issuer"},
		{"another audience", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims(jwt.MapClaims{"aud": "other-app"})), "audience"},
		// HS256 is on (the server's own secret), so such a token is checked
		// against that secret alone, never against a JWKS key.
		{"HS256 keyed with the RSA public key", sign(t, jwt.SigningMethodHS256, rsaPEM, "rsa-1", claims(nil)), "signature"},
		{"alg none", handMade(t, map[string]any{"alg": "none", "kid": "rsa-1"}, claims(nil), nil), "algorithm"},
		{"own token with the provider's claims only", sign(t, jwt.SigningMethodHS256, testSecret, "", claims(nil)), "no role claim"},
		{"provider token without aud", sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claims(jwt.MapClaims{"aud": nil})), "audience"},
		{"unknown key", sign(t, jwt.SigningMethodRS256, k.rsaOther, "other", claims(nil)), "key id"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tc.tok)
			if err == nil || hin.ErrorCode(err) != hin.EUNAUTHORIZED || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %+v, %v; want UNAUTHENTICATED about %s", p, err, tc.msg)
			}
		})
	}
}

func TestOIDCDiscoveryConfig(t *testing.T) {
	t.Parallel()
	good := newProvider(t, nil)
	mixUp := newProvider(t, func(_ string, d map[string]any) { d["issuer"] = "https://login.example" })
	noKeys := newProvider(t, func(_ string, d map[string]any) { delete(d, "jwks_uri") })
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no audience", Config{OIDCIssuer: good.URL}, "needs an audience"},
		{"issuer and JWKS", Config{OIDCIssuer: good.URL, Audience: "a", JWKS: good.URL + "/keys"}, "not both"},
		{"another required issuer", Config{OIDCIssuer: good.URL, Audience: "a", Issuer: "https://other"}, "is not the OIDC issuer"},
		{"document names another issuer", Config{OIDCIssuer: mixUp.URL, Audience: "a"}, "did not match"},
		{"no jwks_uri", Config{OIDCIssuer: noKeys.URL, Audience: "a"}, "no jwks_uri"},
		{"no discovery document", Config{OIDCIssuer: good.URL + "/nothing", Audience: "a"}, "404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewVerifier(context.Background(), tc.cfg, mappedRegions)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
