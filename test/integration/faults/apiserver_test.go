package faults_test

import (
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/test/landscape"
)

// gate is a TCP proxy in front of the API server that, until it is opened, accepts connections and closes them
// at once, as an API server that is not there yet, and counts them.
type gate struct {
	listener net.Listener
	target   string
	open     atomic.Bool
	refused  atomic.Int32
	wg       sync.WaitGroup
}

// newGate starts a closed gate in front of target (host:port) and stops it after the spec.
func newGate(target string) *gate {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	g := &gate{listener: l, target: target}
	g.wg.Add(1)
	go g.serve()
	DeferCleanup(func() {
		Expect(l.Close()).To(Succeed())
		g.wg.Wait()
	})
	return g
}

func (g *gate) serve() {
	defer g.wg.Done()
	for {
		conn, err := g.listener.Accept()
		if err != nil {
			return
		}
		if !g.open.Load() {
			g.refused.Add(1)
			_ = conn.Close()
			continue
		}
		go g.forward(conn)
	}
}

// forward copies between conn and a new connection to the target until either side closes.
func (g *gate) forward(conn net.Conn) {
	defer conn.Close()
	upstream, err := net.Dial("tcp", g.target)
	if err != nil {
		return
	}
	defer upstream.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, upstream); done <- struct{}{} }()
	<-done
}

// kubeconfigThrough writes the landscape's admin kubeconfig with its server replaced by the gate's address.
func kubeconfigThrough(g *gate) string {
	GinkgoHelper()
	cfg, err := clientcmd.Load(land.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	for _, cluster := range cfg.Clusters {
		cluster.Server = "https://" + g.listener.Addr().String()
	}
	path := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
	Expect(clientcmd.WriteToFile(*cfg, path)).To(Succeed())
	return path
}

var _ = Describe("A component started while the API server is unreachable", func() {
	DescribeTable("retries or exits naming the API server, never panics, and serves once the API server is there",
		func(stop func(), start func(...string) (*landscape.Component, error), settled, restore func()) {
			server, err := url.Parse(land.Config.Host)
			Expect(err).NotTo(HaveOccurred())
			g := newGate(server.Host)
			kubeconfig := kubeconfigThrough(g)

			By("stopping the running component, and starting it with only the closed gate to the API server")
			stop()
			type result struct {
				component *landscape.Component
				err       error
			}
			started := make(chan result, 1)
			go func() {
				defer GinkgoRecover()
				c, err := start("--kubeconfig=" + kubeconfig)
				started <- result{c, err}
			}()
			Eventually(g.refused.Load).WithTimeout(time.Minute).Should(BeNumerically(">=", 3), "it tries to reach the API server")

			var r result
			select {
			case r = <-started:
				By("it exited: the message names the API server; a restart (as the kubelet does) serves once the API server is there")
				Expect(r.err).To(MatchError(ContainSubstring(g.listener.Addr().String())))
				g.open.Store(true)
				r.component, r.err = start("--kubeconfig=" + kubeconfig)
			default:
				By("it is still trying: it serves once the API server is there")
				g.open.Store(true)
				Eventually(started).WithTimeout(2 * time.Minute).Should(Receive(&r))
			}
			Expect(r.err).NotTo(HaveOccurred())
			settled()
			AddReportEntry("attempts refused before the API server was there", g.refused.Load())

			By("stopping the component that reached the API server through the gate, and starting the usual one")
			Expect(r.component.Stop()).To(Succeed())
			restore()
		},
		Entry("the admission component", stopAdmission,
			func(args ...string) (*landscape.Component, error) {
				return land.StartAdmission(ctx, append(landscape.LocalAdmissionArgs(), args...)...)
			}, func() {}, startAdmission),
		// A restarted seed component (here: one started while the API server is unreachable, which retries and then
		// serves) registers its webhook configuration again: the match conditions must survive, although Gardener's
		// registration computes its patch from the configuration without them.
		Entry("the seed component", stopSeed,
			func(args ...string) (*landscape.Component, error) {
				return land.StartSeed(ctx, append([]string{"--healthcheck-sync-period=2s"}, args...)...)
			}, expectOSCMatchConditions, func() {
				startSeed()
				Eventually(func() (string, error) {
					pod := newPod("gvisor")
					err := land.Client.Create(ctx, pod, client.DryRunAll)
					if err != nil || pod.Spec.RuntimeClassName == nil {
						return "", err
					}
					return *pod.Spec.RuntimeClassName, nil
				}).WithTimeout(2*time.Minute).Should(Equal("gvisor"), "the shoot's pod webhooks follow the restarted component")
			}),
	)
})
