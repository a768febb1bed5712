package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hin-graph/hin-graph/internal/auth"
	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/store"
)

// SignIn configures browser sign-in to the pages (docs/adr/0002): the
// authorization code flow with PKCE against Tokens.OIDCIssuer, ending in a
// server-side session. An empty ClientID turns it off.
type SignIn struct {
	ClientID     string
	ClientSecret string // empty for a public client (PKCE alone)
	// RedirectURL is this server's /auth/callback as the provider knows it,
	// e.g. https://hin.example.nhs.uk/auth/callback.
	RedirectURL string
	// Scopes besides openid; nil means profile and email.
	Scopes []string
	// SessionLifetime is how long a session lasts after sign-in; 0 means 8h.
	SessionLifetime time.Duration
	// HTTPClient talks to the provider; nil means one with a 10s timeout.
	HTTPClient *http.Client
}

const (
	// The __Host- prefix makes browsers refuse the cookie unless it is
	// Secure, for path / and without a Domain, so a sibling subdomain
	// cannot plant or overwrite it.
	sessionCookie = "__Host-hin_session"
	signInCookie  = "__Host-hin_signin"
	// csrfHeader must accompany every cookie-authenticated write.
	csrfHeader            = "X-CSRF-Token"
	signInTimeout         = 10 * time.Minute
	defaultSessionLife    = 8 * time.Hour
	defaultProviderClient = 10 * time.Second
)

// sessions serves /auth/* and turns session cookies into callers.
type sessions struct {
	store    *store.Store
	tokens   *auth.Verifier
	oauth    *oauth2.Config
	idTokens *oidc.IDTokenVerifier
	client   *http.Client
	lifetime time.Duration
	log      *slog.Logger
}

func newSessions(ctx context.Context, cfg SignIn, issuer string, s *store.Store, tokens *auth.Verifier, log *slog.Logger) (*sessions, error) {
	if cfg.ClientID == "" {
		return nil, nil
	}
	switch {
	case issuer == "":
		return nil, errors.New("sign-in needs an OIDC issuer")
	case cfg.RedirectURL == "":
		return nil, errors.New("sign-in needs the redirect URL (this server's /auth/callback)")
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultProviderClient}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), issuer)
	if err != nil {
		return nil, fmt.Errorf("sign-in: discovery: %w", err)
	}
	scopes := cfg.Scopes
	if scopes == nil {
		scopes = []string{"profile", "email"}
	}
	life := cfg.SessionLifetime
	if life <= 0 {
		life = defaultSessionLife
	}
	return &sessions{
		store:  s,
		tokens: tokens,
		oauth: &oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, scopes...),
		},
		// The algorithms are pinned here, not taken from the discovery
		// document, which could list HS256 or none.
		idTokens: provider.VerifierContext(oidc.ClientContext(context.WithoutCancel(ctx), client), &oidc.Config{
			ClientID: cfg.ClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
		}),
		client:   client,
		lifetime: life,
		log:      log,
	}, nil
}

// signInRoutes adds /auth/*; without sign-in, /auth/me alone says so.
// limit is the per-address rate limit: starting a sign-in writes a row, so
// a flood of them meets the anonymous budget.
func signInRoutes(mux *http.ServeMux, ss *sessions, limit func(http.HandlerFunc) http.Handler) {
	if ss == nil {
		mux.HandleFunc("GET /auth/me", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(`{"signedIn":false,"signInAvailable":false}`))
		})
		return
	}
	mux.Handle("GET /auth/login", limit(ss.login))
	mux.Handle("GET /auth/callback", limit(ss.callback))
	mux.Handle("POST /auth/logout", limit(ss.logout))
	mux.HandleFunc("GET /auth/me", ss.me)
}

// randomValue is 32 random bytes, base64url: cookie values, state, nonce.
func randomValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

