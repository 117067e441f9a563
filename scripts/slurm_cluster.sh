#!/usr/bin/env bash
# A one-node Slurm cluster on loopback, for tests and CI (Debian, root, no init system needed).
#
#   scripts/slurm_cluster.sh start    install the Debian packages if missing, write the configuration, start munged,
#                                     slurmctld and slurmd, wait until the node accepts jobs (idempotent: a running
#                                     cluster with an unchanged configuration is left alone)
#   scripts/slurm_cluster.sh stop     stop the daemons (idempotent)
#   scripts/slurm_cluster.sh status   print the daemons' state and `sinfo`; exit 0 only if the node accepts jobs
#
# Environment (optional): SLURM_CLUSTER_CPUS (default: nproc), SLURM_CLUSTER_MEM_MB (default: 90 % of RAM),
# SLURM_CLUSTER_GPUS (fake GPUs, default 2; aliases of /dev/null, so `--gres=gpu:N` sets CUDA_VISIBLE_DEVICES).
# Time limits are enforced by slurmctld about every 30 s (KillWait=5, OverTimeLimit=0); memory limits are not
# enforced (no cgroups), a job killed for memory shows up as a SIGKILL / exit code 137.
set -euo pipefail

PACKAGES=(slurmctld slurmd slurm-client munge)
CONF_DIR=/etc/slurm
STATE_DIR=/var/lib/sislite-slurm          # fake GPU devices live here
LOG_DIR=/var/log/slurm
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGE_PID=/run/munge/munged.pid

die() { echo "slurm_cluster.sh: $*" >&2; exit 1; }
source "$(dirname "$0")/debian_host.sh"


write_if_changed() {  # write stdin to $1; return 0 if the content changed
    local target=$1 tmp
    tmp=$(mktemp "$target.XXXXXX")
    cat >"$tmp"
    chmod 644 "$tmp"
    if [[ -f $target ]] && cmp -s "$tmp" "$target"; then rm -f "$tmp"; return 1; fi
    mv -f "$tmp" "$target"
    return 0
}

configure() {  # prints "changed" if slurm.conf or gres.conf changed
    local cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
    local mem=${SLURM_CLUSTER_MEM_MB:-$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)}
    local gpus=${SLURM_CLUSTER_GPUS:-2}
    [[ $cpus =~ ^[1-9][0-9]*$ ]] || die "SLURM_CLUSTER_CPUS=$cpus is not a positive integer"
    [[ $mem =~ ^[1-9][0-9]*$ ]] || die "SLURM_CLUSTER_MEM_MB=$mem is not a positive integer"
    [[ $gpus =~ ^[0-9]+$ ]] || die "SLURM_CLUSTER_GPUS=$gpus is not a non-negative integer"
    local def_mem=$((mem / cpus < 1024 ? mem / cpus : 1024))
    mkdir -p "$CONF_DIR" "$STATE_DIR/dev" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd
    local gres_node="" gres_types=""
    if ((gpus > 0)); then
        gres_node="Gres=gpu:$gpus"
        gres_types="GresTypes=gpu"
        for ((i = 0; i < gpus; i++)); do
            # slurmd only accepts character devices: aliases of /dev/null (major 1, minor 3)
            [[ -c $STATE_DIR/dev/nvidia$i ]] || { rm -f "$STATE_DIR/dev/nvidia$i"; mknod "$STATE_DIR/dev/nvidia$i" c 1 3; }
        done
    fi
    local changed=0
    write_if_changed "$CONF_DIR/slurm.conf" <<EOF && changed=1
# Written by scripts/slurm_cluster.sh: a one-node cluster on loopback for tests (no cgroups, no accounting).
ClusterName=sislite
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$def_mem
SlurmdParameters=config_overrides
SchedulerParameters=batch_sched_delay=0
EnforcePartLimits=ALL
ReturnToService=2
MinJobAge=600
KillWait=5
OverTimeLimit=0
InactiveLimit=0
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG_DIR/jobcomp.log
$gres_types
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=$mem $gres_node State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    {
        echo "AutoDetect=off"
        ((gpus > 0)) && echo "NodeName=localhost Name=gpu File=$STATE_DIR/dev/nvidia[0-$((gpus - 1))]"
        true
    } | write_if_changed "$CONF_DIR/gres.conf" && changed=1
    ((changed)) && echo changed
    return 0
}

start_munge() {
    if [[ ! -s /etc/munge/munge.key ]]; then
        mkdir -p /etc/munge
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
    chown munge:munge /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    if ! process_alive "$MUNGE_PID" munged; then
        rm -f "$MUNGE_PID" /run/munge/munge.socket.2*
        runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGE_PID" || die "munged did not start: see /var/log/munge/munged.log"
    fi
    for _ in $(seq 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "munge does not answer (munge -n | unmunge): see /var/log/munge/munged.log"
}


node_ready() {  # the node is idle/mixed/allocated and the partition is up
    local state
    state=$(sinfo -h -N -n localhost -o '%t' 2>/dev/null | head -n 1) || return 1
    [[ $state == idle || $state == mix || $state == alloc ]]
}

cmd_start() {
    [[ $(id -u) == 0 ]] || die "must run as root (it installs packages and starts daemons)"
    install_debian_packages "${PACKAGES[@]}"
    local changed
    changed=$(configure)
    start_munge
    if [[ $changed == changed ]]; then
        stop_daemon "$SLURMD_PID" slurmd
        stop_daemon "$CTLD_PID" slurmctld
    fi
    if ! process_alive "$CTLD_PID" slurmctld; then
        /usr/sbin/slurmctld || die "slurmctld did not start: see $LOG_DIR/slurmctld.log"
    fi
    if ! process_alive "$SLURMD_PID" slurmd; then
        /usr/sbin/slurmd -N localhost || die "slurmd did not start: see $LOG_DIR/slurmd.log"
    fi
    for _ in $(seq 150); do
        if node_ready; then
            echo "slurm_cluster.sh: one-node cluster ready ($(sinfo -h -N -o '%c CPUs, %m MB, %G'))"
            return 0
        fi
        # a node left DOWN/DRAIN by an earlier crash is put back to service
        local state
        state=$(sinfo -h -N -n localhost -o '%t' 2>/dev/null | head -n 1 || true)
        if [[ $state == down* || $state == drain* ]]; then
            scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
        fi
        sleep 0.2
    done
    die "the node did not become ready within 30 s: see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log ($(sinfo -N 2>&1 | tail -n 1))"
}

cmd_stop() {
    stop_daemon "$SLURMD_PID" slurmd
    stop_daemon "$CTLD_PID" slurmctld
    stop_daemon "$MUNGE_PID" munged
    echo "slurm_cluster.sh: stopped"
}

cmd_status() {
    if report_daemons "munged:$MUNGE_PID" "slurmctld:$CTLD_PID" "slurmd:$SLURMD_PID" && node_ready; then
        sinfo -N -o '%N %t %c %m %G'
        return 0
    fi
    return 1
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
