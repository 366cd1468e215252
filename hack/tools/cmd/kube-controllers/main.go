// Command kube-controllers runs two of kube-controller-manager's controllers on their own against a kubeconfig:
// the DaemonSet controller (k8s.io/kubernetes/pkg/controller/daemon) and the garbage collector
// (k8s.io/kubernetes/pkg/controller/garbagecollector), wired as kube-controller-manager wires them. The test control
// plane has no kube-controller-manager (building it pulls in the kubelet): without the DaemonSet controller nothing
// writes a DaemonSet's status, so every health check of a DaemonSet would report it as never observed; without the
// garbage collector an object deleted in the foreground (gardener-resource-manager deletes DaemonSets so) would never
// go.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/daemon"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/features"
)

// kube-controller-manager's defaults.
const (
	resyncPeriod = 12 * time.Hour
	gcSyncPeriod = 30 * time.Second
	gcWorkers    = 20
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	workers := flag.Int("workers", 2, "DaemonSets synced at once (kube-controller-manager's --concurrent-daemonset-syncs)")
	klog.InitFlags(nil)
	flag.Parse()

	// The DaemonSet controller's read-your-writes check waits until its informers have seen a resource version as
	// new as its last write. On the test control plane, where nothing else changes DaemonSets, that never happens
	// (the check stalled every sync after the controller's first status write): switched off, the controller
	// works as before Kubernetes 1.36.
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{string(features.StaleControllerConsistencyDaemonSet): false}); err != nil {
		fmt.Fprintln(os.Stderr, "kube-controllers:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *kubeconfig, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "kube-controllers:", err)
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
	metadataClient, err := metadata.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating the metadata client: %w", err)
	}
	informers := informers.NewSharedInformerFactory(client, resyncPeriod)
	metadataInformers := metadatainformer.NewSharedInformerFactory(metadataClient, resyncPeriod)
	restMapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	go wait.Until(restMapper.Reset, gcSyncPeriod, ctx.Done())

	dsc, err := daemon.NewDaemonSetsController(ctx,
		informers.Apps().V1().DaemonSets(),
		informers.Apps().V1().ControllerRevisions(),
		informers.Core().V1().Pods(),
		informers.Core().V1().Nodes(),
		client,
		flowcontrol.NewBackOff(time.Second, 15*time.Minute),
	)
	if err != nil {
		return fmt.Errorf("creating the DaemonSet controller: %w", err)
	}
	informersStarted := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, client, metadataClient, restMapper, garbagecollector.DefaultIgnoredResources(),
		informerfactory.NewInformerFactory(informers, metadataInformers), informersStarted)
	if err != nil {
		return fmt.Errorf("creating the garbage collector: %w", err)
	}

	informers.Start(ctx.Done())
	metadataInformers.Start(ctx.Done())
	close(informersStarted)

	go gc.Run(ctx, gcWorkers, gcSyncPeriod)
	go gc.Sync(ctx, client.Discovery(), gcSyncPeriod)
	dsc.Run(ctx, workers)
	informers.Shutdown()
	metadataInformers.Shutdown()
	return nil
}
