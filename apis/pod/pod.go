// Package pod is the pod defaulting and enforcement API of the extension in a shoot: the pod annotations and
// namespace labels users write, and the refusal the webhooks answer with. The defaulting (mutators/pod) and the
// enforcement (validators/pod) share it.
package pod

import "fmt"

const (
	// AnnotationPrefix is the prefix of this extension's pod annotations; a pod annotation under it that the extension
	// does not define is refused as a typo.
	AnnotationPrefix = "runtime.gardener.cloud/"
	// AnnotationSandbox on a pod names the RuntimeClass (gvisor, kata-qemu, kata-clh, kata-fc) or the runtime type
	// (gvisor, kata: the cluster's first Kata class) the pod runs in.
	AnnotationSandbox = "runtime.gardener.cloud/sandbox"
	// AnnotationUntrustedWorkload is kata-deploy's annotation; "true" means the cluster's default sandbox.
	AnnotationUntrustedWorkload = "io.kubernetes.cri.untrusted-workload"
	// AnnotationTrustedSandbox is CRI-O's annotation; "false" means the cluster's default sandbox.
	AnnotationTrustedSandbox = "io.kubernetes.cri-o.TrustedSandbox"

	// LabelSandbox on a namespace names the RuntimeClass every pod of the namespace runs in by default.
	LabelSandbox = "runtime.gardener.cloud/sandbox"
	// LabelSandboxEnforce on a namespace names the RuntimeClass every pod of the namespace must run in; its pods must
	// also pass the Pod Security Standards at the level of LabelSandboxEnforceLevel.
	LabelSandboxEnforce = "runtime.gardener.cloud/sandbox-enforce"
	// LabelSandboxEnforceLevel on an enforced namespace raises the Pod Security Standards level its pods must pass
	// from LevelBaseline (the default) to LevelRestricted.
	LabelSandboxEnforceLevel = "runtime.gardener.cloud/sandbox-enforce-level"
)

// Level is a Pod Security Standards level an enforced namespace's pods must pass.
type Level string

const (
	// LevelBaseline refuses known privilege escalations: host namespaces, hostPath volumes, privileged containers,
	// added capabilities, host ports, ... It is the default of an enforced namespace.
	LevelBaseline Level = "baseline"
	// LevelRestricted also requires current hardening: non-root, no privilege escalation, dropped capabilities, a
	// seccomp profile, restricted volume types.
	LevelRestricted Level = "restricted"
)

// Levels returns the values LabelSandboxEnforceLevel may take. The caller owns the returned slice.
func Levels() []string { return []string{string(LevelBaseline), string(LevelRestricted)} }

// Refusal is why a pod is refused, with the message that says what to change.
type Refusal struct {
	// Reason is a short, stable cause for metrics: unknown, invalid, not-offered, conflict, enforced or insecure.
	Reason string
	// Message says what is wrong and what to change.
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Refuse returns a Refusal with the given reason and formatted message.
func Refuse(reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Refusal reasons, the values of Refusal.Reason.
const (
	// ReasonUnknown is a name no runtime of this extension knows (a class, a type, a level).
	ReasonUnknown = "unknown"
	// ReasonNotOffered is a class no worker pool of the cluster offers.
	ReasonNotOffered = "not-offered"
	// ReasonInvalid is an annotation that looks like a request for a sandbox but is none (a typo).
	ReasonInvalid = "invalid"
	// ReasonConflict is a pod whose own settings contradict what it asks for.
	ReasonConflict = "conflict"
	// ReasonEnforced is a pod outside its enforced namespace's class.
	ReasonEnforced = "enforced"
	// ReasonInsecure is a pod of an enforced namespace that the Pod Security Standards refuse.
	ReasonInsecure = "insecure"
)

// ShowLabel is the command that shows a namespace's label: the API server does not send the namespace's labels to
// a webhook, so a refusal for a label's value cannot repeat it and names this command instead.
func ShowLabel(namespace, label string) string {
	return fmt.Sprintf("`kubectl get namespace %s -L %s`", namespace, label)
}
