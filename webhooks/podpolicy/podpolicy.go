// Package podpolicy delivers the pod rules of the pod webhooks as in-tree admission policies of a shoot: CEL that
// the shoot's own API server evaluates, with no call to the seed. ShootPolicies builds them for what a shoot offers.
//
// One behaviour: every message a policy refuses with is the one the Go rules (mutators/pod, validators/pod) give for
// the same case, built by running those rules on stand-in pods whose free-form values are placeholders, which the
// policy fills with the pod's values. Only the node-selector checks and the choice among the offered classes are
// written in CEL; everything finite (what a name resolves to, the classes' node labels) is computed in Go and
// written into the policies as literals.
//
// What CEL cannot do the same way:
//   - The Pod Security Standards checks of an enforced namespace are Kubernetes' own PodSecurity admission: a
//     namespace labelled runtime.gardener.cloud/sandbox-enforce gets pod-security.kubernetes.io/enforce at its level
//     (a MutatingAdmissionPolicy on Namespaces), a namespace that lacks it is refused (a ValidatingAdmissionPolicy),
//     and a pod of an enforced namespace that lacks it too (labelled before the policies were in force) is refused.
//   - A requirement with Gt or Lt on a node label this extension knows is taken as unmet (refused, never admitted).
//   - No warnings for sandboxed pods that break the baseline level outside enforced namespaces.
package podpolicy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1beta1constants "github.com/gardener/gardener/pkg/apis/core/v1beta1/constants"

	apipod "github.com/gardener/gardener-extension-runtime-sandbox/apis/pod"
	mutatorpod "github.com/gardener/gardener-extension-runtime-sandbox/mutators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
	validatorpod "github.com/gardener/gardener-extension-runtime-sandbox/validators/pod"
	"github.com/gardener/gardener-extension-runtime-sandbox/webhooks/podwebhook"
)

// Names of the policies in a shoot; each binding has its policy's name.
const (
	// AnnotatedName defaults (MutatingAdmissionPolicy) and checks (ValidatingAdmissionPolicy) pods whose
	// annotations concern a sandbox.
	AnnotatedName = "runtime-sandbox-pods-annotated"
	// NamespaceName defaults and checks the pods without their own choice in namespaces labelled
	// runtime.gardener.cloud/sandbox.
	NamespaceName = "runtime-sandbox-pods-namespace"
	// EnforceName checks every pod, and every ephemeral container added to one, of namespaces labelled
	// runtime.gardener.cloud/sandbox-enforce.
	EnforceName = "runtime-sandbox-pods-enforce"
	// NamespacesName gives namespaces labelled runtime.gardener.cloud/sandbox-enforce the Pod Security label of
	// their level, and refuses them without it.
	NamespacesName = "runtime-sandbox-namespaces"
)

// ProbeLabel on a pod of kube-system names the pod policy whose probe binding (ProbeBindings) subjects the pod to it.
// It only ever adds checks: everywhere else, the policies apply whether a pod carries it or not.
const ProbeLabel = "runtime-sandbox.extensions.gardener.cloud/probe"

// ProbeBindings returns bindings that apply the pod policies to the pods of kube-system labelled ProbeLabel=<policy
// name> (both kinds of AnnotatedName; the validating NamespaceName and EnforceName), each named <policy>-probe.
// kube-system is skipped by the pod webhooks and by the policies' own bindings, so a probe pod there shows whether a
// policy is in force while the webhooks still are.
func ProbeBindings() []client.Object {
	probe := func(policy string) (mutating, validating client.Object) {
		return bindings(policy+"-probe", policy, &admissionregistrationv1.MatchResources{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: metav1.NamespaceSystem}},
			ObjectSelector:    &metav1.LabelSelector{MatchLabels: map[string]string{ProbeLabel: policy}},
		})
	}
	annotatedMutating, annotatedValidating := probe(AnnotatedName)
	_, namespaceValidating := probe(NamespaceName)
	_, enforceValidating := probe(EnforceName)
	return []client.Object{annotatedMutating, annotatedValidating, namespaceValidating, enforceValidating}
}

// Placeholders of the free-form values in the messages the Go rules build for stand-in pods; the policies replace
// each with the pod's value, quoted where the rule quoted it.
const (
	holeKey       = "@@K@@"
	holeValue     = "@@V@@"
	holeName      = "@@S@@"
	holeClass     = "@@R@@"
	holeUnmet     = "@@U@@"
	holeNamespace = "@@N@@"
)

