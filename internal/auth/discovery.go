package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
)

// discover reads the provider's discovery document and fills in the JWKS
// and the issuer. go-oidc refuses a document whose issuer is not exactly
// the URL asked for, so a document served elsewhere cannot name another
// issuer. What the document says about algorithms is not read: accepted
// algorithms still follow from each key's type (keyfunc), so a document
// that lists HS256 or none opens nothing.
func discover(ctx context.Context, cfg Config) (Config, error) {
	switch {
	case cfg.Audience == "":
		return cfg, errors.New("auth: an OIDC issuer needs an audience (the client ID tokens are issued for), or any token from the provider would be accepted")
	case cfg.JWKS != "":
		return cfg, errors.New("auth: set an OIDC issuer or a JWKS, not both: the issuer's discovery document names its JWKS")
	case cfg.Issuer != "" && cfg.Issuer != cfg.OIDCIssuer:
		return cfg, fmt.Errorf("auth: the required issuer %q is not the OIDC issuer %q", cfg.Issuer, cfg.OIDCIssuer)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	limited := *client
	limited.Transport = bodyLimit{next: client.Transport}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, &limited), cfg.OIDCIssuer)
	if err != nil {
		return cfg, fmt.Errorf("auth: OIDC discovery for %s: %w", cfg.OIDCIssuer, err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&doc); err != nil {
		return cfg, fmt.Errorf("auth: OIDC discovery for %s: %w", cfg.OIDCIssuer, err)
	}
	if doc.JWKSURI == "" {
		return cfg, fmt.Errorf("auth: the discovery document of %s has no jwks_uri", cfg.OIDCIssuer)
	}
	cfg.JWKS, cfg.Issuer = doc.JWKSURI, doc.Issuer
	return cfg, nil
}
