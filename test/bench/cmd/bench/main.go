// Command bench is what `make bench` runs after the in-process benchmarks: it starts the test control plane
// (etcd, kube-apiserver 1.36, gardener-apiserver), the seed component as its own process and a no-op webhook, and
// measures, in one run, pod CREATEs end to end for every variant (interleaved rounds), where their time goes, the
// webhook server alone under load, and the seed component's memory with many realistic Clusters. It prints the
// figures as Markdown (also written to <out>/report.md) and, as its last line, the headline.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/bench"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

type options struct {
	out, seedBinary, noopBinary, micro string
	phases                             string
	e2e                                bench.E2EOptions
	attributionPods                    int
	loadDuration                       time.Duration
	clusters                           string
	profileVariants                    string
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", ".cache/bench", "directory for logs, profiles and report.md")
	flag.StringVar(&o.seedBinary, "seed-binary", "", "the seed component's binary (built from ./cmd/gardener-extension-runtime-sandbox)")
	flag.StringVar(&o.noopBinary, "noop-binary", "", "the no-op webhook's binary (built from ./test/bench/cmd/noop-webhook)")
	flag.StringVar(&o.micro, "micro", "", "output of the in-process benchmarks (go test -bench) to include in the report")
	flag.StringVar(&o.phases, "phases", "e2e,load,memory", "phases to run: e2e, load, memory, profile")
	flag.IntVar(&o.e2e.Rounds, "rounds", 5, "interleaved rounds of the end-to-end variants")
	flag.IntVar(&o.e2e.Sequential, "sequential", 100, "pods created one after another per variant and round")
	flag.IntVar(&o.e2e.Concurrent, "concurrent", 200, "pods created by the concurrent clients per variant and round")
	flag.IntVar(&o.e2e.Clients, "clients", 8, "concurrent clients")
	flag.IntVar(&o.e2e.Warmup, "warmup", 50, "unmeasured pods per variant before the first round")
	flag.IntVar(&o.attributionPods, "attribution-pods", 200, "pods per variant for the attribution from metrics")
	flag.DurationVar(&o.loadDuration, "load-duration", 5*time.Second, "measured duration of each load run")
	flag.StringVar(&o.clusters, "clusters", "100,1000", "numbers of realistic Clusters to measure the seed component's memory with")
	flag.StringVar(&o.profileVariants, "profile-variants", "c", "variants whose pod CREATEs the profile phase profiles kube-apiserver and the seed component under")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	report := filepath.Join(o.out, "report.md")
	f, err := os.Create(report)
	if err == nil {
		res.WriteMarkdown(f)
		err = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: writing the report:", err)
	}
	res.WriteMarkdown(os.Stdout)
	fmt.Println(res.HeadlineLine())
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, o options) (res bench.Results, err error) {
	phases := strings.Split(o.phases, ",")
	if o.seedBinary == "" || o.noopBinary == "" {
		return res, errors.New("--seed-binary and --noop-binary are required")
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return res, err
	}
	if o.micro != "" {
		data, err := os.ReadFile(o.micro)
		if err != nil {
			return res, err
		}
		res.Micro = string(data)
	}
	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))

	progress("starting etcd, kube-apiserver and gardener-apiserver (logs in %s)", filepath.Join(o.out, "control-plane.log"))
	land, err := startLandscape(ctx, filepath.Join(o.out, "control-plane.log"))
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, land.Stop()) }()
	if err := land.BootstrapSeed(ctx); err != nil {
		return res, err
	}

	seedLog, err := os.Create(filepath.Join(o.out, "seed.log"))
	if err != nil {
		return res, err
	}
	defer seedLog.Close()
	seedMetrics, seedPprof := freeAddr(), freeAddr()
	progress("starting the seed component (%s) as its own process", o.seedBinary)
	seed, err := land.StartSeedProcess(ctx, o.seedBinary, nil, seedLog,
		"--metrics-bind-address="+seedMetrics, "--pprof-bind-address="+seedPprof)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, seed.Stop()) }()
	seedHTTP2, err := negotiatesHTTP2(seed.URL)
	if err != nil {
		return res, err
	}

	noopDir := filepath.Join(o.out, "noop")
	noopMetrics := freeAddr()
	capture := filepath.Join(o.out, "pod-review.json")
	_ = os.Remove(capture)
	noopURL, noopCA, stopNoop, err := startNoop(ctx, o.noopBinary, noopDir, noopMetrics, capture, seedHTTP2)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, stopNoop()) }()

	if err := deployShoot(ctx, land, seed, filepath.Join(o.out, "shoot-controllers.log")); err != nil {
		return res, err
	}
	progress("setting up the variants")
	variants := bench.Variants()
	if err := bench.SetUp(ctx, land.Client, variants, admissionregistrationv1.WebhookClientConfig{URL: new(noopURL + "/noop"), CABundle: noopCA}); err != nil {
		return res, err
	}
	for _, v := range variants {
		var last error
		if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			err := bench.Check(ctx, land.Client, v)
			if ctx.Err() == nil {
				last = err
			}
			return err == nil, nil
		}); err != nil {
			return res, fmt.Errorf("variant %s is not admitted as expected: %v", v.Key, last)
		}
	}

	cfg := rest.CopyConfig(land.Config)
	cfg.QPS = -1
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return res, err
	}
	creator := &bench.Creator{Clientset: clientset}

	if slices.Contains(phases, "e2e") {
		progress("end to end: %d rounds of %d sequential and %d concurrent pod CREATEs per variant", o.e2e.Rounds, o.e2e.Sequential, o.e2e.Concurrent)
		if res.E2E, err = creator.Measure(ctx, variants, o.e2e, func(s string) { progress("%s", s) }); err != nil {
			return res, err
		}
		sources := bench.MetricsSources{APIServer: clientset.CoreV1().RESTClient(),
			WebhookServers:    []string{"http://" + seedMetrics + "/metrics", "http://" + noopMetrics + "/metrics"},
			WebhookServerPIDs: []int{seed.PID(), noopPID}}
		for _, v := range variants {
			progress("attributing variant %s from metrics", v.Key)
			a, err := creator.Attribute(ctx, v, o.attributionPods, sources)
			if err != nil {
				return res, err
			}
			res.Attribution = append(res.Attribution, a)
		}
	}

	if slices.Contains(phases, "profile") {
		if err := profile(ctx, o, creator, variants, clientset.CoreV1().RESTClient(), seedPprof); err != nil {
			return res, err
		}
	}

	if slices.Contains(phases, "load") {
		if err := load(ctx, o, &res, land.Client, seed, capture, noopURL, noopCA, seedHTTP2); err != nil {
			return res, err
		}
	}

	if slices.Contains(phases, "memory") {
		if err := memory(ctx, o, &res, land.Client, seed, seedPprof); err != nil {
			return res, err
		}
	}
	return res, nil
}

