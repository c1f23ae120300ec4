#!/usr/bin/env bash
# boot.sh - boot Xen and the e2e dom0 (build-root.sh) under qemu-system-aarch64 (TCG), let
# dom0 run /e2e/run.sh, and stop.
#
# Usage: boot.sh --work DIR --log FILE --timeout SECONDS [--xen IMAGE] [--append-dom0 'ARGS']
#                [--append-xen 'ARGS'] [--cpus N] [--echo]
#   --work DIR           build-root.sh's output (Image, initramfs.cpio, xen-4.17-arm64)
#   --log FILE           the whole console, every line prefixed with [host seconds since start];
#                        always written, also when the run fails or times out
#   --timeout SECONDS    hard limit for QEMU (then SIGTERM, SIGKILL 10 s later)
#   --xen IMAGE          hypervisor to boot (default: DIR/xen-4.17-arm64, Debian's stock build)
#   --append-dom0 'ARGS' more dom0 kernel arguments; NAME=value words reach /init's (and so
#                        run.sh's) environment, all of them /proc/cmdline
#   --append-xen 'ARGS'  more Xen arguments (after dom0_mem=1024M,max:1024M console=dtuart)
#   --cpus N             emulated CPUs (default 2); one when several hosts share the machine:
#                        three two-CPU hosts on two cores took 4 min for what three one-CPU
#                        hosts do in 2.5 (TCG's vCPU threads of one guest, descheduled by the
#                        host, leave the other spinning)
#   --echo               also copy the stamped console lines to stderr as they come
#
# The machine: QEMU virt with EL2 and GICv3, N (2) cortex-a57, 3 GiB. Xen is QEMU's -kernel (its
# DTB goes to 0x48000000); two guest-loader devices put the dom0 kernel at 0x49000000 (the
# 32 MiB Image ends below the initramfs) and the initramfs at 0x50000000. -no-reboot: a Xen
# panic or reboot ends QEMU instead of booting again. -nic none: no network is needed, and the
# default NIC wants a ROM file (efi-virtio.rom, package ipxe-qemu) that may not be installed.
# QEMU is stopped as soon as dom0 printed E2E-DONE (after a 3 s grace for its own power-off),
# on a Xen or dom0 kernel panic, or at the timeout; it always runs under `timeout -k 10`,
# and a signal to this script stops it as well.
# Exit status: 0 E2E-DONE rc=0; 1 E2E-DONE with another rc; 3 no E2E-DONE (timeout, panic,
# QEMU failed); 2 bad usage. A summary (times to dom0 ready and in total) goes to stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work='' log_file='' limit='' xen='' append_dom0='' append_xen='' echo_console=0 cpus=2
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --log) need "$@"; log_file=$2; shift 2 ;;
        --timeout) need "$@"; limit=$2; shift 2 ;;
        --xen) need "$@"; xen=$2; shift 2 ;;
        --append-dom0) need "$@"; append_dom0=$2; shift 2 ;;
        --append-xen) need "$@"; append_xen=$2; shift 2 ;;
        --cpus) need "$@"; cpus=$2; shift 2 ;;
        --echo) echo_console=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work ]] || die "--work DIR is required"
[[ -n $log_file ]] || die "--log FILE is required"
[[ $limit =~ ^[0-9]+$ && $limit -gt 0 ]] || die "--timeout SECONDS is required (a positive integer)"
[[ $cpus =~ ^[1-8]$ ]] || die "--cpus N: 1 to 8"
xen=${xen:-$work/xen-4.17-arm64}
for f in "$xen" "$work/Image" "$work/initramfs.cpio"; do
    [[ -s $f ]] || die "missing $f (run build-root.sh first)"
done
command -v qemu-system-aarch64 >/dev/null || die "no qemu-system-aarch64 (apt-get install qemu-system-arm)"
mkdir -p "$(dirname "$log_file")"
: >"$log_file"

# A comma inside a -device property value must be written twice.
dom0_args="console=hvc0 earlycon=xenboot rdinit=/init${append_dom0:+ $append_dom0}"
# shellcheck disable=SC2054  # the commas are QEMU's
qemu=(qemu-system-aarch64
    -machine virt,virtualization=on,gic-version=3 -cpu cortex-a57 -m 3072 -smp "$cpus"
    -nographic -no-reboot -nic none
    -kernel "$xen" -append "dom0_mem=1024M,max:1024M console=dtuart${append_xen:+ $append_xen}"
    -device "guest-loader,addr=0x49000000,kernel=$work/Image,bootargs=${dom0_args//,/,,}"
    -device "guest-loader,addr=0x50000000,initrd=$work/initramfs.cpio")

