# shellcheck shell=bash disable=SC2034
# lib.sh - shared by the arm64 e2e host scripts (sourced, not run).
# Holds what the scripts must agree on: where the cache lives, the package sets, the layout of
# the work dir, and small helpers.

# Downloads, shared by every checkout and work dir; safe to delete (the next run fetches again).
arm64_cache() {
    echo "${XEN_SSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-sshm}/arm64"
}

# What dom0 runs, per Debian suite. apt adds the dependencies; only what is named here and the
# libraries these need end up in the initramfs (build-root.sh picks them by name).
# bookworm: Xen 4.17 (hypervisor, toolstack, libraries; libxenctrl is in libxenmisc4.17),
# busybox, the dom0 kernel; libxen-dev and libc6-dev are the sysroot for cross-compiling
# e2e-peek (the host's cross gcc comes without an arm64 libc to link against).
BOOKWORM_PACKAGES='xen-hypervisor-4.17-arm64 xen-utils-4.17 xenstore-utils libxen-dev libc6-dev
libxenmisc4.17 libxenstore4 libxenforeignmemory1 libxencall1 libxengnttab1 libxenevtchn1
libxendevicemodel1 libxentoolcore1 libxentoollog1 libxenhypfs1 busybox-static linux-image-arm64'
# trixie: Java 25, which needs glibc >= 2.38 (bookworm has 2.36); its glibc serves the Xen tools too.
TRIXIE_PACKAGES='openjdk-25-jre-headless'

JRE=usr/lib/jvm/java-25-openjdk-arm64     # inside the dom0 root
XEN_MODULES='xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xenfs'   # load order: xenfs needs privcmd

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 2; }

# Seconds since a $EPOCHREALTIME stamp, one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# need OPTION VALUE: refuse an option given without its value.
need() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

# The head comment of the calling script (from line 2 to `set -euo`), for --help.
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# deb_of SUITE PACKAGE: the cached .deb of PACKAGE, as resolved by the last fetch of SUITE.
deb_of() {
    local dir
    dir=$(arm64_cache)/debs-$1
    local f
    f=$(awk -v p="$2" '$1 == p { print $2; exit }' "$dir/manifest" 2>/dev/null || true)
    [[ -n $f && -f $dir/$f ]] || { log "no $2 in $dir (run fetch-arm64.sh)"; return 1; }
    echo "$dir/$f"
}
