// Package manifeststest validates the deployment files against the code,
// since no Docker engine or cluster runs in CI: it parses deploy/compose.yaml
// and the kustomize files (and, when kubectl is on PATH, their `kubectl
// kustomize` output), checks probes, ports, env names and metric names
// against bot/config, main.go and bot's metrics, and builds the binary with
// deploy/Dockerfile's own `go build` command.
package manifeststest

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"zhenggai/bot"
	"zhenggai/bot/config"
	"zhenggai/handlers"
)

// root is the module root, two levels up from this package.
func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// configVars returns every variable of config.Config: name → secret.
func configVars() map[string]bool {
	out := map[string]bool{}
	rt := reflect.TypeFor[config.Config]()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if name := f.Tag.Get("env"); name != "" {
			out[name] = f.Tag.Get("secret") != ""
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// defaultPort is the port of HTTP_ADDR's default.
func defaultPort(t *testing.T) int {
	t.Helper()
	f, _ := reflect.TypeFor[config.Config]().FieldByName("HTTPAddr")
	_, p, err := net.SplitHostPort(f.Tag.Get("default"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// shutdownSeconds reads serve's shutdown budget from main.go.
func shutdownSeconds(t *testing.T) int {
	t.Helper()
	m := regexp.MustCompile(`shutCtx, shutCancel := context\.WithTimeout\(context\.Background\(\), (\d+)\s*\*\s*time\.Second\)`).
		FindSubmatch(read(t, "main.go"))
	if m == nil {
		t.Fatal("main.go: serve's shutdown timeout (shutCtx … N*time.Second) not found; update this test")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// --- Dockerfile ---

// dockerBuildArgs returns the arguments of the Dockerfile's `go build`.
func dockerBuildArgs(t *testing.T) []string {
	t.Helper()
	m := regexp.MustCompile(`CGO_ENABLED=0 go build ([^\n\\&]+)`).FindSubmatch(read(t, "deploy/Dockerfile"))
	if m == nil {
		t.Fatal("deploy/Dockerfile: no `CGO_ENABLED=0 go build …` line")
	}
	var args []string
	for _, f := range regexp.MustCompile(`(?:[^\s"]+|"[^"]*")+`).FindAllString(strings.TrimSpace(string(m[1])), -1) {
		args = append(args, strings.ReplaceAll(f, `"`, ""))
	}
	want := []string{"-trimpath", "-ldflags=-s -w", "-o", "/zhenggai", "."}
	if !slices.Equal(args, want) {
		t.Fatalf("Dockerfile go build %q, want %q", args, want)
	}
	return args
}

func TestDockerfile(t *testing.T) {
	df := string(read(t, "deploy/Dockerfile"))
	for _, want := range []string{
		"ARG BUILDER_IMAGE=golang:1.26\n",
		"ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot\n",
		"FROM ${BUILDER_IMAGE} AS build",
		"FROM ${RUNTIME_IMAGE}",
		"ENV GOPROXY=${GOPROXY}",
		"USER 65532:65532",
		"COPY go.mod go.sum ./",
		"cp -r deploy/campaigns/. /out/deploy/campaigns/",
		"if [ -d deploy/dingtalk ]; then cp -r deploy/dingtalk/. /out/deploy/dingtalk/; fi",
		"COPY --from=build /out/deploy /deploy",
		`CMD ["/usr/local/bin/zhenggai", "healthcheck"]`,
		`ENTRYPOINT ["/usr/local/bin/zhenggai"]`,
		`CMD ["serve"]`,
		fmt.Sprintf("EXPOSE %d", defaultPort(t)),
		fmt.Sprintf("HTTP_ADDR=:%d", defaultPort(t)),
	} {
		if !strings.Contains(df, want) {
			t.Errorf("deploy/Dockerfile lacks %q", want)
		}
	}
	if !strings.Contains(df, "HEALTHCHECK") {
		t.Error("deploy/Dockerfile has no HEALTHCHECK")
	}
	if _, err := os.Stat(filepath.Join(root(t), "deploy", "campaigns", "demo.yaml")); err != nil {
		t.Errorf("the image ships deploy/campaigns: %v", err)
	}
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// TestMain removes the binary the tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildLikeDockerfile builds the binary once per test run with the
// Dockerfile's `go build` arguments (only -o differs) and returns its path.
func buildLikeDockerfile(t *testing.T) string {
	t.Helper()
	args := dockerBuildArgs(t)
	dir := root(t)
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "zhenggai-build-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "zhenggai")
		args[slices.Index(args, "-o")+1] = built.bin
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cmd := exec.Command(goBin, append([]string{"build"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// TestBuildLikeDockerfile builds with the Dockerfile's command and checks
// that the result runs without a libc (distroless static) and that its
// healthcheck, the image's HEALTHCHECK, tells up from down.
func TestBuildLikeDockerfile(t *testing.T) {
	bin := buildLikeDockerfile(t)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked: distroless static has no loader")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs %v", libs)
	}
	if syms, _ := f.Symbols(); len(syms) > 0 {
		t.Errorf("the binary keeps %d symbols: -ldflags=-s -w not applied", len(syms))
	}
	f.Close()

	run := func(args ...string) error {
		c := exec.Command(bin, args...)
		c.Env = []string{"HTTP_ADDR=:8080"}
		return c.Run()
	}
	if err := run("help"); err != nil {
		t.Errorf("zhenggai help: %v", err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer up.Close()
	if err := run("healthcheck", up.URL+"/healthz"); err != nil {
		t.Errorf("healthcheck of a healthy server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if err := run("healthcheck", "http://"+closed+"/healthz"); err == nil {
		t.Error("healthcheck of nothing succeeded")
	}
}

// --- .env.example ---

func TestEnvExample(t *testing.T) {
	names := map[string]bool{}
	re := regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]*)=`)
	for _, line := range strings.Split(string(read(t, "deploy/.env.example")), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			names[m[1]] = true
		}
	}
	vars := configVars()
	for _, v := range sortedKeys(vars) {
		if !names[v] {
			t.Errorf("deploy/.env.example does not mention %s", v)
		}
	}
	extra := map[string]bool{"POSTGRES_PASSWORD": true, "APP_DB_PASSWORD": true, "BOT_PORT": true, "NO_PROXY": true}
	for _, n := range sortedKeys(names) {
		if _, ok := vars[n]; !ok && !extra[n] && !strings.HasSuffix(n, "_FILE") {
			t.Errorf("deploy/.env.example sets %s, which the bot does not read", n)
		}
	}
}

// --- compose ---

// composeFile is the part of the Compose specification the file uses;
// decoding with KnownFields catches misspelt keys.
type composeFile struct {
	Name     string `yaml:"name"`
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Restart     string            `yaml:"restart"`
		Command     []string          `yaml:"command"`
		EnvFile     string            `yaml:"env_file"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		Build       struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck struct {
			Test        []string `yaml:"test"`
			Interval    string   `yaml:"interval"`
			Timeout     string   `yaml:"timeout"`
			Retries     int      `yaml:"retries"`
			StartPeriod string   `yaml:"start_period"`
		} `yaml:"healthcheck"`
		StopGracePeriod string `yaml:"stop_grace_period"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func TestCompose(t *testing.T) {
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(read(t, "deploy/compose.yaml")))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	for name, svc := range c.Services {
		if name == "migrate" {
			continue // one-shot, checked below
		}
		for _, d := range []string{svc.Healthcheck.Interval, svc.Healthcheck.Timeout, svc.Healthcheck.StartPeriod} {
			if _, err := time.ParseDuration(d); err != nil {
				t.Errorf("service %s health check: %v", name, err)
			}
		}
		if svc.Restart != "unless-stopped" {
			t.Errorf("service %s restart %q, want unless-stopped", name, svc.Restart)
		}
	}
	pg, ok := c.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	if !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres health check %q does not use pg_isready", pg.Healthcheck.Test)
	}
	named := false
	for _, v := range pg.Volumes {
		src, _, _ := strings.Cut(v, ":")
		if _, ok := c.Volumes[src]; ok {
			named = true
		}
	}
	if !named {
		t.Errorf("postgres volumes %v: none is a named volume of %v", pg.Volumes, sortedKeys(c.Volumes))
	}

	b, ok := c.Services["bot"]
	if !ok {
		t.Fatal("no bot service")
	}
	if !slices.Equal(b.Command, []string{"serve"}) {
		t.Errorf("bot command %q, want serve", b.Command)
	}
	if b.EnvFile != ".env" {
		t.Errorf("bot env_file %q, want .env", b.EnvFile)
	}
	if b.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("bot does not wait for a healthy postgres: %+v", b.DependsOn)
	}
	if df := filepath.Join(root(t), "deploy", b.Build.Context, b.Build.Dockerfile); b.Build.Dockerfile == "" {
		t.Error("bot has no build")
	} else if _, err := os.Stat(df); err != nil {
		t.Errorf("bot build: %v", err)
	}
	port := strconv.Itoa(defaultPort(t))
	if len(b.Ports) != 1 || !strings.HasSuffix(b.Ports[0], ":"+port) {
		t.Errorf("bot ports %v, want one mapping to %s", b.Ports, port)
	}
	if b.Environment["HTTP_ADDR"] != ":"+port {
		t.Errorf("bot HTTP_ADDR %q", b.Environment["HTTP_ADDR"])
	}
	if !strings.Contains(b.Environment["DATABASE_URL"], "@postgres:5432/") {
		t.Errorf("bot DATABASE_URL %q does not default to the postgres service", b.Environment["DATABASE_URL"])
	}
	for k := range b.Environment {
		if _, ok := configVars()[k]; !ok {
			t.Errorf("bot sets %s, which the bot does not read", k)
		}
	}
	checkComposeRoles(t, c, read(t, "deploy/postgres-init/10-runtime-role.sh"))
	if !slices.Contains(b.Healthcheck.Test, "healthcheck") {
		t.Errorf("bot health check %q does not use zhenggai healthcheck", b.Healthcheck.Test)
	}
	if d, err := time.ParseDuration(b.StopGracePeriod); err != nil || d <= time.Duration(shutdownSeconds(t))*time.Second {
		t.Errorf("bot stop_grace_period %q is not longer than serve's %d s shutdown", b.StopGracePeriod, shutdownSeconds(t))
	}
}

// checkComposeRoles checks the two database roles of compose: the migrate
// service runs once as the owner before the bot, which serves as the runtime
// role that postgres-init creates and never sees the owner's URL.
func checkComposeRoles(t *testing.T, c composeFile, initScript []byte) {
	t.Helper()
	m, ok := c.Services["migrate"]
	if !ok {
		t.Fatal("no migrate service")
	}
	b, pg := c.Services["bot"], c.Services["postgres"]
	if !slices.Equal(m.Command, []string{"migrate"}) || m.Restart != "no" || m.Image != b.Image {
		t.Errorf("migrate service: command %q restart %q image %q; want migrate, no, the bot's image", m.Command, m.Restart, m.Image)
	}
	if m.DependsOn["postgres"].Condition != "service_healthy" {
		t.Errorf("migrate does not wait for a healthy postgres: %+v", m.DependsOn)
	}
	if b.DependsOn["migrate"].Condition != "service_completed_successfully" {
		t.Errorf("bot does not wait for the migration: %+v", b.DependsOn)
	}
	owner := "postgres://" + pg.Environment["POSTGRES_USER"] + ":"
	if !strings.Contains(m.Environment[migrateURL], owner) {
		t.Errorf("migrate %s %q is not the owner %s", migrateURL, m.Environment[migrateURL], pg.Environment["POSTGRES_USER"])
	}
	if b.Environment[migrateURL] != "" {
		t.Errorf("bot %s %q: serve must not have the owner's URL", migrateURL, b.Environment[migrateURL])
	}
	role := regexp.MustCompile(`CREATE ROLE (\w+) LOGIN`).FindSubmatch(initScript)
	if role == nil {
		t.Fatal("postgres-init/10-runtime-role.sh creates no login role")
	}
	for name, svc := range map[string]string{"bot": b.Environment["DATABASE_URL"], "migrate": m.Environment["DATABASE_URL"]} {
		if !strings.Contains(svc, "postgres://"+string(role[1])+":") || strings.Contains(svc, owner) {
			t.Errorf("%s DATABASE_URL %q is not the runtime role %s", name, svc, role[1])
		}
	}
	if !slices.Contains(pg.Volumes, "./postgres-init:/docker-entrypoint-initdb.d:ro") {
		t.Errorf("postgres does not run postgres-init/: volumes %v", pg.Volumes)
	}
}

// --- Kubernetes ---

type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec       yaml.Node         `yaml:"spec"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name     string `yaml:"name"`
			Key      string `yaml:"key"`
			Optional bool   `yaml:"optional"`
		} `yaml:"secretKeyRef"`
		ResourceFieldRef *struct {
			Resource string `yaml:"resource"`
		} `yaml:"resourceFieldRef"`
	} `yaml:"valueFrom"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	FailureThreshold int `yaml:"failureThreshold"`
	PeriodSeconds    int `yaml:"periodSeconds"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env       []envVar `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	StartupProbe    *probe `yaml:"startupProbe"`
	LivenessProbe   *probe `yaml:"livenessProbe"`
	ReadinessProbe  *probe `yaml:"readinessProbe"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   bool `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
	RestartPolicy string `yaml:"restartPolicy"`
}

type podTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec podSpec `yaml:"spec"`
}

type workloadSpec struct {
	Replicas int `yaml:"replicas"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Strategy struct {
		RollingUpdate struct {
			MaxUnavailable int `yaml:"maxUnavailable"`
		} `yaml:"rollingUpdate"`
	} `yaml:"strategy"`
	Template     podTemplate `yaml:"template"`
	BackoffLimit *int        `yaml:"backoffLimit"`
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
}

type pdbSpec struct {
	MinAvailable int `yaml:"minAvailable"`
	Selector     struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
}

type kustomization struct {
	Resources          []string `yaml:"resources"`
	ConfigMapGenerator []struct {
		Name  string   `yaml:"name"`
		Envs  []string `yaml:"envs"`
		Files []string `yaml:"files"`
	} `yaml:"configMapGenerator"`
}

// docs decodes every YAML document of data.
func docs(t *testing.T, name string, data []byte) []object {
	t.Helper()
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		err := dec.Decode(&o)
		if err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("%s: %v", name, err)
		}
		if o.Kind != "" {
			out = append(out, o)
		}
	}
}

func decodeSpec[T any](t *testing.T, o object) T {
	t.Helper()
	var v T
	if err := o.Spec.Decode(&v); err != nil {
		t.Fatalf("%s %s spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return v
}

func find(objs []object, kind, name string) (object, bool) {
	for _, o := range objs {
		if o.Kind == kind && (name == "" || o.Metadata.Name == name || strings.HasPrefix(o.Metadata.Name, name+"-")) {
			return o, true
		}
	}
	return object{}, false
}

// readEnvFile reads a kustomize envs file: NAME=value lines.
func readEnvFile(t *testing.T, rel string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(string(read(t, rel)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: bad line %q", rel, line)
		}
		out[k] = v
	}
	return out
}

// baseObjects reads the kustomize base: its resources, the generated
// ConfigMaps (unhashed names) and the Secret template.
func baseObjects(t *testing.T) ([]object, kustomization) {
	t.Helper()
	dir := "deploy/k8s/base"
	var k kustomization
	if err := yaml.Unmarshal(read(t, dir+"/kustomization.yaml"), &k); err != nil {
		t.Fatal(err)
	}
	var objs []object
	for _, r := range k.Resources {
		objs = append(objs, docs(t, r, read(t, dir+"/"+r))...)
	}
	for _, g := range k.ConfigMapGenerator {
		o := object{Kind: "ConfigMap", Data: map[string]string{}}
		o.Metadata.Name = g.Name
		for _, e := range g.Envs {
			for kk, v := range readEnvFile(t, dir+"/"+e) {
				o.Data[kk] = v
			}
		}
		for _, f := range g.Files {
			key, file, ok := strings.Cut(f, "=")
			if !ok {
				file = key
			}
			o.Data[filepath.Base(key)] = string(read(t, dir+"/"+file))
		}
		objs = append(objs, o)
	}
	return objs, k
}

// migrateURL is the owner role's URL: only the migrate Job (and compose's
// migrate service) may have it.
const migrateURL = "MIGRATE_DATABASE_URL"

func TestKustomizeBase(t *testing.T) {
	objs, _ := baseObjects(t)
	vars := configVars()
	port := defaultPort(t)

	dep, ok := find(objs, "Deployment", "zhenggai")
	if !ok {
		t.Fatal("no Deployment zhenggai")
	}
	ds := decodeSpec[workloadSpec](t, dep)
	if ds.Replicas != 2 {
		t.Errorf("replicas %d, want 2", ds.Replicas)
	}
	if ds.Strategy.RollingUpdate.MaxUnavailable != 0 {
		t.Errorf("maxUnavailable %d: a rollout must keep both replicas' capacity", ds.Strategy.RollingUpdate.MaxUnavailable)
	}
	for k, v := range ds.Selector.MatchLabels {
		if ds.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels", k, v)
		}
	}
	pod := ds.Template.Spec
	if pod.TerminationGracePeriodSeconds <= shutdownSeconds(t) {
		t.Errorf("terminationGracePeriodSeconds %d is not longer than serve's %d s shutdown", pod.TerminationGracePeriodSeconds, shutdownSeconds(t))
	}
	if !pod.SecurityContext.RunAsNonRoot {
		t.Error("pod does not run as non-root")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("args %q, want serve", c.Args)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port || c.Ports[0].Name != "http" {
		t.Errorf("ports %+v, want http %d", c.Ports, port)
	}
	for name, p := range map[string]*probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		want := map[string]string{"startup": "/healthz", "liveness": "/healthz", "readiness": "/readyz"}[name]
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no %s httpGet probe", name)
		} else if p.HTTPGet.Path != want || p.HTTPGet.Port != "http" {
			t.Errorf("%s probe GET %s on port %s, want GET %s on port http", name, p.HTTPGet.Path, p.HTTPGet.Port, want)
		}
	}
	if c.StartupProbe != nil && c.StartupProbe.FailureThreshold*c.StartupProbe.PeriodSeconds < 60 {
		t.Error("the startup probe gives a first migration less than a minute")
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" {
			t.Errorf("no %s request", r)
		}
	}
	if c.Resources.Limits["memory"] == "" {
		t.Error("no memory limit")
	}
	if !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("container security context %+v", c.SecurityContext)
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	}) bool {
		return m.MountPath == "/tmp"
	}) {
		t.Error("no writable /tmp under a read-only root")
	}

	// Env: non-secrets from the zhenggai-config ConfigMap, secrets one by
	// one from the zhenggai-secrets Secret, every variable somewhere.
	cfg, ok := find(objs, "ConfigMap", "zhenggai-config")
	if !ok {
		t.Fatal("no ConfigMap zhenggai-config")
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "zhenggai-config" {
		t.Errorf("envFrom %+v, want the zhenggai-config ConfigMap", c.EnvFrom)
	}
	if cfg.Data["HTTP_ADDR"] != fmt.Sprintf(":%d", port) {
		t.Errorf("ConfigMap HTTP_ADDR %q, want :%d (the container port)", cfg.Data["HTTP_ADDR"], port)
	}
	secretTmpl := docs(t, "secret.example.yaml", read(t, "deploy/k8s/base/secret.example.yaml"))
	if len(secretTmpl) != 1 || secretTmpl[0].Kind != "Secret" || secretTmpl[0].Metadata.Name != "zhenggai-secrets" {
		t.Fatalf("secret.example.yaml: want one Secret zhenggai-secrets")
	}
	secretKeys := secretTmpl[0].StringData
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != "zhenggai-secrets" || ref.Key != e.Name {
				t.Errorf("env %s reads %s/%s", e.Name, ref.Name, ref.Key)
			}
			if _, ok := secretKeys[ref.Key]; !ok {
				t.Errorf("env %s: the Secret template has no key %s", e.Name, ref.Key)
			}
			if ref.Optional == (e.Name == "DATABASE_URL") {
				t.Errorf("env %s: optional=%v (only DATABASE_URL is required)", e.Name, ref.Optional)
			}
			if e.Name == migrateURL {
				t.Errorf("the Deployment reads %s: serve must run as the runtime role, only the migrate Job as the owner", migrateURL)
			}
			fromSecret[e.Name] = true
		case e.Name == "GOMEMLIMIT":
		default:
			if _, known := vars[e.Name]; !known {
				t.Errorf("env %s is not read by the bot", e.Name)
			}
		}
	}
	for _, v := range sortedKeys(vars) {
		_, inCM := cfg.Data[v]
		_, inSecret := secretKeys[v]
		switch {
		case v == migrateURL:
			if !inSecret {
				t.Errorf("the Secret template has no %s", v)
			}
		case vars[v] && !fromSecret[v]:
			t.Errorf("secret %s does not come from the Secret", v)
		case vars[v] && inCM:
			t.Errorf("secret %s is in the ConfigMap", v)
		case !vars[v] && !inCM:
			t.Errorf("%s is not in the ConfigMap", v)
		case !vars[v] && inSecret:
			t.Errorf("non-secret %s is in the Secret template", v)
		}
	}
	for k := range cfg.Data {
		if _, known := vars[k]; !known && k != "NO_PROXY" {
			t.Errorf("ConfigMap sets %s, which the bot does not read", k)
		}
	}
	for k := range secretKeys {
		if !vars[k] {
			t.Errorf("Secret template has %s, which is no secret of the bot", k)
		}
	}

	// Service and PodDisruptionBudget select the pods.
	svc, ok := find(objs, "Service", "zhenggai")
	if !ok {
		t.Fatal("no Service")
	}
	ss := decodeSpec[serviceSpec](t, svc)
	if !subset(ss.Selector, ds.Template.Metadata.Labels) || len(ss.Selector) == 0 {
		t.Errorf("Service selector %v does not select the pods %v", ss.Selector, ds.Template.Metadata.Labels)
	}
	if len(ss.Ports) != 1 || ss.Ports[0].Name != "http" || ss.Ports[0].TargetPort != "http" {
		t.Errorf("Service ports %+v", ss.Ports)
	}
	pdb, ok := find(objs, "PodDisruptionBudget", "zhenggai")
	if !ok {
		t.Fatal("no PodDisruptionBudget")
	}
	ps := decodeSpec[pdbSpec](t, pdb)
	if ps.MinAvailable < 1 || ps.MinAvailable >= ds.Replicas || !subset(ps.Selector.MatchLabels, ds.Template.Metadata.Labels) {
		t.Errorf("PodDisruptionBudget %+v", ps)
	}

	// Jobs: same image and env as the Deployment.
	for name, args := range map[string][]string{
		"zhenggai-migrate":  {"migrate"},
		"zhenggai-campaign": {"campaign", "apply", "-f", "/etc/zhenggai/campaign/campaign.yaml"},
	} {
		job, ok := find(objs, "Job", name)
		if !ok {
			t.Errorf("no Job %s", name)
			continue
		}
		js := decodeSpec[workloadSpec](t, job)
		if len(js.Template.Spec.Containers) != 1 || js.Template.Spec.RestartPolicy != "Never" {
			t.Errorf("Job %s: want one container, restartPolicy Never", name)
			continue
		}
		jc := js.Template.Spec.Containers[0]
		if !slices.Equal(jc.Args, args) || jc.Image != c.Image {
			t.Errorf("Job %s runs %s %q, want %s %q", name, jc.Image, jc.Args, c.Image, args)
		}
		// Only the migrate Job has the owner role, from the Secret.
		i := slices.IndexFunc(jc.Env, func(e envVar) bool { return e.Name == migrateURL })
		switch {
		case name == "zhenggai-migrate" && i < 0:
			t.Errorf("Job %s has no %s: it would migrate as the runtime role", name, migrateURL)
		case name != "zhenggai-migrate" && i >= 0:
			t.Errorf("Job %s has %s: only the migrate Job runs as the owner", name, migrateURL)
		case i >= 0:
			ref := jc.Env[i].ValueFrom
			if ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Key != migrateURL || !ref.SecretKeyRef.Optional {
				t.Errorf("Job %s: %s must come from the Secret, optional (one URL keeps working)", name, migrateURL)
			}
			jc.Env = slices.Delete(slices.Clone(jc.Env), i, i+1)
		}
		if !reflect.DeepEqual(jc.Env, c.Env) || !reflect.DeepEqual(jc.EnvFrom, c.EnvFrom) {
			t.Errorf("Job %s env differs from the Deployment's (config.Validate would judge another configuration)", name)
		}
	}
	job, _ := find(objs, "Job", "zhenggai-campaign")
	js := decodeSpec[workloadSpec](t, job)
	mounted := false
	for _, v := range js.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == "zhenggai-campaign" {
			mounted = true
		}
	}
	if !mounted {
		t.Error("the campaign Job does not mount the zhenggai-campaign ConfigMap")
	}

	// The campaign ConfigMap holds a valid campaign file, the demo's copy.
	camp, ok := find(objs, "ConfigMap", "zhenggai-campaign")
	if !ok {
		t.Fatal("no ConfigMap zhenggai-campaign")
	}
	data := camp.Data["campaign.yaml"]
	if _, err := handlers.ParseCampaignFile("campaign.yaml", []byte(data)); err != nil {
		t.Errorf("deploy/k8s/base/campaign.yaml: %v", err)
	}
	// It starts as a copy of the demo; a difference is worth a look, not a
	// failure (the demo may move on; the base's copy is an example too).
	if data != string(read(t, "deploy/campaigns/demo.yaml")) {
		t.Log("deploy/k8s/base/campaign.yaml differs from deploy/campaigns/demo.yaml (refresh: cp deploy/campaigns/demo.yaml deploy/k8s/base/campaign.yaml)")
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

// --- monitoring ---

// metricNames returns every metric name bot exports.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	var cs []prometheus.Collector
	m := bot.NewMetrics(prometheus.NewRegistry())
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		if c, ok := v.Field(i).Interface().(prometheus.Collector); ok {
			if _, isReg := c.(*prometheus.Registry); !isReg {
				cs = append(cs, c)
			}
		}
	}
	cs = append(cs, bot.NewQueueCollector(nil, nil, nil))
	out := map[string]bool{}
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	for _, c := range cs {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if mm := re.FindStringSubmatch(d.String()); mm != nil {
				out[mm[1]] = true
			}
		}
	}
	if len(out) < 8 {
		t.Fatalf("found only %v", sortedKeys(out))
	}
	return out
}

