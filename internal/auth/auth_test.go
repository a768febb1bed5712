package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/hin"
)

var testSecret = []byte("test-secret-that-is-long-enough-for-hs256!")

// Keys are generated once per run: RSA generation is slow.
var testKeys = sync.OnceValue(func() (k struct {
	rsa, rsaOther, rsa2 *rsa.PrivateKey
	ec, ecOther         *ecdsa.PrivateKey
}) {
	mustRSA := func() *rsa.PrivateKey {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return key
	}
	mustEC := func() *ecdsa.PrivateKey {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return key
	}
	k.rsa, k.rsaOther, k.rsa2 = mustRSA(), mustRSA(), mustRSA()
	k.ec, k.ecOther = mustEC(), mustEC()
	return k
})

// fakeRegions knows two regions by code.
func fakeRegions(_ context.Context, code string) (string, error) {
	ids := map[string]string{"HI-EM": "region-em", "HI-NE": "region-ne"}
	if id, ok := ids[code]; ok {
		return id, nil
	}
	return "", hin.Errorf(hin.ENOTFOUND, "no region has the code %q", code)
}

type testJWK struct {
	kid, alg, use string
	pub           any
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwksJSON(t testing.TB, keys ...testJWK) []byte {
	t.Helper()
	var out []map[string]string
	for _, k := range keys {
		m := map[string]string{}
		switch pub := k.pub.(type) {
		case *rsa.PublicKey:
			m["kty"], m["n"], m["e"] = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
		case *ecdsa.PublicKey:
			pt, err := pub.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			m["kty"], m["crv"], m["x"], m["y"] = "EC", "P-256", b64(pt[1:33]), b64(pt[33:])
		}
		for name, v := range map[string]string{"kid": k.kid, "alg": k.alg, "use": k.use} {
			if v != "" {
				m[name] = v
			}
		}
		out = append(out, m)
	}
	b, err := json.Marshal(map[string]any{"keys": out})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func standardJWKS(t testing.TB) []byte {
	k := testKeys()
	return jwksJSON(t,
		testJWK{kid: "rsa-1", alg: "RS256", use: "sig", pub: &k.rsa.PublicKey},
		testJWK{kid: "ec-1", pub: &k.ec.PublicKey},
		testJWK{kid: "enc-1", use: "enc", pub: &k.rsaOther.PublicKey}, // not for signatures: ignored
	)
}

// jwksServer serves whatever body holds and counts the requests.
type jwksServer struct {
	*httptest.Server
	body atomic.Pointer[[]byte]
	hits atomic.Int32
	fail atomic.Bool
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	s := &jwksServer{}
	s.body.Store(&body)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func jwksFile(t testing.TB, body []byte) string {
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newTestVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), cfg, fakeRegions)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		t.Fatal("NewVerifier returned nil")
	}
	return v
}

// claimsFor builds valid claims for a role, changed by the given edits; an
// edit setting a claim to nil removes it.
func claimsFor(role string, edits jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"sub": "user-1", "role": role, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if hin.Role(role).Regional() {
		c["region"] = "HI-EM"
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

func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// handMade builds a token from a header and claims with the given signature
// bytes, for what the library refuses to sign.
func handMade(t testing.TB, header map[string]any, c jwt.MapClaims, sig []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b64(h) + "." + b64(p) + "." + b64(sig)
}

func publicPEM(t testing.TB, pub any) (pemBytes, der []byte) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), der
}

type verifiers struct {
	hmac, url, file, both, issAud *Verifier
}

