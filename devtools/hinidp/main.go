// Command hinidp runs the demo OpenID provider (devtools/demoidp) for
// `make run`: the pages' "Sign in" goes to it, and it prints the demo
// people's logins. For a developer's machine only: every password is the
// same and printed.
//
//	hinidp --addr localhost:8090 --redirect http://localhost:8080/auth/callback
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hin-graph/hin-graph/devtools/demoidp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hinidp:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hinidp", flag.ContinueOnError)
	addr := fs.String("addr", "localhost:8090", "listen address; the issuer is http://<addr>")
	clientID := fs.String("client-id", "hin-graph", "the one client it knows")
	secret := fs.String("client-secret", "hin-graph-demo-secret", "that client's secret")
	redirect := fs.String("redirect", "http://localhost:8080/auth/callback", "the client's redirect URI")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	issuer := "http://" + *addr
	srv := &http.Server{
		Handler:           demoidp.New(demoidp.Config{Issuer: issuer, ClientID: *clientID, ClientSecret: *secret, RedirectURIs: []string{*redirect}}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	fmt.Fprintf(stdout, "demo identity provider at %s (client %s); sign in on the pages with:\n", issuer, *clientID)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  username\tpassword\tname\tgets\n")
	for _, p := range demoidp.People {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Username, demoidp.Password, p.Name, p.Gets)
	}
	_ = tw.Flush()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
