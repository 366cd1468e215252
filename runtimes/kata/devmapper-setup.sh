#!/usr/bin/env bash
# Sets up the devmapper thin-pool that containerd's devmapper snapshotter needs for Kata Containers on
# Firecracker (Firecracker can only hand block devices to its VMs). The pool lives on two sparse files; after a
# reboot they are attached again and the pool is re-created on the existing metadata. Safe to run repeatedly.
#
# `start` (the unit's ExecStart, before containerd starts) sets up the pool and only then hands the snapshotter's
# plugin table to containerd: it copies it into a file of containerd's imported configuration directory. It removes
# that file first, so when the setup fails (no dm_thin_pool module, no loop device) containerd starts without the
# snapshotter: containerd 2.x would otherwise fail its metadata plugin, and with it the CRI and every pod of the
# node, while so only kata-fc fails. `stop` (the unit's ExecStop) removes the file.
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
# A command that fails inside $(...) fails the script too (bash does not pass errexit on to command substitutions).
shopt -s inherit_errexit

pool="${POOL_NAME:-containerd-pool}"
dir="${POOL_DIR:-/var/lib/containerd/devmapper}"
data_size="${DATA_SIZE:-100G}"
meta_size="${META_SIZE:-10G}"
# 128 sectors of 512 bytes: 64 KiB data blocks; the low water mark is in data blocks (32768 blocks: 2 GiB).
data_block_size=128
low_water_mark=32768
# One feature argument: fail writes at once when the pool is full. Block zeroing stays on (the default).
features="1 error_if_no_space"

# The snapshotter's plugin table (from the OSC, where containerd does not read it), containerd's configuration
# (gardener-node-agent's, which imports conf.d/*.toml) and the file of the plugin table there.
plugin_config=/opt/runtime-sandbox/etc/containerd-devmapper.toml
containerd_config=/etc/containerd/config.toml
drop_in=/etc/containerd/conf.d/runtime-sandbox-devmapper.toml

case "${1:-start}" in
  start) ;;
  stop)
    rm -f "${drop_in}"
    exit 0
    ;;
  *)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac

# containerd must never see the snapshotter without its pool: whatever fails below leaves it without the table.
rm -f "${drop_in}"

# hand_over writes the plugin table into containerd's configuration directory, in the config version of
# containerd's main configuration: containerd 2.4 migrates an imported file of a lower version (and logs it at every
# start), and containerd 2.2 refuses to start with one of a version it does not know.
hand_over() {
  local version="" content tmp
  if [[ -f "${containerd_config}" ]]; then
    # The top-level version key: the lines before the first table.
    version="$(sed -n -e '/^[[:space:]]*\[/q' -e 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "${containerd_config}")"
  fi
  content="$(cat "${plugin_config}")"
  if [[ -n "${version}" ]]; then
    content="version = ${version}"$'\n'"${content}"
  fi
  mkdir -p "$(dirname "${drop_in}")"
  # Written next to it and renamed: containerd never reads half a file. The temporary name does not end in .toml.
  tmp="$(mktemp "${drop_in}.XXXXXX")"
  printf '%s\n' "${content}" >"${tmp}"
  chmod 0644 "${tmp}"
  mv "${tmp}" "${drop_in}"
  echo "containerd's devmapper snapshotter configured in ${drop_in} (config version ${version:-not set})"
}

# attach prints the loop device of file, attaching one when there is none.
attach() {
  local file="$1" dev
  dev="$(losetup --associated "${file}" | cut --delimiter=: --fields=1 | head --lines=1)"
  if [[ -z "${dev}" ]]; then
    dev="$(losetup --find --show "${file}")"
  fi
  if [[ -z "${dev}" ]]; then
    echo "no loop device for ${file}" >&2
    return 1
  fi
  echo "${dev}"
}

if table="$(dmsetup table "${pool}" 2>/dev/null)"; then
  if [[ "${table}" != *skip_block_zeroing* ]]; then
    echo "devmapper thin-pool ${pool} exists: ${table}"
    hand_over
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
  hand_over
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
hand_over
