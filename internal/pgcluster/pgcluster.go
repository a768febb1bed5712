// Package pgcluster runs private, throwaway PostgreSQL clusters for
// development and tests: initdb and pg_ctl from the system's PostgreSQL
// binaries, data under a directory of the caller's choosing, listening on
// 127.0.0.1 only, on a port of its own. A system cluster (the
// distribution's on 5432) is never used or touched. Several clusters can
// run side by side, each in its own directory, e.g. a national and regional
// nodes for logical replication (Config.WALLevel = "logical").
//
// As root, the cluster is run by an unprivileged account (postgres, or a
// "hingraph" system user created for it), since PostgreSQL refuses to run
// as root; with Config.Install, PostgreSQL is installed with apt-get when
// no binaries are found.
package pgcluster

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// Superuser is the cluster's superuser; connections from 127.0.0.1 are
// trusted, so it needs no password.
const Superuser = "postgres"

// minPath is the whole PATH server processes get, so that the caller's PG*
// variables or locale cannot change how the cluster behaves.
const minPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Config describes one cluster.
type Config struct {
	// Dir holds the cluster: data in Dir/pg, the server log in Dir/pg.log,
	// and the socket and lock files.
	Dir string
	// FallbackDir is used instead of Dir when, running as root, the cluster
	// owner cannot reach Dir (a checkout under /root or a mktemp directory).
	// Empty: fail instead. FallbackFor names one for a given Dir.
	FallbackDir string
	// Port is the preferred port; when it is taken the next free one is
	// used. 0 asks the kernel for a free port.
	Port int
	// BinDir holds initdb, pg_ctl and postgres; empty means the newest
	// /usr/lib/postgresql/*/bin.
	BinDir string
	// WALLevel sets wal_level ("logical" for logical replication); empty
	// leaves PostgreSQL's default.
	WALLevel string
	// Settings are more postgresql.conf settings, written verbatim as
	// name = value (quote strings yourself).
	Settings map[string]string
	// Install allows installing PostgreSQL with apt-get when no binaries
	// are found and the process runs as root.
	Install bool
	// Logf receives progress notes; nil discards them.
	Logf func(format string, args ...any)
}

// Cluster is a private PostgreSQL cluster. Its methods are not safe for
// concurrent use; separate processes coordinate through Acquire.
type Cluster struct {
	Dir     string // the directory actually used (Dir or FallbackDir)
	DataDir string
	LogFile string
	SockDir string
	BinDir  string
	Major   string // e.g. "15"
	Port    int    // set by Start, or read from a running cluster

	cfg   Config
	owner *account // nil when not root
	logf  func(string, ...any)
}

// account is the unprivileged owner of a cluster started by root.
type account struct {
	name     string
	uid, gid uint32
}

// FallbackFor is the fallback directory for a cluster asked for in dir: a
// directory in /var/tmp (which every account can enter) named for dir's
// absolute path, so that two clusters never share one, and a later run for
// the same dir finds the same cluster.
func FallbackFor(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	sum := sha256.Sum256([]byte(dir))
	return "/var/tmp/hin-graph-pg-" + hex.EncodeToString(sum[:4])
}

// New finds the binaries (installing them if allowed) and prepares the
// directory; it starts nothing.
func New(cfg Config) (*Cluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("pgcluster: no directory")
	}
	c := &Cluster{cfg: cfg, logf: cfg.Logf}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	bin, err := FindBinDir(cfg.BinDir)
	if errors.Is(err, errNoBinaries) && cfg.Install && os.Geteuid() == 0 {
		if err := install(cfg.Dir, c.logf); err != nil {
			return nil, err
		}
		bin, err = FindBinDir(cfg.BinDir)
	}
	if err != nil {
		return nil, err
	}
	c.BinDir = bin
	if c.Major, err = binMajor(bin); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if c.owner, err = chooseOwner(c.logf); err != nil {
			return nil, err
		}
	}
	if err := c.prepareDir(); err != nil {
		return nil, err
	}
	return c, nil
}

var errNoBinaries = errors.New("no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin); install PostgreSQL (Debian/Ubuntu: apt-get install postgresql), set PG_BINDIR, or set DATABASE_URL to an existing database")

