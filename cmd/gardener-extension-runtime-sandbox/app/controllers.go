package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/gardener/gardener/extensions/pkg/controller/containerruntime"

	"github.com/gardener/gardener-extension-runtime-sandbox/actuator"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes"
)

// controllerOptions configure the ContainerRuntime controller.
type controllerOptions struct {
	installerImage            string
	maxConcurrentReconciles   int
	ignoreOperationAnnotation bool
	disabled                  bool
}

func (o *controllerOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.installerImage, "installer-image", "", "Image of the installer DaemonSet that puts the runtime binaries on the nodes (required unless --disable-containerruntime-controller).")
	fs.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 5, "Maximum number of ContainerRuntimes reconciled at once.")
	fs.BoolVar(&o.ignoreOperationAnnotation, "ignore-operation-annotation", false, "Reconcile ContainerRuntimes on every change, not only when gardenlet asks by annotation.")
	fs.BoolVar(&o.disabled, "disable-containerruntime-controller", false, "Serve only the webhooks, without the ContainerRuntime controller.")
}

// setup adds one ContainerRuntime controller per sandbox runtime type, all with the same actuator.
func (o *controllerOptions) setup(ctx context.Context, mgr manager.Manager) error {
	if o.disabled {
		return nil
	}
	if o.installerImage == "" {
		return errors.New("--installer-image is required for the ContainerRuntime controller")
	}
	a := actuator.NewActuator(mgr, actuator.Config{InstallerImage: o.installerImage})
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
	return nil
}