func setup(t *testing.T) verifiers {
	t.Helper()
	srv := newJWKSServer(t, standardJWKS(t))
	return verifiers{
		hmac:   newTestVerifier(t, Config{HMACSecret: testSecret}),
		url:    newTestVerifier(t, Config{JWKS: srv.URL}),
		file:   newTestVerifier(t, Config{JWKS: jwksFile(t, standardJWKS(t))}),
		both:   newTestVerifier(t, Config{HMACSecret: testSecret, JWKS: srv.URL}),
		issAud: newTestVerifier(t, Config{HMACSecret: testSecret, Issuer: "https://idp.example", Audience: "hin-graph"}),
	}
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	vs := setup(t)
	k := testKeys()
	type signer struct {
		name   string
		v      *Verifier
		method jwt.SigningMethod
		key    any
		kid    string
	}
	signers := []signer{
		{"HS256", vs.hmac, jwt.SigningMethodHS256, testSecret, ""},
		{"HS256 with JWKS too", vs.both, jwt.SigningMethodHS256, testSecret, ""},
		{"RS256 URL", vs.url, jwt.SigningMethodRS256, k.rsa, "rsa-1"},
		{"RS256 file", vs.file, jwt.SigningMethodRS256, k.rsa, "rsa-1"},
		{"RS256 no kid, one RSA key", vs.url, jwt.SigningMethodRS256, k.rsa, ""},
		{"ES256 URL", vs.url, jwt.SigningMethodES256, k.ec, "ec-1"},
		{"ES256 file", vs.file, jwt.SigningMethodES256, k.ec, "ec-1"},
		{"ES256 no kid, one EC key", vs.file, jwt.SigningMethodES256, k.ec, ""},
		{"ES256 with HMAC too", vs.both, jwt.SigningMethodES256, k.ec, "ec-1"},
	}
	roles := []struct {
		role   string
		region string
	}{
		{"ANALYST", ""},
		{"REGION_EDITOR", "region-em"},
		{"REGION_APPROVER", "region-em"},
		{"NATIONAL_ADMIN", ""},
	}
	for _, s := range signers {
		for _, r := range roles {
			t.Run(s.name+"/"+r.role, func(t *testing.T) {
				t.Parallel()
				tok := sign(t, s.method, s.key, s.kid, claimsFor(r.role, nil))
				p, err := s.v.Verify(context.Background(), tok)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := hin.Principal{Subject: "user-1", Role: hin.Role(r.role), RegionID: r.region}
				p.Expires = time.Time{} // TestPrincipalExpiresWithItsToken
				if p != want {
					t.Fatalf("principal = %+v, want %+v", p, want)
				}
			})
		}
	}

	t.Run("region claim ignored on national roles", func(t *testing.T) {
		t.Parallel()
		tok := sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("NATIONAL_ADMIN", jwt.MapClaims{"region": "HI-NE"}))
		p, err := vs.hmac.Verify(context.Background(), tok)
		if err != nil || p.RegionID != "" || p.Role != hin.RoleNationalAdmin {
			t.Fatalf("Verify = %+v, %v", p, err)
		}
	})
	t.Run("iss and aud when configured", func(t *testing.T) {
		t.Parallel()
		for _, aud := range []any{"hin-graph", []string{"other", "hin-graph"}} {
			tok := sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("ANALYST", jwt.MapClaims{"iss": "https://idp.example", "aud": aud}))
			if _, err := vs.issAud.Verify(context.Background(), tok); err != nil {
				t.Fatalf("aud %v: %v", aud, err)
			}
		}
	})
	t.Run("leeway covers small clock skew", func(t *testing.T) {
		t.Parallel()
		v := newTestVerifier(t, Config{HMACSecret: testSecret, Leeway: time.Minute})
		tok := sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("ANALYST", jwt.MapClaims{
			"exp": time.Now().Add(-20 * time.Second).Unix(),
			"nbf": time.Now().Add(20 * time.Second).Unix(),
			"iat": time.Now().Add(20 * time.Second).Unix(),
		}))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	vs := setup(t)
	k := testKeys()
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, testSecret, "", c) }
	rsaPEM, rsaDER := publicPEM(t, &k.rsa.PublicKey)
	analyst := claimsFor("ANALYST", nil)
	noneHeader := map[string]any{"alg": "none", "typ": "JWT"}

	const (
		msgAlg       = "the token's algorithm is not accepted"
		msgSig       = "the token's signature is not valid"
		msgMalformed = "the token is malformed"
	)
	cases := []struct {
		name string
		v    *Verifier
		tok  string
		want string
	}{
		{"expired", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()})), "the token has expired"},
		{"expired RS256", vs.url, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claimsFor("ANALYST", jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()})), "the token has expired"},
		{"not yet valid", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"nbf": time.Now().Add(time.Hour).Unix()})), "the token is not valid yet"},
		{"issued in the future", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"iat": time.Now().Add(time.Hour).Unix()})), "the token's issue time (iat) is in the future"},
		{"missing exp", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"exp": nil})), "the token has no expiry (exp) claim"},
		{"exp not a number", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"exp": "tomorrow"})), msgMalformed},
		{"wrong HMAC secret", vs.hmac, sign(t, jwt.SigningMethodHS256, []byte("another-secret-that-is-long-enough-too"), "", analyst), msgSig},
		{"HS512 with the right secret", vs.hmac, sign(t, jwt.SigningMethodHS512, testSecret, "", analyst), msgAlg},
		{"RS256 signed by another key", vs.url, sign(t, jwt.SigningMethodRS256, k.rsaOther, "rsa-1", analyst), msgSig},
		{"RS256 by another key, no kid", vs.file, sign(t, jwt.SigningMethodRS256, k.rsaOther, "", analyst), msgSig},
		{"ES256 signed by another key", vs.url, sign(t, jwt.SigningMethodES256, k.ecOther, "ec-1", analyst), msgSig},
		{"RS256 on an HMAC-only server", vs.hmac, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", analyst), msgAlg},
		{"PS256 with the JWKS key", vs.url, sign(t, jwt.SigningMethodPS256, k.rsa, "rsa-1", analyst), msgAlg},
		{"RS384 with the JWKS key", vs.url, sign(t, jwt.SigningMethodRS384, k.rsa, "rsa-1", analyst), msgAlg},
		{"alg none, HMAC server", vs.hmac, handMade(t, noneHeader, analyst, nil), msgAlg},
		{"alg none, JWKS server", vs.url, handMade(t, noneHeader, analyst, nil), msgAlg},
		{"alg none, both", vs.both, handMade(t, noneHeader, analyst, nil), msgAlg},
		{"alg None", vs.both, handMade(t, map[string]any{"alg": "None"}, analyst, nil), msgAlg},
		{"no alg", vs.both, handMade(t, map[string]any{"typ": "JWT"}, analyst, []byte("x")), msgAlg},
		{"HS/RS confusion PEM, JWKS only", vs.url, sign(t, jwt.SigningMethodHS256, rsaPEM, "rsa-1", analyst), msgAlg},
		{"HS/RS confusion DER, JWKS only", vs.file, sign(t, jwt.SigningMethodHS256, rsaDER, "", analyst), msgAlg},
		{"HS/RS confusion PEM, both", vs.both, sign(t, jwt.SigningMethodHS256, rsaPEM, "rsa-1", analyst), msgSig},
		{"HS/RS confusion DER, both", vs.both, sign(t, jwt.SigningMethodHS256, rsaDER, "", analyst), msgSig},
		{"ES256 header with an RSA kid", vs.url, sign(t, jwt.SigningMethodES256, k.ec, "rsa-1", analyst), "the token's algorithm does not match its key"},
		{"RS256 header with an EC kid", vs.url, sign(t, jwt.SigningMethodRS256, k.rsa, "ec-1", analyst), "the token's algorithm does not match its key"},
		{"kid of a key not for signatures", vs.file, sign(t, jwt.SigningMethodRS256, k.rsaOther, "enc-1", analyst), "the token's key id (kid) is not known"},
		{"unknown kid", vs.file, sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-9", analyst), "the token's key id (kid) is not known"},
		{"kid not a string", vs.file, signWithHeader(t, jwt.SigningMethodRS256, k.rsa, map[string]any{"kid": 42}, analyst), msgMalformed},
		{"crit header", vs.hmac, signWithHeader(t, jwt.SigningMethodHS256, testSecret, map[string]any{"crit": []string{"exp"}}, analyst), "the token has critical header parameters this server does not support"},
		{"missing sub", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"sub": nil})), "the token has no subject (sub) claim"},
		{"empty sub", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"sub": ""})), "the token has no subject (sub) claim"},
		{"long sub", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"sub": strings.Repeat("x", 201)})), "the token's subject (sub) claim is too long"},
		{"sub with newline", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"sub": "a\nb"})), "the token's subject (sub) claim has control characters"},
		{"missing role", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"role": nil})), "the token has no role claim"},
		{"unknown role", vs.hmac, hs(claimsFor("SUPERUSER", nil)), "the token's role claim is not one of ANALYST, REGION_EDITOR, REGION_APPROVER, NATIONAL_ADMIN"},
		{"lower-case role", vs.hmac, hs(claimsFor("analyst", nil)), "the token's role claim is not one of ANALYST, REGION_EDITOR, REGION_APPROVER, NATIONAL_ADMIN"},
		{"role not a string", vs.hmac, hs(claimsFor("ANALYST", jwt.MapClaims{"role": 7})), msgMalformed},
		{"REGION_EDITOR without region", vs.hmac, hs(claimsFor("REGION_EDITOR", jwt.MapClaims{"region": nil})), "the token has no region claim, which a REGION_EDITOR needs"},
		{"REGION_EDITOR unknown region", vs.hmac, hs(claimsFor("REGION_EDITOR", jwt.MapClaims{"region": "HI-XX"})), "the token's region is not known"},
		{"REGION_APPROVER without region", vs.hmac, hs(claimsFor("REGION_APPROVER", jwt.MapClaims{"region": nil})), "the token has no region claim, which a REGION_APPROVER needs"},
		{"REGION_EDITOR bad region code", vs.hmac, hs(claimsFor("REGION_EDITOR", jwt.MapClaims{"region": "hi em"})), "the token's region claim is not a region code"},
		{"empty", vs.hmac, "", "the token is empty"},
		{"two segments", vs.hmac, "a.b", msgMalformed},
		{"four segments", vs.hmac, "a.b.c.d", msgMalformed},
		{"three junk segments", vs.both, "a.b.c", msgMalformed},
		{"words", vs.both, "not a token", msgMalformed},
		{"10 KB", vs.hmac, strings.Repeat("A", 10<<10), "the token is too long"},
		{"10 KB of dots", vs.url, strings.Repeat(".", 10<<10), "the token is too long"},
		{"padded base64", vs.hmac, func() string {
			parts := strings.Split(hs(analyst), ".")
			return parts[0] + "==." + parts[1] + "." + parts[2]
		}(), msgMalformed},
		{"wrong issuer", vs.issAud, hs(claimsFor("ANALYST", jwt.MapClaims{"iss": "https://evil.example", "aud": "hin-graph"})), "the token's issuer (iss) is not accepted"},
		{"no issuer", vs.issAud, hs(claimsFor("ANALYST", jwt.MapClaims{"aud": "hin-graph"})), "the token has no issuer (iss) claim"},
		{"wrong audience", vs.issAud, hs(claimsFor("ANALYST", jwt.MapClaims{"iss": "https://idp.example", "aud": "other-api"})), "the token's audience (aud) is not accepted"},
		{"no audience", vs.issAud, hs(claimsFor("ANALYST", jwt.MapClaims{"iss": "https://idp.example"})), "the token has no audience (aud) claim"},
		{"nil verifier", nil, hs(analyst), "this server does not accept tokens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := tc.v.Verify(context.Background(), tc.tok)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", p)
			}
			var he *hin.Error
			if !errors.As(err, &he) || he.Code != hin.EUNAUTHORIZED {
				t.Fatalf("error = %v, want an UNAUTHENTICATED *hin.Error", err)
			}
			if he.Message != tc.want {
				t.Errorf("message = %q, want %q", he.Message, tc.want)
			}
			if len(tc.tok) > 3 && strings.Contains(err.Error(), tc.tok) {
				t.Errorf("the error repeats the token")
			}
			if p != (hin.Principal{}) {
				t.Errorf("principal = %+v on failure", p)
			}
		})
	}
}

