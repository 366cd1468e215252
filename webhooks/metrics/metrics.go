// Package metrics holds the extension's admission metrics, registered on controller-runtime's metrics registry.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Outcomes of an admission request.
const (
	OutcomeMutated   = "mutated"
	OutcomeUnchanged = "unchanged"
	OutcomeRefused   = "refused"
)

// AdmissionRequests counts admission requests by webhook, runtime (type, or "none"), outcome and, for refusals,
// reason.
var AdmissionRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "runtime_sandbox",
	Name:      "admission_requests_total",
	Help:      "Admission requests answered by the runtime-sandbox webhooks, by webhook, runtime, outcome and refusal reason.",
}, []string{"webhook", "runtime", "outcome", "reason"})

func init() {
	metrics.Registry.MustRegister(AdmissionRequests)
}