// checkMetricNames reports every zhenggai_* name in text that bot does
// not export.
func checkMetricNames(t *testing.T, file, text string, known map[string]bool) {
	t.Helper()
	for _, n := range regexp.MustCompile(`zhenggai_[a-z0-9_]+`).FindAllString(text, -1) {
		base := n
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suf); ok && known[b] {
				base = b
			}
		}
		if !known[base] {
			t.Errorf("%s names %s, which bot does not export (known: %s)", file, n, strings.Join(sortedKeys(known), ", "))
		}
	}
}

func TestMonitoring(t *testing.T) {
	known := metricNames(t)
	objs := docs(t, "monitoring", append(append(read(t, "deploy/k8s/monitoring/servicemonitor.yaml"), "\n---\n"...),
		read(t, "deploy/k8s/monitoring/prometheusrule.yaml")...))
	base, _ := baseObjects(t)
	svc, _ := find(base, "Service", "zhenggai")

	sm, ok := find(objs, "ServiceMonitor", "zhenggai")
	if !ok {
		t.Fatal("no ServiceMonitor")
	}
	var sms struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Endpoints []struct {
			Port string `yaml:"port"`
			Path string `yaml:"path"`
		} `yaml:"endpoints"`
	}
	if err := sm.Spec.Decode(&sms); err != nil {
		t.Fatal(err)
	}
	if !subset(sms.Selector.MatchLabels, svc.Metadata.Labels) && !subset(sms.Selector.MatchLabels, withBaseLabels(svc.Metadata.Labels)) {
		t.Errorf("ServiceMonitor selects %v; the Service has %v", sms.Selector.MatchLabels, svc.Metadata.Labels)
	}
	if len(sms.Endpoints) != 1 || sms.Endpoints[0].Port != "http" || sms.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v", sms.Endpoints)
	}

	pr, ok := find(objs, "PrometheusRule", "zhenggai")
	if !ok {
		t.Fatal("no PrometheusRule")
	}
	var prs struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := pr.Spec.Decode(&prs); err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range prs.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			checkMetricNames(t, "prometheusrule.yaml "+r.Alert, r.Expr, known)
		}
	}
	for _, a := range []string{"ZhenggaiLongConnectionSilent", "ZhenggaiDeliveriesFailing", "ZhenggaiRemindersOverdue"} {
		if !alerts[a] {
			t.Errorf("no alert %s", a)
		}
	}
	if guide, err := os.ReadFile(filepath.Join(root(t), "deploy", "README-operate.md")); err == nil {
		checkMetricNames(t, "deploy/README-operate.md", string(guide), known)
	} else {
		t.Errorf("deploy/README-operate.md: %v", err)
	}
}

