// Command gardener-extension-admission-runtime-sandbox is the garden-side admission component of the
// runtime-sandbox extension: it validates the gVisor and Kata providerConfigs of Shoot worker pools.
package main

import (
	"os"

	"sigs.k8s.io/controller-runtime/pkg/manager/signals"

	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-admission-runtime-sandbox/app"
)

func main() {
	if err := app.NewCommand(signals.SetupSignalHandler()).Execute(); err != nil {
		os.Exit(1)
	}
}