// FindBinDir returns dir when it holds initdb and pg_ctl, or with dir empty
// the newest /usr/lib/postgresql/*/bin that does.
func FindBinDir(dir string) (string, error) {
	usable := func(d string) bool {
		for _, f := range []string{"initdb", "pg_ctl", "postgres"} {
			if st, err := os.Stat(filepath.Join(d, f)); err != nil || st.Mode()&0o111 == 0 {
				return false
			}
		}
		return true
	}
	if dir != "" {
		if !usable(dir) {
			return "", fmt.Errorf("pgcluster: %s does not contain initdb, pg_ctl and postgres", dir)
		}
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major first: 9.6 < 10 < 15 as versions, not as strings.
	slices.SortFunc(dirs, func(a, b string) int { return compareVersions(versionOf(b), versionOf(a)) })
	for _, d := range dirs {
		if usable(d) {
			return d, nil
		}
	}
	return "", errNoBinaries
}

func versionOf(binDir string) string { return filepath.Base(filepath.Dir(binDir)) }

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

var versionPattern = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// binMajor is the major version as PG_VERSION spells it: "15", or "9.6"
// before version 10.
func binMajor(bin string) (string, error) {
	out, err := exec.Command(filepath.Join(bin, "postgres"), "-V").Output()
	if err != nil {
		return "", fmt.Errorf("pgcluster: %s/postgres -V: %w", bin, err)
	}
	m := versionPattern.FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("pgcluster: cannot read the version in %q", strings.TrimSpace(string(out)))
	}
	if n, _ := strconv.Atoi(m[1]); n >= 10 || m[2] == "" {
		return m[1], nil
	}
	return m[1] + "." + m[2], nil
}

// install puts PostgreSQL on the machine with apt-get. The package may
// create and start the distribution's own cluster on 5432; that is harmless,
// since only the binaries are used.
func install(dir string, logf func(string, ...any)) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New("pgcluster: no PostgreSQL found and no apt-get to install it; install PostgreSQL or set DATABASE_URL")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "pg-install.log")
	logf("no PostgreSQL binaries found; installing package 'postgresql' (log: %s)", logPath)
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "postgresql"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pgcluster: apt-get %s failed (%v); full log in %s", args[0], err, logPath)
		}
	}
	return nil
}

// chooseOwner picks the account that runs the cluster when we are root:
// the distribution's postgres if there is one, else a system user created
// for the purpose.
func chooseOwner(logf func(string, ...any)) (*account, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		if u, err = user.Lookup("hingraph"); err != nil {
			logf("creating system user 'hingraph' to own the local PostgreSQL cluster")
			out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
				"--shell", "/usr/sbin/nologin", "hingraph").CombinedOutput()
			if err != nil {
				return nil, fmt.Errorf("pgcluster: create system user hingraph: %v: %s", err, out)
			}
			if u, err = user.Lookup("hingraph"); err != nil {
				return nil, err
			}
		}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgcluster: user %s: %w", u.Username, err)
	}
	return &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// command runs a server program as the cluster's owner, from / (the owner
// may not be allowed into the caller's directory), with a scrubbed
// environment, in its own process group so that a Ctrl-C typed at the
// caller's terminal does not reach the server.
func (c *Cluster) command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, prog), args...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + minPath, "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.owner != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.owner.uid, Gid: c.owner.gid}
	} else if home := os.Getenv("HOME"); home != "" {
		cmd.Env = append(cmd.Env, "HOME="+home)
	}
	return cmd
}

// run runs a server program and returns its output with any error.
func (c *Cluster) run(ctx context.Context, prog string, args ...string) error {
	out, err := c.command(ctx, prog, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// chown gives paths to the owner when we are root.
func (c *Cluster) chown(paths ...string) error {
	if c.owner == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(c.owner.uid), int(c.owner.gid)); err != nil {
			return err
		}
	}
	return nil
}

// ownerCanUse reports whether the owner may write in dir (and reach it).
func (c *Cluster) ownerCanUse(dir string) bool {
	if c.owner == nil {
		return true
	}
	cmd := exec.Command("test", "-w", dir, "-a", "-x", dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.owner.uid, Gid: c.owner.gid}}
	return cmd.Run() == nil
}

