package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/hin-graph/hin-graph/internal/store"
)

const regionUsage = `usage: hingraph region <move-out|move-in> [flags]

  move-out  give a region its own node: its rows are copied to the regional
            node's database by logical replication, which then writes them,
            and the national node subscribes to it
  move-in   bring a region back to the national node, without loss

DATABASE_URL (--database-url) is the national node's database.
`

// cmdRegion moves a region between the national node and a node of its own.
func cmdRegion(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "move-out" && args[0] != "move-in") {
		fmt.Fprint(stderr, regionUsage)
		return errors.New("hingraph region: say move-out or move-in")
	}
	verb := args[0]
	var c config
	fs := newFlagSet("region "+verb, stderr)
	c.bindDB(fs)
	var m store.Move
	fs.StringVar(&m.Region, "region", "", "the region's code, e.g. HI-EM (required)")
	fs.StringVar(&m.NationalURL, "national-url", "", "the national node's API address, named by the regional node in errors (env HINGRAPH_NATIONAL_URL)")
	c.fromEnv("national-url", "HINGRAPH_NATIONAL_URL")
	var regionalDB string
	if verb == "move-out" {
		fs.StringVar(&m.NodeURL, "node-url", "", "the regional node's API address (required)")
		fs.StringVar(&regionalDB, "node-database-url", "", "the regional node's database, migrated (required); the national database reaches it with this too unless --node-conninfo says otherwise")
		fs.StringVar(&m.RegionalConninfo, "node-conninfo", "", "how the national PostgreSQL reaches the regional database (default --node-database-url)")
		fs.StringVar(&m.NationalConninfo, "national-conninfo", "", "how the regional PostgreSQL reaches the national database (default --database-url)")
	}
	national, log, err := start(ctx, &c, fs, args[1:], getenv, stdout, nil)
	if err != nil {
		return err
	}
	defer national.Close()
	if m.Region == "" {
		return errors.New("--region is required")
	}
	m.Logf = func(format string, a ...any) { log.Info(fmt.Sprintf(format, a...)) }
	if verb == "move-in" {
		conninfo, _, err := national.RegionalConninfo(ctx, m.Region)
		if err != nil {
			return err
		}
		regional, err := openOther(ctx, &c, conninfo, log)
		if err != nil {
			return err
		}
		defer regional.Close()
		return store.MoveIn(ctx, national, regional, m)
	}
	if m.NodeURL == "" || regionalDB == "" {
		return errors.New("--node-url and --node-database-url are required")
	}
	if m.RegionalConninfo == "" {
		m.RegionalConninfo = regionalDB
	}
	if m.NationalConninfo == "" {
		m.NationalConninfo = c.DatabaseURL
	}
	regional, err := openOther(ctx, &c, regionalDB, log)
	if err != nil {
		return err
	}
	defer regional.Close()
	if err := regional.Migrate(ctx); err != nil {
		return fmt.Errorf("regional database: %w", err)
	}
	return store.MoveOut(ctx, national, regional, m)
}

// openOther opens another node's database with this command's settings.
func openOther(ctx context.Context, c *config, url string, log *slog.Logger) (*store.Store, error) {
	other := *c
	other.DatabaseURL = url
	// moves wait on replication; no single statement should be cut short
	other.StatementTimeout = 0
	return openStore(ctx, &other, log)
}