// csrfToken is derived from the session's cookie value, so it needs no
// storage and cannot be worked out from the stored hash.
func csrfToken(cookie string) string {
	m := hmac.New(sha256.New, []byte(cookie))
	m.Write([]byte("hin-graph csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(w http.ResponseWriter, name string) { setCookie(w, name, "", -1) }

// safeReturnTo keeps returnTo only when it is a path on this server:
// "/dashboard?x=1", never "//evil.example", "/\evil.example" or a URL with
// a scheme, which browsers would follow off-site.
func safeReturnTo(s string) string {
	if s == "" || len(s) > 512 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') ||
		strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "/"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return s
}

func (ss *sessions) login(w http.ResponseWriter, r *http.Request) {
	id := randomValue()
	in := hin.SignIn{
		State: randomValue(), Nonce: randomValue(), Verifier: oauth2.GenerateVerifier(),
		ReturnTo: safeReturnTo(r.URL.Query().Get("returnTo")), Expires: time.Now().Add(signInTimeout),
	}
	if err := ss.store.CreateSignIn(r.Context(), hashID(id), in); err != nil {
		Error(w, err)
		return
	}
	setCookie(w, signInCookie, id, int(signInTimeout.Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, ss.oauth.AuthCodeURL(in.State, oauth2.S256ChallengeOption(in.Verifier), oidc.Nonce(in.Nonce)), http.StatusFound)
}

func signInFailed(msg string) error {
	return &hin.Error{Code: hin.EUNAUTHORIZED, Message: "the sign-in was not completed: " + msg + "; sign in again from the page"}
}

func (ss *sessions) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(signInCookie)
	if err != nil {
		signInError(w, r, signInFailed("this browser did not start it (no sign-in cookie)"))
		return
	}
	clearCookie(w, signInCookie)
	in, err := ss.store.TakeSignIn(r.Context(), hashID(c.Value))
	switch {
	case hin.ErrorCode(err) == hin.ENOTFOUND:
		signInError(w, r, signInFailed("it has expired or was already used"))
		return
	case err != nil:
		signInError(w, r, err)
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(in.State)) != 1 {
		signInError(w, r, signInFailed("the answer does not belong to this sign-in (state mismatch)"))
		return
	}
	if e := q.Get("error"); e != "" {
		signInError(w, r, &hin.Error{Code: hin.EFORBIDDEN, Message: "the identity provider refused the sign-in (" + cleanParam(e) + ")"})
		return
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), ss.client), 15*time.Second)
	defer cancel()
	tok, err := ss.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(in.Verifier))
	if err != nil {
		ss.log.WarnContext(ctx, "sign-in: code exchange failed", "err", err)
		signInError(w, r, signInFailed("the identity provider did not accept the code"))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		signInError(w, r, signInFailed("the identity provider sent no ID token"))
		return
	}
	idt, err := ss.idTokens.Verify(ctx, raw)
	if err != nil {
		ss.log.WarnContext(ctx, "sign-in: ID token refused", "err", err)
		signInError(w, r, signInFailed("the ID token is not valid"))
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(in.Nonce)) != 1 {
		signInError(w, r, signInFailed("the ID token does not belong to this sign-in (nonce mismatch)"))
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		signInError(w, r, signInFailed("the ID token is malformed"))
		return
	}
	p, err := ss.tokens.PrincipalFromClaims(ctx, claims)
	if err != nil {
		signInError(w, r, err)
		return
	}
	p.Expires = time.Now().Add(ss.lifetime)
	// A new session ID at every sign-in, and any session the browser
	// already had is ended: a cookie planted before sign-in never becomes
	// a signed-in one (session fixation).
	if old, err := r.Cookie(sessionCookie); err == nil {
		_ = ss.store.DeleteSession(ctx, hashID(old.Value))
	}
	id := randomValue()
	if err := ss.store.CreateSession(ctx, hashID(id), p); err != nil {
		signInError(w, r, err)
		return
	}
	setCookie(w, sessionCookie, id, int(ss.lifetime.Seconds()))
	ss.log.InfoContext(ctx, "signed in", "subject", p.Subject, "role", p.Role)
	http.Redirect(w, r, safeReturnTo(in.ReturnTo), http.StatusSeeOther)
}

