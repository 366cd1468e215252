#!/usr/bin/env bash
# Installs the node components that test/nodetruth checks against: containerd and runsc from Debian's packages.
# Does nothing when both are installed already.
set -o errexit -o nounset -o pipefail

if command -v containerd >/dev/null && command -v runsc >/dev/null; then
  exit 0
fi
sudo=""
if [[ "$(id -u)" -ne 0 ]]; then
  sudo="sudo"
fi
echo "Installing containerd and runsc from Debian's packages ..."
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends containerd runsc
