# runtime-sandbox: a Gardener extension for gVisor and Kata Containers worker pools.

SHELL          := /usr/bin/env bash
CACHE_DIR      := $(CURDIR)/.cache
BIN_DIR        := $(CACHE_DIR)/bin
K8S_VERSION    := v1.36.3
ETCD           := $(BIN_DIR)/etcd
KUBE_APISERVER := $(BIN_DIR)/kube-apiserver
KUBECTL        := $(BIN_DIR)/kubectl
KATA_CONFIG_CHECK := $(BIN_DIR)/kata-config-check
RUN_LOCAL      := $(BIN_DIR)/run-local
RESOURCE_MANAGER := $(BIN_DIR)/gardener-resource-manager
KUBE_CONTROLLERS := $(BIN_DIR)/kube-controllers
TOOLS_MOD      := hack/tools/go.mod hack/tools/go.sum
TEST_FLAGS     ?= -count=1 -timeout 45m
STATICCHECK    := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_PACKAGES    := ./...

# kube-apiserver reports the Kubernetes version it was built from.
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=36 \
	-X k8s.io/component-base/version.gitTreeState=clean \
	-X k8s.io/component-base/version/verflag.programName=kube-apiserver

# The test control plane binaries for envtest; test/nodetruth finds the containerd releases built from Go modules
# (containerd-<minor>, ctr-<minor>) there too.
export KUBEBUILDER_ASSETS := $(BIN_DIR)
export CONTAINERD_MODULE_DIR := $(BIN_DIR)
# Kata's own configuration loader, for the tests of the rendered Kata configurations (test/kataconfig).
export KATA_CONFIG_CHECK

.PHONY: all build test verify fmt vet lint run-local start start-admission bench control-plane kubectl containerd kata-config-check node-packages clean

all: verify test

## build: compile every binary of the extension.
build:
	go build $(GO_PACKAGES)

## control-plane: build etcd and kube-apiserver from Go modules into .cache/bin (reused until hack/tools changes),
## and what plays the shoot's control plane for the ManagedResources: gardener-resource-manager (from the Gardener
## module of go.mod) and kube-controller-manager's DaemonSet controller and garbage collector (hack/tools/cmd/kube-controllers).
control-plane: $(ETCD) $(KUBE_APISERVER) $(RESOURCE_MANAGER) $(KUBE_CONTROLLERS)

## kubectl: build kubectl from Go modules into .cache/bin, for the local landscape.
kubectl: $(KUBECTL)

$(ETCD): $(TOOLS_MOD) hack/tools/cmd/etcd/main.go
	@mkdir -p $(BIN_DIR)
	cd hack/tools && go build -o $@ ./cmd/etcd

$(KUBE_APISERVER): $(TOOLS_MOD)
	@mkdir -p $(BIN_DIR)
	cd hack/tools && go build -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-apiserver

# gardener-resource-manager is pinned by hack/resourcemanager/tools.go to the Gardener version of go.mod.
$(RESOURCE_MANAGER): go.mod go.sum
	@mkdir -p $(BIN_DIR)
	go build -o $@ github.com/gardener/gardener/cmd/gardener-resource-manager

$(KUBE_CONTROLLERS): $(TOOLS_MOD) hack/tools/cmd/kube-controllers/main.go
	@mkdir -p $(BIN_DIR)
	cd hack/tools && go build -o $@ ./cmd/kube-controllers

$(KUBECTL): $(TOOLS_MOD)
	@mkdir -p $(BIN_DIR)
	cd hack/tools && go build -ldflags "$(subst kube-apiserver,kubectl,$(KUBE_LDFLAGS))" -o $@ k8s.io/kubernetes/cmd/kubectl

## node-packages: install containerd, runsc, shellcheck and systemd-analyze from Debian's packages when missing (needs root or sudo).
node-packages:
	hack/install-node-packages.sh

# The containerd releases Gardener's machine images run today, built from the containerd Go module (one module per
# release under hack/, as a module pins one version): test/nodetruth loads gardener-node-agent's config.toml with
# them and runs them, besides Debian's containerd 1.6.
CONTAINERD_RELEASES := 2.2 2.4
CONTAINERD_MODULES  := $(foreach r,$(CONTAINERD_RELEASES),$(BIN_DIR)/containerd-$(r) $(BIN_DIR)/ctr-$(r))
CONTAINERD_LDFLAGS   = -s -w -X github.com/containerd/containerd/v2/version.Version=$$(go list -m -f '{{.Version}}' github.com/containerd/containerd/v2)

