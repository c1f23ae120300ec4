# shellcheck shell=bash disable=SC2034  # variables used by the scripts that source this
# lib.sh - shared by the dom0less e2e scripts (sourced, not run).
# Holds what two scripts must agree on: the QEMU machine (the tree dumped by host-tree.sh must
# describe the machine boot.sh starts), the cache location, and small helpers.

# QEMU virt with EL2 for Xen, GICv3, 2 CPUs, 2 GiB of RAM at 0x40000000.
# shellcheck disable=SC2054  # the commas belong to QEMU's option syntax
QEMU_MACHINE=(-machine virt,virtualization=on,gic-version=3 -cpu cortex-a57 -m 2048 -smp 2 -nic none)

# Cache shared by every checkout and work dir; safe to delete.
dom0less_cache() {
    echo "${XEN_SSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-sshm}/dom0less"
}

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 2; }

# Seconds since a $EPOCHREALTIME stamp, one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# need OPTION VALUE: refuse an option given without its value.
need() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
