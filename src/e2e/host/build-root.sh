#!/usr/bin/env bash
# build-root.sh - everything boot.sh needs: the dom0 initramfs, the dom0 kernel and Debian's
# (stock) Xen 4.17 hypervisor.
#
# Usage: build-root.sh --work DIR --jars DIR [--files DIR]
#   --work DIR    output and scratch (e.g. under the Maven module's target/)
#   --jars DIR    every *.jar in it goes to /sshm/lib/ (an empty dir is fine)
#   --files DIR   its contents go to /e2e/ (the test driver: run.sh, configs, classes)
#
# Output in DIR:
#   initramfs.cpio   dom0's root file system, uncompressed newc cpio (the kernel unpacks it at
#                    memcpy speed; gunzip under TCG would cost seconds)
#   Image            the dom0 kernel (Debian bookworm's arm64 linux-image)
#   xen-4.17-arm64   the stock hypervisor (Debian's xen-hypervisor-4.17-arm64)
#   guest/           guest.img and e2e-peek (../guest/build.sh)
#   base.cpio, base/ the part built from the cache alone, reused while the cache and these
#                    scripts are unchanged; initramfs.cpio = base.cpio + a small overlay cpio
#                    (the kernel unpacks concatenated archives in order)
#
# The root: one merged-/usr tree of bookworm's Xen 4.17 tools and libraries, busybox, the five
# Xen kernel modules, and trixie's glibc 2.41 with openjdk-25-jre-headless (bookworm's glibc is too
# old for Java 25; the Xen tools run on the newer one). /init is ../guest/init.sh, which runs
# /e2e/run.sh. Also: /e2e/guest.img, /e2e/domu.cfg, /usr/bin/e2e-peek, /usr/bin/java.
# Fetches first (fetch-arm64.sh: no network when the cache is warm). Fails if any library
# needed (recursively) by xl, xenstored, xen-init-dom0, xenconsoled, the libxen* the project
# loads, java or libjvm.so is missing from the tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work='' jars='' files=''
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --jars) need "$@"; jars=$2; shift 2 ;;
        --files) need "$@"; files=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work ]] || die "--work DIR is required"
[[ -n $jars ]] || die "--jars DIR is required (an empty directory is fine)"
[[ -d $jars ]] || die "--jars $jars is not a directory"
[[ -z $files || -d $files ]] || die "--files $files is not a directory"
mkdir -p "$work"; work=$(cd "$work" && pwd)
guest_dir=$(cd "$here/../guest" && pwd)
t_all=$EPOCHREALTIME

"$here/fetch-arm64.sh" >&2
t=$EPOCHREALTIME
"$guest_dir/build.sh" --work "$work" >&2
log "guest image and e2e-peek: $(since "$t") s"

cache=$(arm64_cache)
base=$work/base

# unpack SUITE PACKAGE...: into the base tree, without docs, man pages, locales, the JRE's
# legal notices and three of its four CDS archives (49 MB: only classes.jsa, the one the default
# flags use, stays; -XX:+UseCompactObjectHeaders or -XX:-UseCompressedOops would start without
# CDS, slower). Xen copies the whole initramfs at boot, so every MB costs boot time.
# --keep-directory-symlink: bookworm packages still ship /lib and /bin paths, which land in
# /usr through the tree's merged-/usr links.
unpack() {
    local suite=$1 p deb; shift
    for p in "$@"; do
        deb=$(deb_of "$suite" "$p")
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$base" --keep-directory-symlink \
            --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale \
            --exclude=./usr/share/lintian --exclude=./usr/share/bug --exclude=./usr/lib/debug \
            --exclude=./etc/init.d --exclude='./usr/lib/xen-4.17/lib/python*' \
            --exclude="./$JRE/legal" \
            --exclude='*/server/classes_nocoops.jsa' --exclude='*/server/classes_coh.jsa' \
            --exclude='*/server/classes_nocoops_coh.jsa'
    done
}