func signWithHeader(t testing.TB, m jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRegionLookupFailureIsNotUnauthenticated(t *testing.T) {
	t.Parallel()
	down := func(context.Context, string) (string, error) {
		return "", hin.Errorf(hin.EUNAVAILABLE, "the database is unavailable")
	}
	v, err := NewVerifier(context.Background(), Config{HMACSecret: testSecret}, down)
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("REGION_EDITOR", nil))
	_, err = v.Verify(context.Background(), tok)
	if code := hin.ErrorCode(err); code != hin.EUNAVAILABLE {
		t.Fatalf("code = %q (%v), want UNAVAILABLE: a good token must not be called bad because the database is down", code, err)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	t.Parallel()
	k := testKeys()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384pt, err := p384.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	offCurve := `{"keys":[{"kty":"EC","crv":"P-256","x":"` + b64(make([]byte, 32)) + `","y":"` + b64(append(make([]byte, 31), 1)) + `"}]}`

	cases := []struct {
		name    string
		cfg     Config
		regions RegionResolver
		wantErr string // "" for success
	}{
		{"HMAC", Config{HMACSecret: testSecret}, fakeRegions, ""},
		{"short secret", Config{HMACSecret: []byte("short")}, fakeRegions, "at least 32 bytes"},
		{"no resolver", Config{HMACSecret: testSecret}, nil, "no region resolver"},
		{"negative leeway", Config{HMACSecret: testSecret, Leeway: -time.Second}, fakeRegions, "leeway"},
		{"missing file", Config{JWKS: filepath.Join(t.TempDir(), "nope.json")}, fakeRegions, "load JWKS"},
		{"URL 404", Config{JWKS: notFound.URL}, fakeRegions, "404"},
		{"not JSON", Config{JWKS: jwksFile(t, []byte("<html>"))}, fakeRegions, "decode JWK Set"},
		{"empty set", Config{JWKS: jwksFile(t, []byte(`{"keys":[]}`))}, fakeRegions, "no usable"},
		{"RSA 1024", Config{JWKS: jwksFile(t, jwksJSON(t, testJWK{kid: "weak", pub: &weak.PublicKey}))}, fakeRegions, "too short"},
		{"encryption keys only", Config{JWKS: jwksFile(t, jwksJSON(t, testJWK{kid: "e", use: "enc", pub: &k.rsa.PublicKey}))}, fakeRegions, "no usable"},
		{"RSA key for RS512", Config{JWKS: jwksFile(t, jwksJSON(t, testJWK{kid: "r", alg: "RS512", pub: &k.rsa.PublicKey}))}, fakeRegions, "not supported"},
		{"P-384", Config{JWKS: jwksFile(t, []byte(`{"keys":[{"kty":"EC","crv":"P-384","x":"`+b64(p384pt[1:49])+`","y":"`+b64(p384pt[49:])+`"}]}`))}, fakeRegions, "not supported"},
		{"EC point off the curve", Config{JWKS: jwksFile(t, []byte(offCurve))}, fakeRegions, "not on the specified curve"},
		{"malformed OKP key", Config{JWKS: jwksFile(t, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`))}, fakeRegions, "OKP key"},
		{"Ed25519 only", Config{JWKS: jwksFile(t, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"`+b64(make([]byte, 32))+`"}]}`))}, fakeRegions, "no usable"},
		{"unknown kty only", Config{JWKS: jwksFile(t, []byte(`{"keys":[{"kty":"XYZ"}]}`))}, fakeRegions, "no usable"},
		{"larger than 1 MiB", Config{JWKS: jwksFile(t, []byte(`{"keys":[],"pad":"`+strings.Repeat("x", 1<<20)+`"}`))}, fakeRegions, "larger than"},
		{"negative max lifetime", Config{HMACSecret: testSecret, MaxLifetime: -time.Hour}, fakeRegions, "lifetime"},
		{"weak key beside a good one", Config{JWKS: jwksFile(t, jwksJSON(t,
			testJWK{kid: "weak", pub: &weak.PublicKey}, testJWK{kid: "ok", pub: &k.rsa.PublicKey}))}, fakeRegions, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewVerifier(context.Background(), tc.cfg, tc.regions)
			if tc.wantErr == "" {
				if err != nil || v == nil {
					t.Fatalf("NewVerifier = %v, %v", v, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}

	t.Run("nothing configured", func(t *testing.T) {
		t.Parallel()
		v, err := NewVerifier(context.Background(), Config{}, fakeRegions)
		if v != nil || err != nil {
			t.Fatalf("NewVerifier = %v, %v; want nil, nil", v, err)
		}
	})
	t.Run("the weak key is not used", func(t *testing.T) {
		t.Parallel()
		v := newTestVerifier(t, Config{JWKS: jwksFile(t, jwksJSON(t,
			testJWK{kid: "weak", pub: &weak.PublicKey}, testJWK{kid: "ok", pub: &k.rsa.PublicKey}))})
		v.keys.missLimit.SetBurst(0) // no refetch of the file
		_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, weak, "weak", claimsFor("ANALYST", nil)))
		if hin.ErrorCode(err) != hin.EUNAUTHORIZED {
			t.Fatalf("a token signed by a 1024-bit key: %v", err)
		}
	})
}

func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	k := testKeys()
	srv := newJWKSServer(t, jwksJSON(t, testJWK{kid: "rsa-1", pub: &k.rsa.PublicKey}))
	v := newTestVerifier(t, Config{JWKS: srv.URL})
	ctx := context.Background()
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times at start, want 1", n)
	}
	old := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claimsFor("ANALYST", nil))
	rotated := sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-2", claimsFor("ANALYST", nil))

	// The issuer rotates: the next token with the new kid makes us refetch.
	srv.body.Store(ptr(jwksJSON(t, testJWK{kid: "rsa-2", pub: &k.rsa2.PublicKey})))
	if _, err := v.Verify(ctx, rotated); err != nil {
		t.Fatalf("token with the rotated key: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	if _, err := v.Verify(ctx, old); hin.ErrorCode(err) != hin.EUNAUTHORIZED {
		t.Fatalf("token with the retired key: %v", err)
	}
	// Unknown kids right after do not refetch: at most once a minute.
	for range 5 {
		_, _ = v.Verify(ctx, sign(t, jwt.SigningMethodRS256, k.rsa, "made-up", claimsFor("ANALYST", nil)))
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times after unknown kids, want still 2", n)
	}
}

