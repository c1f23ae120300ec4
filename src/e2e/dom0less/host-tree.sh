#!/usr/bin/env bash
# host-tree.sh - the host device tree for a dom0less boot: QEMU's own virt tree (dumped from
# the very machine boot.sh starts), Xen's command line and one /chosen node per domain
# (compatible "xen,domain", cells, memory, cpus, its kernel module), and optionally the
# static shared memory nodes printed by `xen-sshm dom0less`.
#
# Usage: host-tree.sh --work DIR --out PREFIX --domain NAME=IMAGE@ADDR [--domain ...]
#                     [--cells 1|2] [--memory MIB] [--bootargs STRING] [--sshm-dts FILE]
#   --domain NAME=IMAGE@ADDR  a domU called NAME (its xl name: xen-sshm's nodes are merged by
#                             that name) whose kernel IMAGE is loaded at host ADDR (boot.sh
#                             must get the same IMAGE@ADDR); repeat per domain, in creation order
#   --cells 1|2               #address-cells and #size-cells of every domain node (default 2)
#   --memory MIB              RAM of each domU (default 16)
#   --bootargs STRING         Xen's command line (default: console on the DT UART, all logs)
#   --sshm-dts FILE           a shm fragment merged in by this script (fragment first, as dtc
#                             merges same-path nodes): only for the control that forces nodes of
#                             other cells into the tree; the tier's passing variants leave it out
#                             and let `xen-sshm dom0less --host-dts` add the nodes
# Writes PREFIX.dts (one normalised tree, readable and fit to be merged into by other tools)
# and PREFIX.dtb; prints the .dtb's path. Exit 2 if a domain node lacks its kernel afterwards
# (e.g. the fragment named a domain that has no --domain).
#
# The tier's way (Dom0lessBootTest):
#   host-tree.sh --work W --out W/base --domain ...          # W/base.dts: no shm nodes
#   xen-sshm dom0less --host-dts W/base.dts CFG... >W/host.dts
#   boot.sh ... --dtb W/host.dts                              # boot.sh compiles a .dts
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work='' out='' cells=2 memory=16 sshm='' domains=()
bootargs='console=dtuart bootscrub=0 loglvl=all guest_loglvl=all'
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --out) need "$@"; out=$2; shift 2 ;;
        --domain) need "$@"; domains+=("$2"); shift 2 ;;
        --cells) need "$@"; cells=$2; shift 2 ;;
        --memory) need "$@"; memory=$2; shift 2 ;;
        --bootargs) need "$@"; bootargs=$2; shift 2 ;;
        --sshm-dts) need "$@"; sshm=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work && -n $out ]] || die "--work and --out are required"
[[ ${#domains[@]} -gt 0 ]] || die "at least one --domain is required"
[[ $cells == 1 || $cells == 2 ]] || die "--cells must be 1 or 2"
[[ $memory =~ ^[1-9][0-9]*$ ]] || die "bad --memory: $memory"
[[ -z $sshm || -f $sshm ]] || die "no such file: $sshm"
mkdir -p "$work" "$(dirname "$out")"

# A (hi, lo) pair for 2 cells, a single cell otherwise; refuses what 1 cell cannot hold.
cells_of() {
    local v=$(( $1 ))
    if [[ $cells == 2 ]]; then
        printf '0x%x 0x%x' $(( v >> 32 )) $(( v & 0xffffffff ))
    else
        (( v <= 0xffffffff )) || die "$1 does not fit in one cell"
        printf '0x%x' "$v"
    fi
}

# QEMU's tree of this exact machine (memory, CPUs, GIC, UART); dumped each time, it is cheap.
qemu-system-aarch64 "${QEMU_MACHINE[@]}" -machine dumpdtb="$work/qemu-virt.dtb" -display none \
    >"$work/qemu-dumpdtb.log" 2>&1 || { cat "$work/qemu-dumpdtb.log" >&2; exit 1; }

chosen=$work/chosen-domains.dtsi
{
    echo '/ {'
    echo '	chosen {'
    echo '		#address-cells = <2>;'
    echo '		#size-cells = <2>;'
    echo "		xen,xen-bootargs = \"$bootargs\";"
    for spec in "${domains[@]}"; do
        [[ $spec =~ ^([A-Za-z0-9_.-]+)=(.+)@(0x[0-9a-fA-F]+)$ ]] || die "bad --domain $spec (NAME=IMAGE@0xADDR)"
        name=${BASH_REMATCH[1]} image=${BASH_REMATCH[2]} addr=${BASH_REMATCH[3]}
        [[ -f $image ]] || die "no such image: $image"
        size=$(stat -c %s "$image")
        cat <<NODE

		$name {
			compatible = "xen,domain";
			#address-cells = <$cells>;
			#size-cells = <$cells>;
			memory = <0x0 0x$(printf '%x' $(( memory * 1024 )))>;
			cpus = <1>;
			module@$(printf '%x' $(( addr ))) {
				compatible = "multiboot,kernel", "multiboot,module";
				reg = <$(cells_of "$addr") $(cells_of "$size")>;
			};
		};
NODE
    done
    echo '	};'
    echo '};'
} >"$chosen"

# dtc reads one tree per source and merges nodes of the same path, later text winning.
# /dts-v1/ may only open a source, so every input loses its own and one goes on top.
no_header() { grep -v '^/dts-v1/;' "$1"; }
# QEMU puts fresh random seeds in /chosen on every dump; dropped so equal inputs give equal trees.
fdtput -d "$work/qemu-virt.dtb" /chosen rng-seed kaslr-seed 2>/dev/null || true
dtc -q -I dtb -O dts -o "$work/qemu-virt.dts" "$work/qemu-virt.dtb"
{
    echo '/dts-v1/;'
    [[ -n $sshm ]] && no_header "$sshm"
    no_header "$work/qemu-virt.dts"
    cat "$chosen"
} >"$out.src.dts"
# Round trip: PREFIX.dts becomes one plain tree (no overlay-style repeats of /chosen).
dtc -q -I dts -O dtb -o "$out.dtb" "$out.src.dts"
dtc -q -I dtb -O dts -o "$out.dts" "$out.dtb"

# Every xen,domain node needs a kernel: a fragment naming an unknown domain would add one
# without, and Xen would stop at boot with a less obvious message.
for node in $(fdtget -l "$out.dtb" /chosen); do
    [[ $(fdtget "$out.dtb" "/chosen/$node" compatible 2>/dev/null) == xen,domain ]] || continue
    fdtget -l "$out.dtb" "/chosen/$node" | grep -q '^module@' \
        || die "/chosen/$node is a xen,domain node without a kernel module (no --domain $node=...?)"
done
echo "$out.dtb"