# in_root PATH: does PATH (relative to the tree) exist there? An absolute symlink points
# into the tree, not into the host.
in_root() {
    local rel=$1 n=0 target
    while [[ -L $base/$rel && $n -lt 20 ]]; do
        target=$(readlink "$base/$rel")
        if [[ $target == /* ]]; then rel=${target#/}; else rel=$(dirname "$rel")/$target; fi
        rel=$(realpath -m -s "/$rel"); rel=${rel#/}
        n=$((n + 1))
    done
    [[ -e $base/$rel ]]
}

# check_needed FILE...: every DT_NEEDED library of FILEs, and of those libraries, is in the
# tree, where the loader looks (the multiarch dir, /usr/lib, the JRE's own dirs via RUNPATH).
check_needed() {
    local -A seen=()
    local queue=("$@") f lib dir found missing=0
    while [[ ${#queue[@]} -gt 0 ]]; do
        f=${queue[0]}; queue=("${queue[@]:1}")
        [[ -z ${seen[$f]:-} ]] || continue
        seen[$f]=1
        in_root "$f" || { log "missing: /$f"; missing=1; continue; }
        for lib in $(readelf -d "$base/$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            found=''
            for dir in usr/lib/aarch64-linux-gnu usr/lib "$JRE/lib" "$JRE/lib/server"; do
                if in_root "$dir/$lib"; then found=$dir/$lib; break; fi
            done
            if [[ -n $found ]]; then queue+=("$found"); else log "missing: $lib (needed by /$f)"; missing=1; fi
        done
    done
    return $missing
}

# --- The base: what depends only on the cached debs and these scripts. ---
stamp=$(cat "$cache/debs-bookworm/manifest" "$cache/debs-trixie/manifest" "$here/lib.sh" \
    "$here/build-root.sh" | sha256sum | cut -c1-16)
if [[ -s $work/base.cpio && -s $work/Image && -s $work/xen-4.17-arm64 \
      && "$(cat "$work/base.stamp" 2>/dev/null)" == "$stamp" ]]; then
    log "base: reused ($work/base.cpio, $(du -h "$work/base.cpio" | cut -f1))"
else
    t=$EPOCHREALTIME
    rm -f "$work/base.stamp"
    rm -rf "$base"
    mkdir -p "$base"/usr/{bin,sbin,lib} "$base"/{proc,sys,dev,run,tmp,etc,var,root}
    ln -s usr/bin "$base/bin"; ln -s usr/sbin "$base/sbin"; ln -s usr/lib "$base/lib"
    ln -s /run "$base/var/run"

    # bookworm: the Xen tools and libraries and what they link (check_needed below proves the
    # list complete); its libc6 stays out: trixie's is unpacked instead.
    unpack bookworm xen-utils-4.17 xen-utils-common xenstore-utils libxenmisc4.17 libxenstore4 \
        libxenforeignmemory1 libxencall1 libxengnttab1 libxenevtchn1 libxendevicemodel1 \
        libxentoolcore1 libxentoollog1 libxenhypfs1 libyajl2 libncurses6 libtinfo6 libuuid1 \
        liblzma5 libzstd1 libbz2-1.0 libfdt1 busybox-static
    unpack trixie libc6 libgcc-s1 libstdc++6 zlib1g openjdk-25-jre-headless
    rm -rf "$base"/usr/lib/aarch64-linux-gnu/gconv   # iconv modules: nothing here converts charsets
    ln -s "/$JRE/bin/java" "$base/usr/bin/java"   # dpkg's alternatives never ran

    # The dom0 kernel and its Xen modules, straight out of the package.
    kpkg=$(awk '$1 ~ /^linux-image-[0-9].*-arm64$/ { print $1; exit }' "$cache/debs-bookworm/manifest")
    [[ -n $kpkg ]] || die "no linux-image-*-arm64 in the bookworm manifest"
    kdir=$work/kernel
    rm -rf "$kdir"; mkdir -p "$kdir"
    dpkg-deb --fsys-tarfile "$(deb_of bookworm "$kpkg")" \
        | tar -x -C "$kdir" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/xen/*'
    mkdir -p "$base/usr/lib/modules/xen"
    for m in $XEN_MODULES; do
        ko=$(find "$kdir/lib/modules" -name "$m.ko" | head -1)
        [[ -n $ko ]] || die "no $m.ko in $kpkg"
        cp "$ko" "$base/usr/lib/modules/xen/"
    done
    vmlinuz=$(compgen -G "$kdir/boot/vmlinuz-*" | head -1)
    # bookworm's arm64 vmlinuz is a plain Image; a gzip one would have to be unpacked.
    if gzip -t "$vmlinuz" 2>/dev/null; then gunzip -c "$vmlinuz" >"$work/Image"; else cp "$vmlinuz" "$work/Image"; fi
    rm -rf "$kdir"

    xdir=$work/xenpkg
    rm -rf "$xdir"; mkdir -p "$xdir"
    dpkg-deb -x "$(deb_of bookworm xen-hypervisor-4.17-arm64)" "$xdir"
    cp "$xdir/boot/xen-4.17-arm64" "$work/xen-4.17-arm64"
    rm -rf "$xdir"

    required=(usr/lib/xen-4.17/bin/{xl,xenstored,xen-init-dom0,xenconsoled} usr/bin/xenstore
        usr/lib/aarch64-linux-gnu/{libxenctrl.so.4.17,libxenstore.so.4,libxenforeignmemory.so.1,libxencall.so.1}
        usr/lib/ld-linux-aarch64.so.1 usr/bin/busybox "$JRE/bin/java" "$JRE/lib/server/libjvm.so"
        "$JRE/lib/server/classes.jsa" "$JRE/lib/modules")
    for lib in libjava libjli libjimage libnio libnet libzip libverify; do
        [[ -e $base/$JRE/lib/$lib.so ]] && required+=("$JRE/lib/$lib.so")
    done
    check_needed "${required[@]}" || die "the dom0 tree is incomplete (see above)"

    (cd "$base" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$work/base.cpio"
    echo "$stamp" >"$work/base.stamp"
    log "base: built in $(since "$t") s ($(find "$base" | wc -l) files, $(du -h "$work/base.cpio" | cut -f1))"
fi

# --- The overlay: the caller's files, the guest, e2e-peek and /init; small, built every time. ---
t=$EPOCHREALTIME
ov=$work/overlay
rm -rf "$ov"
mkdir -p "$ov/e2e" "$ov/sshm/lib" "$ov/usr/bin"
sed "s/@XEN_MODULES@/$XEN_MODULES/" "$guest_dir/init.sh" >"$ov/init"
chmod 755 "$ov/init"
cp "$work/guest/guest.img" "$guest_dir/domu.cfg" "$ov/e2e/"
install -m 755 "$work/guest/e2e-peek" "$ov/usr/bin/e2e-peek"
njars=0
for jar in "$jars"/*.jar; do
    [[ -e $jar ]] || continue
    cp "$jar" "$ov/sshm/lib/"; njars=$((njars + 1))
done
if [[ -n $files ]]; then
    cp -r "$files/." "$ov/e2e/"
fi
[[ -f $ov/e2e/run.sh ]] || log "warning: no run.sh in --files: dom0 will end with E2E-DONE rc=127"
# Fixed times, owners and inode numbers: an unchanged overlay gives the same bytes, and then
# the 200 MB initramfs is not written again (less disk writeback racing the next boot).
find "$ov" -exec touch -h -d @0 {} +
(cd "$ov" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 --reproducible) >"$work/overlay.cpio.new"
if [[ -s $work/initramfs.cpio && -s $work/overlay.cpio && "$(cat "$work/initramfs.stamp" 2>/dev/null)" == "$stamp" ]] \
    && cmp -s "$work/overlay.cpio.new" "$work/overlay.cpio"; then
    rm -f "$work/overlay.cpio.new"
    log "overlay: unchanged, initramfs.cpio kept"
else
    rm -f "$work/initramfs.stamp"
    mv "$work/overlay.cpio.new" "$work/overlay.cpio"
    cat "$work/base.cpio" "$work/overlay.cpio" >"$work/initramfs.cpio"
    echo "$stamp" >"$work/initramfs.stamp"
    log "overlay: $njars jar(s), $(find "$ov/e2e" -type f | wc -l) file(s) in /e2e ($(since "$t") s)"
fi

size() { du -h "$1" | cut -f1; }
echo "initramfs $(size "$work/initramfs.cpio") ($work/initramfs.cpio), Image $(size "$work/Image")," \
    "xen-4.17-arm64 $(size "$work/xen-4.17-arm64"); build-root $(since "$t_all") s"
