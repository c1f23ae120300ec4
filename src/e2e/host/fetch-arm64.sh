#!/usr/bin/env bash
# fetch-arm64.sh - download the arm64 Debian packages of the emulated Xen host into the cache.
#
# Usage: fetch-arm64.sh [--refresh]
#   --refresh   ask the mirror again even when the cache already holds the package set
#
# Packages (lib.sh): bookworm's Xen 4.17 hypervisor, tools, libraries and libxen-dev, busybox-static
# and the arm64 kernel; trixie's openjdk-25-jre-headless with the glibc it needs. Each with its
# whole dependency closure, no recommends.
#
# Cache (${XEN_SSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-sshm}/arm64/):
#   apt-SUITE/     private apt setup (apt.conf, sources.list, lists, downloaded archives)
#   debs-SUITE/    the resolved .debs (hard links), `manifest` (package, file name) and `stamp`
#                  (the package set that manifest answers)
# A warm run (same package set, every .deb present) touches neither apt nor the network.
# The host's apt configuration is never read nor changed: only its mirror URL is looked up.
# Prints one line per suite (what it did, how long) on stdout; exit 0 = the cache is complete.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

refresh=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --refresh) refresh=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

cache=$(arm64_cache)
mkdir -p "$cache"
# One fetch at a time per cache: two builds sharing it must not rewrite debs-SUITE under each other.
exec {lock}>"$cache/.lock"
flock "$lock"

# The host's Debian mirror, read from its sources (deb822 first, then the one-line format).
host_mirror() {
    local m=''
    m=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [[ -n $m ]] || m=$(awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    [[ -n $m ]] || { log "no Debian mirror found in /etc/apt"; exit 1; }
    echo "$m"
}

# private_apt SUITE: an apt that reads and writes only $cache/apt-SUITE. APT_CONFIG is read
# before anything else, so the host's apt.conf.d, sources, preferences and dpkg status stay
# out; arm64 is set as apt's own architecture, dpkg's list of architectures is not touched.
private_apt() {
    local dir=$cache/apt-$1
    mkdir -p "$dir"/etc/apt.conf.d "$dir"/etc/sources.list.d "$dir"/etc/preferences.d \
        "$dir"/etc/trusted.gpg.d "$dir"/state/lists/partial "$dir"/cache/archives/partial
    echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(host_mirror) $1 main" \
        >"$dir/etc/sources.list"
    : >"$dir/state/status"   # nothing installed: apt resolves the whole dependency closure
    cat >"$dir/apt.conf" <<CONF
Dir::Etc "$dir/etc/";
Dir::State "$dir/state/";
Dir::State::status "$dir/state/status";
Dir::Cache "$dir/cache/";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
APT::Install-Recommends "false";
Debug::NoLocking "true";
Acquire::Languages "none";
// The cache may live in a home only its owner can enter: download as the caller.
APT::Sandbox::User "$(id -un)";
CONF
    export APT_CONFIG=$dir/apt.conf
}

# fetch SUITE PACKAGE...: make $cache/debs-SUITE hold exactly the closure of PACKAGEs.
fetch() {
    local suite=$1; shift
    local out=$cache/debs-$suite t=$EPOCHREALTIME
    local want
    want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
    if [[ $refresh = 0 && -s $out/manifest && "$(cat "$out/stamp" 2>/dev/null)" == "$want" ]] \
        && awk '{ print $2 }' "$out/manifest" | (cd "$out" && xargs -r ls >/dev/null 2>&1); then
        echo "$suite: cached, $(wc -l <"$out/manifest") debs ($(du -shL "$out" | cut -f1)), no network ($(since "$t") s)"
        return
    fi
    private_apt "$suite"
    timeout 600 apt-get -q update >&2
    # The closure as apt resolves it now: "Inst NAME (VERSION ... [ARCH])"; apt names the
    # downloaded file NAME_VERSION_ARCH.deb with the epoch's colon written %3a.
    apt-get -s install "$@" | awk '/^Inst / {
            name = $2; ver = substr($3, 2)
            match($0, /\[[a-z0-9]+\]\)/); arch = substr($0, RSTART + 1, RLENGTH - 3)
            sub(/:/, "%3a", ver); print name, name "_" ver "_" arch ".deb" }' >"$out.manifest.new"
    [[ -s $out.manifest.new ]] || die "apt resolved nothing for $*"
    timeout 1800 apt-get -q -y --download-only install "$@" >&2
    local archives=$cache/apt-$suite/cache/archives
    rm -rf "$out"; mkdir -p "$out"
    local f
    while read -r _ f; do
        [[ -f $archives/$f ]] || die "apt did not leave $f in $archives"
        ln "$archives/$f" "$out/$f" 2>/dev/null || cp "$archives/$f" "$out/$f"
    done <"$out.manifest.new"
    mv "$out.manifest.new" "$out/manifest"
    echo "$want" >"$out/stamp"   # last: a cut-short fetch never looks complete
    # Older versions a refresh left behind in apt's own cache are of no further use.
    apt-get -q autoclean >/dev/null 2>&1 || true
    echo "$suite: fetched $(wc -l <"$out/manifest") debs ($(du -shL "$out" | cut -f1)) in $(since "$t") s"
}

t_all=$EPOCHREALTIME
# shellcheck disable=SC2086  # word lists
fetch bookworm $BOOKWORM_PACKAGES
# shellcheck disable=SC2086
fetch trixie $TRIXIE_PACKAGES
echo "fetch-arm64: cache $cache complete ($(since "$t_all") s)"