func TestJWKSBackgroundRefresh(t *testing.T) {
	t.Parallel()
	k := testKeys()
	srv := newJWKSServer(t, jwksJSON(t, testJWK{kid: "rsa-1", pub: &k.rsa.PublicKey}))
	v := newTestVerifier(t, Config{JWKS: srv.URL, JWKSRefresh: 20 * time.Millisecond})
	v.keys.missLimit.SetBurst(0) // only the age-based refresh may fetch
	ctx := context.Background()
	old := sign(t, jwt.SigningMethodRS256, k.rsa, "rsa-1", claimsFor("ANALYST", nil))
	rotated := sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-2", claimsFor("ANALYST", nil))

	// A failing key server keeps the keys we have.
	srv.fail.Store(true)
	time.Sleep(30 * time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); srv.hits.Load() < 2; {
		if _, err := v.Verify(ctx, old); err != nil {
			t.Fatalf("old key while the key server fails: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no background refresh")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatalf("old key after a failed refresh: %v", err)
	}

	srv.fail.Store(false)
	srv.body.Store(ptr(jwksJSON(t, testJWK{kid: "rsa-2", pub: &k.rsa2.PublicKey})))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := v.Verify(ctx, rotated)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotated key never picked up: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

func TestMint(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t, Config{HMACSecret: testSecret, Issuer: "hingraph", Audience: "hin-graph"})
	now := time.Now()
	base := MintConfig{Secret: testSecret, Subject: "dev", TTL: time.Hour, Issuer: "hingraph", Audience: "hin-graph"}
	with := func(edit func(*MintConfig)) MintConfig {
		c := base
		edit(&c)
		return c
	}
	cases := []struct {
		name    string
		cfg     MintConfig
		want    hin.Principal
		wantErr string
	}{
		{"analyst", with(func(c *MintConfig) { c.Role = "ANALYST" }), hin.Principal{Subject: "dev", Role: hin.RoleAnalyst}, ""},
		{"national admin", with(func(c *MintConfig) { c.Role = "NATIONAL_ADMIN" }), hin.Principal{Subject: "dev", Role: hin.RoleNationalAdmin}, ""},
		{"region editor", with(func(c *MintConfig) { c.Role, c.RegionCode = "REGION_EDITOR", "HI-NE" }), hin.Principal{Subject: "dev", Role: hin.RoleRegionEditor, RegionID: "region-ne"}, ""},
		{"region approver", with(func(c *MintConfig) { c.Role, c.RegionCode = "REGION_APPROVER", "HI-NE" }), hin.Principal{Subject: "dev", Role: hin.RoleRegionApprover, RegionID: "region-ne"}, ""},
		{"region approver without region", with(func(c *MintConfig) { c.Role = "REGION_APPROVER" }), hin.Principal{}, "needs a region code"},
		{"region editor without region", with(func(c *MintConfig) { c.Role = "REGION_EDITOR" }), hin.Principal{}, "needs a region code"},
		{"bad region code", with(func(c *MintConfig) { c.Role, c.RegionCode = "REGION_EDITOR", "hi-ne" }), hin.Principal{}, "not a region code"},
		{"region on a national role", with(func(c *MintConfig) { c.Role, c.RegionCode = "ANALYST", "HI-NE" }), hin.Principal{}, "only REGION_EDITOR"},
		{"unknown role", with(func(c *MintConfig) { c.Role = "ROOT" }), hin.Principal{}, "the role must be one of"},
		{"no role", base, hin.Principal{}, "the role must be one of"},
		{"short secret", with(func(c *MintConfig) { c.Role, c.Secret = "ANALYST", []byte("x") }), hin.Principal{}, "at least 32 bytes"},
		{"no subject", with(func(c *MintConfig) { c.Role, c.Subject = "ANALYST", "" }), hin.Principal{}, "subject"},
		{"no TTL", with(func(c *MintConfig) { c.Role, c.TTL = "ANALYST", 0 }), hin.Principal{}, "lifetime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := Mint(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Mint error = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, err := v.Verify(context.Background(), tok)
			p.Expires = time.Time{} // TestPrincipalExpiresWithItsToken
			if err != nil || p != tc.want {
				t.Fatalf("Verify = %+v, %v; want %+v", p, err, tc.want)
			}
		})
	}
	t.Run("expires after the TTL", func(t *testing.T) {
		t.Parallel()
		tok, err := Mint(with(func(c *MintConfig) { c.Role, c.Now = "ANALYST", now.Add(-2*time.Hour) }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), tok); err == nil || hin.ErrorMessage(err) != "the token has expired" {
			t.Fatalf("Verify = %v, want expired", err)
		}
	})
}

