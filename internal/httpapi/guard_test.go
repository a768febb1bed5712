package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
)

var testSecret = []byte("httpapi-test-secret-of-at-least-32-bytes")

func testVerifier(t *testing.T) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(context.Background(), auth.Config{HMACSecret: testSecret, Leeway: time.Second},
		func(_ context.Context, code string) (string, error) {
			if code == "HI-EM" {
				return "region-em", nil
			}
			return "", hin.Errorf(hin.ENOTFOUND, "no region %s", code)
		})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mint(t *testing.T, subject, role, region string) string {
	t.Helper()
	tok, err := auth.Mint(auth.MintConfig{Secret: testSecret, Subject: subject, Role: role, RegionCode: region, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type errorBody struct {
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) (code, msg string) {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("body %s is not one GraphQL error (%v)", rec.Body, err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return body.Errors[0].Extensions.Code, body.Errors[0].Message
}

// open is a guard with limits high enough never to refuse.
func openGuard(v *auth.Verifier, next http.Handler) http.Handler {
	r := ratelimit.Rate{PerSecond: 1e6, Burst: 1e6}
	return guard(v, nil, ratelimit.New(ratelimit.Config{}), r, r, func(hin.Limit) {}, next)
}

func TestBearerTokens(t *testing.T) {
	t.Parallel()
	v := testVerifier(t)
	good := mint(t, "user-1", "REGION_EDITOR", "HI-EM")
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "user-1", "role": "ANALYST", "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix(),
	}).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	millennium, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "user-1", "role": "ANALYST", "exp": time.Now().AddDate(3000, 0, 0).Unix(),
	}).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		v          *auth.Verifier
		header     []string // Authorization values
		wantStatus int
		wantMsg    string
		want       hin.Principal
	}{
		{"no header", v, nil, 200, "", hin.Principal{}},
		{"no header, no verifier", nil, nil, 200, "", hin.Principal{}},
		{"good token", v, []string{"Bearer " + good}, 200, "", hin.Principal{Subject: "user-1", Role: hin.RoleRegionEditor, RegionID: "region-em"}},
		{"lower-case scheme", v, []string{"bearer " + good}, 200, "", hin.Principal{Subject: "user-1", Role: hin.RoleRegionEditor, RegionID: "region-em"}},
		{"expired token", v, []string{"Bearer " + expired}, 401, "the token has expired", hin.Principal{}},
		{"valid for 3000 years", v, []string{"Bearer " + millennium}, 401, "the token is valid for longer than this server accepts (exp may be at most 24h after iat and after now)", hin.Principal{}},
		{"garbage token", v, []string{"Bearer abc"}, 401, "the token is malformed", hin.Principal{}},
		{"Basic scheme", v, []string{"Basic dXNlcjpwYXNz"}, 401, `the Authorization header must be "Bearer <token>"`, hin.Principal{}},
		{"scheme only", v, []string{"Bearer"}, 401, `the Authorization header must be "Bearer <token>"`, hin.Principal{}},
		{"empty header", v, []string{""}, 401, `the Authorization header must be "Bearer <token>"`, hin.Principal{}},
		{"two headers", v, []string{"Bearer " + good, "Bearer " + good}, 401, "the request has more than one Authorization header", hin.Principal{}},
		{"no verifier, token", nil, []string{"Bearer " + good}, 401, "this server does not accept tokens", hin.Principal{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *hin.Principal
			h := openGuard(tc.v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p := hin.PrincipalFrom(r.Context())
				got = &p
				w.WriteHeader(http.StatusOK)
			}))
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{__typename}"}`))
			for _, a := range tc.header {
				req.Header.Add("Authorization", a)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == 200 {
				if got != nil {
					got.Expires = time.Time{} // the token's own; auth tests it
				}
				if got == nil || *got != tc.want {
					t.Fatalf("principal = %+v, want %+v", got, tc.want)
				}
				return
			}
			if got != nil {
				t.Fatal("the handler ran for a refused request")
			}
			if h := rec.Header().Get("WWW-Authenticate"); h != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", h)
			}
			if code, msg := decodeError(t, rec); code != "UNAUTHENTICATED" || msg != tc.wantMsg {
				t.Fatalf("code %s message %q, want UNAUTHENTICATED and %q", code, msg, tc.wantMsg)
			}
		})
	}
}