## containerd: build containerd and ctr of the releases pinned in hack/containerd-<release> into
## .cache/bin/containerd-<release> and ctr-<release> (reused until the pin changes; the first build takes minutes).
containerd: $(CONTAINERD_MODULES)

# Static (no cgo, so without the btrfs snapshotter, which no Gardener node uses); --version reports the pinned release.
$(BIN_DIR)/containerd-%: hack/containerd-%/go.mod hack/containerd-%/go.sum
	@mkdir -p $(@D)
	cd hack/containerd-$* && CGO_ENABLED=0 go build -trimpath -ldflags "$(CONTAINERD_LDFLAGS)" -o $@ github.com/containerd/containerd/v2/cmd/containerd

$(BIN_DIR)/ctr-%: hack/containerd-%/go.mod hack/containerd-%/go.sum
	@mkdir -p $(@D)
	cd hack/containerd-$* && CGO_ENABLED=0 go build -trimpath -ldflags "$(CONTAINERD_LDFLAGS)" -o $@ github.com/containerd/containerd/v2/cmd/ctr

## kata-config-check: build the checker that loads Kata configuration files with Kata's own loader (katautils, from
## the Kata module pinned in hack/payload) and refuses unknown keys.
kata-config-check: $(KATA_CONFIG_CHECK)

$(KATA_CONFIG_CHECK): hack/payload/go.mod hack/payload/go.sum hack/payload/build-kata.sh $(wildcard hack/payload/kataconfig/*.go hack/payload/kataconfig/*/*.go)
	hack/payload/build-kata.sh config-check $@ $(CACHE_DIR)/kata-src/config-check

## test: unit and integration tests; the integration suites run against the real API servers (test/tryit runs the
## README's walkthrough with kubectl against what run-local starts), test/nodetruth
## against real containerd (Debian's 1.6 and the releases of `make containerd`) and runsc (Debian's and the
## installer payload's, `make payload`), test/kataconfig against Kata's own configuration loader.
test: control-plane $(KUBECTL) $(CONTAINERD_MODULES) $(KATA_CONFIG_CHECK) node-packages
	go test $(TEST_FLAGS) $(GO_PACKAGES)

## verify: gofmt, go vet and staticcheck.
verify: fmt vet lint

fmt:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	go vet $(GO_PACKAGES)

lint:
	go run $(STATICCHECK) $(GO_PACKAGES)

## run-local: start the local landscape in the foreground (Ctrl-C stops it); kubeconfig and logs in dev/local/
## (RUN_LOCAL_FLAGS=-v shows the logs on the terminal).
run-local: control-plane $(KUBECTL)
	@go build -o $(RUN_LOCAL) ./test/landscape/run-local
	@$(RUN_LOCAL) --kubectl=$(KUBECTL) $(RUN_LOCAL_FLAGS)

## start: run the seed component against the cluster in dev/kubeconfig, webhooks served on this host; INSTALLER_IMAGE
## overrides the installer image of the image vector.
start:
	go run ./cmd/gardener-extension-runtime-sandbox $(START_FLAGS) --webhook-config-cert-dir=$(CACHE_DIR)/start-certs \
		$(if $(INSTALLER_IMAGE),--installer-image=$(INSTALLER_IMAGE))

## start-admission: run the garden admission component against the garden in dev/kubeconfig.
start-admission:
	go run ./cmd/gardener-extension-admission-runtime-sandbox $(START_FLAGS) --webhook-config-cert-dir=$(CACHE_DIR)/start-admission-certs

# Both components can run side by side: their webhook, metrics and health ports differ.
start: WEBHOOK_PORT ?= 9443
start: LOCAL_PORTS = 8080
start-admission: WEBHOOK_PORT ?= 9444
start-admission: LOCAL_PORTS = 8090

START_FLAGS = --kubeconfig=dev/kubeconfig \
	--leader-election=false \
	--webhook-config-mode=url \
	--webhook-config-url=$${WEBHOOK_HOST:-127.0.0.1}:$(WEBHOOK_PORT) \
	--webhook-config-server-port=$(WEBHOOK_PORT) \
	--metrics-bind-address=127.0.0.1:$(LOCAL_PORTS) \
	--health-bind-address=127.0.0.1:$$(( $(LOCAL_PORTS) + 1 )) \
	--log-format=text

.PHONY: fuzz soak

