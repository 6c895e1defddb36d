#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian 12 packages pfcheck needs; skips what is there already.
# Run as root (make does it for you). Idempotent.
set -euo pipefail

packages=(
  # building kernels
  build-essential bc bison flex libelf-dev libssl-dev ccache rsync cpio xz-utils kmod
  linux-source-6.1 git
  # booting them
  qemu-system-x86
  # the host tools and tests
  cmake libboost-dev libboost-filesystem-dev libboost-test-dev libcli11-dev
  nlohmann-json3-dev libarchive-dev
  # the static guest program: 32- and 64-bit, with libtraceevent for both
  gcc-multilib g++-multilib libtraceevent-dev libtraceevent-dev:i386
  # benchmarks and report
  libbenchmark-dev libbenchmark-dev:i386 gnuplot-nox
  # grading a class on Slurm (grading/slurm-local.sh starts them as plain processes)
  munge slurm-wlm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "[deps] all ${#packages[@]} Debian packages are installed"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "[deps] missing packages: ${missing[*]}" >&2
  echo "[deps] run as root, or install them with apt-get" >&2
  exit 3
fi
echo "[deps] installing ${#missing[@]} packages: ${missing[*]}"
dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
# A mirror caught mid-sync fails an update now and then (one index of many):
# retry it, and go on with the lists that did arrive; the install decides.
for attempt in 1 2 3; do
  apt-get update -qq && break
  echo "[deps] apt-get update reported errors (attempt $attempt)" >&2
done
for attempt in 1 2; do
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    echo "[deps] done"
    exit 0
  fi
  echo "[deps] apt-get install failed (attempt $attempt)" >&2
  apt-get update -qq || true
done
echo "[deps] cannot install: ${missing[*]}" >&2
exit 3
