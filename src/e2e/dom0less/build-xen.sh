#!/usr/bin/env bash
# build-xen.sh - the Xen hypervisor (arm64) for the dom0less tier, built from Debian's `xen`
# source package with static shared memory, a debug console and early printk.
#
# Usage: build-xen.sh --work DIR [--refresh] [--version DEBVER] [--dsc FILE] [--jobs N]
#   --work DIR        scratch space: the unpacked source tree and its build, removed once the
#                     binary is cached (the logs stay)
#   --refresh         ask the mirror again which source to build (otherwise the one resolved last
#                     time is reused, so a warm run needs no network at all)
#   --version DEBVER  use exactly this Debian source version (e.g. 4.20.4+63-g7abfd2bce2-0+deb13u1),
#                     this once; no fallback when the mirror refuses it
#   --dsc FILE        take the source package from this local .dsc (and the files beside it)
#                     instead of the mirror: for offline machines or a mirror without the source;
#                     it is copied into the cache and becomes the version plain runs use
#   --jobs N          make -jN (default: nproc)
# Prints three lines on stdout: the path of the hypervisor in the cache, the Debian source
# version it was built from, and which source was chosen and why (one line). Progress and
# timings go to stderr. Exit 0 = built or found in cache.
#
# Which source: the private apt lists trixie, trixie-security, bookworm and bookworm-security
# (deb-src only). Every xen version there from 4.17 on (static shared memory came with 4.17) is a
# candidate, newest first: trixie's 4.20.x, then bookworm's 4.17.x. The first whose files the
# mirror actually serves is built; some mirrors list trixie's xen but answer 404 for its files,
# and then bookworm's 4.17 is built and the line says so. Xen 4.17 knows static shared memory
# only with a host address (`<host guest size>`); the Xen-allocated form needs 4.19.
#
# Cache (${XEN_SSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-sshm}/dom0less/):
#   apt/                      private apt setup (apt.conf, sources.list, lists, partial downloads)
#   source-version            the Debian version resolved by the last lookup (or --dsc)
#   source-choice             the line saying which source that is and why
#   source/DEBVER/            what `apt-get source -d` fetched: .dsc, orig and debian tarballs
#   xen-DEBVER-CFGHASH/       xen (the binary), config (Xen's .config), build.log, info
# CFGHASH hashes the option list and the compiler, so changing either builds again.
#
# The host's apt configuration is never read nor changed: only its mirror URLs are looked up.
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

# Suites in order of preference; a -security suite is read from the host's security mirror.
SUITES='trixie trixie-security bookworm bookworm-security'
OLDEST=4.17                    # the first Xen with boot-time static shared memory
CROSS=aarch64-linux-gnu-
# Options added to defconfig. EXPERT unlocks the rest; DEBUG (and VERBOSE_DEBUG, which it
# implies) lets a domU write to Xen's console; early printk on QEMU virt's PL011 turns early
# device-tree failures into messages instead of silent hangs. The same list for 4.17 and 4.20.
OPTIONS='CONFIG_EXPERT=y
CONFIG_UNSUPPORTED=y
CONFIG_STATIC_MEMORY=y
CONFIG_STATIC_SHM=y
CONFIG_DEBUG=y
CONFIG_EARLY_UART_CHOICE_PL011=y
CONFIG_EARLY_PRINTK=y
CONFIG_EARLY_UART_BASE_ADDRESS=0x09000000'
# What must be set after olddefconfig (an option whose dependency is unmet is dropped silently).
# DOM0LESS_BOOT is an option from 4.18 on; 4.17 always has dom0less.
REQUIRED='EXPERT UNSUPPORTED STATIC_MEMORY STATIC_SHM DEBUG VERBOSE_DEBUG EARLY_PRINTK EARLY_UART_PL011'
REQUIRED_FROM_4_18='DOM0LESS_BOOT'

cache=$(dom0less_cache)
apt_dir=$cache/apt
mkdir -p "$cache"

