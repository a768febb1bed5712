package main

import (
	"context"
	"fmt"
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
	if n, ok := c.node(); ok {
		if err := s.ConfigureNode(ctx, n); err != nil {
			return fmt.Errorf("node role: %w", err)
		}
		log.Info("node configured", "role", n.Role, "region", n.RegionCode, "url", n.NodeURL)
	}
	srv, err := httpapi.New(ctx, cfg, s, log)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
