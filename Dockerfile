# syntax=docker/dockerfile:1

# The images of the runtime-sandbox extension, one per final stage, chosen with --target:
#   gardener-extension-runtime-sandbox            the seed component (ContainerRuntime controller, webhooks)
#   gardener-extension-admission-runtime-sandbox  the garden admission component
#   runtime-sandbox-installer                     the node installer with the runtime binaries in /installer/bin/<type>/
# The build stages run the Makefile's targets (`make payload`, `make binaries`), so a local build produces what
# the images contain. The context has no .git: pass VERSION, GIT_COMMIT and GIT_TREE_STATE as build arguments
# for --version.

# The go directive of go.mod.
ARG GO_VERSION=1.26.5
# Kata's hypervisors, guest kernel, guest image and virtiofsd come from the kata-deploy image of the Kata release the
# extension ships, pinned by digest: runtimes/kata.KataDeployImage (a test fails when the two differ). Pass another
# only to build from a mirror of the same image.
ARG KATA_DEPLOY_IMAGE=quay.io/kata-containers/kata-deploy:3.29.0@sha256:1e80246bbecd4fdfde2281a1ebefcd77da3f3722eca57856260d2b270de0b6ff

FROM ${KATA_DEPLOY_IMAGE} AS kata-deploy

# The runtime payload: binaries built from the Go modules pinned in hack/runsc and hack/payload, cross-compiled on
# the build platform for the target architecture, and Kata's artifacts from the kata-deploy image of the target
# architecture, assembled and checked against the layout in runtimes/kata by `make payload`.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS payload
ARG TARGETARCH
WORKDIR /src
COPY --from=kata-deploy /opt/kata-artifacts/opt/kata/ /kata-deploy/opt/kata-artifacts/opt/kata/
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
	--mount=type=cache,target=/root/.cache/go-build \
	make payload PAYLOAD_ARCHES=${TARGETARCH} KATA_DEPLOY_ARCH=${TARGETARCH} KATA_DEPLOY_ROOT=/kata-deploy

# The extension's binaries, static, with the version from the build arguments (read by the Makefile from the
# environment).
FROM golang:${GO_VERSION} AS builder
WORKDIR /src
COPY . .
ARG VERSION
ARG GIT_COMMIT
ARG GIT_TREE_STATE
RUN --mount=type=cache,target=/go/pkg/mod \
	--mount=type=cache,target=/root/.cache/go-build \
	make binaries

FROM gcr.io/distroless/static-debian12:nonroot AS gardener-extension-admission-runtime-sandbox
COPY --from=builder /src/.cache/release/gardener-extension-admission-runtime-sandbox /gardener-extension-admission-runtime-sandbox
ENTRYPOINT ["/gardener-extension-admission-runtime-sandbox"]

# The installer replaces files in the host's container runtime binary path, a root-owned hostPath, so it runs as
# root: distroless' root variant, and USER says so explicitly.
FROM gcr.io/distroless/static-debian12:latest AS runtime-sandbox-installer
ARG TARGETARCH
COPY --from=payload /src/.cache/payload/${TARGETARCH}/bin/ /installer/bin/
COPY --from=builder /src/.cache/release/runtime-sandbox-installer /runtime-sandbox-installer
USER 0:0
ENTRYPOINT ["/runtime-sandbox-installer"]

# Last, so that a build without --target produces the seed component.
FROM gcr.io/distroless/static-debian12:nonroot AS gardener-extension-runtime-sandbox
COPY --from=builder /src/.cache/release/gardener-extension-runtime-sandbox /gardener-extension-runtime-sandbox
ENTRYPOINT ["/gardener-extension-runtime-sandbox"]
