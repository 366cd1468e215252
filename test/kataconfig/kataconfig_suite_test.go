// Package kataconfig_test checks the Kata configuration files of a Kata pool's OperatingSystemConfig with Kata's own
// configuration loader: the OSC as the extension mutates it goes through gardener-node-agent's reconciler
// (test/nodetruth), the files it writes are loaded by kata-config-check (katautils.LoadConfiguration of the Kata
// release the extension ships, plus a strict check for unknown keys; `make kata-config-check` builds it into
// .cache/bin and the Makefile exports its path as KATA_CONFIG_CHECK), with the files they refer to installed by the
// node installer from a stand-in of the installer image's payload. No VM is started: the stand-ins are not
// programs, and the loader does not run them.
package kataconfig_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestKataConfig(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Kata configuration suite")
}

// checker is the path of kata-config-check.
var checker string

var _ = BeforeSuite(func() {
	checker = os.Getenv("KATA_CONFIG_CHECK")
	Expect(checker).NotTo(BeEmpty(), "KATA_CONFIG_CHECK must name kata-config-check; `make kata-config-check` builds it into .cache/bin (the Makefile exports the path)")
	Expect(checker).To(BeARegularFile(), "run `make kata-config-check`")
})
