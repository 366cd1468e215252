package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// E2EOptions say how much to measure end to end.
type E2EOptions struct {
	// Rounds is how often every variant is measured; the variants are interleaved in each round (each round starts
	// with the next variant), so that drift of the machine hits all of them alike.
	Rounds int
	// Sequential is the number of pods created one after another per variant and round.
	Sequential int
	// Concurrent is the number of pods created by Clients concurrent clients per variant and round.
	Concurrent int
	// Clients is the number of concurrent clients.
	Clients int
	// Warmup is the number of pods each variant creates before the first round, unmeasured.
	Warmup int
}

// Figures summarise pod creations: latency percentiles and throughput.
type Figures struct {
	P50, P99      time.Duration
	Mean          time.Duration
	PodsPerSecond float64
}

// Creates is a measured batch of pod creations.
type Creates struct {
	Latencies []time.Duration
	Elapsed   time.Duration
}

// Figures returns the batch's figures.
func (c Creates) Figures() Figures {
	var sum time.Duration
	for _, l := range c.Latencies {
		sum += l
	}
	f := Figures{P50: Percentile(c.Latencies, 50), P99: Percentile(c.Latencies, 99)}
	if n := len(c.Latencies); n > 0 {
		f.Mean = sum / time.Duration(n)
		f.PodsPerSecond = float64(n) / c.Elapsed.Seconds()
	}
	return f
}

// MedianFigures returns the median of each figure over rounds.
func MedianFigures(rounds []Figures) Figures {
	var p50, p99, mean, pps []float64
	for _, r := range rounds {
		p50 = append(p50, float64(r.P50))
		p99 = append(p99, float64(r.P99))
		mean = append(mean, float64(r.Mean))
		pps = append(pps, r.PodsPerSecond)
	}
	return Figures{P50: time.Duration(Median(p50)), P99: time.Duration(Median(p99)), Mean: time.Duration(Median(mean)), PodsPerSecond: Median(pps)}
}

// VariantResult is what the rounds measured for one variant.
type VariantResult struct {
	Variant Variant
	// Sequential and Concurrent hold one entry per round.
	Sequential, Concurrent []Figures
}

// Creator creates the pods of the variants with a client-go clientset, as a controller does.
type Creator struct {
	Clientset kubernetes.Interface
}

// Create creates count pods of v with clients concurrent clients (1: one after another), named <prefix>-<i>, and
// measures each creation. Any failed creation fails the batch.
func (c *Creator) Create(ctx context.Context, v Variant, prefix string, count, clients int) (Creates, error) {
	template := Pod("", v.Namespace(), v.Annotated)
	pods := c.Clientset.CoreV1().Pods(v.Namespace())
	latencies := make([]time.Duration, count)
	next := make(chan int, count)
	for i := range count {
		next <- i
	}
	close(next)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for i := range next {
				pod := *template
				pod.ObjectMeta = *template.ObjectMeta.DeepCopy()
				pod.Name = fmt.Sprintf("%s-%d", prefix, i)
				t := time.Now()
				_, err := pods.Create(ctx, &pod, metav1.CreateOptions{})
				latencies[i] = time.Since(t)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("variant %s: creating pod %s: %w", v.Key, pod.Name, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return Creates{}, firstErr
	}
	return Creates{Latencies: latencies, Elapsed: elapsed}, nil
}

// Clean deletes every pod of v's namespace (pods that are not scheduled go at once).
func (c *Creator) Clean(ctx context.Context, v Variant) error {
	if err := c.Clientset.CoreV1().Pods(v.Namespace()).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64(0))}, metav1.ListOptions{}); err != nil {
		return fmt.Errorf("deleting the pods of %s: %w", v.Namespace(), err)
	}
	return nil
}

// Measure measures every variant in opts.Rounds interleaved rounds, each a sequential and a concurrent batch,
// deleting the pods after each batch. progress, if not nil, is told what is being measured.
func (c *Creator) Measure(ctx context.Context, variants []Variant, opts E2EOptions, progress func(string)) ([]VariantResult, error) {
	if progress == nil {
		progress = func(string) {}
	}
	results := make([]VariantResult, len(variants))
	for i, v := range variants {
		results[i].Variant = v
		if opts.Warmup > 0 {
			if _, err := c.Create(ctx, v, "warmup", opts.Warmup, opts.Clients); err != nil {
				return nil, err
			}
			if err := c.Clean(ctx, v); err != nil {
				return nil, err
			}
		}
	}
	for round := range opts.Rounds {
		for k := range variants {
			i := (k + round) % len(variants)
			v := variants[i]
			progress(fmt.Sprintf("round %d/%d, variant %s", round+1, opts.Rounds, v.Key))
			seq, err := c.Create(ctx, v, fmt.Sprintf("seq-r%d", round), opts.Sequential, 1)
			if err != nil {
				return nil, err
			}
			if err := c.Clean(ctx, v); err != nil {
				return nil, err
			}
			conc, err := c.Create(ctx, v, fmt.Sprintf("conc-r%d", round), opts.Concurrent, opts.Clients)
			if err != nil {
				return nil, err
			}
			if err := c.Clean(ctx, v); err != nil {
				return nil, err
			}
			results[i].Sequential = append(results[i].Sequential, seq.Figures())
			results[i].Concurrent = append(results[i].Concurrent, conc.Figures())
		}
	}
	return results, nil
}
