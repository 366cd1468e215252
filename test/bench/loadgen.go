package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// LoadOptions configure a load run against a webhook server.
type LoadOptions struct {
	// URL is the webhook's URL (server and path).
	URL string
	// CABundle verifies the server's certificate.
	CABundle []byte
	// Review is the AdmissionReview sent, as kube-apiserver sends it.
	Review []byte
	// Clients is the number of concurrent clients; each sends its next review when it has the last answer.
	Clients int
	// Warmup and Duration: reviews are sent for Warmup unmeasured, then for Duration measured.
	Warmup, Duration time.Duration
	// HTTP2 offers HTTP/2 (one connection, multiplexed); otherwise each client keeps its own HTTP/1.1 connection.
	HTTP2 bool
	// PID, if not 0, is the server's process, whose RSS is sampled during the run.
	PID int
}

// LoadResult is what a load run measured.
type LoadResult struct {
	Clients  int
	Reviews  int
	Elapsed  time.Duration
	P50, P99 time.Duration
	// Protocol is the protocol the server negotiated (HTTP/1.1 or HTTP/2.0).
	Protocol string
	// MaxRSS is the server's largest RSS sampled during the measured part, in bytes.
	MaxRSS uint64
	// ServerCPU is the CPU time the server used during the measured part.
	ServerCPU time.Duration
}

// CPUPerReview is the server's CPU time per review: what a review costs it, however busy the machine was.
func (r LoadResult) CPUPerReview() time.Duration {
	if r.Reviews == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Reviews)
}

// ReviewsPerSecond is the throughput.
func (r LoadResult) ReviewsPerSecond() float64 { return float64(r.Reviews) / r.Elapsed.Seconds() }

// Load sends AdmissionReviews over TLS with keep-alive to a webhook server. The first answer must be an allowed
// AdmissionReview response; every answer must be 200 OK.
func Load(ctx context.Context, opts LoadOptions) (LoadResult, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(opts.CABundle) {
		return LoadResult{}, errors.New("the CA bundle holds no certificate")
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   opts.HTTP2,
		MaxIdleConnsPerHost: opts.Clients,
		IdleConnTimeout:     time.Minute,
	}
	if !opts.HTTP2 {
		transport.TLSClientConfig.NextProtos = []string{"http/1.1"}
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	result := LoadResult{Clients: opts.Clients}
	proto, err := checkAnswer(ctx, client, opts)
	if err != nil {
		return result, err
	}
	result.Protocol = proto

	var (
		measuring atomic.Bool
		stop      atomic.Bool
		wg        sync.WaitGroup
		mu        sync.Mutex
		all       []time.Duration
		firstErr  error
	)
	for range opts.Clients {
		wg.Go(func() {
			var mine []time.Duration
			for !stop.Load() {
				t := time.Now()
				if err := send(ctx, client, opts); err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
				if measuring.Load() {
					mine = append(mine, time.Since(t))
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}

	time.Sleep(opts.Warmup) // the warm-up is a time span, not a wait for a condition
	var cpuBefore time.Duration
	if opts.PID != 0 {
		if cpuBefore, err = CPUTime(opts.PID); err != nil {
			stop.Store(true)
			wg.Wait()
			return result, err
		}
	}
	measuring.Store(true)
	start := time.Now()
	ticker := time.NewTicker(100 * time.Millisecond)
	for time.Since(start) < opts.Duration {
		<-ticker.C
		if opts.PID != 0 {
			if rss, _, err := RSS(opts.PID); err == nil {
				result.MaxRSS = max(result.MaxRSS, rss)
			}
		}
	}
	ticker.Stop()
	measuring.Store(false)
	result.Elapsed = time.Since(start)
	if opts.PID != 0 {
		cpuAfter, err := CPUTime(opts.PID)
		if err != nil {
			stop.Store(true)
			wg.Wait()
			return result, err
		}
		result.ServerCPU = cpuAfter - cpuBefore
	}
	stop.Store(true)
	wg.Wait()
	if firstErr != nil {
		return result, firstErr
	}
	result.Reviews = len(all)
	result.P50, result.P99 = Percentile(all, 50), Percentile(all, 99)
	return result, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func post(ctx context.Context, client *http.Client, opts LoadOptions) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, opts.URL, bytes.NewReader(opts.Review))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("posting to %s: %w", opts.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("posting to %s: %s", opts.URL, resp.Status)
	}
	return resp, nil
}

func send(ctx context.Context, client *http.Client, opts LoadOptions) error {
	resp, err := post(ctx, client, opts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// checkAnswer sends one review and checks that the answer is an allowed AdmissionReview response for it.
func checkAnswer(ctx context.Context, client *http.Client, opts LoadOptions) (string, error) {
	resp, err := post(ctx, client, opts)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	review := &admissionv1.AdmissionReview{}
	if err := json.NewDecoder(resp.Body).Decode(review); err != nil {
		return "", fmt.Errorf("decoding the answer of %s: %w", opts.URL, err)
	}
	if review.Response == nil || !review.Response.Allowed {
		return "", fmt.Errorf("%s did not allow the review: %+v", opts.URL, review.Response)
	}
	return resp.Proto, nil
}