func TestTokenWithoutKid(t *testing.T) {
	t.Parallel()
	k := testKeys()
	twoRSA := newTestVerifier(t, Config{JWKS: jwksFile(t, jwksJSON(t,
		testJWK{kid: "a", pub: &k.rsa.PublicKey}, testJWK{kid: "b", pub: &k.rsaOther.PublicKey}, testJWK{kid: "c", alg: "ES256", pub: &k.ec.PublicKey}))})
	rsaOnly := newTestVerifier(t, Config{JWKS: jwksFile(t, jwksJSON(t, testJWK{kid: "a", pub: &k.rsa.PublicKey}))})
	cases := []struct {
		name string
		v    *Verifier
		tok  string
		want string // "" for success
	}{
		{"several RSA keys", twoRSA, sign(t, jwt.SigningMethodRS256, k.rsa, "", claimsFor("ANALYST", nil)), "the token has no key id (kid), and several keys could verify it"},
		{"several RSA keys, with kid", twoRSA, sign(t, jwt.SigningMethodRS256, k.rsaOther, "b", claimsFor("ANALYST", nil)), ""},
		{"the one EC key among RSA keys", twoRSA, sign(t, jwt.SigningMethodES256, k.ec, "", claimsFor("ANALYST", nil)), ""},
		{"no EC key", rsaOnly, sign(t, jwt.SigningMethodES256, k.ec, "", claimsFor("ANALYST", nil)), "no key is configured for the token's algorithm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.v.Verify(context.Background(), tc.tok)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if hin.ErrorCode(err) != hin.EUNAUTHORIZED || hin.ErrorMessage(err) != tc.want {
				t.Fatalf("error = %v, want UNAUTHENTICATED %q", err, tc.want)
			}
		})
	}
}

