package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/hin-graph/hin-graph/internal/hin"
)

// checkHandshake refuses a WebSocket upgrade that coder/websocket would
// refuse, before it does: it would answer in plain text, quoting the
// request's headers back, and gqlgen would then append a JSON body of its
// own. Here each refusal is one GraphQL-shaped error with a fixed message.
// The checks follow RFC 6455 section 4.2.1 as coder/websocket applies them
// (accept.go: verifyClientRequest and authenticateOrigin), which still
// runs afterwards.
func checkHandshake(r *http.Request, originPatterns []string) error {
	bad := func(msg string) error { return hin.Errorf(hin.EBADREQUEST, "not a WebSocket handshake: %s", msg) }
	switch {
	case !r.ProtoAtLeast(1, 1):
		return bad("it needs HTTP/1.1")
	case r.Method != http.MethodGet:
		return bad("it must be a GET")
	case !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket"):
		return bad("the Connection header must name Upgrade, and the Upgrade header websocket")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return bad("only Sec-WebSocket-Version 13 is supported")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return bad("it needs exactly one Sec-WebSocket-Key")
	}
	if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(k) != 16 {
		return bad("the Sec-WebSocket-Key must be 16 bytes in base64")
	}
	if !originAllowed(r, originPatterns) {
		return hin.Errorf(hin.EFORBIDDEN, "WebSockets may be opened only from this server's own pages or the origins it allows (--cors-origins)")
	}
	return nil
}

// originAllowed: no Origin (not a browser), the server's own host, or a
// host matching one of the patterns (scheme included when the pattern has
// one), compared without case.
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(r.Host, u.Host) {
		return true
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}

// headerHasToken reports whether a comma-separated header names token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
