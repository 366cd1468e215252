#!/usr/bin/env bash
# Builds Kata's containerd shim (containerd-shim-kata-v2) from the Kata runtime module pinned in this folder's
# go.mod, for the Kata part of the installer payload.
#
# usage: [GOOS=linux GOARCH=<arch>] build-kata-shim.sh <output binary> <work directory>
#
# GOOS and GOARCH choose the target, as for go build: the shim builds without cgo, so it cross-compiles.
#
# The module as the Go proxy serves it does not compile: Kata's Makefile generates pkg/katautils/config-settings.go
# from config-settings.go.in, and only the template is published. go build refuses overlays of files in the
# module cache, so the module is copied into the work directory, the file is generated there from the module's
# own template, and the copy is built as the main module, with the go.mod and go.sum Kata ships (the dependency
# versions Kata builds with; this folder's go.mod only pins and verifies the Kata module itself).
set -euo pipefail

out=$(realpath -m "$1")
work=$(realpath -m "$2")
module=github.com/kata-containers/kata-containers/src/runtime

cd "$(dirname "$0")"
go mod download "$module"
version=$(go list -m -f '{{.Version}}' "$module")
src=$(go list -m -f '{{.Dir}}' "$module")
# A pseudo-version ends in the commit's first 12 hex digits.
commit=${version##*-}

rm -rf "$work"
mkdir -p "$work" "$(dirname "$out")"
cp -R "$src/." "$work/"
chmod -R u+w "$work"

# The settings are the defaults of Kata's Makefile, except the configuration file: the extension installs it next
# to the binaries (runtimes/kata.ConfigPath); containerd passes each handler's ConfigPath, so this default only
# applies when a handler has none. The version is the module version, as no Kata release tag maps to a module
# version.
sed -e "s|@RUNTIME_NAME@|kata-runtime|" \
	-e "s|@PROJECT_NAME@|Kata Containers|" \
	-e "s|@PROJECT_TYPE@|kata|" \
	-e "s|@PROJECT_URL@|https://github.com/kata-containers|" \
	-e "s|@PROJECT_ORG@|kata-containers|" \
	-e "s|@PKGRUNDIR@|/var/run/kata-containers|" \
	-e "s|@COMMIT@|$commit|" \
	-e "s|@VERSION@|$version|" \
	-e "s|@CONFIG_PATH@|/var/bin/containerruntimes/kata/configuration-qemu.toml|" \
	-e "s|@SYSCONFIG@|/etc/kata-containers/configuration.toml|" \
	"$src/pkg/katautils/config-settings.go.in" >"$work/pkg/katautils/config-settings.go"
if grep -n '@[A-Z_]*@' "$work/pkg/katautils/config-settings.go"; then
	echo "build-kata-shim.sh: placeholders left in config-settings.go of $module@$version" >&2
	exit 1
fi

# Static, like the gVisor binaries: the shim runs from the host's binary path on whatever OS the node has.
# -buildvcs=false: the copy lies inside this repository's work tree, whose commit is not Kata's.
cd "$work"
CGO_ENABLED=0 go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$out" ./cmd/containerd-shim-kata-v2