## fuzz: run every native Go fuzz target (func FuzzXxx) one after another, each for FUZZTIME (default 10m) with
## FUZZ_PARALLEL workers (default 1: the machine is shared); FUZZ_TARGETS="./pkg:FuzzName ..." picks some. A crasher
## lands in the package's testdata/fuzz/FuzzName/, where `make test` runs it with the seed corpus from then on.
FUZZTIME      ?= 10m
FUZZ_PARALLEL ?= 1
fuzz:
	FUZZTIME=$(FUZZTIME) FUZZ_PARALLEL=$(FUZZ_PARALLEL) FUZZ_TARGETS="$(FUZZ_TARGETS)" hack/fuzz.sh

## soak: SOAKTIME (default 10m) of mixed admission load (valid and invalid requests of the Shoot, OSC and pod
## webhooks, SOAK_RATE per second, default 100) over TLS against the seed and admission components, each run as its
## own process against the test control plane; prints RSS, open descriptors and goroutines (start, peak, end) and
## fails on a server-side error, an unexpected answer or growth that does not level off. Not part of `make test`.
SOAKTIME  ?= 10m
SOAK_RATE ?= 100
soak: control-plane
	go build -o $(BIN_DIR)/gardener-extension-runtime-sandbox ./cmd/gardener-extension-runtime-sandbox
	go build -o $(BIN_DIR)/gardener-extension-admission-runtime-sandbox ./cmd/gardener-extension-admission-runtime-sandbox
	go run ./test/soak --duration=$(SOAKTIME) --rate=$(SOAK_RATE) --bin-dir=$(BIN_DIR)

.PHONY: generate-controller-registration

## generate-controller-registration: regenerate example/controller-registration.yaml, the ControllerRegistration and
## the ControllerDeployment carrying charts/gardener-extension-runtime-sandbox (a test fails when it is stale).
generate-controller-registration:
	go run ./hack/generate-controller-registration --output example/controller-registration.yaml

BENCH_DIR      := $(CACHE_DIR)/bench
BENCH_PACKAGES := ./test/bench/... ./validators/shoot/...
BENCH_FLAGS    ?=

## bench: benchmarks, each against a baseline measured in the same run: the admission handlers in-process against
## a no-op handler (go test -bench), then (test/bench/cmd/bench) pod CREATEs through kube-apiserver for every
## variant, the webhook server alone under load and the seed component's memory with many Clusters. Figures in
## .cache/bench/report.md; the last line is the headline. BENCH_FLAGS are passed to test/bench/cmd/bench.
bench: control-plane
	@mkdir -p $(BENCH_DIR)/bin
	go build -o $(BENCH_DIR)/bin/ ./test/bench/cmd/bench ./test/bench/cmd/noop-webhook
	go build -ldflags "-s -w" -o $(BENCH_DIR)/bin/ ./cmd/gardener-extension-runtime-sandbox
	set -o pipefail; go test -run '^$$' -bench . -benchmem -count 1 $(BENCH_PACKAGES) | tee $(BENCH_DIR)/micro.txt
	$(BENCH_DIR)/bin/bench --out=$(BENCH_DIR) --micro=$(BENCH_DIR)/micro.txt \
		--seed-binary=$(BENCH_DIR)/bin/gardener-extension-runtime-sandbox --noop-binary=$(BENCH_DIR)/bin/noop-webhook $(BENCH_FLAGS)

PAYLOAD_DIR    := $(CACHE_DIR)/payload
# The architectures the installer image is published for; each gets its own payload in
# .cache/payload/<arch>/bin/<type>/ (the image's /installer/bin/<type>/), built by cross-compilation.
PAYLOAD_ARCHES ?= amd64 arm64
# The architecture of this machine: the tests run its payload.
HOST_ARCH      := $(shell go env GOARCH)
RELEASE_DIR    := $(CACHE_DIR)/release
GVISOR_BINARIES := runsc containerd-shim-runsc-v1
GVISOR_PAYLOAD := $(foreach arch,$(PAYLOAD_ARCHES),$(addprefix $(PAYLOAD_DIR)/$(arch)/bin/gvisor/,$(GVISOR_BINARIES)))
KATA_PAYLOAD   := $(foreach arch,$(PAYLOAD_ARCHES),$(PAYLOAD_DIR)/$(arch)/bin/kata/containerd-shim-kata-v2)
RELEASE_BINARIES := $(addprefix $(RELEASE_DIR)/,gardener-extension-runtime-sandbox \
	gardener-extension-admission-runtime-sandbox runtime-sandbox-installer)
