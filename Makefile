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

## control-plane: build etcd and kube-apiserver from Go modules into .cache/bin (reused until hack/tools changes).
control-plane: $(ETCD) $(KUBE_APISERVER)

## kubectl: build kubectl from Go modules into .cache/bin, for the local landscape.
kubectl: $(KUBECTL)

$(ETCD): $(TOOLS_MOD) hack/tools/cmd/etcd/main.go
	@mkdir -p $(BIN_DIR)
	cd hack/tools && go build -o $@ ./cmd/etcd

$(KUBE_APISERVER): $(TOOLS_MOD)
	@mkdir -p $(BIN_DIR)
	cd hack/tools && go build -ldflags "$(KUBE_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-apiserver

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

## run-local: start the local landscape in the foreground (Ctrl-C stops it); kubeconfig in dev/local/kubeconfig.
run-local: control-plane $(KUBECTL)
	go build -o $(RUN_LOCAL) ./test/landscape/run-local
	$(RUN_LOCAL) --kubectl=$(KUBECTL)

## start: run the seed component against the cluster in dev/kubeconfig, webhooks served on this host; the
## ContainerRuntime controller runs when INSTALLER_IMAGE names the installer image.
start:
	go run ./cmd/gardener-extension-runtime-sandbox $(START_FLAGS) --webhook-config-cert-dir=$(CACHE_DIR)/start-certs \
		$(if $(INSTALLER_IMAGE),--installer-image=$(INSTALLER_IMAGE),--disable-containerruntime-controller)

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

## bench: benchmarks (ratios against a baseline measured in the same run).
bench:
	go test -run '^$$' -bench . -benchmem $(GO_PACKAGES)

clean:
	rm -rf $(CACHE_DIR) dev/local
