// Package podwebhook serves the pod webhooks that run in the seed for every shoot: defaulting pods to a sandbox
// runtime (by annotation or namespace default) and enforcing a namespace's sandbox. What a request's shoot
// offers travels in the request path (see Target); ShootConfigs builds the webhook configurations for a shoot.
package podwebhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	validatorpod "github.com/gardener/gardener-extension-runtime-sandbox/validators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/metrics"
)

type pathKey struct{}

// NewHandler returns the HTTP handler for everything below PathPrefix.
func NewHandler() http.Handler {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic(fmt.Errorf("registering the core API: %w", err))
	}
	return &admission.Webhook{
		Handler:      &handler{decoder: serializer.NewCodecFactory(scheme).UniversalDeserializer()},
		RecoverPanic: new(true),
		WithContextFunc: func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, pathKey{}, r.URL.Path)
		},
	}
}

type handler struct {
	decoder runtime.Decoder
}

// subresourceEphemeralContainers is the pod subresource through which ephemeral containers are added.
const subresourceEphemeralContainers = "ephemeralcontainers"

// Handle defaults or checks one pod, as the request path says.
func (h *handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	path, _ := ctx.Value(pathKey{}).(string)
	target, err := ParseTarget(path)
	if err != nil {
		return h.badRequest("unknown", err)
	}
	if req.Kind.Group != "" || req.Kind.Kind != "Pod" {
		return h.badRequest(target.Mode, fmt.Errorf("unexpected kind %s/%s: this webhook handles core/v1 Pods", req.Kind.Group, req.Kind.Kind))
	}
	// Pods are defaulted and checked when they are created; an ephemeral container added to a pod of an enforced
	// namespace is checked like the pod.
	addsEphemeralContainer := req.Operation == admissionv1.Update && req.SubResource == subresourceEphemeralContainers
	switch {
	case req.Operation == admissionv1.Create && req.SubResource == "":
	case addsEphemeralContainer && (target.Mode == ModeEnforce || target.Mode == ModeEnforceUnknown || target.Mode == ModeEnforceLevelUnknown):
	default:
		return admission.Allowed("")
	}
	pod := &corev1.Pod{}
	if len(req.Object.Raw) == 0 {
		return h.badRequest(target.Mode, errors.New("the request carries no pod"))
	}
	if _, _, err := h.decoder.Decode(req.Object.Raw, nil, pod); err != nil {
		return h.badRequest(target.Mode, fmt.Errorf("decoding the pod: %w", err))
	}
	original := pod.DeepCopy()

	var warnings []string
	switch target.Mode {
	case ModeAnnotated:
		err = mutatorpod.DefaultAnnotated(pod, target.Offer)
	case ModeNamespace:
		err = mutatorpod.DefaultFromNamespace(pod, target.Class, target.Offer)
	case ModeEnforce:
		err = validatorpod.Enforce(pod, validatorpod.Enforcement{Namespace: req.Namespace, Class: target.Class, Level: target.Level, Version: target.Version})
	case ModeNamespaceUnknown:
		err = mutatorpod.RefuseUnknownDefault(req.Namespace)
	case ModeEnforceUnknown:
		err = validatorpod.RefuseUnknownClass(req.Namespace)
	case ModeEnforceLevelUnknown:
		err = validatorpod.RefuseUnknownLevel(req.Namespace)
	}
	if err == nil && (target.Mode == ModeAnnotated || target.Mode == ModeNamespace) && pod.Spec.RuntimeClassName != nil {
		// A sandbox does not make host namespaces, hostPath volumes or privileges safe: say so where no namespace
		// enforces it.
		warnings = append(warnings, validatorpod.Warnings(pod, target.Version)...)
	}
	runtimeType := metrics.RuntimeNone
	if pod.Spec.RuntimeClassName != nil {
		if t, ok := runtimes.TypeOfClass(*pod.Spec.RuntimeClassName); ok {
			runtimeType = t
		}
	}

	var refusal *apipod.Refusal
	switch {
	case errors.As(err, &refusal):
		metrics.Refused("pod-"+target.Mode, runtimeType, refusal.Reason)
		return admission.Denied(refusal.Message)
	case err != nil:
		metrics.Refused("pod-"+target.Mode, runtimeType, metrics.ReasonError)
		return admission.Errored(http.StatusInternalServerError, err)
	case apiequality.Semantic.DeepEqual(pod, original):
		metrics.Unchanged("pod-"+target.Mode, runtimeType)
		return admission.Allowed("").WithWarnings(warnings...)
	}

	patch, err := patchOf(original, pod)
	if err != nil {
		metrics.Refused("pod-"+target.Mode, runtimeType, metrics.ReasonError)
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("encoding the pod: %w", err))
	}
	metrics.Mutated("pod-"+target.Mode, runtimeType)
	return admission.Patched("", patch...).WithWarnings(warnings...)
}

func (h *handler) badRequest(mode string, err error) admission.Response {
	metrics.Refused("pod-"+mode, metrics.RuntimeNone, metrics.ReasonBadRequest)
	return admission.Errored(http.StatusBadRequest, err)
}
