package bench

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"k8s.io/client-go/rest"
)

// Attribution is where the time of a pod CREATE goes, per pod, as the client, kube-apiserver and the webhook
// servers measure it over a sequential batch.
type Attribution struct {
	Variant string
	Pods    int
	// Client is the mean latency the client saw.
	Client time.Duration
	// Request is kube-apiserver's own mean time for the POST (apiserver_request_duration_seconds).
	Request time.Duration
	// Plugins is the mean time per pod in each admission plugin (apiserver_admission_controller_admission_duration_seconds,
	// mutating and validating phases added up), for the plugins that took any.
	Plugins map[string]time.Duration
	// Webhooks is the mean time per pod kube-apiserver spent calling each webhook
	// (apiserver_admission_webhook_admission_duration_seconds): building the AdmissionReview, the HTTPS round
	// trip, reading the response and applying its patch.
	Webhooks map[string]time.Duration
	// Server is the mean time per pod the webhook servers spent serving (controller_runtime_webhook_latency_seconds:
	// from reading the request to writing the response).
	Server time.Duration
	// APIServerCPU and ServerCPU are the CPU time per pod of kube-apiserver (process_cpu_seconds_total) and of the
	// webhook server processes: what a pod costs them, however busy the machine was.
	APIServerCPU, ServerCPU time.Duration
}

// MetricsSources are the endpoints Attribute reads.
type MetricsSources struct {
	// APIServer reads kube-apiserver's /metrics.
	APIServer rest.Interface
	// WebhookServers are the metrics URLs of the webhook servers (the seed component, the no-op webhook).
	WebhookServers []string
	// WebhookServerPIDs are the processes of the webhook servers.
	WebhookServerPIDs []int
}

type attributionScrape struct {
	apiserver Scrape
	servers   []Scrape
	serverCPU time.Duration
}

func (m MetricsSources) scrape(ctx context.Context) (attributionScrape, error) {
	var s attributionScrape
	raw, err := m.APIServer.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return s, fmt.Errorf("scraping kube-apiserver: %w", err)
	}
	if s.apiserver, err = ParseMetrics(bytes.NewReader(raw)); err != nil {
		return s, err
	}
	for _, url := range m.WebhookServers {
		scrape, err := ScrapeURL(ctx, url)
		if err != nil {
			return s, err
		}
		s.servers = append(s.servers, scrape)
	}
	for _, pid := range m.WebhookServerPIDs {
		cpu, err := CPUTime(pid)
		if err != nil {
			return s, err
		}
		s.serverCPU += cpu
	}
	return s, nil
}

// Attribute creates pods of v one after another and attributes their time from the metrics before and after.
func (c *Creator) Attribute(ctx context.Context, v Variant, pods int, sources MetricsSources) (Attribution, error) {
	before, err := sources.scrape(ctx)
	if err != nil {
		return Attribution{}, err
	}
	creates, err := c.Create(ctx, v, "attr", pods, 1)
	if err != nil {
		return Attribution{}, err
	}
	after, err := sources.scrape(ctx)
	if err != nil {
		return Attribution{}, err
	}
	if err := c.Clean(ctx, v); err != nil {
		return Attribution{}, err
	}

	perPod := func(o Observed) time.Duration { return time.Duration(o.Sum / float64(pods) * float64(time.Second)) }
	a := Attribution{Variant: v.Key, Pods: pods, Client: creates.Figures().Mean, Plugins: map[string]time.Duration{}, Webhooks: map[string]time.Duration{}}

	request := map[string]string{"verb": "POST", "resource": "pods", "subresource": ""}
	a.Request = perPod(after.apiserver.Histogram("apiserver_request_duration_seconds", request).Minus(before.apiserver.Histogram("apiserver_request_duration_seconds", request)))

	const plugins = "apiserver_admission_controller_admission_duration_seconds"
	for _, name := range uniq(after.apiserver.LabelValues(plugins, "name", map[string]string{"operation": "CREATE"})) {
		match := map[string]string{"name": name, "operation": "CREATE", "rejected": "false"}
		if d := perPod(after.apiserver.Histogram(plugins, match).Minus(before.apiserver.Histogram(plugins, match))); d > 0 {
			a.Plugins[name] = d
		}
	}
	const webhooks = "apiserver_admission_webhook_admission_duration_seconds"
	for _, name := range uniq(after.apiserver.LabelValues(webhooks, "name", map[string]string{"operation": "CREATE"})) {
		match := map[string]string{"name": name, "operation": "CREATE"}
		if d := perPod(after.apiserver.Histogram(webhooks, match).Minus(before.apiserver.Histogram(webhooks, match))); d > 0 {
			a.Webhooks[name] = d
		}
	}
	cpu := after.apiserver.Value("process_cpu_seconds_total", nil) - before.apiserver.Value("process_cpu_seconds_total", nil)
	a.APIServerCPU = time.Duration(cpu / float64(pods) * float64(time.Second))
	a.ServerCPU = (after.serverCPU - before.serverCPU) / time.Duration(pods)
	for i := range after.servers {
		a.Server += perPod(after.servers[i].Histogram("controller_runtime_webhook_latency_seconds", nil).Minus(before.servers[i].Histogram("controller_runtime_webhook_latency_seconds", nil)))
	}
	return a, nil
}

// WebhookCall is the time kube-apiserver spent calling webhooks, per pod.
func (a Attribution) WebhookCall() time.Duration {
	var sum time.Duration
	for _, d := range a.Webhooks {
		sum += d
	}
	return sum
}

// TopPlugins returns the names of the admission plugins in order of their time, longest first.
func (a Attribution) TopPlugins() []string {
	names := slices.Collect(maps.Keys(a.Plugins))
	slices.SortFunc(names, func(x, y string) int { return int(a.Plugins[y] - a.Plugins[x]) })
	return names
}

func uniq(values []string) []string {
	slices.Sort(values)
	return slices.Compact(values)
}