// pssLatest is the Pod Security Standards version the namespaces get: the shoot's own Kubernetes version.
const pssLatest = "latest"

// NotInForce is the refusal of a pod that asks for a sandbox but reaches the validating policies without one: the
// mutating policy that defaults it is not (yet, or no longer) in force.
const NotInForce = "the pod asks for a sandbox, but it was not defaulted to one: the cluster's admission policy " +
	"that defaults pods is not in force yet; create the pod again in a moment"

// ShootPolicies returns the admission policies and their bindings for a shoot that offers offer.
func ShootPolicies(offer mutatorpod.Offer) ([]client.Object, error) {
	t, err := newTables(offer)
	if err != nil {
		return nil, err
	}
	annotatedVars := slices.Concat(t.commonVariables(), t.annotatedVariables(), t.decisionVariables())
	namespaceVars := slices.Concat(t.commonVariables(), t.namespaceVariables(), t.decisionVariables())
	concerns := []admissionregistrationv1.MatchCondition{{Name: "concerns-a-sandbox", Expression: podwebhook.ConcernsSandbox}}
	noOwnChoice := []admissionregistrationv1.MatchCondition{{Name: "no-own-choice", Expression: podwebhook.NoOwnChoice}}
	nsRules := []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"namespaces"}},
	}}}
	enforcedNamespaces := &admissionregistrationv1.MatchResources{ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		exists(apipod.LabelSandboxEnforce), notSystem(),
	}}}

	annotatedMutating, annotatedValidating := bindings(AnnotatedName, AnnotatedName, namespaces())
	namespaceMutating, namespaceValidating := bindings(NamespaceName, NamespaceName, namespaces(exists(apipod.LabelSandbox)))
	_, enforceValidating := bindings(EnforceName, EnforceName, namespaces(exists(apipod.LabelSandboxEnforce)))
	nsMutating, nsValidating := bindings(NamespacesName, NamespacesName, enforcedNamespaces)
	return []client.Object{
		mutatingPolicy(AnnotatedName, podCreate(), concerns, annotatedVars, setClass()), annotatedMutating,
		validatingPolicy(AnnotatedName, podCreate(), concerns, annotatedVars), annotatedValidating,
		mutatingPolicy(NamespaceName, podCreate(), noOwnChoice, namespaceVars, setClass()), namespaceMutating,
		validatingPolicy(NamespaceName, podCreate(), noOwnChoice, namespaceVars), namespaceValidating,
		validatingPolicy(EnforceName, append(podCreate(), ephemeralContainers()), nil, t.enforceVariables()), enforceValidating,
		mutatingPolicy(NamespacesName, nsRules, nil, namespaceLevelVariables(), setPodSecurityLabels()), nsMutating,
		validatingPolicy(NamespacesName, nsRules, nil, namespaceLevelVariables()), nsValidating,
	}, nil
}

// tables is what the policies of one shoot know, computed by the Go rules.
type tables struct {
	offer mutatorpod.Offer
	// candidates maps a request (see requestKey) to the classes that satisfy it.
	candidates map[string][]string
	// refusals maps a request the offer cannot satisfy to its refusal.
	refusals map[string]string
	// conflicts maps a request to its refusal of a pod whose spec.runtimeClassName (holeClass) is none of its
	// candidates.
	conflicts map[string]string
	// unmet maps a request and the class spec.runtimeClassName narrowed it to ("" for none), joined by "|", to its
	// refusal of a pod whose node selection (holeUnmet) no candidate's nodes meet.
	unmet map[string]string
	// outside maps an enforced name and how the pod chose its class (see enforceVariables), joined by "|", to the
	// refusal of a pod outside the namespace's class.
	outside map[string]string
	// messages are the refusals with placeholders only.
	annotationEmpty, annotationMisspelt, untrustedValue, trustedValue, unknownName string
	namespaceUnknown, enforceUnknown, enforceLevelUnknown                          string
	unsafe                                                                         map[string]string
}

// Request keys: "name:<class or type>" for the sandbox annotation, "unknown" for an annotation that names neither,
// "untrusted" and "trusted" for kata-deploy's and CRI-O's annotations, "ns:<class or type>" for a namespace default.
const (
	requestUnknown   = "unknown"
	requestUntrusted = "untrusted"
	requestTrusted   = "trusted"
)

