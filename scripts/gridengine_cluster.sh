#!/usr/bin/env bash
# A one-node (Son of) Grid Engine on this host, for tests and CI (Debian's gridengine 8.1.9, root, no init system).
#
#   scripts/gridengine_cluster.sh start    install the Debian packages if missing, start sge_qmaster, configure the
#                                          cluster (this host as admin/submit/exec host, queue all.q, consumables
#                                          num_proc and gpu, scheduler every second, root may run jobs), start
#                                          sge_execd, wait until the queue accepts jobs (idempotent)
#   scripts/gridengine_cluster.sh stop     stop the daemons (idempotent)
#   scripts/gridengine_cluster.sh status   print the daemons' state and `qstat -f`; exit 0 only if the queue is usable
#
# Environment (optional): GRIDENGINE_CLUSTER_CPUS (slots and num_proc, default: nproc), GRIDENGINE_CLUSTER_MEM_MB
# (h_vmem of the host, default: 90 % of RAM), GRIDENGINE_CLUSTER_GPUS (the gpu consumable, default 2; a count only,
# no devices). The init scripts of the packages are not used (unreliable without an init system).
set -euo pipefail

PACKAGES=(gridengine-master gridengine-exec gridengine-client)
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
COMMON=$SGE_ROOT/$SGE_CELL/common
QMASTER_PID=/var/spool/gridengine/qmaster/qmaster.pid
EXECD_SPOOL=/var/spool/gridengine/execd
QUEUE=all.q

die() { echo "gridengine_cluster.sh: $*" >&2; exit 1; }
source "$(dirname "$0")/debian_host.sh"

execd_pidfile() { echo "$EXECD_SPOOL/localhost/execd.pid"; }

preseed_debconf() {  # the packages ask for the master host and cell and whether to create the cluster
    local host
    host=$(hostname)
    debconf-set-selections <<EOF
gridengine-common shared/gridenginemaster string $host
gridengine-common shared/gridenginecell string $SGE_CELL
gridengine-common shared/gridengineconfig boolean true
gridengine-client shared/gridenginemaster string $host
gridengine-client shared/gridenginecell string $SGE_CELL
gridengine-client shared/gridengineconfig boolean true
EOF
}

start_qmaster() {
    local host
    host=$(hostname)
    getent hosts "$host" >/dev/null || die "this host's name $host does not resolve: add '127.0.0.1 $host' to /etc/hosts"
    # Jobs and clients name this host "localhost" at times: make both names one host for Grid Engine.
    echo "$host localhost" >"$COMMON/host_aliases"
    echo "$host" >"$COMMON/act_qmaster"
    if ! process_alive "$QMASTER_PID" sge_qmaster; then
        rm -f "$QMASTER_PID"
        /usr/sbin/sge_qmaster || die "sge_qmaster did not start: see /var/spool/gridengine/qmaster/messages"
    fi
    for _ in $(seq 100); do
        qconf -sh >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "sge_qmaster does not answer (qconf -sh): see /var/spool/gridengine/qmaster/messages"
}

configure() {
    local host cpus mem gpus dir
    host=$(hostname)
    cpus=${GRIDENGINE_CLUSTER_CPUS:-$(nproc)}
    mem=${GRIDENGINE_CLUSTER_MEM_MB:-$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)}
    gpus=${GRIDENGINE_CLUSTER_GPUS:-2}
    [[ $cpus =~ ^[1-9][0-9]*$ ]] || die "GRIDENGINE_CLUSTER_CPUS=$cpus is not a positive integer"
    [[ $mem =~ ^[1-9][0-9]*$ ]] || die "GRIDENGINE_CLUSTER_MEM_MB=$mem is not a positive integer"
    [[ $gpus =~ ^[0-9]+$ ]] || die "GRIDENGINE_CLUSTER_GPUS=$gpus is not a non-negative integer"
    dir=$(mktemp -d)
    # consumables: num_proc (Debian's default is a fixed host value compared with ==) and gpu
    qconf -sc >"$dir/complexes"
    sed -i -E 's/^num_proc .*/num_proc p INT <= YES YES 1 0/; /^gpu /d' "$dir/complexes"
    echo "gpu gpu INT <= YES YES 0 0" >>"$dir/complexes"
    qconf -Mc "$dir/complexes" >/dev/null
    # root may run jobs; load reports every 5 s (qconf -Mconf takes the configuration's name from the file name)
    qconf -sconf global >"$dir/global"
    sed -i -E 's/^(min_uid|min_gid) .*/\1 0/; s/^load_report_time .*/load_report_time 00:00:05/' "$dir/global"
    qconf -Mconf "$dir/global" >/dev/null
    # the scheduler runs every second and right after each submission and job end
    qconf -ssconf >"$dir/sched"
    sed -i -E 's/^schedule_interval .*/schedule_interval 0:0:1/; s/^flush_submit_sec .*/flush_submit_sec 1/; s/^flush_finish_sec .*/flush_finish_sec 1/' "$dir/sched"
    qconf -Msconf "$dir/sched" >/dev/null
    qconf -sh 2>/dev/null | grep -qx "$host" || qconf -ah "$host" >/dev/null
    qconf -ss 2>/dev/null | grep -qx "$host" || qconf -as "$host" >/dev/null
    cat >"$dir/host" <<EOF
