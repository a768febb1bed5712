package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A Lease is one process's use of a cluster that several processes share
// (a `make test` while `make run` serves). Two flock(2) locks in the
// cluster's directory coordinate them:
//
//   - .pg-start is held exclusively while starting or stopping, so two
//     processes never both run initdb or pg_ctl start;
//   - .pg-users is held shared by every lease until it is released.
//
// The lease that starts the cluster leaves a marker file (.pg-autostop)
// unless told to keep it. On release, a lease that can turn its shared
// users lock into an exclusive one is the last user, and stops the cluster
// if the marker is there. So a cluster is stopped when its last user is
// done, never underneath another, and a kept cluster (or one that was
// running before) is stopped only by an explicit Stop.
type Lease struct {
	c            *Cluster
	start, users *os.File
	// AutoStop says whether releasing the last lease stops the cluster.
	AutoStop bool
	// Reused says whether the cluster was already running.
	Reused bool
}

const lockWait = 2 * time.Minute

func (c *Cluster) marker() string { return filepath.Join(c.Dir, ".pg-autostop") }

// Acquire starts the cluster if it is not running and registers this
// process as a user. keep=true leaves the cluster running after the last
// lease (and also cancels the auto-stop of a running one).
func (c *Cluster) Acquire(ctx context.Context, keep bool) (*Lease, error) {
	l := &Lease{c: c}
	var err error
	if l.start, err = os.OpenFile(filepath.Join(c.Dir, ".pg-start"), os.O_CREATE|os.O_RDWR, 0o644); err != nil {
		return nil, err
	}
	if l.users, err = os.OpenFile(filepath.Join(c.Dir, ".pg-users"), os.O_CREATE|os.O_RDWR, 0o644); err != nil {
		l.close()
		return nil, err
	}
	if err := lockWithin(ctx, l.start, syscall.LOCK_EX); err != nil {
		l.close()
		return nil, fmt.Errorf("pgcluster: waiting for another process to start or stop the cluster: %w", err)
	}
	defer func() { _ = syscall.Flock(int(l.start.Fd()), syscall.LOCK_UN) }()

	_, l.Reused = c.Running()
	if !l.Reused && !keep {
		// Before starting: an interrupted start must be cleaned up too.
		if err := os.WriteFile(c.marker(), nil, 0o644); err != nil {
			l.close()
			return nil, err
		}
	}
	if keep {
		_ = os.Remove(c.marker())
	}
	if err := c.Start(ctx); err != nil {
		if !l.Reused && !keep {
			_ = c.Stop(context.Background())
			_ = os.Remove(c.marker())
		}
		l.close()
		return nil, err
	}
	_, err = os.Stat(c.marker())
	l.AutoStop = err == nil
	if err := syscall.Flock(int(l.users.Fd()), syscall.LOCK_SH); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// Release ends this process's use. It stops the cluster when this was the
// last lease and the cluster is to stop on its own; stopped reports that.
func (l *Lease) Release(ctx context.Context) (stopped bool, err error) {
	defer l.close()
	if err := lockWithin(ctx, l.start, syscall.LOCK_EX); err != nil {
		return false, err
	}
	if _, err := os.Stat(l.c.marker()); err != nil {
		return false, nil
	}
	// Turning the shared lock exclusive fails while another lease holds it.
	if syscall.Flock(int(l.users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false, nil
	}
	if err := l.c.Stop(ctx); err != nil {
		return false, err
	}
	return true, os.Remove(l.c.marker())
}

// Close drops the lease without stopping anything (before handing the
// process over to a command with exec, when nothing is left to clean up).
func (l *Lease) Close() { l.close() }

func (l *Lease) close() {
	for _, f := range []*os.File{l.start, l.users} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// lockWithin takes a flock, polling so that the wait can be bounded.
func lockWithin(ctx context.Context, f *os.File, how int) error {
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StopShared stops the cluster whoever started it, taking the start lock
// so as not to cut into another process's start (the --stop of a script).
func (c *Cluster) StopShared(ctx context.Context) error {
	f, err := os.OpenFile(filepath.Join(c.Dir, ".pg-start"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockWithin(ctx, f, syscall.LOCK_EX); err != nil {
		return err
	}
	if err := c.Stop(ctx); err != nil {
		return err
	}
	_ = os.Remove(c.marker())
	return nil
}