// standIn is a pod as the rules see it; ann and nodeSelector may be nil.
func standIn(ann map[string]string, class string, unmet bool) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: ann}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	if class != "" {
		pod.Spec.RuntimeClassName = &class
	}
	if unmet {
		pod.Spec.NodeSelector = map[string]string{v1beta1constants.LabelWorkerPool: holeUnmet}
	}
	return pod
}

// unmetDescription is how the rules describe the stand-in's unmet node selector; the policies put their own there.
var unmetDescription = fmt.Sprintf("spec.nodeSelector %s=%s", v1beta1constants.LabelWorkerPool, holeUnmet)

// refusal returns the message of err, which must be a refusal.
func refusal(err error) (string, error) {
	var r *apipod.Refusal
	if !errors.As(err, &r) {
		return "", fmt.Errorf("the rules gave %v where a refusal was expected", err)
	}
	return strings.ReplaceAll(r.Message, unmetDescription, holeUnmet), nil
}

func newTables(offer mutatorpod.Offer) (*tables, error) {
	t := &tables{offer: offer, candidates: map[string][]string{}, refusals: map[string]string{}, conflicts: map[string]string{},
		unmet: map[string]string{}, outside: map[string]string{}, unsafe: map[string]string{}}
	var errs []error
	must := func(err error) string {
		msg, e := refusal(err)
		errs = append(errs, e)
		return msg
	}
	annotated := func(ann map[string]string, class string, unmet bool) error {
		return mutatorpod.DefaultAnnotated(standIn(ann, class, unmet), offer)
	}
	// A request's conflict and unmet refusals, also for each candidate spec.runtimeClassName may narrow it to.
	requestRefusals := func(key string, ann map[string]string) {
		t.conflicts[key] = must(annotated(ann, holeClass, false))
		t.unmet[key+"|"] = must(annotated(ann, "", true))
		for _, class := range t.candidates[key] {
			t.unmet[key+"|"+class] = must(annotated(ann, class, true))
		}
	}

	for _, name := range runtimes.Names() {
		key := "name:" + name
		ann := map[string]string{apipod.AnnotationSandbox: name}
		if err := annotated(ann, "", false); err != nil {
			t.refusals[key] = must(err)
			continue
		}
		t.candidates[key] = offer.Candidates(name)
		requestRefusals(key, ann)
	}
	t.unknownName = must(annotated(map[string]string{apipod.AnnotationSandbox: holeName}, "", false))
	for key, ann := range map[string]map[string]string{
		requestUntrusted: {apipod.AnnotationUntrustedWorkload: "true"},
		requestTrusted:   {apipod.AnnotationTrustedSandbox: "false"},
	} {
		if len(offer.Classes) == 0 {
			t.refusals[key] = must(annotated(ann, "", false))
			continue
		}
		// kata-deploy's annotations with an offered spec.runtimeClassName ask for that class.
		t.candidates[key] = offer.Classes
		requestRefusals(key, ann)
	}

	for _, name := range runtimes.Names() {
		key := "ns:" + name
		if err := mutatorpod.DefaultFromNamespace(standIn(nil, "", false), name, offer); err != nil {
			t.refusals[key] = must(err)
			continue
		}
		t.candidates[key] = offer.WithDefaults(offer.Candidates(name))
		t.unmet[key+"|"] = must(mutatorpod.DefaultFromNamespace(standIn(nil, "", true), name, offer))
	}
	t.namespaceUnknown = must(mutatorpod.RefuseUnknownDefault(holeNamespace))

	t.annotationEmpty = must(mutatorpod.CheckAnnotations(standIn(map[string]string{apipod.AnnotationSandbox: ""}, "", false)))
	misspelt := apipod.AnnotationPrefix + holeKey
	t.annotationMisspelt = strings.ReplaceAll(must(mutatorpod.CheckAnnotations(standIn(map[string]string{misspelt: holeValue}, "", false))), misspelt, holeKey)
	t.untrustedValue = must(mutatorpod.CheckAnnotations(standIn(map[string]string{apipod.AnnotationUntrustedWorkload: holeValue}, "", false)))
	t.trustedValue = must(mutatorpod.CheckAnnotations(standIn(map[string]string{apipod.AnnotationTrustedSandbox: holeValue}, "", false)))

	enforce := func(pod *corev1.Pod, class string) error {
		return validatorpod.Enforce(pod, validatorpod.Enforcement{Namespace: holeNamespace, Class: class, Level: apipod.LevelBaseline, Version: psaapi.LatestVersion()})
	}
	for _, name := range runtimes.Names() {
		for how, pod := range map[string]*corev1.Pod{
			"annotation": standIn(map[string]string{apipod.AnnotationSandbox: holeName}, "", false),
			"default":    standIn(map[string]string{apipod.AnnotationUntrustedWorkload: "true"}, holeClass, false),
			"class":      standIn(nil, holeClass, false),
			"none":       standIn(nil, "", false),
		} {
			t.outside[name+"|"+how] = must(enforce(pod, name))
		}
	}
	for _, rt := range runtimes.All() {
		prefix := rt.PodAnnotationPrefix()
		if prefix == "" {
			continue
		}
		key := prefix + holeKey
		t.unsafe[prefix] = strings.ReplaceAll(must(enforce(standIn(map[string]string{key: holeValue}, rt.ClassNames()[0], false), rt.ClassNames()[0])), key, holeKey)
	}
	t.enforceUnknown = must(validatorpod.RefuseUnknownClass(holeNamespace))
	t.enforceLevelUnknown = must(validatorpod.RefuseUnknownLevel(holeNamespace))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("building the admission policies' messages: %w", err)
	}
	return t, nil
}

