// Package shootvalidator wires the Shoot validation of validators/shoot into the garden: one validating webhook
// per sandbox runtime, selecting only Shoots that Gardener labelled as using that runtime type.
package shootvalidator

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"
	gardenerutils "github.com/gardener/gardener/pkg/utils/gardener"

	"github.com/gardener/gardener-extension-runtime-sandbox/apis/decode"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/validators/shoot"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/metrics"
)

// Name returns the webhook name for a runtime type, e.g. "shoot-gvisor".
func Name(runtimeType string) string { return "shoot-" + runtimeType }

// Enabled returns the runtimes of all whose webhook (see Name) is not in disabled, in the order of all.
func Enabled(all []runtimes.Runtime, disabled []string) []runtimes.Runtime {
	return slices.DeleteFunc(slices.Clone(all), func(rt runtimes.Runtime) bool { return slices.Contains(disabled, Name(rt.Type())) })
}

// Path returns the serving path of the webhook for a runtime type.
func Path(runtimeType string) string { return "/webhooks/validate/shoot/" + runtimeType }

// New returns the validating webhook for Shoots that use rt. Gardener's ExtensionLabels admission plugin labels
// such Shoots with containerruntime.extensions.gardener.cloud/<type>=true, so other Shoots never reach it.
// It judges the pools of every runtime in all, so that a Shoot's problems are reported at once even though the API
// server stops at the first webhook that refuses; it returns only rt's warnings, so that none is repeated.
// required are the machine capabilities by runtime type. reader must be a cached reader for CloudProfiles and
// NamespacedCloudProfiles; it is only used when required capabilities are configured.
func New(rt runtimes.Runtime, all []runtimes.Runtime, required map[string][]shoot.CapabilityRequirement, reader client.Reader) *extensionswebhook.Webhook {
	return &extensionswebhook.Webhook{
		Action: extensionswebhook.ActionValidating,
		Name:   Name(rt.Type()),
		Path:   Path(rt.Type()),
		Target: extensionswebhook.TargetSeed,
		Types:  []extensionswebhook.Type{{Obj: &gardencorev1beta1.Shoot{}}},
		ObjectSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{v1beta1constants.LabelExtensionContainerRuntimeTypePrefix + rt.Type(): "true"},
		},
		FailurePolicy:  new(admissionregistrationv1.Fail),
		TimeoutSeconds: new(int32(10)),
		Webhook:        &admission.Webhook{Handler: NewHandler(rt, all, required, reader), RecoverPanic: new(true)},
	}
}

// NewHandler returns the admission handler of rt's webhook; see New.
func NewHandler(rt runtimes.Runtime, all []runtimes.Runtime, required map[string][]shoot.CapabilityRequirement, reader client.Reader) admission.Handler {
	scheme := runtime.NewScheme()
	if err := gardencorev1beta1.AddToScheme(scheme); err != nil {
		panic(fmt.Errorf("registering the Gardener core API: %w", err))
	}
	return &handler{
		runtime:  rt,
		all:      all,
		required: required,
		reader:   reader,
		decoder:  serializer.NewCodecFactory(scheme).UniversalDeserializer(),
	}
}

type handler struct {
	runtime  runtimes.Runtime
	all      []runtimes.Runtime
	required map[string][]shoot.CapabilityRequirement
	reader   client.Reader
	decoder  runtime.Decoder
}

var shootKind = gardencorev1beta1.SchemeGroupVersion.WithKind("Shoot")

// Handle judges one admission request for a Shoot and counts it in metrics.AdmissionRequests.
func (h *handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	resp, reason := h.handle(ctx, req)
	if resp.Allowed {
		metrics.Unchanged(Name(h.runtime.Type()), h.runtime.Type())
	} else {
		metrics.Refused(Name(h.runtime.Type()), h.runtime.Type(), reason)
	}
	return resp
}

// handle judges one admission request for a Shoot; for a refusal, it also returns the reason to count.
func (h *handler) handle(ctx context.Context, req admission.Request) (admission.Response, string) {
	if req.Kind.Group != shootKind.Group || req.Kind.Kind != shootKind.Kind {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("unexpected kind %s/%s: this webhook validates %s", req.Kind.Group, req.Kind.Kind, shootKind.GroupKind())), metrics.ReasonBadRequest
	}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed(""), ""
	}

	newShoot, err := h.decode(req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the Shoot: %w", err)), metrics.ReasonBadRequest
	}
	var oldShoot *gardencorev1beta1.Shoot
	if req.Operation == admissionv1.Update {
		if oldShoot, err = h.decode(req.OldObject.Raw); err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the old Shoot: %w", err)), metrics.ReasonBadRequest
		}
	}

	in := shoot.Input{Runtimes: h.all, Shoot: newShoot, OldShoot: oldShoot, RequiredCapabilities: h.required}
	if shoot.NeedsCloudProfile(in) {
		profile, err := gardenerutils.GetCloudProfile(ctx, h.reader, newShoot)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, fmt.Errorf("reading the CloudProfile of Shoot %s/%s: %w", newShoot.Namespace, newShoot.Name, err)), metrics.ReasonError
		}
		in.CloudProfile = &profile.Spec
	}

	allWarnings, errs := shoot.Validate(in)
	warnings := allWarnings[h.runtime.Type()]
	if len(errs) > 0 {
		// At most decode.MaxShown causes, shortened: the refusal (and the audit log recording it) stays small
		// whatever the size of the providerConfig.
		shown, omitted := decode.Limit(errs)
		status := apierrors.NewInvalid(shootKind.GroupKind(), newShoot.Name, shown).Status()
		if omitted > 0 {
			note := decode.OmittedNote(omitted)
			status.Message += "; " + note
			status.Details.Causes = append(status.Details.Causes, metav1.StatusCause{Message: note})
		}
		resp := admission.ValidationResponse(false, "")
		resp.Result = &status
		return resp.WithWarnings(warnings...), metrics.ReasonInvalid
	}
	return admission.Allowed("").WithWarnings(warnings...), ""
}

func (h *handler) decode(raw []byte) (*gardencorev1beta1.Shoot, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("the request carries no object")
	}
	obj := &gardencorev1beta1.Shoot{}
	if _, _, err := h.decoder.Decode(raw, nil, obj); err != nil {
		return nil, err
	}
	return obj, nil
}
