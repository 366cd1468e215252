// Command runtime-sandbox-installer runs in the DaemonSet of a sandbox worker pool: it copies the runtime's
// binaries from its image to the host's container runtime binary path, labels its node ready for the runtime, keeps
// the binaries in place, and removes the label when it is terminated.
package main

import (
	"os"

	"sigs.k8s.io/controller-runtime/pkg/manager/signals"

	"github.com/gardener/gardener-extension-runtime-sandbox/cmd/runtime-sandbox-installer/app"
)

func main() {
	if err := app.NewCommand(signals.SetupSignalHandler()).Execute(); err != nil {
		os.Exit(1)
	}
}
