package installer

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// ReadyLabels returns the node labels that say runtimeType works on a node, all with the value "true": the
// runtime's runtime.gardener.cloud/<type>-ready (the RuntimeClasses select it) and, for Kata, kata-deploy's
// katacontainers.io/kata-runtime (workloads written for kata-deploy select it). The installer sets and removes
// them together, and changes no other label of its node.
func ReadyLabels(runtimeType string) []string {
	labels := []string{node.ReadyLabel(runtimeType)}
	if runtimeType == kata.Type {
		labels = append(labels, kata.RuntimeLabel)
	}
	return labels
}

// MarkReady sets the ReadyLabels of runtimeType to "true" on the Node nodeName, with one merge patch that touches
// no other field.
func MarkReady(ctx context.Context, c client.Client, nodeName, runtimeType string) error {
	value := "true"
	if err := patchReadyLabels(ctx, c, nodeName, runtimeType, &value); err != nil {
		return fmt.Errorf("labelling node %s %v=true: %w", nodeName, ReadyLabels(runtimeType), err)
	}
	return nil
}

// UnmarkReady removes the ReadyLabels of runtimeType from the Node nodeName, with one merge patch that touches no
// other field. A missing Node or label is not an error.
func UnmarkReady(ctx context.Context, c client.Client, nodeName, runtimeType string) error {
	if err := patchReadyLabels(ctx, c, nodeName, runtimeType, nil); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing labels %v from node %s: %w", ReadyLabels(runtimeType), nodeName, err)
	}
	return nil
}

// patchReadyLabels sets the ready labels of runtimeType on the Node nodeName to value, or removes them when value
// is nil.
func patchReadyLabels(ctx context.Context, c client.Client, nodeName, runtimeType string, value *string) error {
	labels := map[string]*string{}
	for _, l := range ReadyLabels(runtimeType) {
		labels[l] = value
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
	if err != nil {
		return err
	}
	return c.Patch(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}, client.RawPatch(types.MergePatchType, patch))
}
