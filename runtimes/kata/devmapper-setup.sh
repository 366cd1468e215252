#!/usr/bin/env bash
# Sets up the devmapper thin-pool that containerd's devmapper snapshotter needs for Kata Containers on
# Firecracker (Firecracker can only hand block devices to its VMs). The pool lives on two sparse files; after a
# reboot they are attached again and the pool is re-created on the existing metadata. Safe to run repeatedly.
#
# Tenants share the pool: a block one pod's snapshot freed may be provisioned to the next pod's snapshot, which
# its VM reads raw. So the pool zeroes every newly provisioned block (no skip_block_zeroing), and a pool left by
# an earlier version without zeroing is switched to it.
#
# Out of space: the data file is sparse (DATA_SIZE, default 100G) on the node's disk. When the pool's free data
# blocks fall below the low water mark (2 GiB), the kernel logs a device-mapper event; with error_if_no_space, a
# full pool fails writes at once (the kernel logs "switching pool to out-of-data-space (error IO) mode" and
# `dmsetup status containerd-pool` shows out_of_data_space) instead of queueing them. Only kata-fc sandboxes use
# the pool.
set -o errexit -o nounset -o pipefail

pool="${POOL_NAME:-containerd-pool}"
dir="${POOL_DIR:-/var/lib/containerd/devmapper}"
data_size="${DATA_SIZE:-100G}"
meta_size="${META_SIZE:-10G}"
# 128 sectors of 512 bytes: 64 KiB data blocks; the low water mark is in data blocks (32768 blocks: 2 GiB).
data_block_size=128
low_water_mark=32768
# One feature argument: fail writes at once when the pool is full. Block zeroing stays on (the default).
features="1 error_if_no_space"

attach() {
  local file="$1" dev
  dev="$(losetup --associated "${file}" | cut --delimiter=: --fields=1 | head --lines=1)"
  if [[ -z "${dev}" ]]; then
    dev="$(losetup --find --show "${file}")"
  fi
  echo "${dev}"
}

if table="$(dmsetup table "${pool}" 2>/dev/null)"; then
  if [[ "${table}" != *skip_block_zeroing* ]]; then
    echo "devmapper thin-pool ${pool} exists: ${table}"
    exit 0
  fi
  # An earlier version created the pool without block zeroing: reload the same pool with zeroing on.
  read -r start sectors _ meta data _ <<<"${table}"
  new_table="${start} ${sectors} thin-pool ${meta} ${data} ${data_block_size} ${low_water_mark} ${features}"
  dmsetup suspend "${pool}"
  if ! dmsetup reload "${pool}" --table "${new_table}"; then
    dmsetup resume "${pool}"
    echo "devmapper thin-pool ${pool}: switching block zeroing on failed" >&2
    exit 1
  fi
  dmsetup resume "${pool}"
  echo "devmapper thin-pool ${pool} now zeroes newly provisioned blocks: ${new_table}"
  exit 0
fi

mkdir -p "${dir}"
[[ -f "${dir}/data" ]] || truncate --size "${data_size}" "${dir}/data"
[[ -f "${dir}/meta" ]] || truncate --size "${meta_size}" "${dir}/meta"

data_dev="$(attach "${dir}/data")"
meta_dev="$(attach "${dir}/meta")"
sectors="$(( $(blockdev --getsize64 "${data_dev}") / 512 ))"

dmsetup create "${pool}" --table "0 ${sectors} thin-pool ${meta_dev} ${data_dev} ${data_block_size} ${low_water_mark} ${features}"
echo "devmapper thin-pool ${pool} created on ${data_dev} (data, ${data_size}) and ${meta_dev} (metadata, ${meta_size})"
