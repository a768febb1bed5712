package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

// An Entra ID token that the mapping gives no role is refused over HTTP
// with 403 and a FORBIDDEN code, never served as an anonymous caller; one
// with an app role is served.
func TestProviderTokenWithoutRoleIsForbidden(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(keys.Close)

	const tenant, client = "72f988bf-86f1-41af-91ab-2d7cd011db47", "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	issuer := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	mapping, err := auth.LoadClaimMapping(filepath.Join("..", "..", "deploy", "claim-mappings", "entra.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpapi.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Tokens.JWKS, cfg.Tokens.Issuer, cfg.Tokens.Audience, cfg.Tokens.Mapping = keys.URL, issuer, client, mapping
	srv, err := httpapi.New(context.Background(), cfg, store.NewFromDB(testdb.NewDB(t, testdb.Reference)), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	token := func(roles ...any) string {
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": issuer, "aud": client, "tid": tenant, "oid": "0f1e2d3c", "sub": "pairwise", "name": "Priya Shah",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "roles": roles, "ver": "2.0",
		})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	post := func(tok string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/graphql", strings.NewReader(`{"query":"{ outcomes(first: 1, filter: {statuses: [DRAFT]}) { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post(token()); status != http.StatusForbidden || !strings.Contains(body, `"code":"FORBIDDEN"`) || !strings.Contains(body, "none of your roles") {
		t.Fatalf("token without a role: %d %s", status, body)
	}
	if status, body := post(token("Some.Other.Role")); status != http.StatusForbidden {
		t.Fatalf("token with an unmapped role: %d %s", status, body)
	}
	if status, body := post(token("HinGraph.Analyst")); status != http.StatusOK || strings.Contains(body, "errors") {
		t.Fatalf("analyst token: %d %s", status, body)
	}
}