// lit is a CEL literal of v: a string, a list of strings, a map of strings to strings or lists of strings, or a
// list of such maps.
func lit(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []string:
		items := make([]string, 0, len(v))
		for _, s := range v {
			items = append(items, lit(s))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case []map[string]string:
		items := make([]string, 0, len(v))
		for _, m := range v {
			items = append(items, lit(m))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case map[string]string:
		return mapLit(v)
	case map[string][]string:
		return mapLit(v)
	case map[string][]map[string]string:
		return mapLit(v)
	}
	panic(fmt.Sprintf("no CEL literal for %T", v))
}

func mapLit[V any](m map[string]V) string {
	items := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		items = append(items, lit(k)+": "+lit(m[k]))
	}
	return "{" + strings.Join(items, ", ") + "}"
}

// hole is a placeholder and the CEL expression of the value it stands for.
type hole struct{ placeholder, expr string }

// fill returns a CEL expression that renders template (a CEL string expression) with each hole's placeholder
// replaced by its value: quoted where the rules quoted it (%q), as is elsewhere.
func fill(template string, holes ...hole) string {
	out := "(" + template + ")"
	for _, h := range holes {
		out += fmt.Sprintf(".replace(%s, strings.quote(%s)).replace(%s, %s)", lit(`"`+h.placeholder+`"`), h.expr, lit(h.placeholder), h.expr)
	}
	return out
}

func variable(name, expression string) admissionregistrationv1.Variable {
	return admissionregistrationv1.Variable{Name: name, Expression: expression}
}

// commonVariables are the pod's fields and the offer's node labels that the defaulting policies read.
func (t *tables) commonVariables() []admissionregistrationv1.Variable {
	nodeLabels := map[string][]map[string]string{}
	typeLabels := map[string]string{}
	for _, class := range t.offer.Classes {
		nodeLabels[class] = t.offer.NodeLabels(class)
		runtimeType, _ := runtimes.TypeOfClass(class)
		typeLabels[class] = node.ContainerRuntimeLabel(runtimeType)
	}
	return []admissionregistrationv1.Variable{
		variable("ann", "object.metadata.?annotations.orValue({})"),
		variable("class", "object.spec.?runtimeClassName.orValue('')"),
		variable("sel", "object.spec.?nodeSelector.orValue({})"),
		variable("terms", "object.spec.?affinity.?nodeAffinity.?requiredDuringSchedulingIgnoredDuringExecution.?nodeSelectorTerms.orValue([])"),
		variable("known", lit(runtimes.KnownNodeLabels())),
		variable("nodeLabels", lit(nodeLabels)),
		variable("typeLabels", lit(typeLabels)),
	}
}

