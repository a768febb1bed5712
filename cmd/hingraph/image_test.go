package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The parts of an OCI image layout this test reads.
type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations"`
}

type ociManifest struct {
	Config      ociDescriptor     `json:"config"`
	Layers      []ociDescriptor   `json:"layers"`
	Annotations map[string]string `json:"annotations"`
}

type ociConfig struct {
	Config struct {
		User         string              `json:"User"`
		Env          []string            `json:"Env"`
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		WorkingDir   string              `json:"WorkingDir"`
	} `json:"config"`
}

// TestImage proves the image that `make image` wrote runs, where `podman
// run` cannot (the sandbox refuses its cgroups): the archive's layers are
// unpacked into a directory and its entrypoint started from there as the
// image's user, with the image's environment, against the test PostgreSQL.
// `serve --migrate` must become ready and answer a query and the pages.
// make image-test sets HINGRAPH_IMAGE; without it the test is skipped.
func TestImage(t *testing.T) {
	archive := os.Getenv("HINGRAPH_IMAGE")
	if archive == "" {
		t.Skip("HINGRAPH_IMAGE is not set: make image-test builds the image and runs this test")
	}
	if os.Geteuid() != 0 {
		t.Skip("running the entrypoint as the image's user needs root (to switch user)")
	}
	blobs := readArchive(t, archive)
	var index struct{ Manifests []ociDescriptor }
	decodeBlob(t, blobs, "index.json", &index)
	if len(index.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(index.Manifests))
	}
	var m ociManifest
	decodeBlob(t, blobs, blobPath(index.Manifests[0].Digest), &m)
	var cfg ociConfig
	decodeBlob(t, blobs, blobPath(m.Config.Digest), &cfg)
	c := cfg.Config

	// Labelled with the commit and version it was built from.
	for _, k := range []string{"org.opencontainers.image.revision", "org.opencontainers.image.version", "org.opencontainers.image.created"} {
		if m.Annotations[k] == "" {
			t.Errorf("manifest annotation %s is missing", k)
		}
	}
	// A numeric, non-root user (runAsNonRoot checks the number).
	uid, gid, err := parseUser(c.User)
	if err != nil || uid == 0 {
		t.Fatalf("image user %q: want a numeric non-root uid:gid (%v)", c.User, err)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v lack 8080/tcp", c.ExposedPorts)
	}
	if len(c.Entrypoint) == 0 {
		t.Fatal("the image has no entrypoint")
	}

	root := unpackLayers(t, blobs, m.Layers)
	for _, f := range []string{"etc/ssl/certs/ca-certificates.crt", "usr/share/zoneinfo/Europe/London", "etc/passwd"} {
		if st, err := os.Stat(filepath.Join(root, f)); err != nil || st.Size() == 0 {
			t.Errorf("/%s missing or empty in the image: %v", f, err)
		}
	}
	if passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); !bytes.Contains(passwd, []byte(fmt.Sprintf(":%d:%d:", uid, gid))) {
		t.Errorf("/etc/passwd names no user %d:%d:\n%s", uid, gid, passwd)
	}
	entry := filepath.Join(root, c.Entrypoint[0])
	run := func(ctx context.Context, env map[string]string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, entry, append(append([]string(nil), c.Entrypoint[1:]...), args...)...)
		cmd.Dir = filepath.Join(root, c.WorkingDir)
		cmd.Env = append([]string(nil), c.Env...)
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		return cmd
	}

	out, err := run(context.Background(), nil, "version").Output()
	if err != nil || !strings.Contains(string(out), m.Annotations["org.opencontainers.image.revision"]) {
		t.Errorf("hingraph version printed %q (%v), want the revision %q", out, err, m.Annotations["org.opencontainers.image.revision"])
	}
	// With the unpacked tree as its root, nothing of this machine's is
	// there: a binary that needed a dynamic loader or libc would not start.
	chrooted := exec.Command(c.Entrypoint[0], append(append([]string(nil), c.Entrypoint[1:]...), "version")...)
	chrooted.Dir, chrooted.Env = "/", c.Env
	chrooted.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	if out, err := chrooted.CombinedOutput(); errors.Is(err, syscall.EPERM) {
		t.Logf("chroot refused here, the static binary is checked only outside it: %v", err)
	} else if err != nil || !strings.HasPrefix(string(out), "hingraph ") {
		t.Errorf("hingraph version inside the image's root: %v\n%s", err, out)
	}

	// The image's default command with --migrate, on a port of our own
	// (the image listens on :8080, taken when tests run side by side).
	addr := os.Getenv("HINGRAPH_IMAGE_TEST_ADDR")
	if addr == "" {
		addr = freeAddr(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	cmd := run(ctx, map[string]string{"DATABASE_URL": bareDatabase(t), "HINGRAPH_ADDR": addr, "HINGRAPH_METRICS": "false"},
		append(append([]string(nil), c.Cmd...), "--migrate")...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", entry, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("the image's process logged:\n%s", logs.String())
		}
	}()

	base := "http://" + addr
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("the entrypoint exited before it was ready: %v", err)
		default:
		}
		if resp, err := client.Get(base + "/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not answer 200 within 90s")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The healthcheck command from the image finds it ready.
	if out, err := run(context.Background(), map[string]string{"HINGRAPH_ADDR": addr}, "probe").CombinedOutput(); err != nil {
		t.Errorf("hingraph probe from the image: %v\n%s", err, out)
	}

	// It runs as the image's user, not as root.
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("Uid:\t%d\t%d", uid, uid); !strings.Contains(string(status), want) {
		t.Errorf("the process's ids are not the image user's (%s):\n%s", want, status)
	}

	resp, err := client.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"query ImageCheck { regions { code } }","operationName":"ImageCheck"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"data":{"regions":[]}}` {
		t.Errorf("query on the freshly migrated database: status %d, body %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/livez", "/", "/dashboard"} {
		resp, err := client.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK { // 503 would mean the pages were not embedded
			t.Errorf("GET %s: status %d", p, resp.StatusCode)
		}
	}

	cancel() // SIGTERM, as the kubelet sends
	select {
	case err := <-exited:
		// Wait reports the cancelled context even after a clean exit.
		if (err != nil && !errors.Is(err, context.Canceled)) || !cmd.ProcessState.Success() {
			t.Errorf("on SIGTERM the entrypoint exited with %v (%v), want a clean shutdown", err, cmd.ProcessState)
		}
	case <-time.After(30 * time.Second):
		t.Error("the entrypoint did not exit within 30s of SIGTERM")
	}
}

func parseUser(u string) (uid, gid uint32, err error) {
	us, gs, ok := strings.Cut(u, ":")
	if !ok {
		gs = us
	}
	a, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, err
	}
	b, err := strconv.ParseUint(gs, 10, 32)
	return uint32(a), uint32(b), err
}

func blobPath(digest string) string { return "blobs/" + strings.Replace(digest, ":", "/", 1) }

// readArchive returns the files of an OCI archive by path.
func readArchive(t *testing.T, name string) map[string][]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[path.Clean(h.Name)] = b
		}
	}
}

func decodeBlob(t *testing.T, blobs map[string][]byte, name string, v any) {
	t.Helper()
	b, ok := blobs[name]
	if !ok {
		t.Fatalf("the archive has no %s", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// unpackLayers applies the layers in order into a new directory, readable
// by the image's user, and returns it. Files keep the image's modes and
// stay owned by root, so the process cannot write to its root filesystem.
func unpackLayers(t *testing.T, blobs map[string][]byte, layers []ociDescriptor) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hingraph-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	var dirModes []func()
	for _, l := range layers {
		b := blobs[blobPath(l.Digest)]
		var r io.Reader = bytes.NewReader(b)
		switch l.MediaType {
		case "application/vnd.oci.image.layer.v1.tar+gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		case "application/vnd.oci.image.layer.v1.tar":
		default:
			t.Fatalf("layer media type %s", l.MediaType)
		}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(root, filepath.FromSlash(path.Clean("/"+h.Name)))
			if strings.HasPrefix(path.Base(h.Name), ".wh.") {
				t.Fatalf("whiteout %s: this image should have a single layer", h.Name)
			}
			mode := os.FileMode(h.Mode) & os.ModePerm
			switch h.Typeflag {
			case tar.TypeDir:
				if err := os.MkdirAll(name, 0o755); err != nil {
					t.Fatal(err)
				}
				// read-only directories get their mode once they are filled
				dirModes = append(dirModes, func() { _ = os.Chmod(name, mode) })
			case tar.TypeReg:
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				out, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(out, tr); err != nil {
					t.Fatal(err)
				}
				if err := out.Close(); err != nil {
					t.Fatal(err)
				}
			case tar.TypeSymlink:
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(h.Linkname, name); err != nil {
					t.Fatal(err)
				}
			case tar.TypeLink:
				if err := os.Link(filepath.Join(root, filepath.FromSlash(path.Clean("/"+h.Linkname))), name); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("%s: unexpected tar entry type %c", h.Name, h.Typeflag)
			}
		}
	}
	for i := len(dirModes) - 1; i >= 0; i-- {
		dirModes[i]()
	}
	return root
}
