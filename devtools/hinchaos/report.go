package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// report is the analysed run: figures to print and the violations that
// fail it.
type report struct {
	runID, base, logPath string
	o                    *options
	tl                   timeline
	dc                   dataCheck
	ls                   *logScan

	writes, acked, failed, gaveUp, retried, writeAttempts int
	readsOK, readsErr                                     int
	before, outage, after, atShutdown                     map[string]int // error kinds by window
	readyzRuns                                            []readyzSample
	readyz503, readyzBack                                 time.Duration // -1: not seen
	firstFail, firstAck                                   time.Duration // around the restart; -1: none
	lateErrors                                            int           // sent after restartEnd+recoverWithin
	inFlight, inFlightCut                                 int
	violations                                            []string
}

func analyse(o *options, rec *recorder, tl timeline, dc dataCheck, ls *logScan) *report {
	r := &report{o: o, tl: tl, dc: dc, ls: ls,
		before: map[string]int{}, outage: map[string]int{}, after: map[string]int{}, atShutdown: map[string]int{},
		readyz503: -1, readyzBack: -1, firstFail: -1, firstAck: -1}

	for _, w := range rec.writes {
		if w.neverSent {
			continue
		}
		r.writes++
		r.writeAttempts += w.attempts
		if w.attempts > 1 {
			r.retried++
		}
		switch {
		case w.acked:
			r.acked++
		case w.gaveUpAtShutdown:
			r.gaveUp++
		default:
			r.failed++
		}
	}

	restarted := tl.restartEnd > 0
	deadline := tl.restartEnd + o.recoverWithin
	nonRetryable := map[string]int{}
	leaks := map[string]int{}
	samples := map[string]string{} // the first message of each kind of failure
	sample := func(k string, res result) {
		if _, ok := samples[k]; !ok {
			if res.transport != nil {
				samples[k] = res.transport.Error()
			} else {
				samples[k] = truncate(strings.Join(res.messages, "; "), 200)
			}
		}
	}
	for _, a := range rec.attempts {
		if a.op == "read" {
			if a.res.ok() {
				r.readsOK++
			} else {
				r.readsErr++
			}
		}
		if restarted && a.op == "write" && a.sent >= tl.restartStart {
			if a.res.ok() && a.sent >= tl.restartEnd && (r.firstAck < 0 || a.done < r.firstAck) {
				r.firstAck = a.done
			}
			if !a.res.ok() && (r.firstFail < 0 || a.done < r.firstFail) {
				r.firstFail = a.done
			}
		}
		if a.res.ok() {
			continue
		}
		k := a.op + ": " + a.res.kind()
		shuttingDown := tl.shutdownAt > 0 && a.done >= tl.shutdownAt
		switch {
		case shuttingDown:
			r.atShutdown[k]++
			if a.sent < tl.shutdownAt && a.res.transport != nil && !a.res.refused() {
				r.inFlightCut++
			}
			if a.res.transport == nil && !a.res.retryable() {
				nonRetryable[k]++
				sample(k, a.res)
			}
			continue
		case !restarted || a.done < tl.restartStart:
			// answered before the restart began (one sent just before and
			// caught by it belongs to the outage)
			r.before[k]++
		case a.sent < deadline:
			r.outage[k]++
		default:
			r.after[k]++
			r.lateErrors++
		}
		if !a.res.retryable() {
			nonRetryable[k]++
			sample(k, a.res)
		}
		if a.res.leak != "" {
			leaks[k]++
		}
	}
	if tl.shutdownAt > 0 {
		for _, a := range rec.attempts {
			if a.sent < tl.shutdownAt && a.done >= tl.shutdownAt {
				r.inFlight++
			}
		}
	}

	// /readyz: collapse the samples into runs of one status.
	for _, s := range rec.readyz {
		if n := len(r.readyzRuns); n == 0 || r.readyzRuns[n-1].status != s.status {
			r.readyzRuns = append(r.readyzRuns, s)
		}
		if restarted && s.at >= tl.restartStart {
			if s.status == http.StatusServiceUnavailable && r.readyz503 < 0 {
				r.readyz503 = s.at
			}
			if s.status == http.StatusOK && r.readyz503 >= 0 && r.readyzBack < 0 {
				r.readyzBack = s.at
			}
		}
	}

	r.judge(rec, nonRetryable, samples, leaks)
	return r
}