// withBaseLabels adds the labels kustomization.yaml puts on every object.
func withBaseLabels(l map[string]string) map[string]string {
	out := map[string]string{"app.kubernetes.io/name": "zhenggai", "app.kubernetes.io/part-of": "zhenggai"}
	for k, v := range l {
		out[k] = v
	}
	return out
}

// TestKustomizeBuild renders the base and the monitoring overlay with
// `kubectl kustomize` when kubectl is installed, and checks that the
// generated (hash-suffixed) ConfigMap names reach the pods.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl is not installed: the raw manifests are checked by TestKustomizeBase only")
		return
	}
	for _, dir := range []string{"deploy/k8s/base", "deploy/k8s/monitoring"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, kubectl, "kustomize", filepath.Join(root(t), dir))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Errorf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
			continue
		}
		objs := docs(t, dir, out)
		names := map[string]bool{}
		for _, o := range objs {
			names[o.Kind+"/"+o.Metadata.Name] = true
			if o.Metadata.Labels["app.kubernetes.io/name"] != "zhenggai" {
				t.Errorf("%s: %s %s lacks app.kubernetes.io/name", dir, o.Kind, o.Metadata.Name)
			}
		}
		want := []string{"Deployment/zhenggai", "Service/zhenggai", "PodDisruptionBudget/zhenggai", "Job/zhenggai-migrate", "Job/zhenggai-campaign"}
		if strings.HasSuffix(dir, "monitoring") {
			want = append(want, "ServiceMonitor/zhenggai", "PrometheusRule/zhenggai")
		}
		for _, w := range want {
			if !names[w] {
				t.Errorf("%s renders no %s", dir, w)
			}
		}
		dep, _ := find(objs, "Deployment", "zhenggai")
		ds := decodeSpec[workloadSpec](t, dep)
		ref := ds.Template.Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name
		if !strings.HasPrefix(ref, "zhenggai-config-") || !names["ConfigMap/"+ref] {
			t.Errorf("%s: the Deployment reads ConfigMap %q, which is not rendered", dir, ref)
		}
		job, _ := find(objs, "Job", "zhenggai-campaign")
		js := decodeSpec[workloadSpec](t, job)
		for _, v := range js.Template.Spec.Volumes {
			if v.ConfigMap != nil && !names["ConfigMap/"+v.ConfigMap.Name] {
				t.Errorf("%s: the campaign Job mounts ConfigMap %q, which is not rendered", dir, v.ConfigMap.Name)
			}
		}
	}
}
