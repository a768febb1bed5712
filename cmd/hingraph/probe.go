package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hin-graph/hin-graph/internal/httpapi"
)

// cmdProbe asks the server running beside it for /readyz (or --path) and
// fails unless it answers 200. The image has no shell or curl, so this is
// what a compose healthcheck or an exec probe runs.
func cmdProbe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("probe", stderr)
	fs.StringVar(&c.HTTP.Addr, "addr", httpapi.DefaultConfig().Addr, "the server's listen address; an empty host means this machine (env HINGRAPH_ADDR)")
	c.fromEnv("addr", "HINGRAPH_ADDR")
	path := fs.String("path", "/readyz", "the path to ask: /readyz (ready for traffic) or /livez (running)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := c.applyEnv(fs, getenv); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(c.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.HTTP.Addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + *path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: status %d: %s", url, resp.StatusCode, body)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", body)
	return err
}
