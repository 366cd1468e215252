package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/gardener/gardener/extensions/pkg/controller/containerruntime"
	extensionswebhook "github.com/gardener/gardener/extensions/pkg/webhook"
	extensionscmdwebhook "github.com/gardener/gardener/extensions/pkg/webhook/cmd"
	gardenerimagevector "github.com/gardener/gardener/pkg/utils/imagevector"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/actuator/healthcheck"
	"github.com/gardener/gardener-extension-runtime-sandbox/imagevector"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// controllerOptions configure the ContainerRuntime controller.
type controllerOptions struct {
	installerImage            string
	podAdmission              string
	maxConcurrentReconciles   int
	ignoreOperationAnnotation bool
	disabled                  bool
	healthCheckSyncPeriod     time.Duration
	// server returns how the webhook server is exposed, once the options are complete.
	server func() extensionscmdwebhook.ServerConfig
	// oscWebhookDisabled reports whether the OSC webhook is switched off, once the options are complete.
	oscWebhookDisabled func() bool
}

func (o *controllerOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.installerImage, "installer-image", "", "Image of the installer DaemonSet that puts the runtime binaries on the nodes (default: "+imagevector.InstallerImageName+" of the image vector, which $"+gardenerimagevector.OverrideEnv+" overrides).")
	fs.StringVar(&o.podAdmission, "pod-admission", actuator.PodAdmissionAuto, "How the pod rules reach the shoots: "+actuator.PodAdmissionAuto+" (admission policies in shoots whose Kubernetes version serves them, "+actuator.PolicyMinVersion.String()+" and later; webhooks served from the seed for the others), "+actuator.PodAdmissionWebhook+" (webhooks for every shoot) or "+actuator.PodAdmissionPolicy+" (policies for every shoot; older shoots fail to reconcile).")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 5, "Maximum number of ContainerRuntimes reconciled at once.")
	fs.BoolVar(&o.ignoreOperationAnnotation, "ignore-operation-annotation", false, "Reconcile ContainerRuntimes on every change, not only when gardenlet asks by annotation.")
	fs.BoolVar(&o.disabled, "disable-containerruntime-controller", false, "Serve only the webhooks, without the ContainerRuntime controller and its health checks.")
	fs.DurationVar(&o.healthCheckSyncPeriod, "healthcheck-sync-period", healthcheck.DefaultSyncPeriod, "How often the health of each ContainerRuntime (its ManagedResources and installer DaemonSet) is checked.")
}

// setup adds one ContainerRuntime controller per sandbox runtime type, all with the same actuator, and their health
// check controllers.
func (o *controllerOptions) setup(ctx context.Context, mgr manager.Manager) error {
	if o.disabled {
		return nil
	}
	if o.installerImage == "" {
		image, err := imagevector.Image(imagevector.InstallerImageName)
		if err != nil {
			return fmt.Errorf("determining the installer image: %w", err)
		}
		o.installerImage = image
	}
	if !slices.Contains(actuator.PodAdmissions(), o.podAdmission) {
		return fmt.Errorf("--pod-admission=%s: want one of %s", o.podAdmission, strings.Join(actuator.PodAdmissions(), ", "))
	}
	if o.oscWebhookDisabled() {
		return errors.New("--disable-webhooks=osc needs --disable-containerruntime-controller: the controller gives the shoots' pod webhooks the CA bundle of the osc webhook's configuration")
	}
	cfg := actuator.Config{
		InstallerImage:         o.installerImage,
		PodAdmission:           o.podAdmission,
		PodWebhookClientConfig: podWebhookClientConfig(mgr, o.server()),
	}
	if err := actuator.AddShootWebhookRefresh(mgr, cfg, extensionswebhook.PrefixedName(Name, false)); err != nil {
		return fmt.Errorf("adding the shoot webhook CA refresh: %w", err)
	}
	a := actuator.NewActuator(mgr, cfg)
	for _, t := range runtimes.Types() {
		if err := containerruntime.Add(mgr, containerruntime.AddArgs{
			Actuator:        a,
			FinalizerSuffix: Name,
			// One controller per type, all named "containerruntime" by Gardener's library.
			ControllerOptions:         controller.Options{MaxConcurrentReconciles: o.maxConcurrentReconciles, SkipNameValidation: new(true)},
			Predicates:                containerruntime.DefaultPredicates(ctx, mgr, o.ignoreOperationAnnotation),
			Type:                      t,
			IgnoreOperationAnnotation: o.ignoreOperationAnnotation,
		}); err != nil {
			return fmt.Errorf("adding the ContainerRuntime controller for %s: %w", t, err)
		}
	}
	return healthcheck.Add(mgr, runtimes.Types(), o.healthCheckSyncPeriod)
}

// podWebhookClientConfig returns how a shoot's API server reaches the pod webhooks of this component: by URL or
// through the service, as the extension library addresses shoot webhooks, with the CA bundle the library put into
// this component's seed webhook configuration (read on every reconciliation; when it changes,
// actuator.AddShootWebhookRefresh rewrites every shoot's pod webhook configurations).
func podWebhookClientConfig(mgr manager.Manager, server extensionscmdwebhook.ServerConfig) func(context.Context) (func(string) admissionregistrationv1.WebhookClientConfig, error) {
	return func(ctx context.Context) (func(string) admissionregistrationv1.WebhookClientConfig, error) {
		seedConfig := &admissionregistrationv1.MutatingWebhookConfiguration{}
		name := extensionswebhook.PrefixedName(Name, false)
		if err := mgr.GetClient().Get(ctx, client.ObjectKey{Name: name}, seedConfig); err != nil {
			return nil, fmt.Errorf("reading MutatingWebhookConfiguration %s for the webhook CA: %w", name, err)
		}
		caBundle, err := extensionswebhook.GetCABundleFromWebhookConfig(seedConfig)
		if err != nil || len(caBundle) == 0 {
			return nil, fmt.Errorf("MutatingWebhookConfiguration %s has no CA bundle yet: %v", name, err)
		}
		mode := extensionswebhook.ModeURLWithServiceName
		if server.Mode == extensionswebhook.ModeURL {
			mode = extensionswebhook.ModeURL
		}
		port := server.ServicePort
		if port == 0 {
			if s, ok := mgr.GetWebhookServer().(*webhook.DefaultServer); ok {
				port = s.Options.Port
			}
		}
		return func(path string) admissionregistrationv1.WebhookClientConfig {
			return extensionswebhook.BuildClientConfigFor(path, server.Namespace, Name, false, port, mode, server.URL, caBundle)
		}, nil
	}
}
