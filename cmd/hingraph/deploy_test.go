package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The manifests under deploy/ are checked offline, with no cluster and no
// downloaded schema: each Kubernetes object is decoded strictly into its
// k8s.io/api type as the API server would (an unknown, misspelt or
// miscapitalised field, a wrong type or a bad quantity fails), deploy/compose.yaml is loaded and validated against the
// Compose specification by compose-go, and both are held to what the image
// (deploy/Containerfile) and the binary (its environment variables) are.

const deployDir = "../../deploy"

// imageFacts reads the user and ports the image declares.
func imageFacts(t *testing.T) (uid int64, ports []int32) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "USER":
			u, _, _ := strings.Cut(f[1], ":")
			if uid, err = strconv.ParseInt(u, 10, 64); err != nil {
				t.Fatalf("Containerfile USER %s is not numeric", f[1])
			}
		case "EXPOSE":
			for _, p := range f[1:] {
				n, err := strconv.ParseInt(strings.TrimSuffix(p, "/tcp"), 10, 32)
				if err != nil {
					t.Fatalf("Containerfile EXPOSE %s: %v", p, err)
				}
				ports = append(ports, int32(n))
			}
		}
	}
	if uid == 0 || len(ports) == 0 {
		t.Fatalf("Containerfile declares user %d and ports %v", uid, ports)
	}
	return uid, ports
}

// knownEnv is every environment variable `serve` reads, from the flag
// bindings themselves, and the Go runtime's own.
func knownEnv() map[string]bool {
	var c config
	fs := newFlagSet("serve", io.Discard)
	c.bindDB(fs)
	c.bindServe(fs)
	c.bindNode(fs)
	c.bindAuth(fs, "")
	known := map[string]bool{"GOMEMLIMIT": true, "GOGC": true, "GOMAXPROCS": true}
	for _, env := range c.env {
		known[env] = true
	}
	return known
}