// signInError answers a sign-in that failed: a browser (asking for HTML)
// gets a short page with the message and a way to start again, anything
// else the JSON error; the status and code are the same.
func signInError(w http.ResponseWriter, r *http.Request, err error) {
	var he *hin.Error
	if !strings.Contains(r.Header.Get("Accept"), "text/html") || !errors.As(err, &he) {
		Error(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy(""))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(ErrorStatus(he.Code))
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in not completed</title>
<link rel="stylesheet" href="/assets/dashboard.css"></head><body><main><section class="card wide">
<h2>You are not signed in</h2><p id="sign-in-error">%s</p><p class="muted">Code <code>%s</code></p>
<p><a href="/auth/login">Try again</a> · <a href="/dashboard">Back to the dashboard</a></p>
</section></main></body></html>`, html.EscapeString(he.Message), html.EscapeString(he.Code))
}

// cleanParam keeps a provider's error code printable and short.
func cleanParam(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// session returns the caller of a request with a session cookie: ok is
// false without one. Writes must carry the CSRF token in a header, which
// another site's form or fetch cannot add.
func hasSessionCookie(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	return err == nil && c.Value != ""
}

func (ss *sessions) session(r *http.Request) (hin.Session, string, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return hin.Session{}, "", false, nil
	}
	s, err := ss.store.Session(r.Context(), hashID(c.Value))
	switch {
	case hin.ErrorCode(err) == hin.ENOTFOUND:
		return hin.Session{}, "", true, &hin.Error{Code: hin.EUNAUTHORIZED, Message: "your session has ended or expired; sign in again"}
	case err != nil:
		return hin.Session{}, "", true, err
	}
	return s, c.Value, true, nil
}

// checkCSRF refuses a cookie-authenticated request that may change
// something without the session's CSRF token in the header.
func checkCSRF(r *http.Request, cookie string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(cookie))) != 1 {
		return &hin.Error{Code: hin.EFORBIDDEN, Message: "a signed-in write needs the " + csrfHeader + " header from /auth/me (cross-site request refused)"}
	}
	return nil
}

func (ss *sessions) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10) // a form with one field
	_, cookie, ok, err := ss.session(r)
	if ok && err == nil {
		// The token may come as a header (fetch) or a form field (a plain
		// form post from the pages).
		if r.Header.Get(csrfHeader) == "" {
			r.Header.Set(csrfHeader, r.PostFormValue("csrf"))
		}
		if err := checkCSRF(r, cookie); err != nil {
			Error(w, err)
			return
		}
		if err := ss.store.DeleteSession(r.Context(), hashID(cookie)); err != nil {
			Error(w, err)
			return
		}
	}
	clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// me tells the pages who is signed in, and the CSRF token their writes send.
func (ss *sessions) me(w http.ResponseWriter, r *http.Request) {
	type who struct {
		SignedIn  bool       `json:"signedIn"`
		Available bool       `json:"signInAvailable"`
		Subject   string     `json:"subject,omitempty"`
		Name      string     `json:"name,omitempty"`
		Role      hin.Role   `json:"role,omitempty"`
		Region    string     `json:"region,omitempty"`
		ExpiresAt *time.Time `json:"expiresAt,omitempty"`
		CSRFToken string     `json:"csrfToken,omitempty"`
	}
	w.Header().Set("Cache-Control", "no-store")
	s, cookie, ok, err := ss.session(r)
	if ok && hin.ErrorCode(err) == hin.EUNAUTHORIZED {
		clearCookie(w, sessionCookie)
		ok, err = false, nil
	}
	if err != nil {
		Error(w, err)
		return
	}
	out := who{SignedIn: ok, Available: true}
	if ok {
		p := s.Principal
		out = who{SignedIn: true, Available: true, Subject: p.Subject, Name: p.Name, Role: p.Role, Region: s.RegionCode, ExpiresAt: &p.Expires, CSRFToken: csrfToken(cookie)}
	}
	b, _ := json.Marshal(out)
	writeJSON(w, http.StatusOK, b)
}
