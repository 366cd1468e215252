package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

// kvmDevice is where sysfs shows the KVM device (/dev/kvm, misc device 10:232), relative to the sysfs root. The
// kernel registers it only when a KVM module for the CPU (kvm_intel, kvm_amd) loaded, i.e. when the machine offers
// hardware (or nested) virtualization, and devtmpfs creates /dev/kvm from exactly this registration. A /dev/kvm
// node alone proves less: systemd creates it at boot for the autoloadable kvm module even on machines without
// virtualization, where opening it fails. Every container sees the host's sysfs read-only, so the installer needs
// no host path to check it.
const kvmDevice = "devices/virtual/misc/kvm/dev"

// CheckKVM tells whether the kernel of the sysfs mounted at sysRoot (/sys in the installer's container) offers
// KVM; the error says why not.
func CheckKVM(sysRoot string) error {
	data, err := os.ReadFile(filepath.Join(sysRoot, kvmDevice))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("the node has no KVM device (/dev/kvm): its machine type offers no (nested) virtualization, or kvm_intel/kvm_amd is not loaded")
	case err != nil:
		return fmt.Errorf("reading the KVM device's entry in sysfs: %w", err)
	case strings.TrimSpace(string(data)) != "10:232":
		return fmt.Errorf("the node's KVM device has number %q, not 10:232", strings.TrimSpace(string(data)))
	}
	return nil
}

// KataFiles is what the Kata configurations on a node refer to.
type KataFiles struct {
	// Configurations are the configuration files found, relative to the destination.
	Configurations []string
	// Versions are the version directories the configurations refer to.
	Versions map[string]bool
	// Problems name every referenced file that is not installed, or not usable.
	Problems []string
}

// CheckKataFiles reads the Kata configuration files on the node (kata/configuration-*.toml below dst, written by
// gardener-node-agent from the OSC) and checks that every file they refer to is installed: a regular file, a program
// executable. dst is the installer's view of the host directory hostPath (the binary path); a referenced file
// outside hostPath cannot be checked and counts as missing.
func CheckKataFiles(dst, hostPath string) (*KataFiles, error) {
	configs, err := filepath.Glob(filepath.Join(dst, kata.VersionsDir, "configuration-*.toml"))
	if err != nil {
		return nil, err
	}
	out := &KataFiles{Versions: map[string]bool{}}
	versionsDir := filepath.Join(filepath.Clean(hostPath), kata.VersionsDir) + "/"
	for _, config := range configs {
		rel, err := filepath.Rel(dst, config)
		if err != nil {
			return nil, err
		}
		out.Configurations = append(out.Configurations, rel)
		content, err := os.ReadFile(config)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", rel, err)
		}
		refs, err := kata.ReferencedPaths(content)
		if err != nil {
			out.Problems = append(out.Problems, fmt.Sprintf("%s: %v", rel, err))
			continue
		}
		for _, ref := range slices.Sorted(maps.Keys(refs)) {
			if rest, ok := strings.CutPrefix(ref, versionsDir); ok {
				out.Versions[strings.SplitN(rest, "/", 2)[0]] = true
			}
			if problem := checkReferenced(dst, filepath.Clean(hostPath), ref, refs[ref]); problem != "" {
				out.Problems = append(out.Problems, fmt.Sprintf("%s refers to %s, which %s", rel, ref, problem))
			}
		}
	}
	return out, nil
}

// checkReferenced checks the host file ref, seen at dst for hostPath, and returns what is wrong with it.
func checkReferenced(dst, hostPath, ref string, executable bool) string {
	rel, ok := strings.CutPrefix(ref, hostPath+"/")
	if !ok {
		return "lies outside " + hostPath + ", where the installer cannot see it"
	}
	info, err := os.Lstat(filepath.Join(dst, rel))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "is not installed"
	case err != nil:
		return err.Error()
	case !info.Mode().IsRegular():
		return "is not a regular file"
	case executable && info.Mode().Perm()&0o100 == 0:
		return "is not executable"
	}
	return ""
}

// Ready tells whether Kata can run with these files: at least one configuration, and every referenced file
// installed. The error says what is missing.
func (f *KataFiles) Ready() error {
	if len(f.Configurations) == 0 {
		return fmt.Errorf("no Kata configuration (%s/configuration-<hypervisor>.toml) on the node yet: gardener-node-agent writes them from the OperatingSystemConfig", kata.VersionsDir)
	}
	if len(f.Problems) > 0 {
		return errors.New(strings.Join(f.Problems, "; "))
	}
	return nil
}