type manifests struct {
	deployment *appsv1.Deployment
	job        *batchv1.Job
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	configMap  *corev1.ConfigMap
	policy     *networkingv1.NetworkPolicy
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests under deploy/kubernetes (%v)", err)
	}
	var m manifests
	once := func(file, kind string, seen bool) {
		if seen {
			t.Errorf("%s: a second %s; the checks below expect one", file, kind)
		}
	}
	docSep := regexp.MustCompile(`(?m)^---\s*$`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range docSep.Split(string(b), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var obj any
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				once(f, head.Kind, m.deployment != nil)
				m.deployment = &appsv1.Deployment{}
				obj = m.deployment
			case "batch/v1 Job":
				once(f, head.Kind, m.job != nil)
				m.job = &batchv1.Job{}
				obj = m.job
			case "v1 Service":
				once(f, head.Kind, m.service != nil)
				m.service = &corev1.Service{}
				obj = m.service
			case "policy/v1 PodDisruptionBudget":
				once(f, head.Kind, m.pdb != nil)
				m.pdb = &policyv1.PodDisruptionBudget{}
				obj = m.pdb
			case "networking.k8s.io/v1 NetworkPolicy":
				once(f, head.Kind, m.policy != nil)
				m.policy = &networkingv1.NetworkPolicy{}
				obj = m.policy
			case "v1 ConfigMap":
				once(f, head.Kind, m.configMap != nil)
				m.configMap = &corev1.ConfigMap{}
				obj = m.configMap
			default:
				t.Fatalf("%s: %s %q is not one this test knows; add its type here", f, head.APIVersion, head.Kind)
			}
			// As the API server decodes: field names match case-sensitively,
			// and an unknown or repeated field is an error.
			j, err := yaml.YAMLToJSONStrict([]byte(doc))
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			strictErrs, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
			if err != nil {
				t.Errorf("%s: %s does not decode into k8s.io/api: %v", f, head.Kind, err)
			}
			for _, e := range strictErrs {
				t.Errorf("%s: %s: %v", f, head.Kind, e)
			}
		}
	}
	if m.deployment == nil || m.job == nil || m.service == nil || m.pdb == nil || m.configMap == nil || m.policy == nil {
		t.Fatalf("deploy/kubernetes lacks one of Deployment, Job, Service, PodDisruptionBudget, ConfigMap, NetworkPolicy")
	}
	return m
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	uid, ports := imageFacts(t)
	known := knownEnv()
	m := loadManifests(t)
	d, job := m.deployment, m.job

	for k := range m.configMap.Data {
		if !known[k] {
			t.Errorf("ConfigMap %s sets %s, which hingraph serve does not read", m.configMap.Name, k)
		}
	}
	checkPod(t, "Deployment", d.Spec.Template.Spec, uid, known, m.configMap.Name)
	checkPod(t, "Job", job.Spec.Template.Spec, uid, known, m.configMap.Name)

	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "serve" || slices.Contains(c.Args, "--migrate") {
		t.Errorf("Deployment args %v: want serve, without --migrate (the Job migrates)", c.Args)
	}
	if jc := job.Spec.Template.Spec.Containers[0]; len(jc.Args) != 1 || jc.Args[0] != "migrate" {
		t.Errorf("Job args %v, want [migrate]", jc.Args)
	}
	if jc := job.Spec.Template.Spec.Containers[0]; jc.Image != c.Image {
		t.Errorf("Job image %s, Deployment image %s: one release, one image", jc.Image, c.Image)
	}
	if p := job.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
		t.Errorf("Job restartPolicy %q", p)
	}

	// The probes hit the server's own paths on the port the image exposes.
	var http corev1.ContainerPort
	for _, p := range c.Ports {
		if p.Name == "http" {
			http = p
		}
		if !slices.Contains(ports, p.ContainerPort) {
			t.Errorf("container port %s %d is not one the image exposes (%v)", p.Name, p.ContainerPort, ports)
		}
	}
	if http.ContainerPort == 0 {
		t.Fatal("the Deployment's container has no port named http")
	}
	for name, probe := range map[string]struct {
		p    *corev1.Probe
		path string
	}{"liveness": {c.LivenessProbe, "/livez"}, "readiness": {c.ReadinessProbe, "/readyz"}, "startup": {c.StartupProbe, "/livez"}} {
		if probe.p == nil || probe.p.HTTPGet == nil {
			t.Errorf("%s probe: want an HTTP GET of %s", name, probe.path)
			continue
		}
		if g := probe.p.HTTPGet; g.Path != probe.path || g.Port.String() != "http" {
			t.Errorf("%s probe gets %s on port %s, want %s on http", name, g.Path, g.Port.String(), probe.path)
		}
	}

	// Shutdown fits in the grace period, after the preStop pause.
	shutdown, err := time.ParseDuration(m.configMap.Data["HINGRAPH_SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("HINGRAPH_SHUTDOWN_TIMEOUT: %v", err)
	}
	var pause time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		pause = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	var grace time.Duration
	if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if grace <= shutdown+pause {
		t.Errorf("terminationGracePeriodSeconds %s must exceed the shutdown timeout %s plus the preStop pause %s", grace, shutdown, pause)
	}

	// Selectors find the pods; the PDB leaves one serving.
	pods := d.Spec.Template.Labels
	if !subset(d.Spec.Selector.MatchLabels, pods) {
		t.Errorf("the Deployment's selector %v does not match its pods %v", d.Spec.Selector.MatchLabels, pods)
	}
	if m.pdb.Spec.Selector == nil || !subset(m.pdb.Spec.Selector.MatchLabels, pods) || !subset(m.pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("the PodDisruptionBudget's selector does not pick the Deployment's pods")
	}
	if subset(m.pdb.Spec.Selector.MatchLabels, job.Spec.Template.Labels) || subset(m.service.Spec.Selector, job.Spec.Template.Labels) {
		t.Errorf("the migration Job's pods are picked by the PodDisruptionBudget or the Service")
	}
	if m.pdb.Spec.MinAvailable == nil && m.pdb.Spec.MaxUnavailable == nil {
		t.Errorf("the PodDisruptionBudget sets neither minAvailable nor maxUnavailable")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("replicas %v: a PodDisruptionBudget keeping one pod needs at least two", d.Spec.Replicas)
	}
	if !subset(m.service.Spec.Selector, pods) || len(m.service.Spec.Selector) == 0 {
		t.Errorf("the Service's selector %v does not match the pods %v", m.service.Spec.Selector, pods)
	}
	// The NetworkPolicy opens named ports the pods have, metrics to some only.
	if !subset(m.policy.Spec.PodSelector.MatchLabels, pods) || len(m.policy.Spec.PodSelector.MatchLabels) == 0 {
		t.Errorf("the NetworkPolicy's selector %v does not pick the pods %v", m.policy.Spec.PodSelector.MatchLabels, pods)
	}
	for _, rule := range m.policy.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port == nil || !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.Port.String() }) {
				t.Errorf("the NetworkPolicy opens port %v, which the container does not name", p.Port)
			}
			if p.Port != nil && p.Port.String() == "metrics" && len(rule.From) == 0 {
				t.Errorf("the NetworkPolicy opens the metrics port to everyone")
			}
		}
	}
	for _, p := range m.service.Spec.Ports {
		if p.TargetPort.String() != "http" {
			t.Errorf("the Service sends port %d to %s; only http is public (metrics stay in the cluster)", p.Port, p.TargetPort.String())
		}
	}
}

