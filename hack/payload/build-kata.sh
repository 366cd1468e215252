#!/usr/bin/env bash
# Builds a Go program of the Kata runtime module pinned in this folder's go.mod (the commit of the Kata release
# the extension ships, runtimes/kata.Version):
#
#   shim          Kata's containerd shim (containerd-shim-kata-v2), for the Kata part of the installer payload;
#   config-check  kata-config-check (kataconfig/): loads Kata configuration files with Kata's own loader and a
#                 strict check for unknown keys, for the tests of the configurations the extension renders.
#
# usage: [GOOS=linux GOARCH=<arch>] build-kata.sh shim|config-check <output binary> <work directory>
#
# GOOS and GOARCH choose the target, as for go build. The programs build without cgo and cross-compile, except the
# shim for arm64: Kata's arm64 hypervisor code reads KVM's constants from <linux/kvm.h> through cgo, so it is built
# with a C compiler for arm64 (Debian's gcc-aarch64-linux-gnu on other hosts, installed when missing) and linked
# statically.
#
# The module as the Go proxy serves it does not compile: Kata's Makefile generates pkg/katautils/config-settings.go
# from config-settings.go.in, and only the template is published. go build refuses overlays of files in the
# module cache, so the module is copied into the work directory, the file is generated there from the module's
# own template, and the copy is built as the main module, with the go.mod and go.sum Kata ships (the dependency
# versions Kata builds with; this folder's go.mod only pins and verifies the Kata module itself).
set -euo pipefail

target=$1
out=$(realpath -m "$2")
work=$(realpath -m "$3")
module=github.com/kata-containers/kata-containers/src/runtime

case "$target" in
shim) pkg=./cmd/containerd-shim-kata-v2 tags= ;;
config-check) pkg=./cmd/kata-config-check tags=kataconfig ;;
*)
	echo "build-kata.sh: unknown target $target (shim or config-check)" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
go mod download "$module"
version=$(go list -m -f '{{.Version}}' "$module")
src=$(go list -m -f '{{.Dir}}' "$module")
# A pseudo-version ends in the commit's first 12 hex digits.
commit=${version##*-}

rm -rf "$work"
mkdir -p "$work" "$(dirname "$out")"
cp -R "$src/." "$work/"
chmod -R u+w "$work"

# The settings are the defaults of Kata's Makefile, except the configuration file: the extension writes one per
# hypervisor (runtimes/kata.ConfigPath); containerd passes each handler's ConfigPath, so this default only applies
# when a handler has none. The version is the module's pseudo-version, whose commit is the release's.
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
	echo "build-kata.sh: placeholders left in config-settings.go of $module@$version" >&2
	exit 1
fi

if [[ $target == config-check ]]; then
	# The checker's main package, and its strict check as part of katautils (it needs the loader's own type).
	mkdir -p "$work/cmd/kata-config-check"
	cp "$here/kataconfig/main.go" "$work/cmd/kata-config-check/"
	cp "$here/kataconfig/katautils/strict.go" "$work/pkg/katautils/zz_runtime_sandbox_strict.go"
fi

# Static, like the gVisor binaries: the shim runs from the host's binary path on whatever OS the node has.
# -buildvcs=false: the copy lies inside this repository's work tree, whose commit is not Kata's.
cd "$work"
arch=${GOARCH:-$(go env GOARCH)}
if [[ $target == shim && $arch == arm64 ]]; then
	cc=gcc
	if [[ $(go env GOHOSTARCH) != arm64 ]]; then
		cc=aarch64-linux-gnu-gcc
		if ! command -v "$cc" >/dev/null; then
			sudo=""
			if [[ $(id -u) -ne 0 ]]; then
				sudo=sudo
			fi
			echo "Installing the C compiler for arm64 from Debian's packages ..."
			$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
			$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross
		fi
	fi
	# netgo, osusergo: only Kata's own C header use goes through cgo, name lookups stay in Go (a static binary).
	CGO_ENABLED=1 CC=$cc go build -buildvcs=false -trimpath -tags "netgo,osusergo${tags:+,$tags}" \
		-ldflags "-s -w -linkmode external -extldflags -static" -o "$out" "$pkg"
else
	CGO_ENABLED=0 go build -buildvcs=false -trimpath -tags "$tags" -ldflags "-s -w" -o "$out" "$pkg"
fi
