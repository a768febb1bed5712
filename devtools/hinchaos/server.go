package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// repoRoot is the module root, so that `go build ./cmd/hingraph` and a
// relative restart command work from any working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the hin-graph module; run from the repository or pass --hingraph")
	}
	return filepath.Dir(mod), nil
}

func buildHingraph(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "hingraph")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hingraph")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build hingraph: %w", err)
	}
	return bin, nil
}

// mintToken asks `hingraph token` for a NATIONAL_ADMIN token, the same way
// an operator would, so the tool exercises the real token path.
func mintToken(ctx context.Context, bin, secret, subject string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "token", "--role", "NATIONAL_ADMIN", "--subject", subject, "--ttl", "2h", "--secret", secret)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hingraph token: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// server is a `hingraph serve` process started by this tool.
type server struct {
	cmd     *exec.Cmd
	base    string
	logPath string
	logFile *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error
	exitAt  time.Time
}

func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startServer(ctx context.Context, bin, dbURL, secret, logPath string) (*server, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Not CommandContext: the process must get SIGTERM and time to drain,
	// never a SIGKILL because our context ended.
	cmd := exec.Command(bin, "serve", "--addr", addr, "--database-url", dbURL, "--jwt-secret", secret)
	cmd.Stdout, cmd.Stderr = lf, lf
	// The load is far above the per-token rate limit, which is not what is
	// under test; an env var rather than a flag, so an older binary still starts.
	// Metrics on a port of the kernel's choosing, so that the default one
	// being taken (another server on this machine) does not stop the run.
	cmd.Env = append(os.Environ(), "HINGRAPH_RATE=0", "HINGRAPH_METRICS_ADDR=127.0.0.1:0")
	cmd.SysProcAttr = serverProcAttr()
	if err := cmd.Start(); err != nil {
		_ = lf.Close()
		return nil, fmt.Errorf("start hingraph: %w", err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, logPath: logPath, logFile: lf, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		s.exitAt = time.Now()
		close(s.done)
	}()
	hc := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("hingraph serve exited during startup (%v); see %s", s.waitErr, logPath)
		case <-ctx.Done():
			s.stop(10 * time.Second)
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if readyz(ctx, hc, s.base) == http.StatusOK {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop(10 * time.Second)
			return nil, fmt.Errorf("hingraph serve not ready within 30s; see %s", logPath)
		}
	}
}

// terminate sends SIGTERM, as an orchestrator would, and waits for exit.
func (s *server) terminate(wait time.Duration) (exited bool) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return true
	case <-time.After(wait):
		return false
	}
}

// stop ends the process whatever it takes (cleanup path).
func (s *server) stop(wait time.Duration) {
	select {
	case <-s.done:
	default:
		if !s.terminate(wait) {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	_ = s.logFile.Close()
}

func (s *server) exitCode() int {
	if s.cmd.ProcessState == nil {
		return -1
	}
	return s.cmd.ProcessState.ExitCode()
}

// logScan is what the server's JSON log says about the run.
type logScan struct {
	errors      int      // ERROR lines (internal errors, panics)
	samples     []string // the first few of them
	sawStopping bool     // "shutting down; finishing in-flight requests"
	sawStopped  bool     // "stopped"
	status5xx   map[int]int
}

func scanServerLog(path string) (logScan, error) {
	ls := logScan{status5xx: map[int]int{}}
	f, err := os.Open(path)
	if err != nil {
		return ls, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var rec struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Status int    `json:"status"`
		}
		if json.Unmarshal(line, &rec) != nil {
			// Plain text on stdout/stderr: a panic trace or a Go runtime
			// message. Count it as an error.
			if t := strings.TrimSpace(string(line)); t != "" {
				ls.errors++
				if len(ls.samples) < 5 {
					ls.samples = append(ls.samples, truncate(t, 300))
				}
			}
			continue
		}
		switch {
		case rec.Level == "ERROR":
			ls.errors++
			if len(ls.samples) < 5 {
				ls.samples = append(ls.samples, truncate(string(line), 300))
			}
		case strings.HasPrefix(rec.Msg, "shutting down"):
			ls.sawStopping = true
		case rec.Msg == "stopped":
			ls.sawStopped = true
		}
		if rec.Msg == "request" && rec.Status >= 500 {
			ls.status5xx[rec.Status]++
		}
	}
	return ls, sc.Err()
}
