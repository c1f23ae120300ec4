#!/usr/bin/env bash
# build-xen.sh - the Xen hypervisor (arm64) for the dom0less tier, built from Debian trixie's
# `xen` source package (4.20.x) with static shared memory, a debug console and early printk.
#
# Usage: build-xen.sh --work DIR [--refresh] [--version DEBVER] [--dsc FILE] [--jobs N]
#   --work DIR        scratch space: the unpacked source tree and its build (removable afterwards)
#   --refresh         ask the mirror again for the newest 4.20.x (otherwise the version resolved
#                     last time is reused, so a warm run needs no network at all)
#   --version DEBVER  use this Debian source version (e.g. 4.20.4+63-g7abfd2bce2-0+deb13u1) instead
#   --dsc FILE        take the source package from this local .dsc (and the files beside it)
#                     instead of the mirror: for offline machines or a mirror without the source;
#                     it is copied into the cache and becomes the version plain runs use
#   --jobs N          make -jN (default: nproc)
# Prints two lines on stdout: the path of the hypervisor in the cache, then the Debian source
# version it was built from. Progress and timings go to stderr. Exit 0 = built or found in cache.
#
# Cache (${XEN_SSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-sshm}/dom0less/):
#   apt/                      private apt setup (apt.conf, sources.list, lists, partial downloads)
#   source-version            the Debian version resolved by the last lookup (or --dsc)
#   source/DEBVER/            what `apt-get source -d` fetched: .dsc, orig and debian tarballs
#   xen-DEBVER-CFGHASH/       xen (the binary), config (Xen's .config), build.log, info
# CFGHASH hashes the option list and the compiler, so changing either builds again.
#
# The host's apt configuration is never read nor changed: only its mirror URL is looked up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work='' refresh=0 want_version='' local_dsc='' jobs=$(nproc)
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --refresh) refresh=1; shift ;;
        --version) need "$@"; want_version=$2; shift 2 ;;
        --dsc) need "$@"; local_dsc=$(realpath "$2"); shift 2 ;;
        --jobs) need "$@"; jobs=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work ]] || die "--work DIR is required"
mkdir -p "$work"; work=$(cd "$work" && pwd)

SUITE=trixie
SERIES='4.20.'                 # the upstream series the tier is written for
CROSS=aarch64-linux-gnu-
# Options added to defconfig. EXPERT unlocks the rest; DEBUG (and VERBOSE_DEBUG, which it
# implies) lets a domU write to Xen's console; early printk on QEMU virt's PL011 turns early
# device-tree failures into messages instead of silent hangs.
OPTIONS='CONFIG_EXPERT=y
CONFIG_UNSUPPORTED=y
CONFIG_STATIC_MEMORY=y
CONFIG_STATIC_SHM=y
CONFIG_DEBUG=y
CONFIG_EARLY_UART_CHOICE_PL011=y
CONFIG_EARLY_PRINTK=y
CONFIG_EARLY_UART_BASE_ADDRESS=0x09000000'
# What must be set after olddefconfig (an option whose dependency is unmet is dropped silently).
REQUIRED='EXPERT UNSUPPORTED STATIC_MEMORY STATIC_SHM DEBUG VERBOSE_DEBUG DOM0LESS_BOOT
EARLY_PRINTK EARLY_UART_PL011'

cache=$(dom0less_cache)
apt_dir=$cache/apt
mkdir -p "$cache"

