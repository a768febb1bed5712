package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hin-graph/hin-graph/devtools/demoidp"
	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/ratelimit"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
	"github.com/hin-graph/hin-graph/internal/testdb"
)

const (
	signInClient = "hin-graph"
	signInSecret = "demo-client-secret"
	session      = "__Host-hin_session"
	ownSecret    = "an-own-secret-that-is-long-enough-for-hs256"
)

// signInServer is hin-graph with browser sign-in against the demo provider
// (zitadel's example OP) running in this process, both on real listeners.
type signInServer struct {
	hin, op string
	db      *sql.DB
}

func newSignInServer(t testing.TB, tweak ...func(*httpapi.Config)) signInServer {
	t.Helper()
	db := testdb.NewDB(t, testdb.Demo(seed.DemoSize{PilotsPerRegion: 2, InnovationsPerRegion: 2, FirstFY: 2023, Years: 1}))
	hinTS := httptest.NewServer(nil)
	t.Cleanup(hinTS.Close)
	opTS := httptest.NewServer(nil)
	t.Cleanup(opTS.Close)
	opTS.Config.Handler = demoidp.New(demoidp.Config{
		Issuer: opTS.URL, ClientID: signInClient, ClientSecret: signInSecret,
		RedirectURIs: []string{hinTS.URL + "/auth/callback"},
	})
	mapping, err := auth.LoadClaimMapping(filepath.Join("..", "..", "deploy", "claim-mappings", "keycloak.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpapi.DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.Tokens.OIDCIssuer, cfg.Tokens.Audience, cfg.Tokens.Mapping = opTS.URL, signInClient, mapping
	cfg.Tokens.HMACSecret = []byte(ownSecret)
	cfg.SignIn = httpapi.SignIn{ClientID: signInClient, ClientSecret: signInSecret, RedirectURL: hinTS.URL + "/auth/callback"}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := httpapi.New(context.Background(), cfg, store.NewFromDB(db), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hinTS.Config.Handler = srv.Handler()
	return signInServer{hin: hinTS.URL, op: opTS.URL, db: db}
}

// browser follows redirects by hand: the provider's cookies go in a jar,
// hin-graph's (Secure, which a jar keeps off plain http) in a map, as a
// browser treating 127.0.0.1 as a secure context would send them.
type browser struct {
	t      testing.TB
	srv    signInServer
	client *http.Client
	ours   map[string]string
	// setCookies are the Set-Cookie lines hin-graph sent, newest last.
	setCookies []string
}

func newBrowser(t testing.TB, srv signInServer) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, ours: map[string]string{}, client: &http.Client{
		Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) do(method, target string, body url.Values, header http.Header) (*http.Response, string) {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	ours := strings.HasPrefix(target, b.srv.hin)
	if ours {
		for name, v := range b.ours {
			req.AddCookie(&http.Cookie{Name: name, Value: v})
		}
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if ours {
		b.setCookies = append(b.setCookies, resp.Header.Values("Set-Cookie")...)
		for _, c := range resp.Cookies() {
			if c.MaxAge < 0 {
				delete(b.ours, c.Name)
			} else {
				b.ours[c.Name] = c.Value
			}
		}
	}
	return resp, string(data)
}

var loginID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// atProvider follows the provider's redirects from an authorize URL, logs
// in on its form, and returns hin-graph's callback URL it sends back to
// (or "" and the page when it does not).
func (b *browser) atProvider(authorize, username, password string) (string, string) {
	b.t.Helper()
	next := authorize
	for range 10 {
		if strings.HasPrefix(next, b.srv.hin) {
			return next, ""
		}
		resp, page := b.do(http.MethodGet, next, nil, nil)
		if resp.StatusCode == http.StatusOK {
			m := loginID.FindStringSubmatch(page)
			if m == nil {
				return "", page
			}
			resp, page = b.do(http.MethodPost, b.srv.op+"/login/username", url.Values{"id": {m[1]}, "username": {username}, "password": {password}}, nil)
			if resp.StatusCode != http.StatusFound {
				return "", page // the login was refused
			}
		}
		loc, err := resp.Location()
		if err != nil {
			b.t.Fatalf("provider answered %d without a redirect: %s", resp.StatusCode, page)
		}
		next = loc.String()
	}
	b.t.Fatal("too many redirects at the provider")
	return "", ""
}

// startSignIn opens /auth/login and returns the provider URL it sends to.
func (b *browser) startSignIn(returnTo string) string {
	b.t.Helper()
	resp, body := b.do(http.MethodGet, b.srv.hin+"/auth/login?returnTo="+url.QueryEscape(returnTo), nil, nil)
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("/auth/login: %d %s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// signIn goes through the whole sign-in and returns the callback's answer.
func (b *browser) signIn(username, returnTo string) (*http.Response, string) {
	b.t.Helper()
	callback, page := b.atProvider(b.startSignIn(returnTo), username, demoidp.Password)
	if callback == "" {
		b.t.Fatalf("the provider did not send back to hin-graph: %s", page)
	}
	return b.do(http.MethodGet, callback, nil, nil)
}

type me struct {
	SignedIn  bool   `json:"signedIn"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Region    string `json:"region"`
	CSRFToken string `json:"csrfToken"`
}

func (b *browser) me() me {
	b.t.Helper()
	resp, body := b.do(http.MethodGet, b.srv.hin+"/auth/me", nil, nil)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("/auth/me: %d %s", resp.StatusCode, body)
	}
	var m me
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		b.t.Fatal(err)
	}
	return m
}

// graphql posts a query with the browser's cookies and, when csrf is set,
// the CSRF header.
func (b *browser) graphql(query, csrf string) (int, gqlResponse) {
	b.t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	if csrf != "" {
		h.Set("X-CSRF-Token", csrf)
	}
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, b.srv.hin+"/graphql", strings.NewReader(string(body)))
	req.Header = h
	for name, v := range b.ours {
		req.AddCookie(&http.Cookie{Name: name, Value: v})
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.ours, c.Name)
		}
	}
	var out gqlResponse
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

type gqlResponse struct {
	Data struct {
		SubmitReturn *struct {
			ID string `json:"id"`
		} `json:"submitReturn"`
		Outcomes struct {
			TotalCount int `json:"totalCount"`
			Nodes      []struct {
				Region struct {
					Code string `json:"code"`
				} `json:"region"`
			} `json:"nodes"`
		} `json:"outcomes"`
	} `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

const draftsQuery = `{ outcomes(first: 500, filter: {statuses: [DRAFT]}) { totalCount nodes { region { code } } } }`

// draftRegions signs in as username and returns the regions of the drafts
// the session sees.
func draftRegions(t *testing.T, b *browser) map[string]int {
	t.Helper()
	m := b.me()
	status, resp := b.graphql(draftsQuery, m.CSRFToken)
	if status != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("drafts query: %d %+v", status, resp.Errors)
	}
	regions := map[string]int{}
	for _, n := range resp.Data.Outcomes.Nodes {
		regions[n.Region.Code]++
	}
	return regions
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	srv := newSignInServer(t)

	t.Run("region editor sees their region's drafts", func(t *testing.T) {
		b := newBrowser(t, srv)
		resp, body := b.signIn("em-editor", "/dashboard")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
			t.Fatalf("callback: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		m := b.me()
		if !m.SignedIn || m.Role != "REGION_EDITOR" || m.Region != "HI-EM" || m.Name != "Emma Editor" || m.CSRFToken == "" {
			t.Fatalf("/auth/me = %+v", m)
		}
		regions := draftRegions(t, b)
		if len(regions) != 1 || regions["HI-EM"] == 0 {
			t.Fatalf("the editor sees drafts of %v, want HI-EM's only", regions)
		}
	})

	t.Run("analyst sees every region's drafts", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.signIn("analyst", "/")
		if m := b.me(); m.Role != "ANALYST" || m.Region != "" {
			t.Fatalf("/auth/me = %+v", m)
		}
		if regions := draftRegions(t, b); len(regions) < 2 {
			t.Fatalf("the analyst sees drafts of %v, want several regions", regions)
		}
	})

	t.Run("anonymous sees no drafts", func(t *testing.T) {
		b := newBrowser(t, srv)
		if m := b.me(); m.SignedIn {
			t.Fatalf("/auth/me = %+v before sign-in", m)
		}
		status, resp := b.graphql(draftsQuery, "")
		if status != http.StatusOK || resp.Data.Outcomes.TotalCount != 0 {
			t.Fatalf("anonymous drafts: %d, %d drafts, %+v", status, resp.Data.Outcomes.TotalCount, resp.Errors)
		}
	})

	t.Run("bearer tokens keep working", func(t *testing.T) {
		tok, err := auth.Mint(auth.MintConfig{Secret: []byte(ownSecret), Subject: "script", Role: "ANALYST", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, srv)
		req, _ := http.NewRequest(http.MethodPost, srv.hin+"/graphql", strings.NewReader(`{"query":"`+strings.ReplaceAll(draftsQuery, `"`, `\"`)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out gqlResponse
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK || out.Data.Outcomes.TotalCount == 0 {
			t.Fatalf("bearer analyst: %d %+v", resp.StatusCode, out.Errors)
		}
	})

	t.Run("sign-out ends the session", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.signIn("analyst", "/")
		m := b.me()
		old := b.ours[session]
		if resp, _ := b.do(http.MethodPost, srv.hin+"/auth/logout", url.Values{}, nil); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign-out without the CSRF token: %d, want 403", resp.StatusCode)
		}
		resp, _ := b.do(http.MethodPost, srv.hin+"/auth/logout", url.Values{"csrf": {m.CSRFToken}}, nil)
		if resp.StatusCode != http.StatusSeeOther || b.ours[session] != "" {
			t.Fatalf("sign-out: %d, cookie %q left", resp.StatusCode, b.ours[session])
		}
		// The old cookie, replayed, is refused: the row is gone.
		b.ours[session] = old
		if status, _ := b.graphql(draftsQuery, m.CSRFToken); status != http.StatusUnauthorized {
			t.Fatalf("replayed cookie after sign-out: %d, want 401", status)
		}
	})
}

// TestSignInHostile is the sign-in part of the hostile tests: cookie
// flags, CSRF on a cookie-authenticated mutation, session fixation, an
// open redirect through returnTo, state and nonce mismatches, a callback in
// a browser that did not start the sign-in, refused and expired sign-ins.
func TestSignInHostile(t *testing.T) {
	t.Parallel()
	srv := newSignInServer(t)

	t.Run("cookie flags", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.signIn("analyst", "/")
		var line string
		for _, l := range b.setCookies {
			if strings.HasPrefix(l, session+"=") && !strings.Contains(l, "Max-Age=0") {
				line = l
			}
		}
		for _, want := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age="} {
			if !strings.Contains(line, want) {
				t.Errorf("session cookie %q lacks %s", line, want)
			}
		}
		if strings.Contains(strings.ToLower(line), "domain=") {
			t.Errorf("session cookie %q has a Domain", line)
		}
		for _, l := range b.setCookies {
			if strings.HasPrefix(l, "__Host-hin_signin=") && (!strings.Contains(l, "Secure") || !strings.Contains(l, "HttpOnly")) {
				t.Errorf("sign-in cookie %q lacks Secure or HttpOnly", l)
			}
		}
	})

	t.Run("CSRF on a cookie-authenticated mutation", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.signIn("em-editor", "/")
		m := b.me()
		const mutation = `mutation { submitReturn(input: {regionCode: "HI-EM", periodStart: "2001-04-01", periodEnd: "2001-04-30",
			status: DRAFT, source: "csrf test", rows: [{metricCode: "patients_benefiting", value: 7}]}) { id } }`
		count := func() (n int) {
			if err := srv.db.QueryRow(`SELECT count(*) FROM outcome WHERE source = 'csrf test'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for name, token := range map[string]string{"no header": "", "wrong header": "x" + m.CSRFToken} {
			status, resp := b.graphql(mutation, token)
			if status != http.StatusForbidden || len(resp.Errors) == 0 || resp.Errors[0].Extensions.Code != "FORBIDDEN" {
				t.Errorf("%s: %d %+v, want 403 FORBIDDEN", name, status, resp.Errors)
			}
		}
		// A plain form post (what another site's page could send) is refused too.
		if resp, _ := b.do(http.MethodPost, srv.hin+"/graphql", url.Values{"query": {mutation}}, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("form post with the cookie: %d, want 403", resp.StatusCode)
		}
		if n := count(); n != 0 {
			t.Fatalf("a refused mutation wrote %d outcomes", n)
		}
		// With the header the same mutation goes through: the refusal was the CSRF check.
		status, resp := b.graphql(mutation, m.CSRFToken)
		if status != http.StatusOK || len(resp.Errors) > 0 || resp.Data.SubmitReturn == nil || count() != 1 {
			t.Fatalf("with the header: %d %+v", status, resp.Errors)
		}
	})

	t.Run("session fixation", func(t *testing.T) {
		attacker := newBrowser(t, srv)
		attacker.signIn("analyst", "/")
		planted := attacker.ours[session]
		victim := newBrowser(t, srv)
		victim.ours[session] = planted
		victim.signIn("em-editor", "/")
		if victim.ours[session] == planted || victim.ours[session] == "" {
			t.Fatal("sign-in kept the cookie the browser came with")
		}
		if m := victim.me(); m.Role != "REGION_EDITOR" {
			t.Fatalf("victim is %+v", m)
		}
		// The planted session was ended, so it cannot ride on the victim's sign-in.
		if m := attacker.me(); m.SignedIn {
			t.Fatalf("planted session still live: %+v", m)
		}
		// A made-up cookie is not a session either.
		b := newBrowser(t, srv)
		b.ours[session] = "made-up"
		if status, _ := b.graphql(draftsQuery, "x"); status != http.StatusUnauthorized {
			t.Fatalf("made-up cookie: %d, want 401", status)
		}
	})

	t.Run("open redirect through returnTo", func(t *testing.T) {
		for _, returnTo := range []string{"https://evil.example/", "//evil.example/x", `/\evil.example`, "javascript:alert(1)", "/\t/evil.example", "http:/evil.example"} {
			b := newBrowser(t, srv)
			resp, _ := b.signIn("analyst", returnTo)
			if loc := resp.Header.Get("Location"); loc != "/" {
				t.Errorf("returnTo %q sent the browser to %q", returnTo, loc)
			}
		}
		b := newBrowser(t, srv)
		if resp, _ := b.signIn("analyst", "/returns?collection=1"); resp.Header.Get("Location") != "/returns?collection=1" {
			t.Errorf("a path on this server was not kept: %q", resp.Header.Get("Location"))
		}
	})

	t.Run("state mismatch", func(t *testing.T) {
		b := newBrowser(t, srv)
		callback, _ := b.atProvider(b.startSignIn("/"), "analyst", demoidp.Password)
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		resp, body := b.do(http.MethodGet, u.String(), nil, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "state mismatch") || b.ours[session] != "" {
			t.Fatalf("forged state: %d %s", resp.StatusCode, body)
		}
		// The attempt is used up: the genuine answer no longer works either.
		if resp, _ := b.do(http.MethodGet, callback, nil, nil); resp.StatusCode != http.StatusUnauthorized || b.ours[session] != "" {
			t.Fatalf("replayed answer: %d", resp.StatusCode)
		}
	})

	t.Run("callback from a browser that did not start the sign-in", func(t *testing.T) {
		b := newBrowser(t, srv)
		callback, _ := b.atProvider(b.startSignIn("/"), "analyst", demoidp.Password)
		other := newBrowser(t, srv) // login CSRF: the attacker's code in the victim's browser
		if resp, _ := other.do(http.MethodGet, callback, nil, nil); resp.StatusCode != http.StatusUnauthorized || other.ours[session] != "" {
			t.Fatalf("callback without the sign-in cookie: %d", resp.StatusCode)
		}
	})

	t.Run("nonce mismatch", func(t *testing.T) {
		b := newBrowser(t, srv)
		authorize, _ := url.Parse(b.startSignIn("/"))
		q := authorize.Query()
		q.Set("nonce", "another-nonce")
		authorize.RawQuery = q.Encode()
		callback, page := b.atProvider(authorize.String(), "analyst", demoidp.Password)
		if callback == "" {
			t.Fatalf("provider: %s", page)
		}
		resp, body := b.do(http.MethodGet, callback, nil, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "nonce mismatch") || b.ours[session] != "" {
			t.Fatalf("nonce mismatch: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("a person the mapping gives no role is refused", func(t *testing.T) {
		b := newBrowser(t, srv)
		resp, body := b.signIn("visitor", "/")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"FORBIDDEN"`) || b.ours[session] != "" {
			t.Fatalf("visitor: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("a browser gets the refusal as a page", func(t *testing.T) {
		b := newBrowser(t, srv)
		callback, _ := b.atProvider(b.startSignIn("/"), "visitor", demoidp.Password)
		resp, body := b.do(http.MethodGet, callback, nil, http.Header{"Accept": {"text/html,application/xhtml+xml"}})
		if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "<code>FORBIDDEN</code>") || !strings.Contains(body, "none of your roles") ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Fatalf("refusal page: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})

	t.Run("a wrong password never reaches hin-graph", func(t *testing.T) {
		b := newBrowser(t, srv)
		callback, page := b.atProvider(b.startSignIn("/"), "admin", "wrong")
		if callback != "" || !strings.Contains(page, "name=\"password\"") {
			t.Fatalf("wrong password went through to %q", callback)
		}
	})

	t.Run("the provider's refusal", func(t *testing.T) {
		b := newBrowser(t, srv)
		authorize, _ := url.Parse(b.startSignIn("/"))
		state := authorize.Query().Get("state")
		resp, body := b.do(http.MethodGet, srv.hin+"/auth/callback?error=access_denied&state="+url.QueryEscape(state), nil, nil)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "access_denied") || b.ours[session] != "" {
			t.Fatalf("refused: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("expired session", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.signIn("em-editor", "/")
		m := b.me()
		if _, err := srv.db.Exec(`UPDATE web_session SET expires_at = now() - interval '1 second' WHERE subject = 'demo-em-editor'`); err != nil {
			t.Fatal(err)
		}
		status, resp := b.graphql(draftsQuery, m.CSRFToken)
		if status != http.StatusUnauthorized || len(resp.Errors) == 0 || resp.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
			t.Fatalf("expired session: %d %+v", status, resp.Errors)
		}
		if b.ours[session] != "" {
			t.Fatal("the expired session's cookie was not cleared")
		}
	})
}

// BenchmarkCallerBySession compares a request made through a session cookie
// (one primary-key lookup, and the CSRF check) with the same request made
// with a bearer token (a signature check), rate limits off.
func BenchmarkCallerBySession(b *testing.B) {
	srv := newSignInServer(b, func(c *httpapi.Config) { c.Rate, c.AnonymousRate = ratelimit.Rate{}, ratelimit.Rate{} })
	br := newBrowser(b, srv)
	br.signIn("analyst", "/")
	m := br.me()
	tok, err := auth.Mint(auth.MintConfig{Secret: []byte(ownSecret), Subject: "bench", Role: "ANALYST", TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	const body = `{"query":"{ regions { code } }"}`
	run := func(b *testing.B, set func(*http.Request)) {
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, srv.hin+"/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			set(req)
			resp, err := br.client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("bearer", func(b *testing.B) { run(b, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }) })
	b.Run("session", func(b *testing.B) {
		run(b, func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: session, Value: br.ours[session]})
			r.Header.Set("X-CSRF-Token", m.CSRFToken)
		})
	})
}