// annotatedVariables compute the request of a pod whose annotations concern a sandbox: annotationProblem, request,
// candidates and refusal.
func (t *tables) annotatedVariables() []admissionregistrationv1.Variable {
	bad := fmt.Sprintf(`variables.ann.filter(k, (k == %[1]s && variables.ann[k] == '') || (k != %[1]s && k.startsWith(%[2]s)) || (k in [%[3]s, %[4]s] && !(variables.ann[k] in ['true', 'false']))).sort()`,
		lit(apipod.AnnotationSandbox), lit(apipod.AnnotationPrefix), lit(apipod.AnnotationUntrustedWorkload), lit(apipod.AnnotationTrustedSandbox))
	first := "variables.badAnnotations[0]"
	value := hole{holeValue, "variables.ann[" + first + "]"}
	problem := fmt.Sprintf(`variables.badAnnotations.size() == 0 ? '' : %[1]s == %[2]s ? %[3]s : %[1]s == %[4]s ? %[5]s : %[1]s == %[6]s ? %[7]s : %[8]s`,
		first, lit(apipod.AnnotationSandbox), lit(t.annotationEmpty),
		lit(apipod.AnnotationUntrustedWorkload), fill(lit(t.untrustedValue), value),
		lit(apipod.AnnotationTrustedSandbox), fill(lit(t.trustedValue), value),
		fill(lit(t.annotationMisspelt), hole{holeKey, first}, value))
	request := fmt.Sprintf(`variables.name != '' ? (variables.name in %s ? 'name:' + variables.name : %s) : variables.ann[?%s].orValue('') == 'true' ? %s : variables.ann[?%s].orValue('') == 'false' ? %s : ''`,
		lit(runtimes.Names()), lit(requestUnknown), lit(apipod.AnnotationUntrustedWorkload), lit(requestUntrusted), lit(apipod.AnnotationTrustedSandbox), lit(requestTrusted))
	candidates := fmt.Sprintf(`variables.request in [%s, %s] && variables.class in %s ? [variables.class] : %s[?variables.request].orValue([])`,
		lit(requestUntrusted), lit(requestTrusted), lit(t.offer.Classes), lit(t.candidates))
	// kata-deploy's annotations without an offered class ask for the cluster's default sandbox.
	if defaults := t.offer.Defaults(); len(defaults) > 0 {
		candidates = fmt.Sprintf(`variables.request in [%s, %s] && !(variables.class in %s) ? %s : %s`,
			lit(requestUntrusted), lit(requestTrusted), lit(t.offer.Classes), lit(defaults), candidates)
	}
	return []admissionregistrationv1.Variable{
		variable("badAnnotations", bad),
		variable("annotationProblem", problem),
		variable("name", fmt.Sprintf("variables.ann[?%s].orValue('')", lit(apipod.AnnotationSandbox))),
		variable("request", request),
		variable("candidates", candidates),
		variable("refusal", fmt.Sprintf(`variables.request == %s ? %s : %s[?variables.request].orValue('')`,
			lit(requestUnknown), fill(lit(t.unknownName), hole{holeName, "variables.name"}), lit(t.refusals))),
	}
}

// namespaceVariables compute the request of a pod without its own choice in a namespace with a default.
func (t *tables) namespaceVariables() []admissionregistrationv1.Variable {
	return []admissionregistrationv1.Variable{
		variable("badAnnotations", "[]"),
		variable("annotationProblem", "''"),
		variable("name", fmt.Sprintf("namespaceObject.metadata.?labels.orValue({})[?%s].orValue('')", lit(apipod.LabelSandbox))),
		variable("request", fmt.Sprintf(`variables.name in %s ? 'ns:' + variables.name : %s`, lit(runtimes.Names()), lit(requestUnknown))),
		variable("candidates", fmt.Sprintf("%s[?variables.request].orValue([])", lit(t.candidates))),
		variable("refusal", fmt.Sprintf(`variables.request == %s ? %s : %s[?variables.request].orValue('')`,
			lit(requestUnknown), fill(lit(t.namespaceUnknown), hole{holeNamespace, "namespaceObject.metadata.name"}), lit(t.refusals))),
	}
}

// meets is the CEL condition that a node with labels (a CEL map) meets the node selector requirement r.
func meets(r, labels string) string {
	return fmt.Sprintf(`((%[1]s.operator == 'In' && %[1]s.key in %[2]s && %[1]s.?values.orValue([]).exists(v, v == %[2]s[%[1]s.key])) || `+
		`(%[1]s.operator == 'NotIn' && !(%[1]s.key in %[2]s && %[1]s.?values.orValue([]).exists(v, v == %[2]s[%[1]s.key]))) || `+
		`(%[1]s.operator == 'Exists' && %[1]s.key in %[2]s) || (%[1]s.operator == 'DoesNotExist' && !(%[1]s.key in %[2]s)))`, r, labels)
}

