// Command daemonset-controller runs Kubernetes' DaemonSet controller (k8s.io/kubernetes/pkg/controller/daemon, the
// one kube-controller-manager runs) on its own against a kubeconfig. The test control plane has no
// kube-controller-manager (building it pulls in the kubelet); without this controller nothing writes a DaemonSet's
// status, and every health check of a DaemonSet would report it as never observed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/daemon"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	workers := flag.Int("workers", 2, "DaemonSets synced at once (kube-controller-manager's --concurrent-daemonset-syncs)")
	klog.InitFlags(nil)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *kubeconfig, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "daemonset-controller:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig string, workers int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the client: %w", err)
	}
	// kube-controller-manager's defaults: informers resync every 12 hours at most, failed pods back off up to 15m.
	factory := informers.NewSharedInformerFactory(client, 12*time.Hour)
	dsc, err := daemon.NewDaemonSetsController(ctx,
		factory.Apps().V1().DaemonSets(),
		factory.Apps().V1().ControllerRevisions(),
		factory.Core().V1().Pods(),
		factory.Core().V1().Nodes(),
		client,
		flowcontrol.NewBackOff(time.Second, 15*time.Minute),
	)
	if err != nil {
		return fmt.Errorf("creating the DaemonSet controller: %w", err)
	}
	factory.Start(ctx.Done())
	dsc.Run(ctx, workers)
	factory.Shutdown()
	return nil
}
