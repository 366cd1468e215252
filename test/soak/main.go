// Command soak runs mixed admission load (valid and invalid requests of all three webhook families) over TLS
// against the webhook servers of the seed component and the admission component, each running as its own process
// against the local landscape's API servers, for a given duration. It samples each component's resident memory and
// open file descriptors (from /proc) and goroutines (from its metrics endpoint), prints start, peak and end, and
// fails on any server-side error, any answer other than the expected one, or growth that does not level off.
//
// `make soak` builds the components and runs it; it is not part of `make test`.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long to load the webhook servers")
	rate := flag.Int("rate", 100, "admission requests per second, in total")
	workers := flag.Int("workers", 4, "concurrent clients")
	binDir := flag.String("bin-dir", ".cache/bin", "where the components' binaries are (make soak builds them there)")
	sampleEvery := flag.Duration("sample-every", 10*time.Second, "how often to sample memory, descriptors and goroutines")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *duration, *rate, *workers, *binDir, *sampleEvery); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, duration time.Duration, rate, workers int, binDir string, sampleEvery time.Duration) (err error) {
	fmt.Println("starting etcd, kube-apiserver and gardener-apiserver")
	land, err := landscape.Start(ctx, landscape.Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, land.Stop()) }()
	if err := land.Bootstrap(ctx); err != nil {
		return err
	}
	if err := land.BootstrapSeed(ctx); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "runtime-sandbox-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := land.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}

	seed, err := startComponent(ctx, filepath.Join(binDir, "gardener-extension-runtime-sandbox"), "seed", dir, kubeconfig,
		"--installer-image="+landscape.LocalInstallerImage, "--ignore-operation-annotation")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, seed.stop()) }()
	admission, err := startComponent(ctx, filepath.Join(binDir, "gardener-extension-admission-runtime-sandbox"), "admission", dir, kubeconfig,
		landscape.LocalAdmissionArgs()...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, admission.stop()) }()

	reqs, err := requests()
	if err != nil {
		return err
	}
	clients := map[*component]*tlsClient{}
	for _, c := range []*component{seed, admission} {
		if clients[c], err = c.tlsClient(ctx); err != nil {
			return err
		}
	}
	fmt.Println("waiting until every request answers as expected")
	if err := waitUntilReady(ctx, reqs, clients, seed, admission); err != nil {
		return err
	}

	fmt.Printf("loading the webhook servers for %v at %d requests/s with %d clients\n", duration, rate, workers)
	loadCtx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var st stats
	st.byRequest = make([]atomic.Int64, len(reqs))
	ticks := make(chan int, rate)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range ticks {
				r := reqs[i%len(reqs)]
				c := r.target(seed, admission)
				st.record(i%len(reqs), r.send(loadCtx, clients[c], c.url), r.outcome)
			}
		})
	}
	samples := map[string][]sample{}
	sampleAll := func() error {
		for _, c := range []*component{seed, admission} {
			s, err := c.sample(ctx)
			if err != nil {
				return fmt.Errorf("sampling the %s component: %w", c.name, err)
			}
			samples[c.name] = append(samples[c.name], s)
		}
		return nil
	}
	if err := sampleAll(); err != nil {
		return err
	}
	interval := time.Second / time.Duration(rate)
	send := time.NewTicker(interval)
	sampleTicker := time.NewTicker(sampleEvery)
	start := time.Now()
	n := 0
load:
	for {
		select {
		case <-loadCtx.Done():
			break load
		case <-sampleTicker.C:
			if err := sampleAll(); err != nil {
				return err
			}
			fmt.Printf("%6.0fs  %d requests, %d server errors, %d unexpected answers; seed %s; admission %s\n", time.Since(start).Seconds(),
				st.total.Load(), st.serverErrors.Load(), st.unexpected.Load(), last(samples["seed"]), last(samples["admission"]))
		case <-send.C:
			select {
			case ticks <- n:
				n++
			default: // the clients are behind: drop the tick rather than queue without bound
				st.dropped.Add(1)
			}
		}
	}
	send.Stop()
	sampleTicker.Stop()
	close(ticks)
	wg.Wait()
	if err := sampleAll(); err != nil {
		return err
	}
	return report(&st, reqs, samples, time.Since(start))
}

func last(s []sample) sample { return s[len(s)-1] }

// tlsClient returns an HTTPS client that trusts the component's CA, once the component has written it.
func (c *component) tlsClient(ctx context.Context) (*tlsClient, error) {
	caFile := filepath.Join(c.dir, "certs", certs.CAFile)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var pem []byte
	for {
		var err error
		if pem, err = os.ReadFile(caFile); err == nil {
			break
		}
		select {
		case exitErr := <-c.exited:
			return nil, fmt.Errorf("the %s component exited: %v (log: %s)", c.name, exitErr, c.logFile.Name())
		case <-ctx.Done():
			return nil, fmt.Errorf("reading the webhook CA of the %s component: %w", c.name, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	return newClient(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), nil
}
