package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/time/rate"
)

const (
	defaultJWKSRefresh = 10 * time.Minute
	// missRefreshEvery limits refetches caused by an unknown kid, so a stream
	// of made-up kids cannot turn into a stream of requests to the key server.
	missRefreshEvery = time.Minute
	jwksFetchTimeout = 10 * time.Second
	maxJWKSBytes     = 1 << 20
	minRSABits       = 2048
	maxRSABits       = 8192
)

// keySet is a JWKS from a file or URL, fetched, parsed and refreshed by
// jwkset: in the background every maxAge, and at once (at most every
// missRefreshEvery) when a token names a kid the set does not hold. A failed
// refresh keeps the keys already held. What this package adds is policy:
// which keys are usable, and which algorithm each key may verify.
type keySet struct {
	store jwkset.Storage
	// missLimit is the unknown-kid refresh budget; tests drain it.
	missLimit *rate.Limiter
}

// newKeySet loads source (a file path or an http(s) URL) now, so that a bad
// set stops the server at start. ctx ends the background refreshes.
func newKeySet(ctx context.Context, source string, client *http.Client, maxAge time.Duration) (*keySet, error) {
	if maxAge <= 0 {
		maxAge = defaultJWKSRefresh
	}
	u := source
	if !strings.HasPrefix(source, "https://") && !strings.HasPrefix(source, "http://") {
		// A file goes through the same fetch and refresh as a URL.
		abs, err := filepath.Abs(source)
		if err != nil {
			return nil, fmt.Errorf("auth: load JWKS: %w", err)
		}
		u = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		client = &http.Client{Transport: http.NewFileTransport(http.Dir("/"))}
	} else if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	limited := *client
	limited.Transport = bodyLimit{next: client.Transport}

	remote, err := jwkset.NewStorageFromHTTP(u, jwkset.HTTPClientStorageOptions{
		Client:          &limited,
		Ctx:             ctx,
		HTTPTimeout:     jwksFetchTimeout,
		RefreshInterval: maxAge,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			slog.WarnContext(ctx, "JWKS refresh failed; keeping the keys already held", "source", source, "error", err)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: load JWKS %s: %w", source, err)
	}
	ks := &keySet{missLimit: rate.NewLimiter(rate.Every(missRefreshEvery), 1)}
	ks.store, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{u: remote},
		RefreshUnknownKID: ks.missLimit,
		// Never queue a request behind the limiter: when the budget is
		// spent, Wait fails at once because the next token is further off.
		RateLimitWaitMax: time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS %s: %w", source, err)
	}
	if err := ks.checkUsable(ctx); err != nil {
		return nil, fmt.Errorf("auth: JWKS %s: %w", source, err)
	}
	return ks, nil
}

// checkUsable fails when the set holds no key this server can use, naming
// why each key was passed over.
func (ks *keySet) checkUsable(ctx context.Context) error {
	all, err := ks.store.KeyReadAll(ctx)
	if err != nil {
		return err
	}
	var skipped []string
	for i, k := range all {
		if _, err := usable(k); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, k.Marshal().KID, err))
		} else {
			return nil
		}
	}
	if len(skipped) > 0 {
		return fmt.Errorf("no usable RS256 or ES256 signature key (%s)", strings.Join(skipped, "; "))
	}
	return errors.New("no usable RS256 or ES256 signature key")
}

// usable returns the public key of a JWK this server accepts for signatures:
// RSA of 2048 to 8192 bits for RS256, or P-256 for ES256. Providers publish
// encryption keys and other kinds too; those are passed over, not errors.
func usable(k jwkset.JWK) (crypto.PublicKey, error) {
	m := k.Marshal()
	if m.USE != "" && m.USE != jwkset.UseSig {
		return nil, fmt.Errorf("use %q is not for signatures", m.USE)
	}
	if len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify) {
		return nil, errors.New("key_ops does not include verify")
	}
	key := k.Key()
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public() // a set that carries private parts too
	}
	switch pub := key.(type) {
	case *rsa.PublicKey:
		if m.ALG != "" && m.ALG != jwkset.AlgRS256 {
			return nil, fmt.Errorf("algorithm %q is not supported", m.ALG)
		}
		switch bits := pub.N.BitLen(); {
		case bits < minRSABits:
			return nil, fmt.Errorf("RSA key of %d bits is too short (at least %d)", bits, minRSABits)
		case bits > maxRSABits:
			return nil, fmt.Errorf("RSA key of %d bits is too long (at most %d)", bits, maxRSABits)
		case pub.N.Bit(0) == 0 || pub.E < 3 || pub.E%2 == 0:
			return nil, errors.New("RSA key is not valid")
		}
		return pub, nil
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("curve %q is not supported", m.CRV)
		}
		if m.ALG != "" && m.ALG != jwkset.AlgES256 {
			return nil, fmt.Errorf("algorithm %q is not supported", m.ALG)
		}
		return pub, nil // jwkset has checked that the point is on the curve
	}
	return nil, fmt.Errorf("key type %q is not supported", m.KTY)
}

// fits reports whether a usable key may verify a token signed with alg: the
// algorithm follows from the key type, never from the token alone.
func fits(key crypto.PublicKey, alg string) bool {
	switch key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	}
	return false
}

// key finds the key for a token with the given kid (maybe "") and alg.
func (ks *keySet) key(ctx context.Context, kid, alg string) (any, error) {
	if kid != "" {
		// An unknown kid makes jwkset refetch the set once (the issuer may
		// have rotated), within missLimit.
		k, err := ks.store.KeyRead(ctx, kid)
		if err != nil {
			return nil, unauthenticated("the token's key id (kid) is not known")
		}
		pub, err := usable(k)
		if err != nil {
			return nil, unauthenticated("the token's key id (kid) is not known")
		}
		if !fits(pub, alg) {
			return nil, unauthenticated(msgKeyMismatch)
		}
		return pub, nil
	}
	// Without a kid the key is unambiguous only if it is the one key of its kind.
	all, err := ks.store.KeyReadAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: read JWKS: %w", err)
	}
	var found crypto.PublicKey
	n := 0
	for _, k := range all {
		if pub, err := usable(k); err == nil && fits(pub, alg) {
			found, n = pub, n+1
		}
	}
	switch n {
	case 0:
		return nil, unauthenticated("no key is configured for the token's algorithm")
	case 1:
		return found, nil
	}
	return nil, unauthenticated("the token has no key id (kid), and several keys could verify it")
}

// bodyLimit refuses key sets larger than maxJWKSBytes, which jwkset would
// otherwise read whole.
type bodyLimit struct{ next http.RoundTripper }

func (b bodyLimit) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{r: resp.Body, left: maxJWKSBytes}
	return resp, nil
}

type limitedBody struct {
	r    io.ReadCloser
	left int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("the key set is larger than %d bytes", maxJWKSBytes)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.r.Close() }
