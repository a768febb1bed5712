package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/hin-graph/hin-graph/internal/httpapi"
	"github.com/hin-graph/hin-graph/internal/store"
)

// defaultGCPercent lets the heap grow four times past what is live before
// the collector runs again, rather than Go's twice: a deep page makes
// megabytes of short-lived garbage and little that lives, so with the
// default the collector took a tenth of the CPU under load. Peak memory
// stays well under what the server used before direct execution
// (ARCHITECTURE.md, "Where a read's time goes").
const defaultGCPercent = 400

// serve runs the HTTP edge until ctx ends, then stops accepting requests
// and lets in-flight ones finish within the shutdown timeout.
func serve(ctx context.Context, s *store.Store, c *config, log *slog.Logger) error {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(c.GCPercent)
	}
	cfg, err := c.httpConfig()
	if err != nil {
		return err
	}
	ver, rev, _ := buildVersion()
	log.Info("starting", "version", ver, "commit", rev)
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