// judge records the violations that fail the run (the verdict), from the
// tallies analyse made.
func (r *report) judge(rec *recorder, nonRetryable map[string]int, samples map[string]string, leaks map[string]int) {
	o, tl, dc, ls := r.o, r.tl, r.dc, r.ls
	bad := func(format string, args ...any) { r.violations = append(r.violations, fmt.Sprintf(format, args...)) }
	restarted := tl.restartEnd > 0
	if rec.budgetSpent.Load() {
		bad("the request budget (--max-requests %d) ran out before the end of the run", o.maxRequests)
	}
	if tl.restartErr != nil {
		bad("the restart command failed: %v", tl.restartErr)
	}
	if !restarted {
		bad("PostgreSQL was never restarted")
	}
	if n := len(dc.lost); n > 0 {
		bad("%d acknowledged writes are not stored (lost), e.g. %s", n, strings.Join(first(dc.lost, 3), ", "))
	}
	if n := len(dc.wrongID); n > 0 {
		bad("%d acknowledged IDs do not match the stored row of their key, e.g. %s", n, strings.Join(first(dc.wrongID, 3), ", "))
	}
	if dc.duplicates > 0 {
		bad("%d duplicate rows: retries with the same idempotency key stored the write again", dc.duplicates)
	}
	if dc.sharedIDs > 0 {
		bad("%d writes were acknowledged with an ID already given to another write", dc.sharedIDs)
	}
	if n := len(dc.storedUnacked); n > 0 {
		bad("%d writes are stored but were never acknowledged (an answer was lost), e.g. %s", n, strings.Join(first(dc.storedUnacked, 3), "; "))
	}
	if dc.unknownSources > 0 {
		bad("%d stored rows carry this run's marker but no write of it", dc.unknownSources)
	}
	if dc.stored != dc.acked {
		bad("stored %d != acknowledged %d", dc.stored, dc.acked)
	}
	if dc.apiCountErr != nil {
		bad("could not count through the API: %v", dc.apiCountErr)
	} else if got := dc.apiCount - dc.apiBaseline; dc.apiCountChecked && got != dc.stored {
		bad("the API counts %d DRAFT outcomes of the run, PostgreSQL holds %d", got, dc.stored)
	}
	if r.failed > 0 {
		bad("%d writes were never acknowledged within %d attempts", r.failed, o.maxAttempts)
	}
	if len(nonRetryable) > 0 {
		bad("non-retryable errors: %s", tally(nonRetryable))
		for _, k := range slices.Sorted(maps.Keys(nonRetryable)) {
			bad("  %s, e.g. %q", k, samples[k])
		}
	}
	if len(leaks) > 0 {
		bad("error messages leak internals: %s", tally(leaks))
	}
	if restarted {
		if r.readyz503 < 0 {
			bad("/readyz never answered 503 while PostgreSQL was down")
		} else if r.readyzBack < 0 {
			bad("/readyz did not return to 200 after the restart")
		}
		if r.firstAck < 0 {
			bad("no write succeeded after PostgreSQL came back: the service did not recover")
		}
		if r.lateErrors > 0 {
			bad("%d requests sent more than %s after PostgreSQL was back still failed: %s", r.lateErrors, o.recoverWithin, tally(r.after))
		}
	}
	if tl.shutdownAt > 0 {
		switch {
		case !tl.serverExited:
			bad("hingraph did not exit within %s of SIGTERM", o.shutdownWait)
		case tl.serverExitCode != 0:
			bad("hingraph exited with status %d after SIGTERM", tl.serverExitCode)
		}
		if r.inFlightCut > 0 {
			bad("%d requests in flight at SIGTERM were cut off without an answer", r.inFlightCut)
		}
		if ls != nil && !ls.sawStopped {
			bad(`hingraph did not log "stopped" after SIGTERM`)
		}
	}
	if ls != nil && ls.errors > 0 {
		bad("the server logged %d errors, e.g. %s", ls.errors, strings.Join(ls.samples, " | "))
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

func tally(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func rel(d, from time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmt.Sprintf("%+.2fs", (d - from).Seconds())
}

func statusText(s int) string {
	if s == 0 {
		return "no answer"
	}
	return fmt.Sprint(s)
}

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	o, tl, dc := r.o, r.tl, r.dc
	p("hinchaos report, run %s against %s", r.runID, r.base)
	p("  load             %d writers, %d readers, %s of load", o.workers, o.readers, secs(tl.loadEnd))
	p("  restart          PostgreSQL restart from %s to %s (command took %s): %s",
		secs(tl.restartStart), secs(tl.restartEnd), secs(tl.restartEnd-tl.restartStart), errText(tl.restartErr))
	p("  writes           attempted %d, acknowledged %d, failed %d, retried %d (%d HTTP attempts)",
		r.writes, r.acked, r.failed, r.retried, r.writeAttempts)
	if r.gaveUp > 0 {
		p("                   %d more were in progress when the server stopped listening (not acknowledged, not stored)", r.gaveUp)
	}
	p("  stored           %d rows with source prefix hinchaos/%s/ (PostgreSQL)", dc.stored, r.runID)
	if dc.apiCountChecked {
		p("                   %d DRAFT outcomes of the run through the API (outcomes.totalCount)", dc.apiCount-dc.apiBaseline)
	}
	p("  lost             %d   (acknowledged, not stored)", len(dc.lost)+len(dc.wrongID))
	p("  duplicates       %d   (rows beyond one per idempotency key)", dc.duplicates)
	p("  unacknowledged   %d   (stored without an acknowledgement)", len(dc.storedUnacked))
	p("  reads            ok %d, errors %d", r.readsOK, r.readsErr)
	p("  errors before    %s", tally(r.before))
	p("  errors outage    %s", tally(r.outage))
	p("                   (requests answered after the restart began and sent before PostgreSQL was back + %s)", o.recoverWithin)
	p("  errors after     %s", tally(r.after))
	var runs []string
	for _, s := range r.readyzRuns {
		runs = append(runs, secs(s.at)+" "+statusText(s.status))
	}
	p("  /readyz          %s", strings.Join(runs, " → "))
	p("  recovery         relative to PostgreSQL being back (%s): /readyz 503 first at %s, 200 again at %s;",
		secs(tl.restartEnd), rel(r.readyz503, tl.restartEnd), rel(r.readyzBack, tl.restartEnd))
	p("                   first failed write %s, first acknowledged write sent afterwards %s",
		rel(r.firstFail, tl.restartEnd), rel(r.firstAck, tl.restartEnd))
	if r.firstFail >= 0 && r.firstAck >= 0 {
		p("                   writes failed for %s in all; hingraph was not restarted", secs(r.firstAck-r.firstFail))
	}
	if tl.shutdownAt > 0 {
		exit := "did not exit"
		if tl.serverExited {
			exit = fmt.Sprintf("exited with status %d after %s", tl.serverExitCode, fmt.Sprintf("%.2fs", tl.serverExitAfter.Seconds()))
		}
		p("  shutdown         SIGTERM at %s under load: %d requests in flight, %d answered, %d cut off; hingraph %s",
			secs(tl.shutdownAt), r.inFlight, r.inFlight-r.inFlightCut, r.inFlightCut, exit)
		p("                   afterwards: %s", tally(r.atShutdown))
	}
	if r.ls != nil {
		p("  server log       %d error lines (%s)", r.ls.errors, r.logPath)
	}
	if len(r.violations) == 0 {
		p("RESULT: PASS")
		return
	}
	p("RESULT: FAIL")
	for _, v := range r.violations {
		p("  - %s", v)
	}
}