# The host's Debian mirrors, read from its sources (deb822 first, then the one-line format):
# host_mirror plain|security.
host_mirror() {
    local want=$1 m='' files=()
    files=(/etc/apt/sources.list.d/*.sources)
    if [[ -e ${files[0]} ]]; then
        m=$(awk -v want="$want" '/^URIs:/ && $2 ~ /^[a-z]+:\/\// && (($2 ~ /security/) == (want == "security")) { print $2; exit }' \
            "${files[@]}" 2>/dev/null || true)
    fi
    [[ -n $m ]] || m=$(awk -v want="$want" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {
            if (($i ~ /security/) == (want == "security")) { print $i; exit } break } }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    echo "$m"
}

# A private apt: APT_CONFIG is read before anything else and moves Dir::Etc (hence apt.conf.d,
# sources.list, preferences, trusted keys), state and cache into $apt_dir, so nothing of the
# host's apt setup is used. Rewritten on every call: cheap, and follows a changed mirror.
private_apt() {
    local plain security suite key=/usr/share/keyrings/debian-archive-keyring.gpg
    plain=$(host_mirror plain) security=$(host_mirror security)
    [[ -n $plain ]] || { log "no Debian mirror found in /etc/apt"; exit 1; }
    mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/sources.list.d "$apt_dir"/etc/preferences.d \
        "$apt_dir"/etc/trusted.gpg.d "$apt_dir"/state/lists/partial "$apt_dir"/cache/archives/partial
    for suite in $SUITES; do
        if [[ $suite == *-security ]]; then
            [[ -n $security ]] && echo "deb-src [signed-by=$key] $security $suite main"
        else
            echo "deb-src [signed-by=$key] $plain $suite main"
        fi
    done >"$apt_dir/etc/sources.list.new"
    mv "$apt_dir/etc/sources.list.new" "$apt_dir/etc/sources.list"
    : >"$apt_dir/state/status"
    cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc "$apt_dir/etc/";
Dir::State "$apt_dir/state/";
Dir::State::status "$apt_dir/state/status";
Dir::Cache "$apt_dir/cache/";
Debug::NoLocking "true";
Acquire::Languages "none";
// Keep the Sources indexes compressed (about 20 MB each, not 55) and build no binary caches.
Acquire::GzipIndexes "true";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Get::Only-Source "true";
// The cache may live in a home only its owner can enter: download as the caller.
APT::Sandbox::User "$(id -un)";
CONF
    export APT_CONFIG=$apt_dir/apt.conf
}

# Lists are fetched again when asked to, or when they were fetched for other sources; then
# whatever an older setup left (lists of other suites, uncompressed lists, binary caches) goes.
apt_update() {
    local t=$EPOCHREALTIME
    if ! lists_current; then
        rm -rf "$apt_dir"/state/lists "$apt_dir"/cache/*.bin
        mkdir -p "$apt_dir"/state/lists/partial
    fi
    timeout 600 apt-get -q update >&2
    cp "$apt_dir/etc/sources.list" "$apt_dir/lists-for"
    log "apt-get update (${SUITES// /, }; deb-src): $(since "$t") s"
}
joined() { local IFS=';' all; all="$*"; echo "${all//;/; }"; }
lists_current() { cmp -s "$apt_dir/etc/sources.list" "$apt_dir/lists-for"; }

# "VERSION SUITE" for every xen source from $OLDEST on in the private lists, newest first.
candidates() {
    apt-cache madison xen | awk -F' [|] ' '$3 ~ /Sources/ { split($3, where, " "); sub(/\/.*/, "", where[2]); print $2, where[2] }' \
        | while read -r v suite; do
            dpkg --compare-versions "$v" ge "$OLDEST" && echo "$v $suite"
        done | sort -u -k1,1V -r | sort -s -t' ' -k1,1Vr
}

# fetch_source VERSION SUITE: the source into the cache; on failure prints why, in one line.
fetch_source() {
    local v=$1 suite=$2 dir=$cache/source/$1 t=$EPOCHREALTIME out
    compgen -G "$dir/*.dsc" >/dev/null && return 0
    rm -rf "$dir.part"; mkdir -p "$dir.part"
    if ! out=$(cd "$dir.part" && timeout 1200 apt-get -q --download-only source "xen=$v" 2>&1); then
        rm -rf "$dir.part"
        printf '%s\n' "$out" >"$work/apt-get-source-$v.log"
        # apt's reason, e.g. "404  Not Found", else its last error line.
        sed -nE 's/^E: Failed to fetch [^ ]+ +([0-9]{3} .*)$/\1/p' <<<"$out" | sed -E 's/ *\[IP: [^]]*\]//; s/  +/ /g' | head -1 \
            | grep . || { grep '^E: ' <<<"$out" | tail -1 | cut -c4-; } || echo "apt-get source failed"
        return 1
    fi
    echo "apt-get source xen=$v, listed by: $(grep -m1 " $suite main\$" "$apt_dir/etc/sources.list")" >"$dir.part/ORIGIN"
    rm -rf "$dir"; mv "$dir.part" "$dir"
    log "apt-get source -d xen=$v: $(since "$t") s, $(du -sh "$dir" | cut -f1)"
}