// decisionVariables choose the class from request and candidates (see mutators/pod's apply) and say what is
// wrong: chosen is the class to set, or ” when the pod is refused; problem is the refusal, or ”.
func (t *tables) decisionVariables() []admissionregistrationv1.Variable {
	// A node with labels l meets the pod's node selector and required node affinity on the labels this extension
	// knows (mutators/pod's unmetBy).
	fitsLabels := fmt.Sprintf(`variables.sel.all(k, !(k in variables.known) || (k in l && l[k] == variables.sel[k])) && `+
		`(variables.terms.size() == 0 || variables.terms.exists(t, t.?matchExpressions.orValue([]).all(r, !(r.key in variables.known) || %s)))`, meets("r", "l"))
	describe := `variables.unmetTerm.key + ' ' + variables.unmetTerm.operator + (variables.unmetTerm.?values.orValue([]).size() == 0 ? '' : ' [' + variables.unmetTerm.values.join(', ') + ']')`
	return []admissionregistrationv1.Variable{
		variable("conflict", "variables.class != '' && !(variables.class in variables.candidates)"),
		variable("narrowed", "variables.class != '' ? [variables.class] : variables.candidates"),
		variable("fitting", fmt.Sprintf("variables.narrowed.filter(c, variables.nodeLabels[?c].orValue([]).exists(l, %s))", fitsLabels)),
		variable("chosen", "variables.annotationProblem == '' && variables.refusal == '' && !variables.conflict && variables.fitting.size() > 0 ? variables.fitting[0] : ''"),
		// The first unmet requirement on the first label set of the first candidate, as mutators/pod describes it.
		variable("firstLabels", "variables.nodeLabels[variables.narrowed[0]][0]"),
		variable("unmetSelector", "variables.sel.filter(k, k in variables.known && !(k in variables.firstLabels && variables.firstLabels[k] == variables.sel[k])).sort()"),
		variable("unmetTerm", fmt.Sprintf("variables.terms[0].?matchExpressions.orValue([]).filter(r, r.key in variables.known && !%s)[0]", meets("r", "variables.firstLabels"))),
		variable("unmet", fmt.Sprintf(`variables.unmetSelector.size() > 0 ? 'spec.nodeSelector ' + variables.unmetSelector[0] + '=' + variables.sel[variables.unmetSelector[0]] : `+
			`'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0] requirement ' + %s`, describe)),
		variable("problem", fmt.Sprintf(`variables.annotationProblem != '' ? variables.annotationProblem : variables.request == '' ? '' : variables.refusal != '' ? variables.refusal : `+
			`variables.conflict ? %s : variables.fitting.size() == 0 ? %s : `+
			`variables.class != variables.chosen || variables.sel[?variables.typeLabels[variables.chosen]].orValue('') != 'true' ? %s : ''`,
			fill(lit(t.conflicts)+"[variables.request]", hole{holeClass, "variables.class"}),
			fill(lit(t.unmet)+"[variables.request + '|' + (variables.class != '' ? variables.class : '')]", hole{holeUnmet, "variables.unmet"}),
			lit(NotInForce))),
	}
}

// setClass is the mutation that puts the pod into the chosen class: spec.runtimeClassName and the node selector of
// its runtime type. A JSON patch: spec.nodeSelector is an atomic map, which an apply configuration may not change
// in part.
func setClass() admissionregistrationv1.Mutation {
	return admissionregistrationv1.Mutation{
		PatchType: admissionregistrationv1.PatchTypeJSONPatch,
		JSONPatch: &admissionregistrationv1.JSONPatch{Expression: `variables.chosen == '' ? [] : [
	JSONPatch{op: 'add', path: '/spec/runtimeClassName', value: variables.chosen},
	has(object.spec.nodeSelector)
		? JSONPatch{op: 'add', path: '/spec/nodeSelector/' + jsonpatch.escapeKey(variables.typeLabels[variables.chosen]), value: 'true'}
		: JSONPatch{op: 'add', path: '/spec/nodeSelector', value: {variables.typeLabels[variables.chosen]: 'true'}}
]`},
	}
}

