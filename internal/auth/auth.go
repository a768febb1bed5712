// Package auth turns bearer tokens (JWTs) into a hin.Principal.
//
// Tokens are HS256 with a shared secret, or RS256/ES256 with public keys from
// a JWKS file or URL. The accepted algorithm always follows from the key that
// verifies it, never from the token alone, so "alg: none" and HS/RS confusion
// fail. Every rejected token is an UNAUTHENTICATED *hin.Error whose message
// is safe to show a client and never repeats the token.
//
// Claims: sub (required), exp (required, at most MaxLifetime ahead of iat and
// of now), role (ANALYST, REGION_EDITOR, REGION_APPROVER or NATIONAL_ADMIN)
// and, for the regional roles (REGION_EDITOR, REGION_APPROVER), region: a
// region code such as "HI-EM". A region claim on the other roles is ignored,
// since they are not scoped to a region. With a ClaimMapping (mapping.go)
// the provider's own claims (roles, groups, realm_access.roles) decide the
// role and region instead, and a token that maps to no role is FORBIDDEN.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// MaxTokenLen is the longest token accepted; real tokens are far shorter, and
// the limit keeps hostile input away from base64 and JSON decoding.
const MaxTokenLen = 8 << 10

// MinHMACSecretLen is the shortest HS256 secret accepted (256 bits, as RFC
// 7518 requires for HS256).
const MinHMACSecretLen = 32

const maxSubjectLen = 200

// DefaultMaxLifetime is the longest token lifetime accepted unless configured:
// a day, so that a leaked token does not stay good for years.
const DefaultMaxLifetime = 24 * time.Hour