// load runs the load generator against the pod webhook's annotated path (where kube-apiserver sends annotated
// pods) with the AdmissionReview kube-apiserver sent to the no-op webhook, and against the no-op webhook.
func load(ctx context.Context, o options, res *bench.Results, c client.Client, seed *landscape.Component, capture, noopURL string, noopCA []byte, http2 bool) error {
	review, err := os.ReadFile(capture)
	if err != nil {
		return fmt.Errorf("reading the AdmissionReview the no-op webhook captured: %w", err)
	}
	annotatedURL, seedCA, err := annotatedEntry(ctx, c)
	if err != nil {
		return err
	}
	cpus, err := bench.CPUs()
	if err != nil {
		return err
	}
	runs := []struct {
		server       string
		url          string
		ca           []byte
		pid, clients int
		pinned       bool
	}{
		{"pod webhook", annotatedURL, seedCA, seed.PID(), 1, false},
		{"pod webhook", annotatedURL, seedCA, seed.PID(), 8, false},
		{"pod webhook", annotatedURL, seedCA, seed.PID(), 1, true},
		{"pod webhook", annotatedURL, seedCA, seed.PID(), 8, true},
		{"no-op webhook", noopURL + "/noop", noopCA, noopPID, 8, true},
	}
	for _, r := range runs {
		if r.pinned && len(cpus) < 2 {
			continue
		}
		if r.pinned {
			// The server on the second CPU, this process (the load generator, and the in-process gardener-apiserver,
			// idle meanwhile) on the first; etcd and kube-apiserver stay unpinned and idle.
			if err := pinServers(seed.PID(), cpus[1]); err != nil {
				return err
			}
			if err := bench.Pin(os.Getpid(), cpus[0]); err != nil {
				return err
			}
		}
		progress("load: %s, %d clients, pinned %v", r.server, r.clients, r.pinned)
		result, err := bench.Load(ctx, bench.LoadOptions{URL: r.url, CABundle: r.ca, Review: review, Clients: r.clients,
			Warmup: 2 * time.Second, Duration: o.loadDuration, HTTP2: http2, PID: r.pid})
		if r.pinned {
			err = errors.Join(err, pinServers(seed.PID(), cpus...), bench.Pin(os.Getpid(), cpus...))
		}
		if err != nil {
			return err
		}
		res.Load = append(res.Load, bench.LoadRun{Server: r.server, Pinned: r.pinned, Result: result})
		if r.server == "pod webhook" && r.clients == 8 && (r.pinned || res.Headline == nil) {
			res.Headline = &res.Load[len(res.Load)-1]
		}
	}
	return nil
}

