// Command hinpg runs a command with DATABASE_URL pointing at a reachable
// PostgreSQL; scripts/with-postgres.sh builds and calls it.
//
//	hinpg -dir DIR CMD [ARGS...]   run CMD with DATABASE_URL exported
//	hinpg -dir DIR --status        describe the cluster in DIR
//	hinpg -dir DIR --stop          stop the cluster in DIR
//
// With DATABASE_URL already set, CMD runs against it and nothing else
// happens. Otherwise a private cluster (internal/pgcluster) is started in
// DIR, shared with other hinpg processes using the same DIR, and stopped
// when the last of them exits, unless it was running before or
// HINGRAPH_KEEP_PG=1 is set.
//
// Environment: DATABASE_URL, PG_BINDIR (PostgreSQL binaries),
// HINGRAPH_PG_PORT (preferred port, default 54329), HINGRAPH_KEEP_PG.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/hin-graph/hin-graph/internal/pgcluster"
)

const (
	defaultPort = 54329
	dbName      = "hingraph"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run returns the exit status: CMD's own, or 1 for hinpg's failures, 2 for
// bad usage, and for --status 0 when running and 3 when not (as pg_ctl).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "with-postgres: "+format+"\n", a...) }
	fs := flag.NewFlagSet("hinpg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".data", "directory of the cluster")
	fallback := fs.String("fallback-dir", "", "directory to use when, as root, the cluster owner cannot reach -dir (default: pgcluster.FallbackFor(-dir), in /var/tmp)")
	status := fs.Bool("status", false, "describe the cluster")
	stop := fs.Bool("stop", false, "stop the cluster")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cmdArgs := fs.Args()
	if *fallback == "" {
		*fallback = pgcluster.FallbackFor(*dir)
	}
	if !*status && !*stop && len(cmdArgs) == 0 {
		fmt.Fprintln(stderr, "usage: scripts/with-postgres.sh CMD [ARGS...] | --status | --stop")
		return 2
	}
	if !*status && !*stop && getenv("DATABASE_URL") != "" {
		logf("using DATABASE_URL from the environment (%s)", describeURL(getenv("DATABASE_URL")))
		return execOrRun(cmdArgs, nil, logf)
	}

	port := defaultPort
	if p := getenv("HINGRAPH_PG_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			logf("error: invalid HINGRAPH_PG_PORT: %s", p)
			return 1
		}
		port = n
	}
	cfg := pgcluster.Config{Dir: *dir, FallbackDir: *fallback, Port: port, BinDir: getenv("PG_BINDIR"), Install: !*status && !*stop, Logf: logf}
	switch {
	case *status:
		return cmdStatus(cfg, stdout, logf)
	case *stop:
		return cmdStop(ctx, cfg, logf)
	}

	c, err := pgcluster.New(cfg)
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	// Ctrl-C while starting: stop what we started and leave.
	startCtx, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	lease, err := c.Acquire(startCtx, getenv("HINGRAPH_KEEP_PG") == "1")
	cancel()
	if err != nil {
		logf("error: %v", err)
		return 1
	}
	if err := c.CreateDatabase(ctx, dbName); err != nil {
		logf("error: %v", err)
		_, _ = lease.Release(context.Background())
		return 1
	}
	how := "started, stopped on exit"
	switch {
	case lease.Reused:
		how = "already running, reused"
	case !lease.AutoStop:
		how = "started; kept running as HINGRAPH_KEEP_PG=1"
	}
	logf("using local PostgreSQL %s at 127.0.0.1:%d, db %s, data in %s (%s)", c.Major, c.Port, dbName, c.DataDir, how)
	env := []string{"DATABASE_URL=" + c.URL(dbName)}
	if !lease.AutoStop {
		// Nothing to clean up afterwards: hand the process over to CMD.
		lease.Close()
		return execOrRun(cmdArgs, env, logf)
	}
	rc := runChild(cmdArgs, env, logf)
	// Finish the shutdown even when Ctrl-C is pressed again meanwhile.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	stopped, err := lease.Release(context.Background())
	switch {
	case err != nil:
		logf("warning: could not stop the local PostgreSQL: %v; see %s", err, c.LogFile)
	case stopped:
		logf("stopped local PostgreSQL (port %d)", c.Port)
	default:
		logf("local PostgreSQL stays up: another with-postgres.sh still uses it and will stop it")
	}
	return rc
}

