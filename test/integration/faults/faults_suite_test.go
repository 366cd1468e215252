// Package faults_test takes the extension's components away, and the API server from a component, through the real
// API servers (kube-apiserver and gardener-apiserver), and checks what the outage blocks, what it does not, and that
// everything works again once the component is back.
package faults_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/integration/setup"
	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

func TestFaults(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Faults integration suite")
}

var (
	ctx  = context.Background()
	land *landscape.Landscape
	// seed and admission are the running components; the specs stop and restart them.
	seed, admission *landscape.Component
	// shootControllers are gardener-resource-manager and kube-controllers, which a spec stops and restarts.
	shootControllers *landscape.ShootControllers
)

var _ = BeforeSuite(func() {
	land = setup.Landscape(ctx)
	Expect(land.Bootstrap(ctx)).To(Succeed())
	Expect(land.BootstrapSeed(ctx)).To(Succeed())

	By("starting gardener-resource-manager and kube-controllers")
	startShootControllers()
	DeferCleanup(func() {
		if shootControllers != nil {
			Expect(shootControllers.Stop()).To(Succeed())
		}
	})

	By("starting the admission and the seed component")
	startAdmission()
	startSeed()
	DeferCleanup(func() {
		for _, c := range []**landscape.Component{&seed, &admission} {
			if *c != nil {
				Expect((*c).Stop()).To(Succeed())
			}
		}
	})

	By("deploying the sample Shoot's ContainerRuntimes, so that the shoot gets its RuntimeClasses and pod webhooks")
	_, err := land.DeployContainerRuntimes(ctx, time.Minute)
	Expect(err).NotTo(HaveOccurred())
	Expect(land.WaitForShoot(ctx, seed)).To(Succeed())
})

// startSeed starts the seed component, with extraArgs, and waits until the API server calls its OSC webhook,
// registered with its match conditions.
func startSeed(extraArgs ...string) {
	GinkgoHelper()
	var err error
	seed, err = land.StartSeed(ctx, append([]string{"--healthcheck-sync-period=2s"}, extraArgs...)...)
	Expect(err).NotTo(HaveOccurred())
	expectOSCMatchConditions()
}

// expectOSCMatchConditions waits until the OSC webhook is registered with its match conditions, which decide what
// an outage of the seed component blocks: a restarted seed component registers its configuration over the stored one
// and must keep them (Gardener's registration computes its patch without them; see webhookserver's
// conditionedClient).
func expectOSCMatchConditions() {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		config := &admissionregistrationv1.MutatingWebhookConfiguration{}
		g.Expect(land.Client.Get(ctx, client.ObjectKey{Name: "gardener-extension-runtime-sandbox"}, config)).To(Succeed())
		var writers []string
		for _, f := range config.ManagedFields {
			writers = append(writers, fmt.Sprintf("%s %s %s", f.Manager, f.Operation, f.Time))
		}
		for _, w := range config.Webhooks {
			if strings.HasPrefix(w.Name, "osc.") {
				g.Expect(w.MatchConditions).To(HaveLen(3), "webhook %s, written by %v, generation %d", w.Name, writers, config.Generation)
			}
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())
}

// startShootControllers starts gardener-resource-manager and kube-controllers.
func startShootControllers() {
	GinkgoHelper()
	var err error
	shootControllers, err = land.StartShootControllers(ctx, landscape.ShootControllersOptions{Output: GinkgoWriter, HealthSyncPeriod: 15 * time.Second})
	Expect(err).NotTo(HaveOccurred())
}

// stopShootControllers stops gardener-resource-manager and kube-controllers.
func stopShootControllers() {
	GinkgoHelper()
	Expect(shootControllers.Stop()).To(Succeed())
	shootControllers = nil
}

// stopSeed stops the seed component.
func stopSeed() {
	GinkgoHelper()
	Expect(seed.Stop()).To(Succeed())
	seed = nil
}

// startAdmission starts the admission component and waits until the API server calls its Shoot webhook.
func startAdmission() {
	GinkgoHelper()
	var err error
	admission, err = land.StartAdmission(ctx, landscape.LocalAdmissionArgs()...)
	Expect(err).NotTo(HaveOccurred())
}

// stopAdmission stops the admission component.
func stopAdmission() {
	GinkgoHelper()
	Expect(admission.Stop()).To(Succeed())
	admission = nil
}