// noopPID is the no-op webhook's process, pinned with the seed component.
var noopPID int

func pinServers(seedPID int, cpus ...int) error {
	return errors.Join(bench.Pin(seedPID, cpus...), bench.Pin(noopPID, cpus...))
}

// annotatedEntry returns the URL and CA bundle of the shoot's annotated pod webhook entry.
func annotatedEntry(ctx context.Context, c client.Client) (string, []byte, error) {
	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := c.Get(ctx, client.ObjectKey{Name: podwebhook.ConfigName}, mutating); err != nil {
		return "", nil, err
	}
	for _, wh := range mutating.Webhooks {
		if strings.HasPrefix(wh.Name, podwebhook.ModeAnnotated+".") && wh.ClientConfig.URL != nil {
			return *wh.ClientConfig.URL, wh.ClientConfig.CABundle, nil
		}
	}
	return "", nil, fmt.Errorf("no %s entry with a URL in %s", podwebhook.ModeAnnotated, podwebhook.ConfigName)
}

// memory measures the seed component's memory with the sample Cluster only, then with the given numbers of
// realistic Clusters present.
func memory(ctx context.Context, o options, res *bench.Results, c client.Client, seed *landscape.Component, pprof string) error {
	m, err := bench.ReadMemory(ctx, "http://"+pprof, seed.PID(), filepath.Join(o.out, "heap-0.pb.gz"))
	if err != nil {
		return err
	}
	res.Memory = append(res.Memory, bench.MemoryStep{Clusters: 0, Memory: m})
	created := 0
	for _, s := range strings.Split(o.clusters, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= created {
			return fmt.Errorf("--clusters must be increasing numbers, got %q", o.clusters)
		}
		progress("memory: creating realistic Clusters %d to %d", created, n-1)
		start := time.Now()
		last, err := bench.CreateClusters(ctx, c, created, n-1, 4)
		if err != nil {
			return err
		}
		if err := bench.WaitForCluster(ctx, c, last, 5*time.Minute); err != nil {
			return err
		}
		progress("memory: %d Clusters created and cached in %s", n, time.Since(start).Round(time.Second))
		created = n
		if m, err = bench.ReadMemory(ctx, "http://"+pprof, seed.PID(), filepath.Join(o.out, fmt.Sprintf("heap-%d.pb.gz", n))); err != nil {
			return err
		}
		res.Memory = append(res.Memory, bench.MemoryStep{Clusters: n, Memory: m})
	}
	return nil
}

// profile records CPU profiles of kube-apiserver and the seed component while pods of each of the profile variants
// are created by the concurrent clients, and writes them with their top entries into the output directory.
func profile(ctx context.Context, o options, creator *bench.Creator, variants []bench.Variant, apiserver rest.Interface, seedPprof string) error {
	for _, key := range strings.Split(o.profileVariants, ",") {
		i := slices.IndexFunc(variants, func(v bench.Variant) bool { return v.Key == key })
		if i < 0 {
			return fmt.Errorf("--profile-variants: no variant %q", key)
		}
		if err := profileVariant(ctx, o, creator, variants[i], apiserver, seedPprof); err != nil {
			return err
		}
	}
	return nil
}

