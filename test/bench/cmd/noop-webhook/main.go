// Command noop-webhook serves a mutating admission webhook that allows every request without a patch, for `make
// bench`: with the same match conditions as the pod webhook, it is the floor of kube-apiserver's webhook call path
// (variant g). It is served as the seed component serves its webhooks, by controller-runtime's webhook server and
// admission.Webhook, in a process of its own, with a certificate issued by package certs.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager/signals"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/gardener/gardener-extension-runtime-sandbox/certs"
)

// Path is where the webhook is served.
const Path = "/noop"

func main() {
	port := flag.Int("port", 0, "port to serve the webhook on, on 127.0.0.1")
	certDir := flag.String("cert-dir", "", "directory for the CA (ca.crt: the CA bundle to register) and the serving certificate")
	metricsAddr := flag.String("metrics-bind-address", "", "address to serve controller-runtime's metrics on; empty for none")
	capture := flag.String("capture", "", "file to write the body of the first request to (a real AdmissionReview, for the load generator)")
	http2 := flag.Bool("http2", false, "offer HTTP/2 (as controller-runtime does by default); otherwise HTTP/1.1 only")
	flag.Parse()
	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	if err := run(signals.SetupSignalHandler(), *port, *certDir, *metricsAddr, *capture, *http2); err != nil {
		fmt.Fprintln(os.Stderr, "noop-webhook:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, port int, certDir, metricsAddr, capture string, http2 bool) error {
	if port == 0 || certDir == "" {
		return errors.New("--port and --cert-dir are required")
	}
	authority, err := certs.LoadOrCreateAuthority(certDir, "noop-webhook")
	if err != nil {
		return err
	}
	if _, err := authority.Issue(certDir, []string{"127.0.0.1"}, 24*time.Hour); err != nil {
		return err
	}
	server := webhook.NewServer(webhook.Options{
		Host:    "127.0.0.1",
		Port:    port,
		CertDir: certDir,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			if !http2 {
				c.NextProtos = []string{"http/1.1"}
			}
		}},
	})
	var handler http.Handler = &admission.Webhook{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
		return admission.Allowed("")
	})}
	if capture != "" {
		handler = captureFirst(handler, capture)
	}
	server.Register(Path, handler)

	if metricsAddr != "" {
		l, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return fmt.Errorf("listening for metrics: %w", err)
		}
		go func() {
			_ = http.Serve(l, promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})) //nolint:gosec // loopback, bench only
		}()
	}
	fmt.Println("serving on https://127.0.0.1:" + strconv.Itoa(port) + Path)
	return server.Start(ctx)
}

// captureFirst writes the body of the first request to file before handing it on.
func captureFirst(next http.Handler, file string) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			body, err := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err == nil {
				err = os.WriteFile(file+".tmp", body, 0o600)
			}
			if err == nil {
				err = os.Rename(file+".tmp", file)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "noop-webhook: capturing a request:", err)
			}
		})
		next.ServeHTTP(w, r)
	})
}
