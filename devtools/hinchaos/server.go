package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hin-graph/hin-graph/devtools/internal/devserver"
)

// mintToken asks `hingraph token` for a NATIONAL_ADMIN token.
func mintToken(ctx context.Context, bin, secret, subject string) (string, error) {
	return devserver.Token(ctx, bin, secret, "NATIONAL_ADMIN", subject, 2*time.Hour)
}

// server is a `hingraph serve` process started by this tool.
type server struct {
	*devserver.Proc
	base    string
	logFile *os.File
}

func startServer(ctx context.Context, bin, dbURL, secret, logPath string) (*server, error) {
	port, err := devserver.FreePort()
	if err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := devserver.Start(ctx, devserver.Spec{
		Name: "hingraph serve",
		Argv: []string{bin, "serve", "--addr", addr, "--database-url", dbURL, "--jwt-secret", secret},
		// The load is far above the per-token rate limit, which is not what
		// is under test; an env var rather than a flag, so an older binary
		// still starts. Metrics on a port of the kernel's choosing, so that
		// the default one being taken does not stop the run.
		Env:     []string{"HINGRAPH_RATE=0", "HINGRAPH_METRICS_ADDR=127.0.0.1:0"},
		Log:     lf,
		Ready:   devserver.Readyz("http://" + addr),
		Attr:    serverProcAttr(),
		LogHint: "; see " + logPath,
	})
	if err != nil {
		_ = lf.Close()
		return nil, err
	}
	return &server{Proc: p, base: "http://" + addr, logFile: lf}, nil
}

// stop ends the process whatever it takes (cleanup path).
func (s *server) stop(wait time.Duration) {
	s.Stop(wait)
	_ = s.logFile.Close()
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