GVISOR_PAYLOAD_DEPS := hack/runsc/go.mod hack/runsc/go.sum
KATA_PAYLOAD_DEPS   := hack/payload/go.mod hack/payload/go.sum hack/payload/build-kata.sh

# test/nodetruth runs this machine's gVisor payload: runsc's flags, and a pod sandbox through containerd's CRI with
# the shim.
export GVISOR_PAYLOAD_DIR := $(PAYLOAD_DIR)/$(HOST_ARCH)/bin/gvisor
test: $(addprefix $(GVISOR_PAYLOAD_DIR)/,$(GVISOR_BINARIES))

# What the extension's binaries report with --version. The image build has no .git in its context and passes
# them as build arguments (an unset build argument may arrive as an empty variable, hence the ifeq); an untagged
# commit reports a semver pre-release with the commit as build metadata.
ifeq ($(strip $(VERSION)),)
VERSION        = $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null || echo "v0.0.0-dev+$$(git describe --always --dirty 2>/dev/null || echo unknown)")
endif
GIT_COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
GIT_TREE_STATE ?= $(shell if git rev-parse --git-dir >/dev/null 2>&1; then git diff --quiet HEAD && echo clean || echo dirty; fi)
RELEASE_LDFLAGS = -s -w -X k8s.io/component-base/version.gitVersion=$(VERSION) \
	-X k8s.io/component-base/version.gitCommit=$(GIT_COMMIT) \
	-X k8s.io/component-base/version.gitTreeState=$(GIT_TREE_STATE)

.PHONY: payload payload-binaries binaries

## payload-binaries: build the installer image's Go binaries for each of PAYLOAD_ARCHES (default amd64 and arm64,
## cross-compiled) into .cache/payload/<arch>/bin/<type>/: gVisor's runsc and containerd shim (module pinned in
## hack/runsc), Kata's containerd shim (the Kata release's module, pinned in hack/payload). Rebuilt when a pin
## changes.
payload-binaries: $(GVISOR_PAYLOAD) $(KATA_PAYLOAD)

## payload: assemble the installer image's payload into .cache/payload/<arch>/bin/<type>/ (the image's
## /installer/bin/<type>/, copied as it is into the nodes' binary path): the payload binaries, and Kata's
## hypervisors, guest kernel, guest image and virtiofsd, copied from the filesystem of the pinned kata-deploy image
## (runtimes/kata.KataDeployImage) of architecture KATA_DEPLOY_ARCH (default this machine's) at KATA_DEPLOY_ROOT,
## then checked against the layout in runtimes/kata (the one the configuration rendering uses); it prints where each
## file comes from. Without the image (no registry), `go run ./hack/kata-payload stand-ins DIR` writes stand-ins of
## its files for KATA_DEPLOY_ROOT=DIR.
KATA_DEPLOY_ARCH ?= $(HOST_ARCH)
payload: payload-binaries
	@if [ -z "$(KATA_DEPLOY_ROOT)" ]; then \
		echo "make payload: set KATA_DEPLOY_ROOT to the root filesystem of $$(go run ./hack/kata-payload image) (the Dockerfile does)" >&2; exit 1; fi
	go run ./hack/kata-payload assemble --kata-deploy-root "$(KATA_DEPLOY_ROOT)" --out $(PAYLOAD_DIR)/$(KATA_DEPLOY_ARCH)/bin/kata

# Static binaries (no cgo): runsc needs it to re-execute itself (`runsc do`), and the binaries run on the node's
# OS, whose C library is not ours to know; without cgo, Go cross-compiles them for another architecture (the
# pattern's stem) with nothing else installed. runsc reports the gVisor module version; the shim reports containerd's.
$(PAYLOAD_DIR)/%/bin/gvisor/runsc: $(GVISOR_PAYLOAD_DEPS)
	@mkdir -p $(@D)
	cd hack/runsc && CGO_ENABLED=0 GOOS=linux GOARCH=$* go build -trimpath \
		-ldflags "-s -w -X gvisor.dev/gvisor/runsc/version.version=$$(go list -m -f '{{.Version}}' gvisor.dev/gvisor)" \
		-o $@ gvisor.dev/gvisor/runsc

$(PAYLOAD_DIR)/%/bin/gvisor/containerd-shim-runsc-v1: $(GVISOR_PAYLOAD_DEPS)
	@mkdir -p $(@D)
	cd hack/runsc && CGO_ENABLED=0 GOOS=linux GOARCH=$* go build -trimpath -ldflags "-s -w" -o $@ gvisor.dev/gvisor/shim

