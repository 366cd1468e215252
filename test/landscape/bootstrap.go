package landscape

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gardener/gardener-extension-runtime-sandbox/example"
)

// standIns registers the provider, networking and operating system types the sample Shoot uses.
//
//go:embed stand-ins.yaml
var standIns []byte

// sampleManifests are the example manifests that a sample Shoot needs, in the order they are created.
var sampleManifests = []string{"controller-registration.yaml", "cloudprofile.yaml", "project.yaml", "credentials.yaml"}

// Bootstrap creates what the sample Shoot needs: the ControllerRegistrations, the CloudProfile "local", the
// Project "local" with its namespace garden-local, and the credentials. Objects that exist already are kept.
func (l *Landscape) Bootstrap(ctx context.Context) error {
	if err := Apply(ctx, l.Client, standIns); err != nil {
		return fmt.Errorf("registering the stand-in extension types: %w", err)
	}
	for _, name := range sampleManifests {
		data, err := fs.ReadFile(example.Manifests, name)
		if err != nil {
			return fmt.Errorf("reading example/%s: %w", name, err)
		}
		if err := Apply(ctx, l.Client, data); err != nil {
			return fmt.Errorf("creating example/%s: %w", name, err)
		}
	}
	return nil
}

// Apply creates every object of a multi-document YAML manifest, keeping objects that exist already.
func Apply(ctx context.Context, c client.Client, manifest []byte) error {
	objs, err := DecodeManifest(manifest)
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", obj.GetKind(), client.ObjectKeyFromObject(obj), err)
		}
	}
	return nil
}

// DecodeManifest decodes a multi-document YAML manifest into unstructured objects, skipping empty documents.
func DecodeManifest(manifest []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("decoding manifest: %w", err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}
