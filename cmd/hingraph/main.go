// Command hingraph serves the hin-graph GraphQL API and manages its database.
//
//	hingraph serve     serve the API (migrating first with --migrate)
//	hingraph migrate   apply database migrations
//	hingraph seed      load reference data, and demo data with --demo
//	hingraph dev       migrate, seed reference and demo data, and serve
//	hingraph token     mint a bearer token for local use
//	hingraph claims    show what a claim mapping makes of a token's claims
//	hingraph region    move a region to a node of its own and back
//	hingraph version   print the version and commit
//	hingraph probe     ask the running server for /readyz (a healthcheck)
//
// Configuration comes from flags, which default to environment variables
// (DATABASE_URL, HINGRAPH_ADDR, ...); see `hingraph <command> -h`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hingraph:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: hingraph <command> [flags]

commands:
  serve     serve the GraphQL API
  migrate   apply pending database migrations
  seed      load the reference data (and demo data with --demo)
  dev       migrate, seed reference and demo data, then serve
  token     mint a bearer token for local use (--role, --region)
  claims    show the role and region a claim mapping gives a token's claims (nothing verified)
  region    move-out / move-in: give a region its own node, or bring it back
  version   print the version and commit this binary was built from
  probe     ask the server on --addr for /readyz: exit 0 when ready (for healthchecks)
`

// run is the whole program: tests call it with their own arguments,
// environment and output, and cancel ctx to stop it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return cmdSeed(ctx, rest, getenv, stdout, stderr)
	case "dev":
		return cmdDev(ctx, rest, getenv, stdout, stderr)
	case "token":
		return cmdToken(ctx, rest, getenv, stdout, stderr)
	case "claims":
		return cmdClaims(ctx, rest, getenv, os.Stdin, stdout, stderr)
	case "region":
		return cmdRegion(ctx, rest, getenv, stdout, stderr)
	case "probe":
		return cmdProbe(ctx, rest, getenv, stdout, stderr)
	case "version", "--version":
		return cmdVersion(stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