hostname $host
load_scaling NONE
complex_values num_proc=$cpus,gpu=$gpus,h_vmem=${mem}M
user_lists NONE
xuser_lists NONE
projects NONE
xprojects NONE
usage_scaling NONE
report_variables NONE
EOF
    if qconf -sel 2>/dev/null | grep -qx "$host"; then qconf -Me "$dir/host" >/dev/null; else qconf -Ae "$dir/host" >/dev/null; fi
    # the queue: one slot per CPU, no load alarms (a busy shared machine would block it)
    qconf -sq >"$dir/queue"  # the template
    sed -i -E "s/^qname .*/qname $QUEUE/; s/^hostlist .*/hostlist $host/; s/^slots .*/slots $cpus/; \
s/^pe_list .*/pe_list NONE/; s/^load_thresholds .*/load_thresholds NONE/; s|^shell .*|shell /bin/bash|; \
s/^shell_start_mode .*/shell_start_mode unix_behavior/" "$dir/queue"
    if qconf -sql 2>/dev/null | grep -qx "$QUEUE"; then qconf -Mq "$dir/queue" >/dev/null; else qconf -Aq "$dir/queue" >/dev/null; fi
    rm -rf "$dir"
}

start_execd() {
    mkdir -p "$EXECD_SPOOL"
    chown sgeadmin "$EXECD_SPOOL"
    if ! process_alive "$(execd_pidfile)" sge_execd; then
        rm -f "$(execd_pidfile)"
        /usr/sbin/sge_execd || die "sge_execd did not start: see $EXECD_SPOOL/localhost/messages"
    fi
}

queue_ready() {  # the queue instance reports load and is in no error/disabled/unknown state
    local line
    line=$(qstat -f -q "$QUEUE" 2>/dev/null | grep "^$QUEUE@") || return 1
    local fields=($line)
    ((${#fields[@]} == 5)) || return 1   # a sixth column holds states such as u (unknown), E, d
    [[ ${fields[3]} != -NA- ]]
}


cmd_start() {
    [[ $(id -u) == 0 ]] || die "must run as root (it installs packages and starts daemons)"
    install_debian_packages "${PACKAGES[@]}"
    start_qmaster
    configure
    start_execd
    for _ in $(seq 150); do
        if queue_ready; then
            echo "gridengine_cluster.sh: one-node Grid Engine ready ($(qconf -se "$(hostname)" | grep complex_values))"
            return 0
        fi
        qmod -c "$QUEUE" >/dev/null 2>&1 || true   # a queue left in error state by an earlier crash
        sleep 0.2
    done
    die "queue $QUEUE did not become ready within 30 s: see $EXECD_SPOOL/localhost/messages ($(qstat -f 2>&1 | tail -n 1))"
}

cmd_stop() {
    stop_daemon "$(execd_pidfile)" sge_execd
    stop_daemon "$QMASTER_PID" sge_qmaster
    echo "gridengine_cluster.sh: stopped"
}

cmd_status() {
    if report_daemons "sge_qmaster:$QMASTER_PID" "sge_execd:$(execd_pidfile)" && queue_ready; then
        qstat -f
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
