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

# The runtime binaries, built from the Go modules pinned in hack/runsc and hack/payload, cross-compiled on the
# build platform for the target architecture. Only what they depend on is copied, so this stage is independent of
# the extension's own sources.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS payload
ARG TARGETARCH
WORKDIR /src
COPY Makefile ./
COPY hack/runsc/ hack/runsc/
COPY hack/payload/ hack/payload/
RUN --mount=type=cache,target=/go/pkg/mod \
	--mount=type=cache,target=/root/.cache/go-build \
	make payload PAYLOAD_ARCHES=${TARGETARCH}

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
