#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A one-machine Slurm for `make grade ENGINE=slurm` and its test: munged,
# slurmctld and slurmd from Debian's munge and slurm-wlm, started as plain
# processes (no systemd), with their state, logs, key and sockets in one
# directory, and stopped by PID.
#
#   grading/slurm-local.sh start [DIR]   # prints: export SLURM_CONF=DIR/slurm.conf
#   grading/slurm-local.sh stop [DIR]
#   grading/slurm-local.sh status [DIR]
#
# DIR defaults to ~/.cache/pfcheck/slurm. The node is this machine as
# `slurmd -C` describes it; ports 16817/16818 keep clear of a system Slurm.
set -euo pipefail

cmd=${1:-}
dir=${2:-${HOME}/.cache/pfcheck/slurm}
conf=$dir/slurm.conf

die() { echo "slurm-local: $*" >&2; exit 3; }

for tool in munged mungekey slurmctld slurmd scontrol sinfo; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install munge slurm-wlm"
done

pid_of() { [[ -s $dir/$1.pid ]] && cat "$dir/$1.pid" || true; }
alive() { local p; p=$(pid_of "$1"); [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }

write_conf() {
  local node
  node=$(slurmd -C | head -1)
  [[ $node == NodeName=* ]] || die "slurmd -C did not describe this node: $node"
  # Slurm's node name is the host's short name: slurmd finds itself by it.
  node="NodeName=$(hostname -s) ${node#NodeName=* }"
  cat > "$conf" <<CONF
# Written by grading/slurm-local.sh on $(date -u +%FT%TZ); do not edit.
ClusterName=pfcheck
SlurmctldHost=$(hostname -s)
SlurmUser=$(id -un)
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
$node State=UNKNOWN
PartitionName=grade Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  mkdir -p "$dir/ctld" "$dir/spool"
  chmod 700 "$dir"
  if ! alive munged; then
    [[ -s $dir/munge.key ]] || mungekey --create --keyfile="$dir/munge.key" --force
    chmod 600 "$dir/munge.key"
    munged --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
      --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
      --seed-file="$dir/munged.seed" --force
  fi
  write_conf
  export SLURM_CONF=$conf
  alive slurmctld || slurmctld -f "$conf"
  alive slurmd || slurmd -f "$conf"
  # Ready when the node takes jobs (about a second; 60 s at most).
  for _ in $(seq 1 120); do
    state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
    [[ $state == idle* || $state == mix* ]] && { echo "export SLURM_CONF=$conf"; return 0; }
    read -r -t 0.5 <> <(:) || true
  done
  die "the node did not become idle (state '${state:-none}'): see $dir/*.log"
}

stop() {
  for d in slurmd slurmctld munged; do
    local p
    p=$(pid_of "$d")
    [[ -n $p ]] || continue
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; read -r -t 0.1 <> <(:) || true; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true
    rm -f "$dir/$d.pid"
  done
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status)
    for d in munged slurmctld slurmd; do
      if alive "$d"; then echo "$d: running (pid $(pid_of "$d"))"; else echo "$d: stopped"; fi
    done ;;
  *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
