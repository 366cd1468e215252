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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/discovery"
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

const (
	// resyncPeriod and gcWorkers are kube-controller-manager's defaults.
	resyncPeriod = 12 * time.Hour
	gcWorkers    = 20
	// gcSyncPeriod is how often the garbage collector reads discovery and starts its monitors anew after a failed
	// attempt (kube-controller-manager: 30 seconds): short, so that a failed start costs the tests seconds.
	gcSyncPeriod = 5 * time.Second
)

// gcGroups are the API groups whose objects the garbage collector watches here: the DaemonSets that
// gardener-resource-manager deletes in the foreground and their dependents (ControllerRevisions, pods).
// kube-controller-manager's collector watches every deletable resource; here that would tie it to discovery of the
// aggregated gardener-apiserver and of every CRD: one resource it cannot map keeps all its monitors from starting
// until discovery succeeds whole, and foreground deletions (the ContainerRuntimes' deletion) hang meanwhile.
var gcGroups = map[string]bool{"": true, "apps": true}

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
	go gc.Sync(ctx, groupsDiscovery{client.Discovery()}, gcSyncPeriod)
	dsc.Run(ctx, workers)
	informers.Shutdown()
	metadataInformers.Shutdown()
	return nil
}

// groupsDiscovery reports only the preferred resources of gcGroups, which is what the garbage collector reads.
type groupsDiscovery struct {
	discovery.ServerResourcesInterface
}

// ServerPreferredResources returns the preferred resources of gcGroups; a failure to discover other groups is no
// error here.
func (d groupsDiscovery) ServerPreferredResources() ([]*metav1.APIResourceList, error) {
	lists, err := d.ServerResourcesInterface.ServerPreferredResources()
	var kept []*metav1.APIResourceList
	for _, list := range lists {
		gv, parseErr := schema.ParseGroupVersion(list.GroupVersion)
		if parseErr == nil && gcGroups[gv.Group] {
			kept = append(kept, list)
		}
	}
	if failed, ok := discovery.GroupDiscoveryFailedErrorGroups(err); ok {
		for gv := range failed {
			if gcGroups[gv.Group] {
				return kept, err
			}
		}
		return kept, nil
	}
	return kept, err
}
