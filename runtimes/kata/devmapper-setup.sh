#!/usr/bin/env bash
# Sets up the devmapper thin-pool that containerd's devmapper snapshotter needs for Kata Containers on
# Firecracker (Firecracker can only hand block devices to its VMs). The pool lives on two sparse files; after a
# reboot they are attached again and the pool is re-created on the existing metadata. Safe to run repeatedly.
set -o errexit -o nounset -o pipefail

pool="${POOL_NAME:-containerd-pool}"
dir="${POOL_DIR:-/var/lib/containerd/devmapper}"
data_size="${DATA_SIZE:-100G}"
meta_size="${META_SIZE:-10G}"
# 128 sectors of 512 bytes: 64 KiB data blocks; the low water mark is in data blocks.
data_block_size=128
low_water_mark=32768

if dmsetup status "${pool}" >/dev/null 2>&1; then
  echo "devmapper thin-pool ${pool} exists"
  exit 0
fi

mkdir -p "${dir}"
[[ -f "${dir}/data" ]] || truncate --size "${data_size}" "${dir}/data"
[[ -f "${dir}/meta" ]] || truncate --size "${meta_size}" "${dir}/meta"

attach() {
  local file="$1" dev
  dev="$(losetup --associated "${file}" | cut --delimiter=: --fields=1 | head --lines=1)"
  if [[ -z "${dev}" ]]; then
    dev="$(losetup --find --show "${file}")"
  fi
  echo "${dev}"
}

data_dev="$(attach "${dir}/data")"
meta_dev="$(attach "${dir}/meta")"
sectors="$(( $(blockdev --getsize64 "${data_dev}") / 512 ))"

dmsetup create "${pool}" --table "0 ${sectors} thin-pool ${meta_dev} ${data_dev} ${data_block_size} ${low_water_mark} 1 skip_block_zeroing"
echo "devmapper thin-pool ${pool} created on ${data_dev} (data) and ${meta_dev} (metadata)"
