package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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

// jwk is one usable verification key.
type jwk struct {
	kid string
	alg string // "" when the set does not restrict the key
	key any    // *rsa.PublicKey or *ecdsa.PublicKey
}

// fits reports whether the key may verify a token signed with alg.
func (k jwk) fits(alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch k.key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	}
	return false
}

// keySet is a cached JWKS from a file or URL.
type keySet struct {
	source     string
	client     *http.Client
	maxAge     time.Duration
	missEvery  time.Duration
	refreshing atomic.Bool // a background refresh is running
	fetchMu    sync.Mutex  // one load at a time

	mu       sync.RWMutex
	keys     []jwk
	loadedAt time.Time // of the last attempt, successful or not
	lastMiss time.Time // of the last refresh for an unknown kid
}

func newKeySet(ctx context.Context, source string, client *http.Client, maxAge time.Duration) (*keySet, error) {
	if client == nil {
		client = &http.Client{Timeout: jwksFetchTimeout}
	}
	if maxAge <= 0 {
		maxAge = defaultJWKSRefresh
	}
	ks := &keySet{source: source, client: client, maxAge: maxAge, missEvery: missRefreshEvery}
	if err := ks.refresh(ctx); err != nil {
		return nil, err
	}
	return ks, nil
}

func (ks *keySet) isURL() bool {
	return strings.HasPrefix(ks.source, "https://") || strings.HasPrefix(ks.source, "http://")
}

// refresh loads the set again. A failure keeps the keys already held, so a
// key server hiccup does not lock everyone out.
func (ks *keySet) refresh(ctx context.Context) error {
	ks.fetchMu.Lock()
	defer ks.fetchMu.Unlock()
	keys, err := ks.load(ctx)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.loadedAt = time.Now()
	if err != nil {
		return err
	}
	ks.keys = keys
	return nil
}

func (ks *keySet) load(ctx context.Context) ([]jwk, error) {
	var data []byte
	var err error
	if ks.isURL() {
		data, err = ks.fetch(ctx)
	} else {
		data, err = readLimited(ks.source)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load JWKS: %w", err)
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS %s: %w", ks.source, err)
	}
	return keys, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAtMost(f)
}

func readAtMost(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxJWKSBytes)
	}
	return data, nil
}

func (ks *keySet) fetch(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.source, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", ks.source, resp.Status)
	}
	return readAtMost(resp.Body)
}

// key finds the key for a token with the given kid (maybe "") and alg.
func (ks *keySet) key(ctx context.Context, kid, alg string) (any, error) {
	ks.refreshIfStale()
	k, err := ks.find(kid, alg)
	if errors.Is(err, errUnknownKid) && ks.mayRefreshForMiss() {
		// A new kid usually means the issuer rotated its keys since we last
		// looked. The request waits for this one fetch.
		if ks.refresh(ctx) == nil {
			k, err = ks.find(kid, alg)
		}
	}
	switch {
	case errors.Is(err, errUnknownKid):
		return nil, unauthenticated("the token's key id (kid) is not known")
	case err != nil:
		return nil, err
	}
	return k, nil
}

// errUnknownKid is internal: key() turns it into a fresh *hin.Error.
var errUnknownKid = errors.New("unknown kid")

func (ks *keySet) find(kid, alg string) (any, error) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	if kid != "" {
		known := false
		for _, k := range ks.keys {
			if k.kid == kid {
				known = true
				if k.fits(alg) {
					return k.key, nil
				}
			}
		}
		if known {
			return nil, unauthenticated(msgKeyMismatch)
		}
		return nil, errUnknownKid
	}
	// Without a kid the key is unambiguous only if it is the one key of its kind.
	var found any
	n := 0
	for _, k := range ks.keys {
		if k.fits(alg) {
			found, n = k.key, n+1
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

// refreshIfStale starts a background refresh when the set is older than
// maxAge; requests meanwhile go on with the keys already held.
func (ks *keySet) refreshIfStale() {
	ks.mu.RLock()
	stale := time.Since(ks.loadedAt) > ks.maxAge
	ks.mu.RUnlock()
	if !stale || !ks.refreshing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer ks.refreshing.Store(false)
		// Not the request's context: the refresh outlives the request.
		_ = ks.refresh(context.Background())
	}()
}

func (ks *keySet) mayRefreshForMiss() bool {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if !ks.lastMiss.IsZero() && time.Since(ks.lastMiss) < ks.missEvery {
		return false
	}
	ks.lastMiss = time.Now()
	return true
}

// rawJWK holds the members of a JWK (RFC 7517/7518) this package reads.
type rawJWK struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Kid    string   `json:"kid"`
	Alg    string   `json:"alg"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	Crv    string   `json:"crv"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

// parseJWKS reads the usable signature keys of a set. Keys for other uses,
// types or algorithms are skipped rather than failing the set, since
// providers publish such keys too; a set with no usable key is an error.
func parseJWKS(data []byte) ([]jwk, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	var keys []jwk
	var skipped []string
	for i, m := range set.Keys {
		var r rawJWK
		if err := json.Unmarshal(m, &r); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		if r.Use != "" && r.Use != "sig" {
			continue
		}
		if len(r.KeyOps) > 0 && !slices.Contains(r.KeyOps, "verify") {
			continue
		}
		var key any
		var err error
		switch r.Kty {
		case "RSA":
			key, err = parseRSA(r)
		case "EC":
			key, err = parseEC(r)
		default:
			continue
		}
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, r.Kid, err))
			continue
		}
		keys = append(keys, jwk{kid: r.Kid, alg: r.Alg, key: key})
	}
	if len(keys) == 0 {
		if len(skipped) > 0 {
			return nil, fmt.Errorf("no usable RS256 or ES256 signature key (%s)", strings.Join(skipped, "; "))
		}
		return nil, errors.New("no usable RS256 or ES256 signature key")
	}
	return keys, nil
}

func parseRSA(r rawJWK) (*rsa.PublicKey, error) {
	if r.Alg != "" && r.Alg != "RS256" {
		return nil, fmt.Errorf("algorithm %q is not supported", r.Alg)
	}
	n, err := decodeBigInt(r.N)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	e, err := decodeBigInt(r.E)
	if err != nil {
		return nil, fmt.Errorf("e: %w", err)
	}
	switch bits := n.BitLen(); {
	case bits < minRSABits:
		return nil, fmt.Errorf("RSA key of %d bits is too short (at least %d)", bits, minRSABits)
	case bits > maxRSABits:
		return nil, fmt.Errorf("RSA key of %d bits is too long (at most %d)", bits, maxRSABits)
	case n.Bit(0) == 0:
		return nil, errors.New("RSA modulus is even")
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("RSA exponent is not valid")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

func parseEC(r rawJWK) (*ecdsa.PublicKey, error) {
	if r.Crv != "P-256" {
		return nil, fmt.Errorf("curve %q is not supported", r.Crv)
	}
	if r.Alg != "" && r.Alg != "ES256" {
		return nil, fmt.Errorf("algorithm %q is not supported", r.Alg)
	}
	x, err := decodeB64(r.X)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	y, err := decodeB64(r.Y)
	if err != nil {
		return nil, fmt.Errorf("y: %w", err)
	}
	if len(x) != 32 || len(y) != 32 {
		return nil, errors.New("P-256 coordinates must be 32 bytes")
	}
	// The parser rejects points off the curve (invalid-curve attacks).
	point := append(append([]byte{4}, x...), y...)
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
}

// decodeB64 reads base64url, tolerating the padding some providers add.
func decodeB64(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func decodeBigInt(s string) (*big.Int, error) {
	b, err := decodeB64(s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}