func (c *Cluster) prepareDir() error {
	dir, err := filepath.Abs(c.cfg.Dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if c.owner != nil {
		if err := c.chown(dir); err != nil || !c.ownerCanUse(dir) {
			if c.cfg.FallbackDir == "" {
				return fmt.Errorf("pgcluster: %s cannot reach %s", c.owner.name, dir)
			}
			c.logf("note: %s cannot reach %s; keeping the cluster in %s", c.owner.name, dir, c.cfg.FallbackDir)
			dir = c.cfg.FallbackDir
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			if err := c.chown(dir); err != nil {
				return err
			}
		}
	}
	c.setPaths(dir)
	if c.SockDir != dir {
		if err := os.MkdirAll(c.SockDir, 0o700); err != nil {
			return err
		}
		return c.chown(c.SockDir)
	}
	return nil
}

func (c *Cluster) setPaths(dir string) {
	c.Dir = dir
	c.DataDir = filepath.Join(dir, "pg")
	c.LogFile = filepath.Join(dir, "pg.log")
	c.SockDir = dir
	// A Unix socket path may be at most ~107 bytes.
	if len(dir)+len("/.s.PGSQL.65535") > 100 {
		sum := sha256.Sum256([]byte(dir))
		c.SockDir = "/tmp/pgcluster-" + hex.EncodeToString(sum[:4])
	}
}

// Running returns the postmaster's PID when the cluster is up. Besides the
// PID file it checks that the process works in this data directory: after
// a reboot a stale postmaster.pid can name a PID now used by another
// process, quite likely another postgres in a container.
func (c *Cluster) Running() (int, bool) {
	lines := c.pidFile()
	if len(lines) < 1 {
		return 0, false
	}
	pid, err := strconv.Atoi(lines[0])
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil {
		real, err := filepath.EvalSymlinks(c.DataDir)
		if err != nil || cwd != real {
			return 0, false
		}
	}
	return pid, true
}

func (c *Cluster) pidFile() []string {
	f, err := os.Open(filepath.Join(c.DataDir, "postmaster.pid"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	return lines
}

// Initialised reports whether the data directory holds a cluster.
func (c *Cluster) Initialised() bool {
	_, err := os.Stat(filepath.Join(c.DataDir, "PG_VERSION"))
	return err == nil
}

// Start initialises the cluster if need be and starts it; a cluster that
// is already running is reused as it is. It returns once the server
// accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	if _, ok := c.Running(); ok {
		c.Port, _ = strconv.Atoi(c.pidLine(3))
		return c.waitReady(ctx)
	}
	if err := c.initdb(ctx); err != nil {
		return err
	}
	preferred := c.cfg.Port
	// A port free when looked at can be taken before the server binds it
	// (another cluster starting, an outgoing connection's local port):
	// then the next one is tried, a few times.
	for attempt := 0; ; attempt++ {
		port, err := freePort(preferred, c.logf)
		if err != nil {
			return err
		}
		c.Port = port
		if err := c.writeConf(); err != nil {
			return err
		}
		if f, err := os.OpenFile(c.LogFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
			_ = f.Close()
			_ = c.chown(c.LogFile)
		}
		err = c.run(ctx, "pg_ctl", "start", "-D", c.DataDir, "-l", c.LogFile, "-w", "-t", "60", "-s")
		if err == nil {
			return c.waitReady(ctx)
		}
		tail := c.logTail()
		if attempt >= 4 || !strings.Contains(tail, "Address already in use") || preferred == 0 {
			return fmt.Errorf("pgcluster: start: %w%s", err, tail)
		}
		c.logf("port %d was taken as the server started; trying the next one", port)
		preferred = port + 1
	}
}

// pidLine returns line i (0-based) of postmaster.pid: 3 is the port.
func (c *Cluster) pidLine(i int) string {
	if lines := c.pidFile(); len(lines) > i {
		return lines[i]
	}
	return ""
}

func (c *Cluster) logTail() string {
	data, err := os.ReadFile(c.LogFile)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return "\nend of " + c.LogFile + ":\n" + strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// initdb creates the cluster unless the data directory holds one of the
// binaries' version. Another version, or the remains of an interrupted
// initdb, are moved aside rather than deleted.
func (c *Cluster) initdb(ctx context.Context) error {
	if have, err := os.ReadFile(filepath.Join(c.DataDir, "PG_VERSION")); err == nil {
		if v := strings.TrimSpace(string(have)); v != c.Major {
			if err := c.moveAside("v"+v, "PostgreSQL "+v+", binaries are "+c.Major); err != nil {
				return err
			}
		}
	} else if entries, err := os.ReadDir(c.DataDir); err == nil && len(entries) > 0 {
		if err := c.moveAside("broken", "no PG_VERSION, probably an interrupted initdb"); err != nil {
			return err
		}
	}
	if !c.Initialised() {
		c.logf("initialising a new cluster in %s", c.DataDir)
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return err
		}
		if err := c.chown(c.DataDir); err != nil {
			return err
		}
		if err := c.run(ctx, "initdb", "-D", c.DataDir, "--auth=trust", "-U", Superuser, "-E", "UTF8", "--no-locale"); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	// Our settings live in their own file, rewritten before every start.
	conf := filepath.Join(c.DataDir, "postgresql.conf")
	data, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	const include = "include_if_exists = 'pgcluster.conf'"
	if !strings.Contains(string(data), include) {
		f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "\n# Added by pgcluster\n%s\n", include)
		if err := errors.Join(err, f.Close()); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) moveAside(tag, why string) error {
	to := c.DataDir + "." + tag + "." + time.Now().Format("20060102-150405")
	if err := os.Rename(c.DataDir, to); err != nil {
		return err
	}
	c.logf("note: moved old data dir (%s) to %s", why, to)
	return nil
}

func (c *Cluster) writeConf() error {
	settings := map[string]string{
		"port":                    strconv.Itoa(c.Port),
		"listen_addresses":        "'127.0.0.1'",
		"unix_socket_directories": "'" + strings.ReplaceAll(c.SockDir, "'", "''") + "'",
		// A throwaway cluster: trade crash safety for speed.
		"fsync":              "off",
		"synchronous_commit": "off",
		"full_page_writes":   "off",
		// Go test packages run in parallel, each with its own pool.
		"max_connections": "300",
		"shared_buffers":  "256MB",
		"work_mem":        "32MB",
	}
	if c.cfg.WALLevel != "" {
		settings["wal_level"] = c.cfg.WALLevel
	}
	maps.Copy(settings, c.cfg.Settings)
	var b strings.Builder
	b.WriteString("# Written by pgcluster before every start; edits are overwritten.\n")
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "%s = %s\n", k, settings[k])
	}
	path := filepath.Join(c.DataDir, "pgcluster.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return c.chown(path)
}

// freePort returns preferred if nothing listens there, else the next free
// port; 0 asks the kernel.
func freePort(preferred int, logf func(string, ...any)) (int, error) {
	if preferred == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port, nil
	}
	if preferred < 1 || preferred > 65535 {
		return 0, fmt.Errorf("pgcluster: invalid port %d", preferred)
	}
	for p := preferred; p < preferred+100 && p < 65536; p++ {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), time.Second)
		if err != nil {
			// nothing answers; can it be bound, too?
			if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p))); err == nil {
				_ = ln.Close()
				return p, nil
			}
			continue
		}
		_ = conn.Close()
		logf("port %d is taken by another service; trying the next one", p)
	}
	return 0, fmt.Errorf("pgcluster: no free port from %d", preferred)
}

// waitReady waits until the server accepts connections.
func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := sql.Open("postgres", c.URL("postgres")+"&connect_timeout=2")
		if err == nil {
			err = db.PingContext(ctx)
			_ = db.Close()
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("pgcluster: PostgreSQL on port %d did not become ready: %w%s", c.Port, err, c.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop shuts the cluster down (fast: open sessions are ended) and waits.
func (c *Cluster) Stop(ctx context.Context) error {
	if _, ok := c.Running(); !ok {
		return nil
	}
	err := c.run(ctx, "pg_ctl", "stop", "-D", c.DataDir, "-m", "fast", "-w", "-t", "60", "-s")
	if _, ok := c.Running(); !ok {
		return nil // it may have gone on its own meanwhile
	}
	return err
}

// URL is a connection URL for database db as the superuser.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.Port, db)
}

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "42P04" {
			return nil // created meanwhile by someone else
		}
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}