// execOrRun replaces this process with CMD, so that its exit status and
// signals are CMD's own.
func execOrRun(args, env []string, logf func(string, ...any)) int {
	path, err := exec.LookPath(args[0])
	if err != nil {
		logf("error: %v", err)
		return 127
	}
	err = syscall.Exec(path, args, append(os.Environ(), env...))
	logf("error: exec %s: %v", args[0], err)
	return 126
}

// runChild runs CMD and waits for it. A Ctrl-C typed at the terminal has
// reached CMD already (it is in our process group); forwarding it too would
// deliver it twice, which many programs read as "force". Signals sent to
// this process alone are passed on.
func runChild(args, env []string, logf func(string, ...any)) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		logf("error: %v", err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if sig == os.Interrupt && inTerminalForeground() {
				continue
			}
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			var exit *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exit):
				if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal())
				}
				return exit.ExitCode()
			}
			logf("error: %v", err)
			return 1
		}
	}
}

// inTerminalForeground reports whether this process's group is the
// foreground group of its terminal, i.e. a typed Ctrl-C reached us all.
func inTerminalForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	var fg int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&fg))); errno != 0 {
		return false
	}
	return int(fg) == syscall.Getpgrp()
}

func cmdStatus(cfg pgcluster.Config, stdout io.Writer, logf func(string, ...any)) int {
	found, running := false, false
	for _, dir := range []string{cfg.Dir, cfg.FallbackDir} {
		if dir == "" {
			continue
		}
		cfg.Dir, cfg.FallbackDir = dir, ""
		c, err := pgcluster.New(cfg)
		if err != nil || !c.Initialised() {
			continue
		}
		found = true
		if pid, ok := c.Running(); ok {
			running = true
			_ = c.Start(context.Background()) // reads the port and waits until it answers
			fmt.Fprintf(stdout, "local PostgreSQL %s: running (pid %d) on 127.0.0.1:%d\n", c.Major, pid, c.Port)
			fmt.Fprintf(stdout, "  DATABASE_URL=%s\n", c.URL(dbName))
			if _, err := os.Stat(c.Dir + "/.pg-autostop"); err == nil {
				fmt.Fprintln(stdout, "  stops when the last with-postgres.sh using it exits")
			} else {
				fmt.Fprintln(stdout, "  kept running; stop it with: scripts/with-postgres.sh --stop")
			}
		} else {
			fmt.Fprintf(stdout, "local PostgreSQL %s: not running\n", c.Major)
		}
		fmt.Fprintf(stdout, "  data: %s\n  log:  %s\n", c.DataDir, c.LogFile)
	}
	if !found {
		fmt.Fprintln(stdout, "local PostgreSQL: no cluster yet (it is created on first use)")
	}
	if running {
		return 0
	}
	return 3
}

func cmdStop(ctx context.Context, cfg pgcluster.Config, logf func(string, ...any)) int {
	found := false
	for _, dir := range []string{cfg.Dir, cfg.FallbackDir} {
		if dir == "" {
			continue
		}
		cfg.Dir, cfg.FallbackDir = dir, ""
		c, err := pgcluster.New(cfg)
		if err != nil {
			continue
		}
		pid, ok := c.Running()
		if !ok {
			continue
		}
		found = true
		logf("stopping local PostgreSQL (pid %d, data %s)", pid, c.DataDir)
		if err := c.StopShared(ctx); err != nil {
			logf("error: %v", err)
			return 1
		}
	}
	if !found {
		logf("local PostgreSQL is not running")
	}
	return 0
}

// describeURL names only the host of a URL, never its credentials.
func describeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "a key=value connection string"
	}
	if u.Host == "" {
		return "host (default)"
	}
	return "host " + u.Host
}