# The host's Debian mirror, read from its sources (deb822 first, then the one-line format).
host_mirror() {
    local m=''
    m=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [[ -n $m ]] || m=$(awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    [[ -n $m ]] || { log "no Debian mirror found in /etc/apt"; exit 1; }
    echo "$m"
}

# A private apt: APT_CONFIG is read before anything else and moves Dir::Etc (hence apt.conf.d,
# sources.list, preferences, trusted keys), state and cache into $apt_dir, so nothing of the
# host's apt setup is used. Rewritten on every call: cheap, and follows a changed mirror.
private_apt() {
    mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/sources.list.d "$apt_dir"/etc/preferences.d \
        "$apt_dir"/etc/trusted.gpg.d "$apt_dir"/state/lists/partial "$apt_dir"/cache/archives/partial
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(host_mirror) $SUITE main" \
        >"$apt_dir/etc/sources.list"
    : >"$apt_dir/state/status"
    cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc "$apt_dir/etc/";
Dir::State "$apt_dir/state/";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache/";
Debug::NoLocking "true";
Acquire::Languages "none";
// Keep the Sources index compressed (about 20 MB, not 55) and build no binary caches from it.
Acquire::GzipIndexes "true";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Get::Only-Source "true";
// The cache may live in a home only its owner can enter: download as the caller.
APT::Sandbox::User "$(id -un)";
CONF
    export APT_CONFIG=$apt_dir/apt.conf
}

apt_update() {
    local t=$EPOCHREALTIME
    private_apt
    timeout 600 apt-get -q update >&2
    log "apt-get update ($SUITE deb-src): $(since "$t") s"
}

# Newest $SERIES version of the source package in the private lists.
newest_version() {
    apt-cache showsrc xen | awk '/^Version:/ { print $2 }' | grep -F "$SERIES" | sort -V | tail -1 || true
}

t_all=$EPOCHREALTIME
version=$want_version
if [[ -n $local_dsc ]]; then
    [[ -f $local_dsc ]] || die "no such file: $local_dsc"
    version=$(awk '/^Version:/ { print $2; exit }' "$local_dsc")
    [[ -n $version ]] || die "$local_dsc has no Version field"
    if ! compgen -G "$cache/source/$version/*.dsc" >/dev/null; then
        # The .dsc and every file it lists (they must sit beside it, as dpkg-source expects).
        rm -rf "$cache/source/$version.part"; mkdir -p "$cache/source/$version.part"
        cp "$local_dsc" "$cache/source/$version.part/"
        echo "local copy: $local_dsc" >"$cache/source/$version.part/ORIGIN"
        awk '/^Files:/ { on = 1; next } /^[^ ]/ { on = 0 } on { print $3 }' "$local_dsc" | while read -r f; do
            cp "$(dirname "$local_dsc")/$f" "$cache/source/$version.part/"
        done
        mv "$cache/source/$version.part" "$cache/source/$version"
        log "source xen $version: copied from $local_dsc"
    fi
    echo "$version" >"$cache/source-version"     # plain runs go on using it (no mirror lookup)
fi
if [[ -z $version && $refresh = 0 && -s $cache/source-version ]]; then
    version=$(<"$cache/source-version")
fi
if [[ -z $version ]]; then
    apt_update
    version=$(newest_version)
    [[ -n $version ]] || { log "no xen $SERIES* source in $SUITE"; exit 1; }
    echo "$version" >"$cache/source-version"
fi
[[ $version == "$SERIES"* ]] || log "warning: $version is not a $SERIES* version"

gcc_id=$("${CROSS}gcc" --version | head -1)
cfg_hash=$(printf '%s\n%s\n' "$OPTIONS" "$gcc_id" | sha256sum | cut -c1-10)
out=$cache/xen-$version-$cfg_hash
if [[ -s $out/xen ]]; then
    log "cached: $out/xen (no download, no build; $(since "$t_all") s)"
    printf '%s\n%s\n' "$out/xen" "$version"
    exit 0
fi

# Source: fetched once per version; apt checks it against the signed Sources index.
src_dir=$cache/source/$version
if ! compgen -G "$src_dir/*.dsc" >/dev/null; then
    t=$EPOCHREALTIME
    private_apt
    [[ -n $(find "$apt_dir/state/lists" -maxdepth 1 -name '*Sources*' -print -quit) ]] || apt_update
    mkdir -p "$src_dir.part"
    if ! (cd "$src_dir.part" && timeout 1200 apt-get -q --download-only source "xen=$version" >&2); then
        log "apt-get source xen=$version failed (a mirror or proxy that does not serve this source"
        log "package?); a local copy can be given with --dsc FILE"
        rm -rf "$src_dir.part"
        exit 1
    fi
    echo "apt-get source: $(cat "$apt_dir/etc/sources.list")" >"$src_dir.part/ORIGIN"
    rm -rf "$src_dir"; mv "$src_dir.part" "$src_dir"
    log "apt-get source -d xen=$version: $(since "$t") s, $(du -sh "$src_dir" | cut -f1)"
else
    log "source xen $version: in cache"
fi

# Unpack with Debian's patches applied; build only the hypervisor.
t=$EPOCHREALTIME
tree=$work/xen-$version
rm -rf "$tree"
dsc=$(compgen -G "$src_dir/*.dsc" | head -1)
dpkg-source -x "$dsc" "$tree" >"$work/dpkg-source.log" 2>&1 \
    || { cat "$work/dpkg-source.log" >&2; exit 1; }
log "dpkg-source -x (Debian patches applied): $(since "$t") s"

t=$EPOCHREALTIME
# DEB_VERSION and DEB_MAINTAINER are what debian/rules hands Debian's banner patch, so the boot
# log names the exact package version.
maintainer=$(awk -F': *' '/^Maintainer:/ { print $2; exit }' "$tree/debian/control")
mk=(make -C "$tree/xen" XEN_TARGET_ARCH=arm64 CROSS_COMPILE="$CROSS"
    DEB_VERSION="$version" DEB_MAINTAINER="$maintainer")
"${mk[@]}" defconfig >"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; exit 1; }
printf '%s\n' "$OPTIONS" >>"$tree/xen/.config"
"${mk[@]}" olddefconfig >>"$work/config.log" 2>&1 || { cat "$work/config.log" >&2; exit 1; }
missing=()
for opt in $REQUIRED; do
    grep -qx "CONFIG_$opt=y" "$tree/xen/.config" || missing+=("CONFIG_$opt")
done
grep -qx 'CONFIG_EARLY_UART_BASE_ADDRESS=0x09000000' "$tree/xen/.config" || missing+=(CONFIG_EARLY_UART_BASE_ADDRESS)
[[ ${#missing[@]} = 0 ]] || { log "options that did not take: ${missing[*]}"; exit 1; }
log "configured (options verified): $(since "$t") s"

t=$EPOCHREALTIME
if ! "${mk[@]}" -j"$jobs" >"$work/build.log" 2>&1; then
    tail -40 "$work/build.log" >&2
    log "make failed; full log: $work/build.log"
    exit 1
fi
log "make -j$jobs: $(since "$t") s"

# Publish atomically: a half-written entry must never look like a cached build.
rm -rf "$out.part"; mkdir -p "$out.part"
cp "$tree/xen/xen" "$out.part/xen"
cp "$tree/xen/.config" "$out.part/config"
cp "$work/build.log" "$out.part/build.log"
{
    echo "debian-source: xen $version"
    echo "fetched by: $(cat "$src_dir/ORIGIN" 2>/dev/null || echo '?')"
    echo "xen: $(make -s -C "$tree/xen" xenversion 2>/dev/null || echo '?')"
    echo "compiler: $gcc_id"
    echo "sha256: $(sha256sum "$out.part/xen" | cut -d' ' -f1)"
    echo "options:"; sed 's/^/  /' <<<"$OPTIONS"
} >"$out.part/info"
rm -rf "$out"; mv "$out.part" "$out"
log "built $out/xen in $(since "$t_all") s"
printf '%s\n%s\n' "$out/xen" "$version"
