#!/usr/bin/env bash
# build.sh - cross-build what runs inside the emulated machine: the domU image (guest.S) and
# dom0's e2e-peek (peek.c, static against the arm64 libxen-dev of the cache).
#
# Usage: build.sh --work DIR
# Output: DIR/guest/guest.img (raw arm64 Image, exactly 64 KiB) and DIR/guest/e2e-peek.
# Needs gcc-aarch64-linux-gnu and the cached debs (../host/fetch-arm64.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../host/lib.sh
. "$here/../host/lib.sh"

work=''
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work ]] || die "--work DIR is required"
out=$work/guest
mkdir -p "$out"
cross=aarch64-linux-gnu-
command -v "${cross}gcc" >/dev/null || die "no ${cross}gcc (apt-get install gcc-aarch64-linux-gnu)"

# The domU: the image is the .text of guest.S linked at 0, as raw bytes.
"${cross}as" -o "$out/guest.o" "$here/guest.S"
"${cross}ld" -Ttext=0 -o "$out/guest.elf" "$out/guest.o"
"${cross}objcopy" -O binary "$out/guest.elf" "$out/guest.img"
size=$(stat -c %s "$out/guest.img")
[[ $size = 65536 ]] || die "guest.img is $size bytes, not 64 KiB (the Image header says 64 KiB)"

# e2e-peek: static, so dom0 needs none of the libxen* it links. It is built against a sysroot
# of the cached arm64 libc6-dev, linux-libc-dev and libxen-dev (the host's cross gcc brings no
# arm64 libc); the sysroot sits next to the output and is rebuilt when the cache changes.
sysroot=$out/sysroot
stamp=$(for p in libc6-dev linux-libc-dev libxen-dev; do deb_of bookworm $p; done)
if [[ "$(cat "$sysroot.stamp" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$sysroot" "$sysroot.stamp"; mkdir -p "$sysroot"
    for deb in $stamp; do dpkg-deb -x "$deb" "$sysroot"; done
    echo "$stamp" >"$sysroot.stamp"
fi
lib=$sysroot/usr/lib/aarch64-linux-gnu
"${cross}gcc" --sysroot="$sysroot" -O2 -Wall -Wextra -static -o "$out/e2e-peek" "$here/peek.c" \
    "$lib/libxenctrl.a" "$lib/libxenforeignmemory.a" "$lib/libxencall.a" "$lib/libxendevicemodel.a" \
    "$lib/libxentoollog.a" "$lib/libxentoolcore.a" -lpthread
"${cross}strip" "$out/e2e-peek"
echo "guest.img $size bytes, e2e-peek $(stat -c %s "$out/e2e-peek") bytes in $out"
