package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hin-graph/hin-graph/internal/hin"
	"github.com/hin-graph/hin-graph/internal/seed"
	"github.com/hin-graph/hin-graph/internal/store"
)

func openStore(ctx context.Context, c *config, log *slog.Logger) (*store.Store, error) {
	cfg := store.Config{URL: c.DatabaseURL, StatementTimeout: c.StatementTimeout, MaxOpenConns: c.MaxOpenConns, MaxIdleConns: c.MaxOpenConns,
		ReadURL: c.ReadDatabaseURL, StaleAfter: c.StaleAfter}
	if c.LogSQL {
		cfg.OnStatement = func(ctx context.Context, query string, args []any) {
			log.DebugContext(ctx, "sql", "request_id", hin.RequestIDFrom(ctx), "query", query, "args", len(args))
		}
	}
	return store.Open(ctx, cfg)
}

// start parses a command's flags, then the environment variables of those
// not given, checks them, and opens the database:
// the steps every command shares. adjust runs between parsing and checking.
func start(ctx context.Context, c *config, fs *flag.FlagSet, args []string, getenv func(string) string, stdout io.Writer, adjust func()) (*store.Store, *slog.Logger, error) {
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.applyEnv(fs, getenv); err != nil {
		return nil, nil, err
	}
	if adjust != nil {
		adjust()
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	log := c.logger(stdout)
	s, err := openStore(ctx, c, log)
	return s, log, err
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("migrate", stderr)
	c.bindDB(fs)
	s, log, err := start(ctx, &c, fs, args, getenv, stdout, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	log.Info("migrations applied")
	return nil
}

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("seed", stderr)
	c.bindDB(fs)
	c.bindSeed(fs)
	s, log, err := start(ctx, &c, fs, args, getenv, stdout, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	return seedDatabase(ctx, s, &c, log)
}

// seedDatabase loads the requested data set unless it is already there.
// Data from a different seed is replaced only with --reset, so a seed never
// wipes a database by surprise.
func seedDatabase(ctx context.Context, s *store.Store, c *config, log *slog.Logger) error {
	var size *seed.DemoSize
	if c.Demo && c.Scale > 0 {
		sz := seed.Scale(c.Scale)
		size = &sz
	}
	want := seed.Fingerprint(size)
	have, err := s.SeedFingerprint(ctx)
	if err != nil {
		return fmt.Errorf("read seed state: %w", err)
	}
	if have == want {
		log.Info("seed already loaded", "seed", want)
		return nil
	}
	hasData, err := s.HasData(ctx)
	if err != nil {
		return err
	}
	if hasData && !c.Reset {
		return fmt.Errorf("the database holds other data (seed %q); rerun with --reset to replace it with %q", have, want)
	}
	start := time.Now()
	log.Info("seeding", "seed", want)
	if err := s.ReplaceAll(ctx, seed.Build(size), want); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := s.Analyze(ctx); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	log.Info("seeded", "seed", want, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("serve", stderr)
	c.bindDB(fs)
	c.bindServe(fs)
	c.bindNode(fs)
	c.bindAuth(fs, "")
	fs.BoolVar(&c.Migrate, "migrate", false, "apply pending migrations before serving")
	s, log, err := start(ctx, &c, fs, args, getenv, stdout, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	if c.Migrate {
		if err := s.Migrate(ctx); err != nil {
			return err
		}
	} else if err := s.CheckSchemaNotNewer(ctx); err != nil {
		// An older schema only keeps /readyz at 503 until the migration
		// job runs; a newer one would be served wrongly, so stop here.
		return err
	}
	return serve(ctx, s, &c, log)
}

// cmdDev is what `make run` starts: a database brought up to date, seeded
// with reference and demo data, and the API with GraphiQL.
func cmdDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("dev", stderr)
	c.bindDB(fs)
	c.bindServe(fs)
	c.bindNode(fs)
	c.bindAuth(fs, devJWTSecret)
	c.bindSeed(fs)
	load := fs.Bool("seed", true, "load the reference and demo data; a regional node gets its data from the national node instead (--seed=false)")
	s, log, err := start(ctx, &c, fs, args, getenv, stdout, func() {
		c.Demo, c.Reset = true, true
		if getenv("HINGRAPH_ANONYMOUS_SUGGESTIONS") == "" && !flagSet(fs, "anonymous-suggestions") {
			c.HTTP.Limits.AnonymousSuggestions = true // locally, typos in GraphiQL get "did you mean" hints without a token
		}
	})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	if *load {
		if err := seedDatabase(ctx, s, &c, log); err != nil {
			return err
		}
		p, opened, err := seed.OpenDemoPeriod(ctx, s, time.Now())
		if err != nil {
			return fmt.Errorf("open the demo collection's period: %w", err)
		}
		if opened {
			log.Info("opened last month's period of the demo collection", "period_start", p.PeriodStart.Format(time.DateOnly),
				"deadline", p.Deadline.Format(time.DateOnly), "close_date", p.CloseDate.Format(time.DateOnly))
		}
	}
	return serve(ctx, s, &c, log)
}
