package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/internal/auth"
)

// devJWTSecret signs tokens when no secret is configured, so that tokens from
// `hingraph token` work against `make run` out of the box. Anyone can read
// it here: a server holding real data must be given its own secret.
const devJWTSecret = "hin-graph-local-development-secret-do-not-use-in-production"

// cmdToken mints an HS256 token for local use and prints only the token, so
// that TOKEN=$(hingraph token --role ANALYST) works.
func cmdToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", stderr)
	role := fs.String("role", "", auth.RoleNames+" (required)")
	region := fs.String("region", "", "region code of a REGION_EDITOR or REGION_APPROVER, e.g. HI-EM")
	subject := fs.String("subject", "local-developer", "who the token is for (the sub claim)")
	ttl := fs.Duration("ttl", 12*time.Hour, "how long the token is valid, at most --max-lifetime")
	maxLife := fs.Duration("max-lifetime", auth.DefaultMaxLifetime, "the server's maximum token lifetime (env HINGRAPH_JWT_MAX_LIFETIME)")
	var env config
	env.fromEnv("max-lifetime", "HINGRAPH_JWT_MAX_LIFETIME")
	secret := fs.String("secret", getenv("HINGRAPH_JWT_SECRET"), "HS256 secret, at least 32 bytes (env HINGRAPH_JWT_SECRET; default: the development secret)")
	issuer := fs.String("issuer", getenv("HINGRAPH_JWT_ISSUER"), "iss claim, for a server that checks it (env HINGRAPH_JWT_ISSUER)")
	audience := fs.String("audience", getenv("HINGRAPH_JWT_AUDIENCE"), "aud claim, for a server that checks it (env HINGRAPH_JWT_AUDIENCE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := env.applyEnv(fs, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *role == "" {
		return errors.New("--role is required: " + auth.RoleNames)
	}
	// Role and region are case-insensitive here for convenience; the token
	// carries the canonical upper-case form the server requires.
	r, code := strings.ToUpper(*role), strings.ToUpper(*region)
	if code != "" && !auth.ValidRegionCode(code) {
		return fmt.Errorf("--region %q is not a region code (such as HI-EM)", *region)
	}
	key := *secret
	if key == "" {
		key = devJWTSecret
		fmt.Fprintln(stderr, "hingraph: warning: signed with the development secret; only servers using the same default (make run) accept it")
	}
	tok, err := auth.Mint(auth.MintConfig{
		Secret:      []byte(key),
		Subject:     *subject,
		Role:        r,
		RegionCode:  code,
		TTL:         *ttl,
		MaxLifetime: *maxLife,
		Issuer:      *issuer,
		Audience:    *audience,
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
