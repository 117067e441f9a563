# Functions shared by the scripts that install Debian packages and run daemons for the tests (sourced, not run):
#
#   install_debian_packages PACKAGE...   install those not yet installed (root, apt-get), without letting their
#                                        maintainer scripts start services; a function preseed_debconf, if the
#                                        sourcing script defines one, runs first (debconf answers)
#   process_alive PIDFILE NAME           the pid file names a live process called NAME (not a zombie)
#   stop_daemon PIDFILE NAME             TERM, up to 10 s later KILL; the pid file is removed once it is gone
#   report_daemons NAME:PIDFILE...       print "NAME: running (pid N)" or "NAME: stopped" each; 0 only if all run
#
# The sourcing script defines die MESSAGE (print and exit 1).

process_alive() {
    local pidfile=$1 name=$2 pid stat
    [[ -r $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $stat == *"($name)"* ]] || return 1
    local state=${stat##*) }
    [[ ${state:0:1} != Z && ${state:0:1} != X ]]
}

stop_daemon() {
    local pidfile=$1 name=$2 pid
    process_alive "$pidfile" "$name" || { rm -f "$pidfile"; return 0; }
    pid=$(<"$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        process_alive "$pidfile" "$name" || { rm -f "$pidfile"; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

report_daemons() {
    local entry name pidfile all_running=0
    for entry in "$@"; do
        name=${entry%%:*} pidfile=${entry#*:}
        if process_alive "$pidfile" "$name"; then echo "$name: running (pid $(<"$pidfile"))"; else echo "$name: stopped"; all_running=1; fi
    done
    return $all_running
}

install_debian_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    ((EUID == 0)) || die "packages ${missing[*]} are missing and this is not root: run it as root (sudo $0 ...)"
    command -v apt-get >/dev/null \
        || die "packages ${missing[*]} are missing and apt-get is not available (not Debian): install them by hand"
    echo "$(basename "$0"): installing ${missing[*]}" >&2
    # Without an init system the maintainer scripts must not try to start services: policy-rc.d exit 101 forbids it.
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        own_policy=1
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    if declare -F preseed_debconf >/dev/null; then preseed_debconf; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed (no network to the Debian mirror?)"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
    if ((own_policy == 1)); then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
}
