// Package web holds the browser assets the server embeds: GraphiQL and the
// national dashboard, bundled from pinned npm packages by `make web` into
// dist/. dist/ is committed, so a plain `go build` or `go install` embeds
// it; `make web-check` keeps it equal to a rebuild of the sources. Built is
// false only where dist/ was emptied.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Assets is the bundle: graphiql.js/.css, dashboard.html/.js/.css.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embedded path is fixed at build time
	}
	return sub
}

// Built reports whether the bundle was built into this binary.
func Built() bool {
	_, err := fs.Stat(Assets(), "BUILT")
	return err == nil
}
