#!/usr/bin/env bash
# Installs the node components and tools that the node tests run: containerd and runsc (test/nodetruth), bash's
# checker shellcheck and systemd's systemd-analyze (runtimes/kata checks the devmapper setup script and its unit),
# from Debian's packages. Does nothing when all are installed already.
set -o errexit -o nounset -o pipefail

if command -v containerd >/dev/null && command -v runsc >/dev/null && command -v shellcheck >/dev/null &&
  command -v systemd-analyze >/dev/null; then
  exit 0
fi
sudo=""
if [[ "$(id -u)" -ne 0 ]]; then
  sudo="sudo"
fi
echo "Installing containerd, runsc, shellcheck and systemd from Debian's packages ..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends containerd runsc shellcheck systemd
