//go:build kataconfig

// Command kata-config-check loads Kata configuration files with the Kata runtime's own loader
// (katautils.LoadConfiguration, the code containerd-shim-kata-v2 runs) and fails on any error it reports and on
// any key it does not know: LoadConfiguration ignores unknown keys, so the strict check decodes each file once more
// into the loader's own configuration type and reports the keys left undecoded.
//
// It is built by build-kata.sh inside a copy of the Kata runtime module pinned in ../go.mod (katautils does not
// compile from the module cache), with the build tag kataconfig. For every file it prints one JSON line with what
// the loader made of it; it exits non-zero when one file fails.
//
// usage: kata-config-check [--vhost-vsock PATH] FILE...
//
// The loader refuses a QEMU configuration on a host without /dev/vhost-vsock (the vhost_vsock module), as QEMU
// reaches the guest's agent through it. --vhost-vsock names another file that stands in for the device, for
// machines that lack the module; nothing else of the loader changes.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/kata-containers/kata-containers/src/runtime/pkg/katautils"
	vc "github.com/kata-containers/kata-containers/src/runtime/virtcontainers"
	"github.com/kata-containers/kata-containers/src/runtime/virtcontainers/utils"
)

// result is what the loader made of one configuration file.
type result struct {
	File                      string   `json:"file"`
	Error                     string   `json:"error,omitempty"`
	Undecoded                 []string `json:"undecoded,omitempty"`
	HypervisorType            string   `json:"hypervisorType,omitempty"`
	HypervisorPath            string   `json:"hypervisorPath,omitempty"`
	JailerPath                string   `json:"jailerPath,omitempty"`
	KernelPath                string   `json:"kernelPath,omitempty"`
	ImagePath                 string   `json:"imagePath,omitempty"`
	InitrdPath                string   `json:"initrdPath,omitempty"`
	VirtioFSDaemon            string   `json:"virtioFSDaemon,omitempty"`
	SharedFS                  string   `json:"sharedFS,omitempty"`
	KernelParams              string   `json:"kernelParams,omitempty"`
	EnableAnnotations         []string `json:"enableAnnotations"`
	DisableGuestSeccomp       bool     `json:"disableGuestSeccomp"`
	DisableSeccomp            bool     `json:"disableSeccomp"`
	SandboxCgroupOnly         bool     `json:"sandboxCgroupOnly"`
	StaticSandboxResourceMgmt bool     `json:"staticSandboxResourceMgmt"`
	EnableDebugConsole        bool     `json:"enableDebugConsole"`
	EnablePprof               bool     `json:"enablePprof"`
	Template                  bool     `json:"template"`
}

func check(file string) result {
	r := result{File: file}
	_, cfg, err := katautils.LoadConfiguration(file, true)
	undecoded, strictErr := katautils.UndecodedKeys(file)
	if err = errors.Join(err, strictErr); err != nil {
		r.Error = err.Error()
		return r
	}
	r.Undecoded = undecoded
	hv := cfg.HypervisorConfig
	r.HypervisorType = string(cfg.HypervisorType)
	r.HypervisorPath, r.JailerPath = hv.HypervisorPath, hv.JailerPath
	r.KernelPath, r.ImagePath, r.InitrdPath = hv.KernelPath, hv.ImagePath, hv.InitrdPath
	r.VirtioFSDaemon, r.SharedFS = hv.VirtioFSDaemon, hv.SharedFS
	r.KernelParams = strings.Join(vc.SerializeParams(hv.KernelParams, "="), " ")
	r.EnableAnnotations = hv.EnableAnnotations
	r.DisableSeccomp = hv.DisableSeccomp
	r.DisableGuestSeccomp = cfg.DisableGuestSeccomp
	r.SandboxCgroupOnly = cfg.SandboxCgroupOnly
	r.StaticSandboxResourceMgmt = cfg.StaticSandboxResourceMgmt
	r.EnableDebugConsole = cfg.AgentConfig.EnableDebugConsole
	r.EnablePprof = cfg.EnablePprof
	r.Template = cfg.FactoryConfig.Template
	return r
}

func main() {
	vhostVsock := flag.String("vhost-vsock", utils.VHostVSockDevicePath, "the file the loader takes for the vhost-vsock device")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: kata-config-check [--vhost-vsock PATH] FILE...")
		os.Exit(2)
	}
	utils.VHostVSockDevicePath = *vhostVsock
	failed := false
	enc := json.NewEncoder(os.Stdout)
	for _, file := range flag.Args() {
		r := check(file)
		failed = failed || r.Error != "" || len(r.Undecoded) > 0
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
}
