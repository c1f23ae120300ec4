#!/usr/bin/env bash
# build-guest.sh - assemble guest.S into one raw arm64 Image for one dom0less domain.
#
# Usage: build-guest.sh --role owner|borrower --name NAME --id ID --window ADDR --out FILE
#                       [--tries N]
#   --role     what the guest does with the region (see guest.S)
#   --name     the domain's name: the first word of each line it prints (judge.sh looks for it)
#   --id       the region's id, part of the pattern the owner writes and borrowers expect
#   --window   guest address of the region in this domain (its xl `begin`)
#   --tries    borrower only: reads, 0.25 s apart, before NO MATCH (default 120)
# Prints FILE. The image is 64 KiB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
CROSS=aarch64-linux-gnu-

role='' name='' id='' window='' out='' tries=120
while [[ $# -gt 0 ]]; do
    case $1 in
        --role) need "$@"; role=$2; shift 2 ;;
        --name) need "$@"; name=$2; shift 2 ;;
        --id) need "$@"; id=$2; shift 2 ;;
        --window) need "$@"; window=$2; shift 2 ;;
        --out) need "$@"; out=$2; shift 2 ;;
        --tries) need "$@"; tries=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ $role == owner || $role == borrower ]] || die "--role owner|borrower is required"
[[ -n $name && -n $id && -n $window && -n $out ]] || die "--name, --id, --window and --out are required"
# They become C string literals and an immediate: keep them to characters that need no quoting.
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad --name: $name"
[[ $id =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad --id: $id"
[[ $window =~ ^0x[0-9a-fA-F]+$ ]] || die "--window must be a hex address: $window"
[[ $tries =~ ^[1-9][0-9]*$ ]] || die "bad --tries: $tries"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${CROSS}gcc" -c -D"${role^^}" -DGUEST_NAME="\"$name\"" -DSHM_ID="\"$id\"" -DWINDOW="$window" \
    -DTRIES="$tries" -o "$tmp/guest.o" "$here/guest.S"
"${CROSS}ld" --no-warn-rwx-segments -T "$here/guest.ld" -o "$tmp/guest.elf" "$tmp/guest.o"
mkdir -p "$(dirname "$out")"
"${CROSS}objcopy" -O binary "$tmp/guest.elf" "$out"
[[ $(stat -c %s "$out") == 65536 ]] || die "$out is not 64 KiB"
echo "$out"