state=$(mktemp -d "${TMPDIR:-/tmp}/e2e-boot.XXXXXX")
t0=$EPOCHREALTIME
exec {console}< <(
    timeout -k 10 "$limit" "${qemu[@]}" </dev/null 2>&1 &
    echo $! >"$state/pid"
    rc=0; wait $! || rc=$?
    echo "$rc" 2>/dev/null >"$state/rc" || true
)
reader=$!

stopped=''
stop_qemu() {   # stop_qemu WHY: SIGTERM through timeout, which sends SIGKILL 10 s later if need be
    [[ -z $stopped ]] || return 0
    stopped=$1
    local pid
    pid=$(cat "$state/pid" 2>/dev/null || true)
    [[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true
}
# On a signal, return only once QEMU is gone (timeout's SIGKILL comes 10 s after the SIGTERM).
trap 'stop_qemu signal; wait "$reader" 2>/dev/null; exit 3' INT TERM HUP
trap '[[ -s $state/rc ]] || stop_qemu exit; rm -rf "$state"' EXIT

now() { local d=$(( ${EPOCHREALTIME/./} - ${t0/./} )); printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000)); }
t_xen='' t_linux='' t_ready='' ready_uptime='' t_done='' done_rc='' t_panic='' panic=''

on_line() {
    local line=${1%$'\r'} at
    at=$(now)
    printf '[%7s] %s\n' "$at" "$line" >>"$log_file"
    [[ $echo_console = 0 ]] || printf '[%7s] %s\n' "$at" "$line" >&2
    case $line in
        *'Xen version'*) [[ -n $t_xen ]] || t_xen=$at ;;
        *'Booting Linux'*) [[ -n $t_linux ]] || t_linux=$at ;;
        *E2E-DOM0-READY*) [[ -n $t_ready ]] || { t_ready=$at; ready_uptime=${line##*E2E-DOM0-READY }; } ;;
        *'Panic on CPU'*|*'Kernel panic - not syncing'*)
            [[ -n $t_panic ]] || { t_panic=$at; panic=$line; } ;;
    esac
    if [[ -z $t_done && $line =~ E2E-DONE\ rc=([0-9]+) ]]; then
        t_done=$at; done_rc=${BASH_REMATCH[1]}
    fi
}

# Read the console line by line; the 1 s read timeout lets the grace periods run out while
# QEMU is silent (bash keeps a partial line in `line` on timeout).
partial=''
while :; do
    line=''
    if IFS= read -r -t 1 -u "$console" line; then
        on_line "$partial$line"; partial=''
    else
        st=$?
        if [[ $st -gt 128 ]]; then
            partial+=$line
        else
            [[ -z $partial$line ]] || on_line "$partial$line"
            break
        fi
    fi
    # dom0 powers the machine off itself after E2E-DONE; after a panic give Xen time to print
    # the rest of its report.
    if [[ -n $t_done ]] && awk -v a="$t_done" -v b="$(now)" 'BEGIN { exit !(b - a > 3) }'; then
        stop_qemu "after E2E-DONE"
    elif [[ -n $t_panic ]] && awk -v a="$t_panic" -v b="$(now)" 'BEGIN { exit !(b - a > 3) }'; then
        stop_qemu "after a panic"
    fi
done
wait "$reader" 2>/dev/null || true
exec {console}<&-
qemu_rc=$(cat "$state/rc" 2>/dev/null || echo '?')
t_end=$(now)

# The summary.
how="exited by itself (status $qemu_rc)"
[[ -z $stopped ]] || how="stopped ($stopped, status $qemu_rc)"
[[ $qemu_rc != 124 || -n $stopped ]] || how="killed at the ${limit} s timeout"
echo "boot: xen $xen; log $log_file"
at() { if [[ -n $1 ]]; then echo "$1 s"; else echo never; fi; }
echo "boot: Xen $(at "$t_xen"), dom0 kernel $(at "$t_linux")," \
    "dom0 ready $(at "$t_ready")${ready_uptime:+ (dom0 uptime $ready_uptime s)}," \
    "E2E-DONE $(at "$t_done"), QEMU $how at $t_end s"
[[ -z $panic ]] || echo "boot: panic: $panic"
if [[ -n $done_rc ]]; then
    echo "boot: run.sh rc=$done_rc"
    [[ $done_rc = 0 ]] && exit 0
    exit 1
fi
echo "boot: no E2E-DONE: dom0 did not finish (see the log)"
exit 3
