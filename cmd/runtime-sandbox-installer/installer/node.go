package installer

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/node"
)

// MarkReady sets the label runtime.gardener.cloud/<runtimeType>-ready=true on the Node nodeName, with a merge patch
// that touches no other field. The RuntimeClasses of runtimeType select nodes by this label.
func MarkReady(ctx context.Context, c client.Client, nodeName, runtimeType string) error {
	value := "true"
	if err := patchReadyLabel(ctx, c, nodeName, runtimeType, &value); err != nil {
		return fmt.Errorf("labelling node %s %s=true: %w", nodeName, node.ReadyLabel(runtimeType), err)
	}
	return nil
}

// UnmarkReady removes the label runtime.gardener.cloud/<runtimeType>-ready from the Node nodeName, with a merge
// patch that touches no other field. A missing Node or label is not an error.
func UnmarkReady(ctx context.Context, c client.Client, nodeName, runtimeType string) error {
	if err := patchReadyLabel(ctx, c, nodeName, runtimeType, nil); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing label %s from node %s: %w", node.ReadyLabel(runtimeType), nodeName, err)
	}
	return nil
}

// patchReadyLabel sets the ready label of runtimeType on the Node nodeName to value, or removes it when value is nil.
func patchReadyLabel(ctx context.Context, c client.Client, nodeName, runtimeType string, value *string) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"labels": map[string]*string{node.ReadyLabel(runtimeType): value}},
	})
	if err != nil {
		return err
	}
	return c.Patch(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}, client.RawPatch(types.MergePatchType, patch))
}
