package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"io/fs"
	"net/http"
	"strings"

	"github.com/hin-graph/hin-graph/graph"
	"github.com/hin-graph/hin-graph/web"
)

// contentSecurityPolicy lets pages load and connect to the server's own
// origin only ('self' covers its WebSocket too): GraphiQL and the dashboard
// are bundled into the binary, so nothing is needed from anywhere else,
// and no inline script, eval or data: URL either. styleNonce, when set,
// also allows the inline styles carrying it.
func contentSecurityPolicy(styleNonce string) string {
	style := "'self'"
	if styleNonce != "" {
		style += " 'nonce-" + styleNonce + "'"
	}
	return "default-src 'self'; script-src 'self'; style-src " + style + "; img-src 'self'; " +
		"font-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
}

// pages adds the browser pages (GraphiQL at / and /graphiql, the dashboard
// at /dashboard, the returns page at /returns) and their assets under
// /assets/.
func pages(mux *http.ServeMux) {
	assets := web.Assets()
	graphiqlPage := graph.GraphiQLHandler("/graphql")
	graphiql := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		nonce := base64.StdEncoding.EncodeToString(b)
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy(nonce))
		graphiqlPage.ServeHTTP(w, r.WithContext(graph.WithStyleNonce(r.Context(), nonce)))
	})
	mux.Handle("GET /{$}", page(graphiql))
	mux.Handle("GET /graphiql", page(graphiql))
	mux.Handle("GET /dashboard", page(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, assets, "dashboard.html")
	})))
	// a region's collection submissions: upload, check, submit, approve
	mux.Handle("GET /returns", page(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, assets, "returns.html")
	})))
	// Browsers ask for an icon on every page; an empty answer, not a 404
	// in the console.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	files := http.StripPrefix("/assets/", http.FileServerFS(assets))
	mux.Handle("GET /assets/", page(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/assets/")
		if st, err := fs.Stat(assets, name); err != nil || st.IsDir() || !fs.ValidPath(name) {
			http.NotFound(w, r) // no directory listings
			return
		}
		// The names do not change with the content, so check each time.
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})))
}

// page sends the security headers of every page and asset, and explains a
// binary built before its browser assets.
func page(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy(""))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !web.Built() {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("The browser pages (GraphiQL, the dashboard) are not built into this binary.\n" +
				"Run `make web` (make build and make run do it), then build the binary again.\n" +
				"The API itself is at /graphql.\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