// checkPod holds a pod to the image: its user, non-root, a read-only root
// filesystem, no privileges, resources, and settings the binary reads with
// the database URL and keys from a Secret.
func checkPod(t *testing.T, kind string, spec corev1.PodSpec, uid int64, known map[string]bool, configMap string) {
	t.Helper()
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != uid {
		t.Errorf("%s: the pod must run as non-root user %d (the image's USER)", kind, uid)
	}
	if sc != nil && (sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault) {
		t.Errorf("%s: seccompProfile RuntimeDefault expected (restricted Pod Security Standard)", kind)
	}
	if a := spec.AutomountServiceAccountToken; a == nil || *a {
		t.Errorf("%s: automountServiceAccountToken should be false: the API never calls Kubernetes", kind)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", kind, len(spec.Containers))
	}
	c := spec.Containers[0]
	csc := c.SecurityContext
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: the container needs readOnlyRootFilesystem, no privilege escalation and all capabilities dropped", kind)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("%s: no %s request", kind, r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", kind)
	}
	var dbFromSecret bool
	for _, e := range c.Env {
		if !known[e.Name] {
			t.Errorf("%s: env %s is not read by hingraph", kind, e.Name)
		}
		secret := e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
		if (e.Name == "DATABASE_URL" || strings.Contains(e.Name, "SECRET")) && !secret {
			t.Errorf("%s: %s must come from a Secret, not the manifest", kind, e.Name)
		}
		if e.Name == "DATABASE_URL" && secret {
			dbFromSecret = true
		}
	}
	if !dbFromSecret {
		t.Errorf("%s: DATABASE_URL is not taken from a Secret", kind)
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name != configMap {
			t.Errorf("%s: envFrom names ConfigMap %s; the one here is %s", kind, ef.ConfigMapRef.Name, configMap)
		}
	}
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestComposeFile(t *testing.T) {
	t.Parallel()
	uid, ports := imageFacts(t)
	known := knownEnv()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(deployDir, "compose.yaml")},
		cli.WithEnv([]string{"POSTGRES_PASSWORD=example", "HINGRAPH_IMAGE=hingraph:test"}),
		cli.WithWorkingDirectory(deployDir), cli.WithConsistency(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("deploy/compose.yaml does not load and validate: %v", err)
	}
	user := strconv.FormatInt(uid, 10) + ":" + strconv.FormatInt(uid, 10)
	want := map[string]string{"migrate": "migrate", "hingraph": "serve"}
	for name, cmd := range want {
		s, err := p.GetService(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Command) != 1 || s.Command[0] != cmd {
			t.Errorf("service %s runs %v, want [%s]", name, s.Command, cmd)
		}
		if s.Image != "hingraph:test" {
			t.Errorf("service %s image %s: want ${HINGRAPH_IMAGE}", name, s.Image)
		}
		if s.User != user || !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("service %s: want user %s, read_only and cap_drop ALL", name, user)
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("service %s sets %s, which hingraph does not read", name, k)
			}
		}
	}
	api, _ := p.GetService("hingraph")
	if dep, ok := api.DependsOn["migrate"]; !ok || dep.Condition != "service_completed_successfully" {
		t.Errorf("the API must wait for the migrations to complete: depends_on %v", api.DependsOn)
	}
	if hc := api.HealthCheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/hingraph", "probe"}) {
		t.Errorf("the API's healthcheck should run /hingraph probe (the image has no shell): %+v", hc)
	}
	for _, port := range api.Ports {
		if !slices.Contains(ports, int32(port.Target)) {
			t.Errorf("published port %d is not one the image exposes (%v)", port.Target, ports)
		}
	}
}