// enforceVariables check a pod of an enforced namespace (validators/pod's Enforce, without the Pod Security
// Standards, which the namespace's Pod Security label has Kubernetes check).
func (t *tables) enforceVariables() []admissionregistrationv1.Variable {
	ns := hole{holeNamespace, "namespaceObject.metadata.name"}
	// An annotation of a runtime's own that is not on its allowlist (runtimes.UnsafeAnnotations), and its refusal.
	var unsafe []string
	unsafeMessage := "''"
	for _, rt := range slices.Backward(runtimes.All()) {
		prefix := rt.PodAnnotationPrefix()
		if prefix == "" {
			continue
		}
		unsafe = append(unsafe, fmt.Sprintf("(k.startsWith(%s) && !(k in %s))", lit(prefix), lit(rt.AllowedPodAnnotations())))
		unsafeMessage = fmt.Sprintf("k.startsWith(%s) ? %s : %s", lit(prefix), fill(lit(t.unsafe[prefix]), hole{holeKey, "k"}, hole{holeValue, "variables.ann[k]"}), unsafeMessage)
	}
	unsafeKeys := "[]"
	if len(unsafe) > 0 {
		unsafeKeys = fmt.Sprintf("variables.ann.filter(k, %s).sort()", strings.Join(unsafe, " || "))
	}
	how := fmt.Sprintf(`variables.ann[?%s].orValue('') != '' ? 'annotation' : variables.class != '' && (variables.ann[?%s].orValue('') == 'true' || variables.ann[?%s].orValue('') == 'false') ? 'default' : variables.class != '' ? 'class' : 'none'`,
		lit(apipod.AnnotationSandbox), lit(apipod.AnnotationUntrustedWorkload), lit(apipod.AnnotationTrustedSandbox))
	typeOf := map[string]string{}
	for _, class := range runtimes.ClassNames() {
		typeOf[class], _ = runtimes.TypeOfClass(class)
	}
	return []admissionregistrationv1.Variable{
		variable("ann", "object.metadata.?annotations.orValue({})"),
		variable("class", "object.spec.?runtimeClassName.orValue('')"),
		variable("labels", "namespaceObject.metadata.?labels.orValue({})"),
		variable("enforced", fmt.Sprintf("variables.labels[?%s].orValue('')", lit(apipod.LabelSandboxEnforce))),
		variable("level", fmt.Sprintf("variables.labels[?%s].orValue(%s)", lit(apipod.LabelSandboxEnforceLevel), lit(string(apipod.LevelBaseline)))),
		variable("inClass", fmt.Sprintf("variables.class == variables.enforced || (variables.enforced in %s && %s[?variables.class].orValue('') == variables.enforced)", lit(runtimes.Types()), lit(typeOf))),
		variable("outside", fmt.Sprintf("variables.inClass ? '' : %s", fill(lit(t.outside)+"[variables.enforced + '|' + ("+how+")]", ns,
			hole{holeName, fmt.Sprintf("variables.ann[?%s].orValue('')", lit(apipod.AnnotationSandbox))}, hole{holeClass, "variables.class"}))),
		variable("unsafe", fmt.Sprintf("%s.map(k, %s)", unsafeKeys, unsafeMessage)),
		variable("podSecurityProblem", podSecurityProblem("variables.labels", "variables.level", "namespaceObject.metadata.name")),
		variable("problem", fmt.Sprintf(`!(variables.enforced in %s) ? %s : !(variables.level in %s) ? %s : variables.podSecurityProblem != '' ? variables.podSecurityProblem : ([variables.outside] + variables.unsafe).filter(m, m != '').join('; and ')`,
			lit(runtimes.Names()), fill(lit(t.enforceUnknown), ns), lit(apipod.Levels()), fill(lit(t.enforceLevelUnknown), ns))),
	}
}

// podSecurityProblem is the CEL expression of what is wrong with the Pod Security labels of the namespace named
// namespace, with labels, that enforces a sandbox at level (CEL expressions), or ”.
func podSecurityProblem(labels, level, namespace string) string {
	enforce, version := lit(psaapi.EnforceLevelLabel), lit(psaapi.EnforceVersionLabel)
	ok := fmt.Sprintf(`(%[2]s == 'restricted' ? %[1]s[?%[3]s].orValue('') == 'restricted' : %[1]s[?%[3]s].orValue('') in ['baseline', 'restricted']) && %[1]s[?%[4]s].orValue(%[5]s) == %[5]s`,
		labels, level, enforce, version, lit(pssLatest))
	want := fmt.Sprintf(`(%s == 'restricted' ? 'restricted' : 'baseline')`, level)
	message := strings.Join([]string{
		lit("namespace "), namespace,
		lit(fmt.Sprintf(" enforces a sandbox (label %s), so Kubernetes' Pod Security admission must check its pods: it needs the labels %s=", apipod.LabelSandboxEnforce, psaapi.EnforceLevelLabel)), want,
		lit(fmt.Sprintf(" (or restricted) and %s=%s (or none), but has %s=", psaapi.EnforceVersionLabel, pssLatest, psaapi.EnforceLevelLabel)),
		fmt.Sprintf("%s[?%s].orValue('(none)')", labels, enforce),
		lit(fmt.Sprintf(" and %s=", psaapi.EnforceVersionLabel)), fmt.Sprintf("%s[?%s].orValue('(none)')", labels, version),
		lit("; set them: kubectl label namespace "), namespace, lit(fmt.Sprintf(" %s=", psaapi.EnforceLevelLabel)), want,
		lit(fmt.Sprintf(" %s=%s --overwrite", psaapi.EnforceVersionLabel, pssLatest)),
	}, " + ")
	return fmt.Sprintf("%s ? '' : %s", ok, message)
}

