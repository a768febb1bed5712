package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
)

// TestForwardedClient: only a trusted proxy's X-Forwarded-For is read, and
// from the right, so a client cannot choose its own address by sending the
// header, directly or through the proxy.
func TestForwardedClient(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client, no header", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"direct client spoofing", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"through the proxy", "10.1.2.3:40000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client's own header before the proxy's entry", "10.1.2.3:40000", []string{"192.0.2.66, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.1.2.3:40000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"header repeated", "10.1.2.3:40000", []string{"192.0.2.66", "198.51.100.1"}, "198.51.100.1"},
		{"garbage entry", "10.1.2.3:40000", []string{"198.51.100.1, not-an-address"}, "10.1.2.3"},
		{"proxy without a header", "10.1.2.3:40000", nil, "10.1.2.3"},
		{"IPv6 through the proxy", "[fd00::5]:40000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped proxy", "[::ffff:10.1.2.3]:40000", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, tc := range cases {
		var got string
		h := forwardedClient(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = clientHost(r) }))
		r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != tc.want {
			t.Errorf("%s: client %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestForwardedClientLimits: behind a trusted proxy, callers without a
// token are limited one by one, not all together as the proxy's address.
func TestForwardedClientLimits(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	anonymous := ratelimit.Rate{PerSecond: 0.001, Burst: 1}
	h := forwardedClient([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		guard(testVerifier(t), nil, ratelimit.New(ratelimit.Config{}), anonymous, anonymous, func(hin.Limit) {}, ok))
	send := func(client string) int {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = "10.0.0.2:1234"
		r.Header.Set("X-Forwarded-For", client)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if send("198.51.100.1") != http.StatusOK || send("198.51.100.2") != http.StatusOK {
		t.Fatal("two clients behind one proxy: the second was refused with the first's budget")
	}
	if code := send("198.51.100.1"); code != http.StatusTooManyRequests {
		t.Errorf("a client over its budget behind the proxy: status %d, want 429", code)
	}
}