// regionCodePattern is the shape of a region code, e.g. "HI-EM".
var regionCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,19}$`)

// ValidRegionCode reports whether code has the shape of a region code; whether
// such a region exists is for the database to say.
func ValidRegionCode(code string) bool { return regionCodePattern.MatchString(code) }

// Config says which tokens a Verifier accepts. At least one of HMACSecret and
// JWKS must be set for tokens to be accepted at all.
type Config struct {
	// HMACSecret enables HS256; it must be at least MinHMACSecretLen bytes.
	HMACSecret []byte
	// JWKS is a file path or an http(s) URL of a JSON Web Key Set; it
	// enables RS256 (RSA keys) and ES256 (P-256 keys).
	JWKS string
	// OIDCIssuer is an OpenID provider's issuer URL. Its discovery document
	// (/.well-known/openid-configuration) gives the JWKS, and its issuer
	// becomes the required iss claim. It needs Audience, since otherwise any
	// token the provider issues for any application would be accepted; and
	// it replaces JWKS and Issuer.
	OIDCIssuer string
	// Issuer and Audience, when set, must match the iss and aud claims.
	Issuer, Audience string
	// Leeway absorbs clock skew when checking exp, nbf and iat.
	Leeway time.Duration
	// MaxLifetime is the longest a token may be valid: exp may be at most
	// this far after iat (when present) and after now. 0 means
	// DefaultMaxLifetime.
	MaxLifetime time.Duration
	// HTTPClient fetches a JWKS URL; nil means a client with a 10s timeout.
	HTTPClient *http.Client
	// Mapping, when set, maps the claims of provider tokens (roles, groups,
	// realm roles) to a principal instead of the role and region claims.
	Mapping *ClaimMapping
	// JWKSRefresh is how often the key set is fetched again in the
	// background; 0 means 10 minutes. The context given to NewVerifier ends
	// these refreshes.
	JWKSRefresh time.Duration
}

// RegionResolver maps a region code to a region ID. An unknown code is
// reported as ("", nil) or as an error with the code hin.ENOTFOUND.
type RegionResolver func(ctx context.Context, code string) (regionID string, err error)

// Verifier checks tokens. It is safe for concurrent use. A nil *Verifier
// stands for a server without token authentication: it rejects every token.
type Verifier struct {
	secret   []byte
	keys     *keySet // nil without a JWKS
	methods  []string
	parser   *jwt.Parser
	issuer   string
	audience string
	leeway   time.Duration
	maxLife  time.Duration
	regions  RegionResolver
	mapping  *ClaimMapping
	// provider is the OIDC issuer, when configured: its tokens must carry
	// it as iss and the audience in aud.
	provider string
	// regionIDs caches resolved codes: regions are reference data, and only
	// codes from correctly signed tokens get here, so it stays small.
	regionIDs sync.Map
}

// NewVerifier builds a Verifier, loading the JWKS now so that a bad key set
// stops the server at start rather than failing every request. With neither
// an HMAC secret nor a JWKS it returns a nil *Verifier and no error: such a
// server serves anonymous callers only, and rejects requests carrying tokens.
func NewVerifier(ctx context.Context, cfg Config, regions RegionResolver) (*Verifier, error) {
	if len(cfg.HMACSecret) == 0 && cfg.JWKS == "" && cfg.OIDCIssuer == "" {
		return nil, nil
	}
	var provider string
	if cfg.OIDCIssuer != "" {
		var err error
		if cfg, err = discover(ctx, cfg); err != nil {
			return nil, err
		}
		// The provider's tokens are checked against its issuer and the
		// audience in verifyProvider; the server's own HS256 tokens (from
		// `hingraph token`) against neither, as they come from no provider.
		provider, cfg.Issuer = cfg.Issuer, ""
	}
	if regions == nil {
		return nil, errors.New("auth: no region resolver")
	}
	if len(cfg.HMACSecret) > 0 && len(cfg.HMACSecret) < MinHMACSecretLen {
		return nil, fmt.Errorf("auth: the HMAC secret must be at least %d bytes long", MinHMACSecretLen)
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("auth: the leeway must not be negative")
	}
	if cfg.MaxLifetime < 0 {
		return nil, errors.New("auth: the maximum token lifetime must not be negative")
	}
	if cfg.MaxLifetime == 0 {
		cfg.MaxLifetime = DefaultMaxLifetime
	}
	if cfg.Mapping != nil {
		if err := cfg.Mapping.Validate(); err != nil {
			return nil, fmt.Errorf("auth: claim mapping: %w", err)
		}
	}
	v := &Verifier{issuer: cfg.Issuer, audience: cfg.Audience, leeway: cfg.Leeway, maxLife: cfg.MaxLifetime, regions: regions, mapping: cfg.Mapping, provider: provider}
	if len(cfg.HMACSecret) > 0 {
		v.secret = append([]byte(nil), cfg.HMACSecret...) // the caller's slice may change
		v.methods = append(v.methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKS != "" {
		ks, err := newKeySet(ctx, cfg.JWKS, cfg.HTTPClient, cfg.JWKSRefresh)
		if err != nil {
			return nil, err
		}
		v.keys = ks
		// Both are allowed whatever the set holds today, because a rotation
		// may bring the other kind; the keyfunc still pins each to its key type.
		v.methods = append(v.methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(v.methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithStrictDecoding(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" && provider == "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// claims is what a token carries.
type claims struct {
	jwt.RegisteredClaims
	Role   string `json:"role,omitempty"`
	Region string `json:"region,omitempty"`
}

func unauthenticated(msg string) *hin.Error {
	return &hin.Error{Code: hin.EUNAUTHORIZED, Message: msg}
}

// Messages used in more than one place. Each failure gets its own *hin.Error
// so that no caller can change an error another request sees.
const (
	msgAlgorithm   = "the token's algorithm is not accepted"
	msgKeyMismatch = "the token's algorithm does not match its key"
	msgNoTokens    = "this server does not accept tokens"
)

// Verify checks raw and returns its caller. Token problems are UNAUTHENTICATED
// *hin.Errors; a failure to look up the region (the database being down) is
// returned as it is, since the token may well be good.
func (v *Verifier) Verify(ctx context.Context, raw string) (hin.Principal, error) {
	if v == nil {
		return hin.Principal{}, unauthenticated(msgNoTokens)
	}
	switch {
	case raw == "":
		return hin.Principal{}, unauthenticated("the token is empty")
	case len(raw) > MaxTokenLen:
		return hin.Principal{}, unauthenticated("the token is too long")
	}
	if v.mapping != nil || v.provider != "" {
		return v.verifyProvider(ctx, raw)
	}
	var c claims
	tok, err := v.parser.ParseWithClaims(raw, &c, v.keyfunc(ctx))
	if err != nil {
		return hin.Principal{}, v.explain(tok, &c.RegisteredClaims, err)
	}
	if err := v.checkLifetime(&c.RegisteredClaims, time.Now()); err != nil {
		return hin.Principal{}, err
	}
	return v.principal(ctx, &c)
}

// verifyProvider verifies a token with a claim mapping or an OIDC issuer
// configured. Tokens signed by the provider's keys are mapped (when there
// is a mapping) and must come from the provider (when there is one); tokens
// signed with the server's own HS256 secret keep the role and region
// claims, so that `hingraph token` goes on working beside a provider.
func (v *Verifier) verifyProvider(ctx context.Context, raw string) (hin.Principal, error) {
	var c mappedClaims
	tok, err := v.parser.ParseWithClaims(raw, &c, v.keyfunc(ctx))
	if err != nil {
		return hin.Principal{}, v.explain(tok, &c.RegisteredClaims, err)
	}
	own := tok.Method == jwt.SigningMethodHS256
	if !own && v.provider != "" {
		switch {
		case c.Issuer == "":
			return hin.Principal{}, unauthenticated("the token has no issuer (iss) claim")
		case c.Issuer != v.provider:
			return hin.Principal{}, unauthenticated("the token's issuer (iss) is not accepted")
		case len(c.Audience) == 0:
			return hin.Principal{}, unauthenticated("the token has no audience (aud) claim")
		case !slices.Contains(c.Audience, v.audience):
			return hin.Principal{}, unauthenticated("the token's audience (aud) is not accepted")
		}
	}
	if err := v.checkLifetime(&c.RegisteredClaims, time.Now()); err != nil {
		return hin.Principal{}, err
	}
	var p hin.Principal
	if v.mapping != nil && !own {
		p, err = v.mapping.principal(ctx, c.all, v.regionID)
	} else {
		p, err = v.principalFromMap(ctx, c.all)
	}
	if err != nil {
		return hin.Principal{}, err
	}
	p.Expires = c.ExpiresAt.Add(v.leeway)
	return p, nil
}

// principalFromMap reads the role and region claims out of a payload.
func (v *Verifier) principalFromMap(ctx context.Context, all map[string]any) (hin.Principal, error) {
	b, err := json.Marshal(all)
	if err != nil {
		return hin.Principal{}, fmt.Errorf("auth: claims: %w", err)
	}
	var c claims
	if err := json.Unmarshal(b, &c); err != nil || c.ExpiresAt == nil {
		return hin.Principal{}, unauthenticated("the token is malformed")
	}
	return v.principal(ctx, &c)
}

// checkLifetime refuses tokens valid for longer than the maximum lifetime,
// counted from iat when the token has one and from now in any case, so that
// leaving iat out does not help.
func (v *Verifier) checkLifetime(c *jwt.RegisteredClaims, now time.Time) error {
	exp := c.ExpiresAt.Time
	tooLong := exp.Sub(now) > v.maxLife+v.leeway
	if c.IssuedAt != nil {
		tooLong = tooLong || exp.Sub(c.IssuedAt.Time) > v.maxLife
	}
	if tooLong {
		return unauthenticated(fmt.Sprintf("the token is valid for longer than this server accepts (exp may be at most %s after iat and after now)", formatLifetime(v.maxLife)))
	}
	return nil
}

// formatLifetime writes 24h rather than 24h0m0s.
func formatLifetime(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// keyfunc picks the key for a token. The algorithm must fit the key: the HMAC
// secret only for HS256, RSA keys only for RS256, P-256 keys only for ES256.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		// RFC 7515: a header this server does not understand must not be
		// waved through when the issuer marked it critical.
		if _, ok := t.Header["crit"]; ok {
			return nil, unauthenticated("the token has critical header parameters this server does not support")
		}
		var kid string
		if k, ok := t.Header["kid"]; ok {
			s, isString := k.(string)
			if !isString {
				return nil, unauthenticated("the token is malformed")
			}
			kid = s
		}
		switch t.Method {
		case jwt.SigningMethodHS256:
			if v.secret == nil {
				return nil, unauthenticated(msgAlgorithm)
			}
			return v.secret, nil
		case jwt.SigningMethodRS256, jwt.SigningMethodES256:
			if v.keys == nil {
				return nil, unauthenticated(msgAlgorithm)
			}
			return v.keys.key(ctx, kid, t.Method.Alg())
		}
		return nil, unauthenticated(msgAlgorithm)
	}
}

// explain turns a parser error into a message a client can act on.
func (v *Verifier) explain(tok *jwt.Token, c *jwt.RegisteredClaims, err error) error {
	var he *hin.Error
	if errors.As(err, &he) {
		return he // from the keyfunc, already explained
	}
	msg := "the token is not valid"
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed), tok == nil:
		msg = "the token is malformed"
	case tok.Method == nil || !v.accepts(tok.Method.Alg()):
		msg = msgAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		msg = "the token's signature is not valid"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		msg = "the token cannot be verified"
	case errors.Is(err, jwt.ErrTokenExpired):
		msg = "the token has expired"
	case c.ExpiresAt == nil:
		msg = "the token has no expiry (exp) claim"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		msg = "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = "the token's issue time (iat) is in the future"
	case v.issuer != "" && c.Issuer == "":
		msg = "the token has no issuer (iss) claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		msg = "the token's issuer (iss) is not accepted"
	case v.audience != "" && len(c.Audience) == 0:
		msg = "the token has no audience (aud) claim"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		msg = "the token's audience (aud) is not accepted"
	}
	return unauthenticated(msg)
}

func (v *Verifier) accepts(alg string) bool {
	for _, m := range v.methods {
		if m == alg {
			return true
		}
	}
	return false
}

// principal checks the application claims of a correctly signed token.
func (v *Verifier) principal(ctx context.Context, c *claims) (hin.Principal, error) {
	if err := checkSubject(c.Subject); err != nil {
		return hin.Principal{}, err
	}
	role, err := parseRole(c.Role)
	if err != nil {
		return hin.Principal{}, err
	}
	p := hin.Principal{Subject: c.Subject, Role: role, Expires: c.ExpiresAt.Add(v.leeway)}
	if !role.Regional() {
		return p, nil // national roles: a region claim means nothing
	}
	if c.Region == "" {
		return hin.Principal{}, unauthenticated("the token has no region claim, which a " + string(role) + " needs")
	}
	if !ValidRegionCode(c.Region) {
		return hin.Principal{}, unauthenticated("the token's region claim is not a region code")
	}
	p.RegionID, err = v.regionID(ctx, c.Region)
	if err != nil {
		return hin.Principal{}, err
	}
	return p, nil
}

func (v *Verifier) regionID(ctx context.Context, code string) (string, error) {
	if id, ok := v.regionIDs.Load(code); ok {
		return id.(string), nil
	}
	id, err := v.regions(ctx, code)
	switch {
	case hin.ErrorCode(err) == hin.ENOTFOUND, err == nil && id == "":
		return "", unauthenticated("the token's region is not known")
	case err != nil:
		return "", fmt.Errorf("auth: look up region %s: %w", code, err)
	}
	v.regionIDs.Store(code, id)
	return id, nil
}

func checkSubject(sub string) error {
	switch {
	case sub == "":
		return unauthenticated("the token has no subject (sub) claim")
	case utf8.RuneCountInString(sub) > maxSubjectLen:
		return unauthenticated("the token's subject (sub) claim is too long")
	case strings.IndexFunc(sub, unicode.IsControl) >= 0:
		// The subject ends up in logs; control characters could forge lines.
		return unauthenticated("the token's subject (sub) claim has control characters")
	}
	return nil
}

// RoleNames lists the roles a token may carry, for messages.
const RoleNames = "ANALYST, REGION_EDITOR, REGION_APPROVER, NATIONAL_ADMIN"

func parseRole(s string) (hin.Role, error) {
	switch r := hin.Role(s); r {
	case hin.RoleAnalyst, hin.RoleRegionEditor, hin.RoleRegionApprover, hin.RoleNationalAdmin:
		return r, nil
	case hin.RoleAnonymous:
		return "", unauthenticated("the token has no role claim")
	}
	return "", unauthenticated("the token's role claim is not one of " + RoleNames)
}

// PrincipalFromClaims maps the claims of a token that has already been
// verified elsewhere (the ID token of a browser sign-in, checked by
// go-oidc): by the claim mapping when there is one, else by the role and
// region claims. The caller sets Expires.
func (v *Verifier) PrincipalFromClaims(ctx context.Context, all map[string]any) (hin.Principal, error) {
	if v == nil {
		return hin.Principal{}, unauthenticated(msgNoTokens)
	}
	if v.mapping != nil {
		return v.mapping.principal(ctx, all, v.regionID)
	}
	p, err := v.principalFromMap(ctx, all)
	p.Expires = time.Time{}
	return p, err
}
