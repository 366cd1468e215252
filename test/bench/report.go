package bench

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// Ratio names a ratio of two variants' median sequential p50 latencies in the headline, e.g. c/a.
type Ratio struct{ Num, Den string }

func (r Ratio) String() string { return r.Num + "/" + r.Den }

// HeadlineRatios are the ratios of the headline, in its order: f/b is the policy delivery of the pod rules against
// the bare in-tree MutatingAdmissionPolicy.
var HeadlineRatios = []Ratio{{"c", "a"}, {"c", "b"}, {"c", "g"}, {"d", "a"}, {"e", "a"}, {"f", "b"}}

// Results are the figures of a run.
type Results struct {
	E2E         []VariantResult
	Attribution []Attribution
	// Load holds the load runs against the webhook servers; Headline is the one the headline reports.
	Load     []LoadRun
	Headline *LoadRun
	Memory   []MemoryStep
	// Micro is the output of the in-process benchmarks (go test -bench), if given.
	Micro string
}

// LoadRun is a load run with how it was run.
type LoadRun struct {
	Server string
	Pinned bool
	Result LoadResult
}

// MemoryStep is the seed component's memory with a number of realistic Clusters present.
type MemoryStep struct {
	Clusters int
	Memory   Memory
}

// Ratio returns the ratio r of the median sequential p50 latencies, false when a variant was not measured.
func (res Results) Ratio(r Ratio) (float64, bool) {
	var num, den time.Duration
	for _, v := range res.E2E {
		switch v.Variant.Key {
		case r.Num:
			num = MedianFigures(v.Sequential).P50
		case r.Den:
			den = MedianFigures(v.Sequential).P50
		}
	}
	if num == 0 || den == 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

// HeadlineLine is the last line of `make bench`.
func (res Results) HeadlineLine() string {
	var b strings.Builder
	b.WriteString("bench:")
	for _, r := range HeadlineRatios {
		if v, ok := res.Ratio(r); ok {
			fmt.Fprintf(&b, " %s=%.2f", r, v)
		} else {
			fmt.Fprintf(&b, " %s=n/a", r)
		}
	}
	if h := res.Headline; h != nil {
		fmt.Fprintf(&b, " rps=%.0f p99_ms=%.2f rss_mib=%.0f", h.Result.ReviewsPerSecond(), Millis(h.Result.P99), mib(h.Result.MaxRSS))
	} else {
		b.WriteString(" rps=n/a p99_ms=n/a rss_mib=n/a")
	}
	return b.String()
}

func mib(bytes uint64) float64 { return float64(bytes) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", Millis(d)) }

// WriteMarkdown writes the figures as Markdown tables.
func (res Results) WriteMarkdown(w io.Writer) {
	if len(res.E2E) > 0 {
		var a time.Duration
		for _, v := range res.E2E {
			if v.Variant.Key == "a" {
				a = MedianFigures(v.Sequential).P50
			}
		}
		fmt.Fprintf(w, "### Pod CREATE through kube-apiserver (median of %d rounds)\n\n", len(res.E2E[0].Sequential))
		fmt.Fprintln(w, "| variant | what | sequential p50 ms | p99 ms | pods/s | p50 / a | 8 clients p50 ms | p99 ms | pods/s |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, v := range res.E2E {
			seq, conc := MedianFigures(v.Sequential), MedianFigures(v.Concurrent)
			ratio := "n/a"
			if a > 0 {
				ratio = fmt.Sprintf("%.2f", float64(seq.P50)/float64(a))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %s | %s | %s | %.0f |\n", v.Variant.Key, v.Variant.Title,
				ms(seq.P50), ms(seq.P99), seq.PodsPerSecond, ratio, ms(conc.P50), ms(conc.P99), conc.PodsPerSecond)
		}
		fmt.Fprintln(w)
	}
	if len(res.Attribution) > 0 {
		fmt.Fprintln(w, "### Where a sequential pod CREATE's time goes (means per pod, from kube-apiserver's and the webhook servers' metrics)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| variant | client ms | kube-apiserver POST ms | webhook calls ms | webhook server ms | call − server ms | kube-apiserver CPU ms | webhook servers CPU ms | admission plugins (ms) |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, a := range res.Attribution {
			var plugins []string
			for _, name := range a.TopPlugins() {
				if a.Plugins[name] >= 10*time.Microsecond {
					plugins = append(plugins, fmt.Sprintf("%s %s", name, ms(a.Plugins[name])))
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", a.Variant, ms(a.Client), ms(a.Request), ms(a.WebhookCall()), ms(a.Server),
				ms(a.WebhookCall()-a.Server), ms(a.APIServerCPU), ms(a.ServerCPU), strings.Join(plugins, ", "))
		}
		fmt.Fprintln(w)
	}
	if len(res.Load) > 0 {
		fmt.Fprintln(w, "### Webhook server alone: AdmissionReviews over TLS with keep-alive on loopback")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| server | CPUs | clients | protocol | reviews/s | p50 ms | p99 ms | server CPU µs per review | server max RSS MiB |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
		for _, l := range res.Load {
			cpus := "shared (2)"
			if l.Pinned {
				cpus = "server 1, load 0"
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %.0f | %s | %s | %.0f | %.1f |\n", l.Server, cpus, l.Result.Clients, l.Result.Protocol,
				l.Result.ReviewsPerSecond(), ms(l.Result.P50), ms(l.Result.P99), float64(l.Result.CPUPerReview())/float64(time.Microsecond), mib(l.Result.MaxRSS))
		}
		fmt.Fprintln(w)
	}
	if len(res.Memory) > 0 {
		fmt.Fprintln(w, "### Seed component memory with realistic Clusters (after a forced GC)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Clusters | live heap MiB | heap in use MiB | RSS MiB | of it anonymous MiB | of it files MiB |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, m := range res.Memory {
			fmt.Fprintf(w, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n", m.Clusters, mib(m.Memory.HeapAlloc), mib(m.Memory.HeapInuse),
				mib(m.Memory.RSS), mib(m.Memory.RSSAnon), mib(m.Memory.RSSFile))
		}
		if growth, ok := res.GrowthPer10Clusters(); ok {
			fmt.Fprintf(w, "\nGrowth of the live heap between %d and %d Clusters: %.3f MiB per 10 Clusters.\n", res.Memory[len(res.Memory)-2].Clusters, res.Memory[len(res.Memory)-1].Clusters, growth)
		}
		fmt.Fprintln(w)
	}
	if res.Micro != "" {
		fmt.Fprintln(w, "### In-process handlers (go test -bench -benchmem)")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "```")
		scanner := bufio.NewScanner(strings.NewReader(res.Micro))
		for scanner.Scan() {
			if line := scanner.Text(); strings.HasPrefix(line, "Benchmark") {
				fmt.Fprintln(w, line)
			}
		}
		fmt.Fprintln(w, "```")
		fmt.Fprintln(w)
	}
}

// GrowthPer10Clusters is the growth of the live heap per 10 Clusters between the last two memory steps, in MiB.
func (res Results) GrowthPer10Clusters() (float64, bool) {
	if len(res.Memory) < 2 {
		return 0, false
	}
	a, b := res.Memory[len(res.Memory)-2], res.Memory[len(res.Memory)-1]
	if b.Clusters <= a.Clusters {
		return 0, false
	}
	return (mib(b.Memory.HeapAlloc) - mib(a.Memory.HeapAlloc)) / float64(b.Clusters-a.Clusters) * 10, true
}