func send(h http.Handler, remote, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.RemoteAddr = remote
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	t.Parallel()
	var rejected []string
	l := ratelimit.New(ratelimit.Config{})
	h := guard(testVerifier(t), nil, l, ratelimit.Rate{PerSecond: 100, Burst: 100}, ratelimit.Rate{PerSecond: 0.5, Burst: 2},
		func(limit hin.Limit) { rejected = append(rejected, string(limit)) },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	for i := 0; i < 2; i++ {
		if rec := send(h, "10.0.0.1:1234", ""); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	rec := send(h, "10.0.0.1:5678", "") // same address, another port
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("got %d Retry-After=%q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if code, _ := decodeError(t, rec); code != "RATE_LIMITED" {
		t.Fatalf("code %s, want RATE_LIMITED", code)
	}
	if rec := send(h, "10.0.0.2:1", ""); rec.Code != http.StatusOK {
		t.Fatalf("another address is limited separately: %d", rec.Code)
	}
	if len(rejected) != 1 || rejected[0] != "rate" {
		t.Errorf("rejections reported: %v, want [rate]", rejected)
	}
}

// TestBadTokensMeetTheAddressLimit is issue 8's finding: forged tokens were
// verified and answered 401 at any rate. Now an address past its burst of
// failures is answered 429 without its tokens being looked at, while a
// signed-in caller's good token is never charged to the address.
func TestBadTokensMeetTheAddressLimit(t *testing.T) {
	t.Parallel()
	v := testVerifier(t)
	l := ratelimit.New(ratelimit.Config{})
	address := ratelimit.Rate{PerSecond: 0.001, Burst: 5}
	h := guard(v, nil, l, ratelimit.Rate{PerSecond: 1000, Burst: 1000}, address, func(hin.Limit) {},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))

	// Signed-in requests from the address do not use up its budget.
	good := mint(t, "analyst-1", "ANALYST", "")
	for i := 0; i < 20; i++ {
		if rec := send(h, "10.0.0.7:1", good); rec.Code != http.StatusOK {
			t.Fatalf("good token %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	statuses := map[int]int{}
	for i := 0; i < 200; i++ {
		statuses[send(h, "10.0.0.7:2", "forged."+strings.Repeat("x", i%7)+".token").Code]++
	}
	if statuses[http.StatusUnauthorized] != 5 || statuses[http.StatusTooManyRequests] != 195 {
		t.Fatalf("200 forged tokens from one address got %v, want 5 × 401 (the burst) then 429", statuses)
	}
	// Tokens from the flooding address now wait, good ones too (they cannot
	// be told apart unverified); anonymous requests have their own budget,
	// and so does another address.
	if rec := send(h, "10.0.0.7:3", good); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a token from the flooding address: %d, want 429", rec.Code)
	}
	if rec := send(h, "10.0.0.7:3", ""); rec.Code != http.StatusOK {
		t.Errorf("anonymous request from the flooding address: %d, want 200", rec.Code)
	}
	if rec := send(h, "10.0.0.8:1", "forged"); rec.Code != http.StatusUnauthorized {
		t.Errorf("a bad token from another address: %d, want 401", rec.Code)
	}
}

// TestAnonymousTrafficDoesNotLockOutTokens: an address whose anonymous
// budget is spent still serves the signed-in callers behind it.
func TestAnonymousTrafficDoesNotLockOutTokens(t *testing.T) {
	t.Parallel()
	h := guard(testVerifier(t), nil, ratelimit.New(ratelimit.Config{}), ratelimit.Rate{PerSecond: 1000, Burst: 1000}, ratelimit.Rate{PerSecond: 0.001, Burst: 2},
		func(hin.Limit) {}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	for i := 0; i < 5; i++ {
		send(h, "10.0.0.5:1", "")
	}
	if rec := send(h, "10.0.0.5:1", ""); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("anonymous past the burst: %d, want 429", rec.Code)
	}
	if rec := send(h, "10.0.0.5:2", mint(t, "analyst-2", "ANALYST", "")); rec.Code != http.StatusOK {
		t.Fatalf("signed-in caller on that address: %d, want 200", rec.Code)
	}
}

func TestInFlightCap(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	r := ratelimit.Rate{PerSecond: 1000, Burst: 1000, InFlight: 2}
	h := guard(nil, nil, ratelimit.New(ratelimit.Config{}), r, r, func(hin.Limit) {}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); send(h, "10.0.0.9:1", "") }()
	}
	<-entered
	<-entered
	rec := send(h, "10.0.0.9:2", "")
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "at once") {
		t.Fatalf("third request in flight: %d %s", rec.Code, rec.Body)
	}
	close(release)
	wg.Wait()
	go func() { <-entered }()
	if rec := send(h, "10.0.0.9:2", ""); rec.Code != http.StatusOK {
		t.Fatalf("after the others finished: %d", rec.Code)
	}
}