// namespaceLevelVariables are what the namespace policies read: the namespace's labels, the Pod Security level its
// sandbox enforcement needs (restricted stays restricted), and what is wrong with its labels.
func namespaceLevelVariables() []admissionregistrationv1.Variable {
	return []admissionregistrationv1.Variable{
		variable("labels", "object.metadata.?labels.orValue({})"),
		variable("level", fmt.Sprintf("variables.labels[?%s].orValue('') == 'restricted' || variables.labels[?%s].orValue('') == 'restricted' ? 'restricted' : 'baseline'",
			lit(apipod.LabelSandboxEnforceLevel), lit(psaapi.EnforceLevelLabel))),
		variable("problem", podSecurityProblem("variables.labels", "variables.level", "object.metadata.name")),
	}
}

// setPodSecurityLabels sets a namespace's Pod Security labels to its level, at the cluster's version.
func setPodSecurityLabels() admissionregistrationv1.Mutation {
	return admissionregistrationv1.Mutation{
		PatchType: admissionregistrationv1.PatchTypeJSONPatch,
		JSONPatch: &admissionregistrationv1.JSONPatch{Expression: fmt.Sprintf(`[
	JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey(%s), value: variables.level},
	JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey(%s), value: %s}
]`, lit(psaapi.EnforceLevelLabel), lit(psaapi.EnforceVersionLabel), lit(pssLatest))},
	}
}

func podCreate() []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
	}}}
}

// ephemeralContainers matches ephemeral containers added to a pod: they run in its sandbox, with the node access
// they ask for.
func ephemeralContainers() admissionregistrationv1.NamedRuleWithOperations {
	return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/ephemeralcontainers"}},
	}}
}

func mutatingPolicy(name string, rules []admissionregistrationv1.NamedRuleWithOperations, conditions []admissionregistrationv1.MatchCondition, variables []admissionregistrationv1.Variable, mutation admissionregistrationv1.Mutation) client.Object {
	return &admissionregistrationv1.MutatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints:   &admissionregistrationv1.MatchResources{ResourceRules: rules},
			MatchConditions:    conditions,
			Variables:          variables,
			Mutations:          []admissionregistrationv1.Mutation{mutation},
			FailurePolicy:      new(admissionregistrationv1.Fail),
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
		},
	}
}

func validatingPolicy(name string, rules []admissionregistrationv1.NamedRuleWithOperations, conditions []admissionregistrationv1.MatchCondition, variables []admissionregistrationv1.Variable) client.Object {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: rules},
			MatchConditions:  conditions,
			Variables:        variables,
			Validations:      []admissionregistrationv1.Validation{{Expression: "variables.problem == ''", MessageExpression: "variables.problem", Reason: new(metav1.StatusReasonForbidden)}},
			FailurePolicy:    new(admissionregistrationv1.Fail),
		},
	}
}

// bindings returns the MutatingAdmissionPolicyBinding and the ValidatingAdmissionPolicyBinding name of the policies
// policy, with match; a policy of one kind only leaves the other unused.
func bindings(name, policy string, match *admissionregistrationv1.MatchResources) (mutating, validating client.Object) {
	mutating = &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: policy, MatchResources: match.DeepCopy()},
	}
	validating = &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: policy, MatchResources: match.DeepCopy(), ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	return mutating, validating
}

func exists(key string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpExists}
}

func notSystem() metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{metav1.NamespaceSystem}}
}

// namespaces matches the objects of namespaces with the given requirements, never kube-system.
func namespaces(requirements ...metav1.LabelSelectorRequirement) *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
		MatchExpressions: append([]metav1.LabelSelectorRequirement{notSystem()}, requirements...),
	}}
}
