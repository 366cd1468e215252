package nodetruth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/spf13/afero"
	"sigs.k8s.io/controller-runtime/pkg/client"
	fakeclient "sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	extensionsv1alpha1helper "github.com/gardener/gardener/pkg/api/extensions/v1alpha1/helper"
	extensionsv1alpha1 "github.com/gardener/gardener/pkg/apis/extensions/v1alpha1"
	nodeagentcomponent "github.com/gardener/gardener/pkg/component/extensions/operatingsystemconfig/original/components/nodeagent"
	fakecontainerd "github.com/gardener/gardener/pkg/nodeagent/containerd/fake"
	"github.com/gardener/gardener/pkg/nodeagent/controller/operatingsystemconfig"
	fakedbus "github.com/gardener/gardener/pkg/nodeagent/dbus/fake"
)

// ContainerdConfigFile is where containerd reads its configuration and where gardener-node-agent writes it.
const ContainerdConfigFile = "/etc/containerd/config.toml"

const (
	oscSecretName = "osc-nodetruth"
	workerPool    = "nodetruth"
	hostName      = "nodetruth"
)

// RenderContainerdConfig runs gardener-node-agent's OperatingSystemConfig reconciler for osc on an in-memory
// filesystem whose /etc/containerd/config.toml is config, on a node whose containerd reports containerdVersion (e.g.
// "2.2.9"), and returns every regular file on that filesystem afterwards (path -> content). On a new node config is
// the output of that containerd's `config default`, which gardener-node-agent writes when the file is missing; it
// patches what it finds there. Among them are
// ContainerdConfigFile, the OSC's files and the units and drop-ins it writes below /etc/systemd/system, and
// gardener-node-agent's own state below /var/lib/gardener-node-agent.
//
// Nothing of gardener-node-agent is re-implemented: osc is packed into the Secret that gardenlet deploys for
// gardener-node-agent (nodeagent.OperatingSystemConfigSecret of the OSC component), and the exported
// operatingsystemconfig.Reconciler reconciles that Secret the way gardener's own unit tests drive it: with a
// controller-runtime fake client holding the Secret, gardener's fake systemd D-Bus and fake containerd client, and an
// afero MemMapFs. No Node object exists, so the reconciler stops after applying the configuration and requeues to wait
// for the kubelet to register the Node; RenderContainerdConfig ignores that requeue.
//
// gardener-node-agent asks containerd for its version and branches on it (from containerd 2.2, the CNI binary
// directories are the list bin_dirs), so the fake containerd client reports containerdVersion. osc must configure
// containerd as CRI, and it must not use imageRef files (they need an image registry) or in-place updates (they need
// /etc/os-release); secretRef files fail because the fake client holds no such Secret.
func RenderContainerdConfig(ctx context.Context, osc *extensionsv1alpha1.OperatingSystemConfig, config []byte, containerdVersion string) (map[string][]byte, error) {
	if !extensionsv1alpha1helper.HasContainerdConfiguration(osc.Spec.CRIConfig) {
		return nil, errors.New("OperatingSystemConfig does not configure containerd as CRI, gardener-node-agent would not touch the containerd configuration")
	}
	if len(config) == 0 {
		return nil, errors.New("the containerd configuration is empty")
	}
	for _, file := range slices.Concat(osc.Spec.Files, osc.Status.ExtensionFiles) {
		if file.Content.ImageRef != nil {
			return nil, fmt.Errorf("file %s has imageRef content, which RenderContainerdConfig cannot extract", file.Path)
		}
	}

	secret, err := nodeagentcomponent.OperatingSystemConfigSecret(ctx, nil, osc, oscSecretName, workerPool, false)
	if err != nil {
		return nil, fmt.Errorf("packing the OperatingSystemConfig into gardener-node-agent's Secret: %w", err)
	}
	nodeFS := afero.Afero{Fs: afero.NewMemMapFs()}
	if err := nodeFS.WriteFile(ContainerdConfigFile, config, 0o644); err != nil {
		return nil, fmt.Errorf("seeding %s: %w", ContainerdConfigFile, err)
	}

	containerdClient := fakecontainerd.NewClient()
	containerdClient.SetFakeContainerdVersion(containerdVersion)
	reconciler := &operatingsystemconfig.Reconciler{
		Client:           fakeclient.NewClientBuilder().WithObjects(secret).Build(),
		ContainerdClient: containerdClient,
		DBus:             fakedbus.New(),
		FS:               nodeFS,
		HostName:         hostName,
	}
	if _, err := reconciler.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(secret)}); err != nil {
		return nil, fmt.Errorf("gardener-node-agent reconciling the OperatingSystemConfig: %w", err)
	}

	files := map[string][]byte{}
	if err := nodeFS.Walk("/", func(path string, info fs.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		content, err := nodeFS.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = content
		return nil
	}); err != nil {
		return nil, fmt.Errorf("collecting the files gardener-node-agent wrote: %w", err)
	}
	return files, nil
}