func TestErrorWriter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{hin.Errorf(hin.ERATELIMITED, "slow down"), 429, "RATE_LIMITED", "slow down"},
		{hin.Errorf(hin.ETOOLARGE, "too big"), 413, "REQUEST_TOO_LARGE", "too big"},
		{hin.Errorf(hin.EBADREQUEST, "bad"), 400, "BAD_REQUEST", "bad"},
		{hin.Errorf(hin.EUNAUTHORIZED, "who?"), 401, "UNAUTHENTICATED", "who?"},
		{hin.Errorf(hin.EUNAVAILABLE, "later"), 503, "UNAVAILABLE", "later"},
		{errors.New("pq: secret detail"), 500, "INTERNAL", "internal error"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		Error(rec, tc.err)
		code, msg := decodeError(t, rec)
		if rec.Code != tc.status || code != tc.code || msg != tc.msg {
			t.Errorf("%v: %d %s %q, want %d %s %q", tc.err, rec.Code, code, msg, tc.status, tc.code, tc.msg)
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("%v: Cache-Control %q", tc.err, got)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	var rejected []string
	h := limitBody(10, func(l hin.Limit) { rejected = append(rejected, string(l)) }, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	for _, chunked := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(strings.Repeat("x", 11)))
		if chunked {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if code, _ := decodeError(t, rec); rec.Code != 413 || code != "REQUEST_TOO_LARGE" {
			t.Errorf("chunked=%v: %d %s", chunked, rec.Code, code)
		}
	}
	if len(rejected) != 2 {
		t.Errorf("rejections %v, want two body_size", rejected)
	}
}

func TestDefaultConfig(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	if !strings.HasPrefix(c.MetricsAddr, "127.0.0.1:") {
		t.Errorf("metrics listen on %q by default, want loopback", c.MetricsAddr)
	}
	bad := DefaultConfig()
	bad.Limits.MaxDepth = -1
	bad.AnonymousRate.Burst = 0
	bad.MetricsAddr = bad.Addr
	err := bad.Validate()
	for _, want := range []string{"negative", "burst", "metrics address"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to mention %s", err, want)
		}
	}
}

// TestServerTimeoutsCoverEveryDeadline: the connection outlives the
// longest handler deadline, with time to answer after it.
func TestServerTimeoutsCoverEveryDeadline(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		request, bulk, want time.Duration
	}{
		{15 * time.Second, 2 * time.Minute, 2 * time.Minute},
		{5 * time.Minute, 2 * time.Minute, 5 * time.Minute}, // a long request timeout raises the uploads' too
		{0, 2 * time.Minute, 0},                             // a route without deadline: no server timeout
		{15 * time.Second, 0, 15 * time.Second},
	} {
		cfg := DefaultConfig()
		cfg.RequestTimeout, cfg.BulkTimeout = c.request, c.bulk
		if got := cfg.longestDeadline(); got != c.want {
			t.Errorf("request %v, bulk %v: longest deadline %v, want %v", c.request, c.bulk, got, c.want)
		}
		if cfg.bulkTimeout() > cfg.longestDeadline() && cfg.longestDeadline() != 0 {
			t.Errorf("request %v, bulk %v: uploads get %v, longer than the server's %v", c.request, c.bulk, cfg.bulkTimeout(), cfg.longestDeadline())
		}
	}
}
