// Command gardener-extension-runtime-sandbox is the seed-side component of the runtime-sandbox extension: it
// mutates the OperatingSystemConfigs of worker pools that request gVisor or Kata, and serves the pod webhooks of
// the shoots.
package main

import (
	"os"

	"sigs.k8s.io/controller-runtime/pkg/manager/signals"

	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/gardener-extension-runtime-sandbox/app"
)

func main() {
	if err := app.NewCommand(signals.SetupSignalHandler()).Execute(); err != nil {
		os.Exit(1)
	}
}
