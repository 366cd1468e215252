# runtime-sandbox: a Gardener extension for gVisor and Kata Containers worker pools.

SHELL          := /usr/bin/env bash
CACHE_DIR      := $(CURDIR)/.cache
BIN_DIR        := $(CACHE_DIR)/bin
K8S_VERSION    := v1.36.3
ETCD           := $(BIN_DIR)/etcd
KUBE_APISERVER := $(BIN_DIR)/kube-apiserver
KUBECTL        := $(BIN_DIR)/kubectl
RUNSC_MODULE   := $(BIN_DIR)/runsc-module
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

# The test control plane binaries for envtest, and the runsc built from the gVisor module for test/nodetruth.
export KUBEBUILDER_ASSETS := $(BIN_DIR)
export RUNSC_MODULE_BINARY := $(RUNSC_MODULE)

.PHONY: all build test verify fmt vet lint run-local start start-admission bench control-plane kubectl runsc-module node-packages clean

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

## node-packages: install containerd and runsc from Debian's packages when they are missing (needs root or sudo).
node-packages:
	hack/install-node-packages.sh

## runsc-module: build runsc from the gvisor.dev/gvisor Go module (for flags newer than Debian's runsc, e.g. nvproxy).
runsc-module: $(RUNSC_MODULE)

# runsc must be built without cgo: with it, `runsc do` cannot re-execute itself.
$(RUNSC_MODULE): hack/runsc/go.mod hack/runsc/go.sum
	@mkdir -p $(BIN_DIR)
	cd hack/runsc && CGO_ENABLED=0 go build -o $@ gvisor.dev/gvisor/runsc

## test: unit and integration tests; the integration suites run against the real API servers, test/nodetruth
## against real containerd and runsc (Debian packages, see .ci/run) and runsc built from the gVisor module.
test: control-plane $(RUNSC_MODULE) node-packages
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
	go build -o $(RUN_LOCAL) ./test/landscape/run-local
	$(RUN_LOCAL) --kubectl=$(KUBECTL) $(RUN_LOCAL_FLAGS)

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

.PHONY: generate-controller-registration

## generate-controller-registration: regenerate example/controller-registration.yaml, the ControllerRegistration and
## the ControllerDeployment carrying charts/gardener-extension-runtime-sandbox (a test fails when it is stale).
generate-controller-registration:
	go run ./hack/generate-controller-registration --output example/controller-registration.yaml

## bench: benchmarks (ratios against a baseline measured in the same run).
bench:
	go test -run '^$$' -bench . -benchmem $(GO_PACKAGES)

PAYLOAD_DIR    := $(CACHE_DIR)/payload/bin
RELEASE_DIR    := $(CACHE_DIR)/release
GVISOR_PAYLOAD := $(PAYLOAD_DIR)/gvisor/runsc $(PAYLOAD_DIR)/gvisor/containerd-shim-runsc-v1
KATA_PAYLOAD   := $(PAYLOAD_DIR)/kata/containerd-shim-kata-v2
RELEASE_BINARIES := $(addprefix $(RELEASE_DIR)/,gardener-extension-runtime-sandbox \
	gardener-extension-admission-runtime-sandbox runtime-sandbox-installer)
GVISOR_PAYLOAD_DEPS := hack/runsc/go.mod hack/runsc/go.sum
KATA_PAYLOAD_DEPS   := hack/payload/go.mod hack/payload/go.sum hack/payload/build-kata-shim.sh

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

.PHONY: payload binaries

## payload: build the installer image's runtime binaries from Go modules into .cache/payload/bin/<type>/ (the
## image's /installer/bin/<type>/): gVisor's runsc and containerd shim (module pinned in hack/runsc), Kata's
## containerd shim (pinned in hack/payload). Rebuilt when a pin changes.
payload: $(GVISOR_PAYLOAD) $(KATA_PAYLOAD)

# Static binaries (no cgo): runsc needs it to re-execute itself (`runsc do`), and the binaries run on the node's
# OS, whose C library is not ours to know. runsc reports the gVisor module version; the shim reports containerd's.
$(PAYLOAD_DIR)/gvisor/runsc: $(GVISOR_PAYLOAD_DEPS)
	@mkdir -p $(@D)
	cd hack/runsc && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X gvisor.dev/gvisor/runsc/version.version=$$(go list -m -f '{{.Version}}' gvisor.dev/gvisor)" \
		-o $@ gvisor.dev/gvisor/runsc

$(PAYLOAD_DIR)/gvisor/containerd-shim-runsc-v1: $(GVISOR_PAYLOAD_DEPS)
	@mkdir -p $(@D)
	cd hack/runsc && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o $@ gvisor.dev/gvisor/shim

$(KATA_PAYLOAD): $(KATA_PAYLOAD_DEPS)
	hack/payload/build-kata-shim.sh $@ $(CACHE_DIR)/payload/src/kata-runtime

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
## (hack/build-images), then check them against the charts (hack/images' test).
images:
	@for arch in $(IMAGE_PLATFORMS); do \
		GOOS=linux GOARCH=$$arch $(MAKE) --no-print-directory payload binaries VERSION=$(EXTENSION_VERSION) \
			GIT_COMMIT=$(GIT_COMMIT) GIT_TREE_STATE=$(GIT_TREE_STATE) \
			PAYLOAD_DIR=$(CACHE_DIR)/payload/linux-$$arch/bin RELEASE_DIR=$(CACHE_DIR)/release/linux-$$arch || exit 1; \
	done
	go run ./hack/build-images --version=$(EXTENSION_VERSION) --revision=$(GIT_COMMIT) \
		--release-dir=$(CACHE_DIR)/release --payload-dir=$(CACHE_DIR)/payload --output=$(IMAGES_DIR)
	IMAGES_DIR=$(IMAGES_DIR) go test -count=1 ./hack/images

## charts: package the seed chart and the admission chart's runtime and application parts as Helm chart archives in
## .cache/charts/, versioned VERSION, ready to push to an OCI registry (`helm push`).
charts:
	go run ./hack/generate-extension --charts-dir=$(CHARTS_DIR)

## generate-extension: regenerate example/extension.yaml, the operator.gardener.cloud Extension referring to the
## charts `make charts` packages (a test fails when it is stale).
generate-extension:
	go run ./hack/generate-extension --output example/extension.yaml

clean:
	rm -rf $(CACHE_DIR) dev/local