func profileVariant(ctx context.Context, o options, creator *bench.Creator, v bench.Variant, apiserver rest.Interface, seedPprof string) error {
	const seconds = 10
	progress("profile: kube-apiserver and the seed component for %ds while creating pods of variant %s", seconds, v.Key)
	errs := make(chan error, 2)
	apiserverProfile := filepath.Join(o.out, "cpu-kube-apiserver-"+v.Key+".pb.gz")
	seedProfile := filepath.Join(o.out, "cpu-seed-"+v.Key+".pb.gz")
	go func() {
		data, err := apiserver.Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(seconds)).DoRaw(ctx)
		if err == nil {
			err = os.WriteFile(apiserverProfile, data, 0o644)
		}
		errs <- err
	}()
	go func() {
		errs <- bench.Download(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", seedPprof, seconds), seedProfile)
	}()
	deadline := time.Now().Add(seconds * time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		if _, err := creator.Create(ctx, v, fmt.Sprintf("prof-%d", round), 200, o.e2e.Clients); err != nil {
			return err
		}
		if err := creator.Clean(ctx, v); err != nil {
			return err
		}
	}
	if err := errors.Join(<-errs, <-errs); err != nil {
		return fmt.Errorf("profiling: %w", err)
	}
	for _, p := range []string{apiserverProfile, seedProfile} {
		for _, view := range []string{"-top", "-cum"} {
			args := []string{"tool", "pprof", "-top", "-nodecount=40"}
			if view == "-cum" {
				args = append(args, "-cum")
			}
			out, err := exec.CommandContext(ctx, "go", append(args, p)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("go tool pprof %s: %w: %s", p, err, out)
			}
			if err := os.WriteFile(strings.TrimSuffix(p, ".pb.gz")+view+".txt", out, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// startLandscape starts the control plane; gardener-apiserver runs in-process and logs to this process's stdout
// and stderr, so both point to logFile while it starts.
func startLandscape(ctx context.Context, logFile string) (*landscape.Landscape, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = f, f
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()
	return landscape.Start(ctx, landscape.Options{})
}

// deployShoot has the seed component deploy what the sample Shoot gets as in a real landscape: its ContainerRuntimes
// are reconciled and gardener-resource-manager applies the resulting ManagedResources (the sandbox RuntimeClasses and
// the pod webhook configurations). gardener-resource-manager and kube-controllers are stopped once the pod webhooks
// answer: the benchmark changes the webhook configurations (SetUp), which gardener-resource-manager would revert at
// its next sync, and the processes would take CPU from what is measured.
func deployShoot(ctx context.Context, land *landscape.Landscape, seed *landscape.Component, logFile string) (err error) {
	f, err := os.Create(logFile)
	if err != nil {
		return err
	}
	defer f.Close()
	progress("starting gardener-resource-manager and kube-controllers (logs in %s)", logFile)
	shoot, err := land.StartShootControllers(ctx, landscape.ShootControllersOptions{Output: f})
	if err != nil {
		return err
	}
	defer func() {
		progress("stopping gardener-resource-manager and kube-controllers")
		err = errors.Join(err, shoot.Stop())
	}()
	progress("reconciling the sample Shoot's ContainerRuntimes")
	if _, err := land.DeployContainerRuntimes(ctx, 2*time.Minute); err != nil {
		return err
	}
	progress("waiting until the shoot's pod webhook configurations are applied")
	return land.WaitForShoot(ctx, seed)
}

// startNoop starts the no-op webhook and returns its URL, its CA bundle and how to stop it.
func startNoop(ctx context.Context, binary, dir, metrics, capture string, http2 bool) (string, []byte, func() error, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", nil, nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "--port="+strconv.Itoa(port), "--cert-dir="+dir, "--metrics-bind-address="+metrics,
		"--capture="+capture, "--http2="+strconv.FormatBool(http2))
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		return "", nil, nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	noopPID = cmd.Process.Pid
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				return err
			}
		}
		return nil
	}
	u := "https://127.0.0.1:" + strconv.Itoa(port)
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, err := negotiatesHTTP2(u)
		return err == nil, nil
	}); err != nil {
		return "", nil, nil, errors.Join(fmt.Errorf("the no-op webhook does not serve: %w", err), stop())
	}
	ca, err := os.ReadFile(filepath.Join(dir, certs.CAFile))
	if err != nil {
		return "", nil, nil, errors.Join(err, stop())
	}
	return u, ca, stop, nil
}

// negotiatesHTTP2 tells whether a TLS server agrees to HTTP/2 when a client offers it besides HTTP/1.1, as
// kube-apiserver's webhook client does for URLs on loopback.
func negotiatesHTTP2(serverURL string) (bool, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return false, err
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", u.Host, &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // only the negotiated protocol is read
		NextProtos:         []string{"h2", "http/1.1"},
		RootCAs:            x509.NewCertPool(),
	})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	return conn.ConnectionState().NegotiatedProtocol == "h2", nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freeAddr() string {
	port, err := freePort()
	if err != nil {
		panic(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}
