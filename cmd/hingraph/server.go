package main

import (
	"context"
	"log/slog"

	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
)

// serve runs the HTTP edge until ctx ends, then stops accepting requests
// and lets in-flight ones finish within the shutdown timeout.
func serve(ctx context.Context, s *store.Store, c *config, log *slog.Logger) error {
	cfg, err := c.httpConfig()
	if err != nil {
		return err
	}
	srv, err := httpapi.New(ctx, cfg, s, log)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
