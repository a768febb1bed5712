package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MintConfig describes a token to mint.
type MintConfig struct {
	Secret     []byte // HS256 secret, at least MinHMACSecretLen bytes
	Subject    string
	Role       string // one of RoleNames
	RegionCode string // required for the regional roles, refused for the others
	TTL        time.Duration
	// MaxLifetime is the verifying server's maximum token lifetime; 0 means
	// DefaultMaxLifetime. A longer TTL is refused rather than minting a
	// token the server would reject.
	MaxLifetime time.Duration
	Issuer      string // optional
	Audience    string // optional
	Now         time.Time
}

// Mint signs an HS256 token, for local development and tests; production
// tokens come from an identity provider. It refuses what Verify would
// refuse, except whether the region exists, which only the database knows.
func Mint(cfg MintConfig) (string, error) {
	if len(cfg.Secret) < MinHMACSecretLen {
		return "", fmt.Errorf("the secret must be at least %d bytes long", MinHMACSecretLen)
	}
	if err := checkSubject(cfg.Subject); err != nil {
		return "", errors.New("the subject must be 1 to 200 characters without control characters")
	}
	role, err := parseRole(cfg.Role)
	if err != nil {
		return "", fmt.Errorf("the role must be one of %s, not %q", RoleNames, cfg.Role)
	}
	switch {
	case role.Regional() && cfg.RegionCode == "":
		return "", fmt.Errorf("a %s token needs a region code", role)
	case role.Regional() && !ValidRegionCode(cfg.RegionCode):
		return "", fmt.Errorf("%q is not a region code (such as HI-EM)", cfg.RegionCode)
	case !role.Regional() && cfg.RegionCode != "":
		// Strict here although Verify ignores it: a region on a national
		// role is a mistake worth pointing out to whoever mints it.
		return "", fmt.Errorf("only REGION_EDITOR and REGION_APPROVER tokens have a region; %s is national", role)
	}
	if cfg.TTL <= 0 {
		return "", errors.New("the lifetime must be positive")
	}
	maxLife := cfg.MaxLifetime
	if maxLife <= 0 {
		maxLife = DefaultMaxLifetime
	}
	if cfg.TTL > maxLife {
		return "", fmt.Errorf("the lifetime must be at most %s, the longest a server accepts", formatLifetime(maxLife))
	}
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    cfg.Issuer,
			Subject:   cfg.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(cfg.TTL)),
		},
		Role:   string(role),
		Region: cfg.RegionCode,
	}
	if cfg.Audience != "" {
		c.Audience = jwt.ClaimStrings{cfg.Audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(cfg.Secret)
}