func TestMaxLifetime(t *testing.T) {
	t.Parallel()
	def := newTestVerifier(t, Config{HMACSecret: testSecret, Leeway: 30 * time.Second})
	week := newTestVerifier(t, Config{HMACSecret: testSecret, MaxLifetime: 7 * 24 * time.Hour})
	now := time.Now()
	hs := func(edits jwt.MapClaims) string {
		return sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("ANALYST", edits))
	}
	const tooLong = "the token is valid for longer than this server accepts (exp may be at most 24h after iat and after now)"
	cases := []struct {
		name string
		v    *Verifier
		tok  string
		want string // "" for success
	}{
		{"one hour", def, hs(nil), ""},
		{"exactly 24h after iat", def, hs(jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix()}), ""},
		{"24h and a second after iat", def, hs(jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(24*time.Hour + time.Second).Unix()}), tooLong},
		{"a thousand years", def, hs(jwt.MapClaims{"exp": now.AddDate(1000, 0, 0).Unix()}), tooLong},
		{"far exp without iat", def, hs(jwt.MapClaims{"iat": nil, "exp": now.Add(48 * time.Hour).Unix()}), tooLong},
		{"old iat, exp within a day of now", def, hs(jwt.MapClaims{"iat": now.Add(-47 * time.Hour).Unix(), "exp": now.Add(time.Hour).Unix()}), tooLong},
		{"no iat, exp within a day", def, hs(jwt.MapClaims{"iat": nil, "exp": now.Add(23 * time.Hour).Unix()}), ""},
		{"configured a week", week, hs(jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(6 * 24 * time.Hour).Unix()}), ""},
		{"configured a week, 8 days", week, hs(jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(8 * 24 * time.Hour).Unix()}),
			"the token is valid for longer than this server accepts (exp may be at most 168h after iat and after now)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.v.Verify(context.Background(), tc.tok)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if hin.ErrorCode(err) != hin.EUNAUTHORIZED || hin.ErrorMessage(err) != tc.want {
				t.Fatalf("error = %v, want UNAUTHENTICATED %q", err, tc.want)
			}
		})
	}

	t.Run("Mint stays within it", func(t *testing.T) {
		t.Parallel()
		if _, err := Mint(MintConfig{Secret: testSecret, Subject: "a", Role: "ANALYST", TTL: 25 * time.Hour}); err == nil || !strings.Contains(err.Error(), "at most 24h") {
			t.Fatalf("Mint with a 25h TTL: %v", err)
		}
		tok, err := Mint(MintConfig{Secret: testSecret, Subject: "a", Role: "ANALYST", TTL: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := def.Verify(context.Background(), tok); err != nil {
			t.Fatalf("a 24h minted token: %v", err)
		}
		if _, err := Mint(MintConfig{Secret: testSecret, Subject: "a", Role: "ANALYST", TTL: 100 * time.Hour, MaxLifetime: week.maxLife}); err != nil {
			t.Fatalf("Mint within a configured week: %v", err)
		}
	})
}

func TestJWKSFileRotation(t *testing.T) {
	t.Parallel()
	k := testKeys()
	path := jwksFile(t, jwksJSON(t, testJWK{kid: "rsa-1", pub: &k.rsa.PublicKey}))
	v := newTestVerifier(t, Config{JWKS: path})
	if err := os.WriteFile(path, jwksJSON(t, testJWK{kid: "rsa-2", pub: &k.rsa2.PublicKey}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, k.rsa2, "rsa-2", claimsFor("ANALYST", nil))); err != nil {
		t.Fatalf("a kid added to the file: %v", err)
	}
}

// TestPrincipalExpiresWithItsToken: the caller carries the moment its token
// stops being accepted, exp plus the leeway, so a stream opened with it can
// be ended then (graph/stream.go).
func TestPrincipalExpiresWithItsToken(t *testing.T) {
	t.Parallel()
	v := newTestVerifier(t, Config{HMACSecret: testSecret, Leeway: 30 * time.Second})
	exp := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	tok := sign(t, jwt.SigningMethodHS256, testSecret, "", claimsFor("ANALYST", jwt.MapClaims{"exp": exp.Unix()}))
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if want := exp.Add(30 * time.Second); !p.Expires.Equal(want) {
		t.Errorf("Expires = %s, want exp plus the leeway, %s", p.Expires, want)
	}
	if p.ExpiredAt(exp) || !p.ExpiredAt(exp.Add(30*time.Second)) {
		t.Errorf("ExpiredAt: at exp %v, at exp+leeway %v; want false, true", p.ExpiredAt(exp), p.ExpiredAt(exp.Add(30*time.Second)))
	}
	if (hin.Principal{}).ExpiredAt(time.Now().Add(1000 * time.Hour)) {
		t.Error("a caller without a token expired")
	}
}
