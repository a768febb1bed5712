package devserver

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestStartWaitsAndStops(t *testing.T) {
	ctx := context.Background()
	checks := 0
	var log bytes.Buffer
	p, err := Start(ctx, Spec{Name: "sleeper", Argv: []string{"sleep", "30"}, Log: &log, Poll: time.Millisecond,
		Ready: func(context.Context) bool { checks++; return checks == 3 }})
	if err != nil {
		t.Fatal(err)
	}
	if checks != 3 || p.ExitCode() != -1 || !p.ExitedAt().IsZero() {
		t.Fatalf("after start: %d checks, exit code %d", checks, p.ExitCode())
	}
	if !p.Terminate(5 * time.Second) {
		t.Fatal("sleep did not exit on SIGTERM")
	}
	if p.ExitedAt().IsZero() || p.Err() == nil {
		t.Errorf("a terminated process has an exit time and an error: %v", p.Err())
	}
}

func TestStartReportsAnEarlyExitAndATimeout(t *testing.T) {
	ctx := context.Background()
	never := func(context.Context) bool { return false }
	var log bytes.Buffer
	_, err := Start(ctx, Spec{Name: "quitter", Argv: []string{"sh", "-c", "exit 3"}, Log: &log, Ready: never, LogHint: "; see the log"})
	if err == nil || !strings.Contains(err.Error(), "quitter exited during start-up") || !strings.HasSuffix(err.Error(), "see the log") {
		t.Errorf("early exit: %v", err)
	}
	_, err = Start(ctx, Spec{Name: "sleeper", Argv: []string{"sleep", "30"}, Log: &log, Ready: never, Within: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "not ready within 50ms") {
		t.Errorf("timeout: %v", err)
	}
}