$(PAYLOAD_DIR)/%/bin/kata/containerd-shim-kata-v2: $(KATA_PAYLOAD_DEPS)
	GOOS=linux GOARCH=$* hack/payload/build-kata.sh shim $@ $(CACHE_DIR)/kata-src/shim-$*

## binaries: build the extension's binaries, static and with their version, into .cache/release (what the image
## build runs).
binaries: $(RELEASE_BINARIES)

# Always rebuilt (go's build cache decides what is stale); --version names the binary instead of "Kubernetes".
.PHONY: $(RELEASE_BINARIES)
$(RELEASE_BINARIES):
	@mkdir -p $(@D)
	CGO_ENABLED=0 go build -trimpath -ldflags "$(RELEASE_LDFLAGS) -X k8s.io/component-base/version/verflag.programName=$(@F)" \
		-o $@ ./cmd/$(@F)

# The extension's version (the VERSION file): the images' tag, the charts' appVersion, the registration's chart tags.
EXTENSION_VERSION := $(shell cat VERSION)
IMAGES_DIR     := $(CACHE_DIR)/images
CHARTS_DIR     := $(CACHE_DIR)/charts
IMAGE_PLATFORMS := amd64 arm64

.PHONY: images charts generate-extension

## images: build the three images (seed component, admission component, installer with its payload) for linux/amd64
## and linux/arm64 as OCI image layouts in .cache/images/<name>/, tagged with VERSION, without a container engine
## (hack/build-images), then check them against the charts (hack/images' test). The installer's Kata part needs the
## filesystem of the pinned kata-deploy image of each platform (`go run ./hack/kata-payload image` names it), e.g.
## extracted with `crane export --platform linux/<arch> <image> - | tar -x -C DIR`: KATA_DEPLOY_ROOT_amd64 and
## KATA_DEPLOY_ROOT_arm64. Without one (no registry here), that platform's installer image holds stand-ins of those
## files and the label runtime.gardener.cloud/kata-payload=stand-ins: for tests only, never to be pushed.
images: payload-binaries
	@set -e; stand_ins=""; for arch in $(IMAGE_PLATFORMS); do \
		case $$arch in amd64) root="$(KATA_DEPLOY_ROOT_amd64)";; arm64) root="$(KATA_DEPLOY_ROOT_arm64)";; *) root="";; esac; \
		if [ -z "$$root" ]; then \
			root=$(CACHE_DIR)/kata-deploy-stand-ins; rm -rf $$root; go run ./hack/kata-payload stand-ins $$root; \
			stand_ins="$$stand_ins,$$arch"; \
			echo "WARNING: no KATA_DEPLOY_ROOT_$$arch: the linux/$$arch installer image holds stand-ins of Kata's artifacts, do not push it" >&2; \
		fi; \
		$(MAKE) --no-print-directory payload KATA_DEPLOY_ARCH=$$arch KATA_DEPLOY_ROOT=$$root; \
		GOOS=linux GOARCH=$$arch $(MAKE) --no-print-directory binaries VERSION=$(EXTENSION_VERSION) \
			GIT_COMMIT=$(GIT_COMMIT) GIT_TREE_STATE=$(GIT_TREE_STATE) RELEASE_DIR=$(CACHE_DIR)/release/linux-$$arch; \
	done; \
	go run ./hack/build-images --version=$(EXTENSION_VERSION) --revision=$(GIT_COMMIT) --kata-stand-ins="$${stand_ins#,}" \
		--release-dir=$(CACHE_DIR)/release --payload-dir=$(PAYLOAD_DIR) --output=$(IMAGES_DIR)
	IMAGES_DIR=$(IMAGES_DIR) go test -count=1 ./hack/images

## charts: package the seed chart and the admission chart's runtime and application parts as Helm chart archives in
## .cache/charts/, versioned VERSION, ready to push to an OCI registry (`helm push`).
charts:
	go run ./hack/generate-extension --charts-dir=$(CHARTS_DIR)

## generate-extension: regenerate example/extension.yaml, the operator.gardener.cloud Extension referring to the
## charts `make charts` packages (a test fails when it is stale).
generate-extension:
	go run ./hack/generate-extension --output example/extension.yaml

## clean: remove what make built and the local landscape's kubeconfig and logs (.cache/ and dev/local/).
clean:
	rm -rf $(CACHE_DIR) dev/local
