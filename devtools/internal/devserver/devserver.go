// Package devserver is what the development tools (hinbench, hinchaos,
// hinlive, hinfed) share to run a server next to them: build hingraph,
// start a process, wait until it is ready, mint a token, and stop it.
package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Root is the module root, so that `go build ./cmd/hingraph` works from any
// working directory inside the repository.
func Root() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the hin-graph module; run from the repository or pass the hingraph binary")
	}
	return filepath.Dir(mod), nil
}

// Build builds ./cmd/hingraph of the module at root into dir and returns
// the binary's path.
func Build(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "hingraph")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hingraph")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build hingraph: %w", err)
	}
	return bin, nil
}

// Token asks `hingraph token` for a bearer token, as an operator would, so
// the tools exercise the real token path.
func Token(ctx context.Context, bin, secret, role, subject string, ttl time.Duration) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "token", "--role", role, "--subject", subject, "--ttl", ttl.String(), "--secret", secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hingraph token: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// FreePort is a loopback port the kernel has just handed out and released.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Readyz is a readiness check: GET base/readyz answers 200.
func Readyz(base string) func(context.Context) bool {
	hc := &http.Client{Timeout: 3 * time.Second}
	return func(ctx context.Context) bool {
		return ReadyzStatus(ctx, hc, base) == http.StatusOK
	}
}

// ReadyzStatus polls GET base/readyz once; 0 means no answer.
func ReadyzStatus(ctx context.Context, hc *http.Client, base string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/readyz", nil)
	if err != nil {
		return 0
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Spec is a process to start and how to tell it is ready.
type Spec struct {
	Name string    // for messages
	Argv []string  // the program and its arguments
	Env  []string  // added to this process's environment
	Log  io.Writer // stdout and stderr
	// Stderr, when set, takes stderr instead of Log.
	Stderr io.Writer
	Ready  func(context.Context) bool
	// Within bounds the wait for Ready (default 30s); Poll is the pause
	// between checks (default 100ms).
	Within, Poll time.Duration
	// Attr is the process's attributes; nil: its own process group, so a
	// ^C in the terminal reaches the tool first and it stops the server.
	Attr *syscall.SysProcAttr
	// LogHint tells where to read what went wrong, for messages.
	LogHint string
}

// Proc is a process started with Start.
type Proc struct {
	Cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error
	exitAt  time.Time
}

// Start starts the process and waits until it is ready, it exits, ctx
// ends, or Within passes; on failure the process is stopped. The process
// is not tied to ctx: it gets SIGTERM and time to drain from Stop, never a
// SIGKILL because a context ended.
func Start(ctx context.Context, s Spec) (*Proc, error) {
	within, poll := s.Within, s.Poll
	if within == 0 {
		within = 30 * time.Second
	}
	if poll == 0 {
		poll = 100 * time.Millisecond
	}
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	cmd.Stdout, cmd.Stderr = s.Log, s.Log
	if s.Stderr != nil {
		cmd.Stderr = s.Stderr
	}
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.SysProcAttr = s.Attr
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.Name, err)
	}
	p := &Proc{Cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		p.exitAt = time.Now()
		close(p.done)
	}()
	deadline := time.Now().Add(within)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited during start-up (%v)%s", s.Name, p.waitErr, s.LogHint)
		case <-ctx.Done():
			p.Stop(10 * time.Second)
			return nil, ctx.Err()
		case <-time.After(poll):
		}
		if s.Ready(ctx) {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.Stop(10 * time.Second)
			return nil, fmt.Errorf("%s not ready within %s%s", s.Name, within, s.LogHint)
		}
	}
}

// Pid is the process's id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Terminate sends SIGTERM, as an orchestrator would, and waits up to wait
// for the process to exit.
func (p *Proc) Terminate(wait time.Duration) (exited bool) {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(wait):
		return false
	}
}

// Stop ends the process whatever it takes: SIGTERM, then SIGKILL after wait.
func (p *Proc) Stop(wait time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	if !p.Terminate(wait) {
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the process ended (cmd.Wait's error); nil while it runs.
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.waitErr
	default:
		return nil
	}
}

// ExitedAt is when the process exited; zero while it runs.
func (p *Proc) ExitedAt() time.Time {
	select {
	case <-p.done:
		return p.exitAt
	default:
		return time.Time{}
	}
}

// ExitCode is the process's exit status; -1 while it runs.
func (p *Proc) ExitCode() int {
	select {
	case <-p.done:
		return p.Cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}