# Where a version's build is cached: keyed by the options and the compiler too.
gcc_id=$("${CROSS}gcc" --version | head -1)
cfg_hash=$(printf '%s\n%s\n' "$OPTIONS" "$gcc_id" | sha256sum | cut -c1-10)
build_dir() { echo "$cache/xen-$1-$cfg_hash"; }

t_all=$EPOCHREALTIME
version='' choice=''
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
    choice="xen $version from the local copy $local_dsc (--dsc)"
elif [[ -z $want_version && $refresh = 0 && -s $cache/source-version ]] \
        && { [[ -s $(build_dir "$(<"$cache/source-version")")/xen ]] \
             || compgen -G "$cache/source/$(<"$cache/source-version")/*.dsc" >/dev/null; }; then
    # Warm: the source resolved and fetched last time; no mirror is asked.
    version=$(<"$cache/source-version")
    choice=$(cat "$cache/source-choice" 2>/dev/null || echo "xen $version (resolved earlier)")
else
    private_apt
    if [[ $refresh = 1 ]] || ! lists_current; then apt_update; fi
    listed=$(candidates)
    if [[ -n $want_version ]]; then
        grep -q "^$want_version " <<<"$listed" || { log "xen $want_version is not in the lists of $SUITES"; exit 1; }
        listed=$(grep "^$want_version " <<<"$listed")
    fi
    [[ -n $listed ]] || { log "no xen source from $OLDEST on in $SUITES"; exit 1; }
    refused=()
    while read -r v suite; do
        if why=$(fetch_source "$v" "$suite"); then
            version=$v
            choice="xen $v from $suite"
            break
        fi
        refused+=("$suite's $v ($why)")
        log "refused by the mirror: $suite's xen $v ($why)"
    done <<<"$listed"
    if [[ -z $version ]]; then
        log "no xen source could be fetched: $(joined "${refused[@]}")"
        log "a local copy can be given with --dsc FILE"
        exit 1
    fi
    if [[ -n $want_version ]]; then
        choice+=", as asked (--version)"
    elif [[ ${#refused[@]} -gt 0 ]]; then
        choice+=", since the mirror refused $(joined "${refused[@]}")"
    else
        choice+=", the newest listed"
    fi
fi
if [[ -z $want_version ]]; then         # what plain runs go on using, with no mirror lookup
    echo "$version" >"$cache/source-version"
    echo "$choice" >"$cache/source-choice"
fi
log "source: $choice"
src_dir=$cache/source/$version

out=$(build_dir "$version")
if [[ -s $out/xen ]]; then
    log "cached: $out/xen (no download, no build; $(since "$t_all") s)"
    printf '%s\n%s\n%s\n' "$out/xen" "$version" "$choice"
    exit 0
fi
compgen -G "$src_dir/*.dsc" >/dev/null || { log "the source of xen $version is not in $src_dir"; exit 1; }

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
required=$REQUIRED
dpkg --compare-versions "$version" ge 4.18 && required+=" $REQUIRED_FROM_4_18"
missing=()
for opt in $required; do
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
    echo "chosen: $choice"
    echo "fetched by: $(cat "$src_dir/ORIGIN" 2>/dev/null || echo '?')"
    echo "xen: $(make -s -C "$tree/xen" xenversion 2>/dev/null || echo '?')"
    echo "compiler: $gcc_id"
    echo "sha256: $(sha256sum "$out.part/xen" | cut -d' ' -f1)"
    echo "options:"; sed 's/^/  /' <<<"$OPTIONS"
} >"$out.part/info"
rm -rf "$out"; mv "$out.part" "$out"
# The built tree (about 100 MB) is of no use once the binary is cached; the logs stay in $work.
rm -rf "$tree" "$work"/xen_*.orig.tar.*
log "built $out/xen in $(since "$t_all") s"
printf '%s\n%s\n%s\n' "$out/xen" "$version" "$choice"
