#!/usr/bin/env bash
# checks.sh - the dom0less tier: variants that must pass, controls that must fail, and the
# refusals of `xen-sshm dom0less`, one line per check with the expected and actual result.
#
# Usage: checks.sh --work DIR --sshm CMD [--xen FILE] [--reference FILE] [--only NAME[,NAME...]]
#                  [--timeout SECONDS]
#   --work       scratch space; each check gets DIR/NAME/ (configs, fragment, images, tree, log)
#   --sshm       how to run xen-sshm (split at blanks, e.g. "/path/xen-sshm")
#   --xen        the hypervisor to test (default: what build-xen.sh --work DIR prints)
#   --reference  a second hypervisor: the main variant is booted on it too ("ref-xenalloc")
#   --only       run only these checks (names as printed)
#   --timeout    per boot (default 60)
# Exit 0 if every check ended as expected, 1 otherwise, 2 for a bad command line.
#
# Layout shared by the checks: each domU has 16 MiB of RAM at guest 0x40000000 and one vCPU;
# guest windows at 0x05000000 (owner), 0x06000000 and 0x07000000 (borrowers): below guest RAM
# and outside Xen's fixed guest map (the GICv3 redistributors end at 0x04020000, the vPL011
# is at 0x22000000). Host side: Xen at 0x40200000 and the tree at 0x48000000 (QEMU's
# choices), images at 0x49000000 + 1 MiB per domain, --host-base variants at 0x70000000.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work='' sshm_cmd='' xen='' reference='' only='' timeout=60
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --sshm) need "$@"; sshm_cmd=$2; shift 2 ;;
        --xen) need "$@"; xen=$2; shift 2 ;;
        --reference) need "$@"; reference=$2; shift 2 ;;
        --only) need "$@"; only=",$2,"; shift 2 ;;
        --timeout) need "$@"; timeout=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work && -n $sshm_cmd ]] || die "--work and --sshm are required"
[[ -z $reference || -f $reference ]] || die "no such file: $reference"
read -r -a sshm <<<"$sshm_cmd"
mkdir -p "$work"; work=$(cd "$work" && pwd)
t_all=$EPOCHREALTIME

if [[ -z $xen ]]; then
    xen=$("$here/build-xen.sh" --work "$work/xen-build" | head -1)
fi
[[ -f $xen ]] || die "no such hypervisor: $xen"
echo "hypervisor: $xen"
[[ -n $reference ]] && echo "reference:  $reference"

HOST_BASE=0x70000000
results=()
record() {  # 1-if-as-expected name expected actual timing
    local mark=ok; [[ $1 == 1 ]] || mark=UNEXPECTED
    results+=("$(printf '%-10s %-18s expected %-32s got %s  [%s]' "$mark" "$2" "$3" "$4" "$5")")
    echo "${results[-1]}"
}
selected() { [[ -z $only || $only == *",$1,"* ]]; }

# cfg DIR NAME [ID WINDOW [SIZE [OFFSET]]]: an xl config with at most one static_shm entry;
# the role follows from the name (owner*, else borrower). Without ID, no static_shm at all.
cfg() {
    local dir=$1 name=$2 id=${3:-} window=${4:-} size=${5:-0x200000} offset=${6:-} role=borrower extra=''
    [[ $name == owner* ]] && role=owner
    [[ -n $offset ]] && extra=", offset=$offset"
    {
        echo "name = \"$name\""
        echo "memory = 16"
        echo "vcpus = 1"
        [[ -n $id ]] && echo "static_shm = [ \"id=$id, begin=$window, size=$size$extra, role=$role\" ]"
    } >"$dir/$name.cfg"
    echo "$dir/$name.cfg"
}

# boot_check NAME EXPECT XEN CELLS SSHM_OPTS ID DOMAINS...
#   EXPECT: PASS, or KIND[:TEXT] (judge.sh's verdict kind, and text its detail must contain)
#   CELLS: the domain nodes' cells in the host tree; SSHM_OPTS: extra xen-sshm options
#   DOMAINS: NAME:WINDOW, owner first; WINDOW "-" = a domain with no static_shm
boot_check() {
    local name=$1 expect=$2 hv=$3 cells=$4 opts=$5 id=$6; shift 6
    selected "$name" || return 0
    local t=$EPOCHREALTIME dir=$work/$name
    rm -rf "$dir"; mkdir -p "$dir"
    local cfgs=() doms=() imgs=() owner='' roles=() slot=0 spec dname window addr role
    for spec in "$@"; do
        dname=${spec%%:*} window=${spec#*:}
        if [[ $window == - ]]; then cfgs+=("$(cfg "$dir" "$dname")"); window=0x06000000
        else cfgs+=("$(cfg "$dir" "$dname" "$id" "$window")"); fi
        role=borrower; [[ $dname == owner* ]] && role=owner
        if [[ $role == owner ]]; then owner=$dname; else roles+=(--borrower "$dname"); fi
        addr=$(printf '0x%x' $(( 0x49000000 + slot * 0x100000 ))); slot=$(( slot + 1 ))
        "$here/build-guest.sh" --role "$role" --name "$dname" --id "$id" --window "$window" \
            --out "$dir/$dname.img" >/dev/null
        doms+=(--domain "$dname=$dir/$dname.img@$addr")
        imgs+=(--image "$dir/$dname.img@$addr")
    done
    local rc=0
    # shellcheck disable=SC2086  # opts is a list of options
    "${sshm[@]}" dom0less $opts "${cfgs[@]}" >"$dir/sshm.dtsi" 2>"$dir/sshm.err" || rc=$?
    if [[ $rc != 0 ]]; then
        record 0 "$name" "$expect" "xen-sshm exit $rc: $(head -1 "$dir/sshm.err")" "$(since "$t")s"
        return 0
    fi
    "$here/host-tree.sh" --work "$dir" --out "$dir/host" --cells "$cells" "${doms[@]}" \
        --sshm-dts "$dir/sshm.dtsi" >/dev/null
    "$here/boot.sh" --work "$dir" --xen "$hv" --dtb "$dir/host.dtb" "${imgs[@]}" --owner "$owner" \
        "${roles[@]}" --name boot --timeout "$timeout" \
        >"$dir/boot.out" 2>&1 || true
    local verdict boot_line ok=0
    verdict=$(grep '^verdict: ' "$dir/boot.out" | tail -1 | sed 's/^verdict: //')
    boot_line=$(grep '^boot ' "$dir/boot.out" | sed -E 's/.*QEMU ran ([0-9.]+)s.*verdict at ([0-9.-]+)s.*/QEMU \1s, verdict at \2s/')
    [[ -n $verdict ]] || verdict="no verdict: $(tail -1 "$dir/boot.out")"
    if [[ $expect == PASS ]]; then
        [[ $verdict == PASS ]] && ok=1
    else
        local kind=${expect%%:*} text=''
        [[ $expect == *:* ]] && text=${expect#*:}
        [[ $verdict == "$kind "* && $verdict == *"$text"* ]] && ok=1
    fi
    record "$ok" "$name" "$expect" "$verdict" "$(since "$t")s in all, $boot_line"
}

# refuse_check NAME EXPECTED_EXIT SSHM_OPTS DOMAINS... (each NAME:ID:WINDOW[:SIZE[:OFFSET]])
refuse_check() {
    local name=$1 want=$2 opts=$3; shift 3
    selected "$name" || return 0
    local t=$EPOCHREALTIME dir=$work/$name cfgs=() spec rc=0 f
    rm -rf "$dir"; mkdir -p "$dir"
    for spec in "$@"; do
        IFS=: read -r -a f <<<"$spec"
        cfgs+=("$(cfg "$dir" "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]:-0x200000}" "${f[4]:-}")")
    done
    # shellcheck disable=SC2086
    "${sshm[@]}" dom0less $opts "${cfgs[@]}" >"$dir/sshm.out" 2>"$dir/sshm.err" || rc=$?
    local msg; msg=$(grep -v '^\s*$' "$dir/sshm.err" | head -1 | sed "s|$dir/||")
    record "$([[ $rc == "$want" ]] && echo 1 || echo 0)" "$name" "exit $want" "exit $rc${msg:+: $msg}" "$(since "$t")s"
}

O=owner:0x05000000 B=borrower:0x06000000 B2=borrower2:0x07000000
#          name              expect                              hypervisor cells xen-sshm options              id
boot_check xenalloc          PASS                                "$xen" 2 ''                                    shm0 $O $B
[[ -n $reference ]] && \
boot_check ref-xenalloc      PASS                                "$reference" 2 ''                              shm0 $O $B
boot_check hostbase          PASS                                "$xen" 2 "--host-base=$HOST_BASE"              shm0 $O $B
boot_check cells1            PASS                                "$xen" 1 '--address-cells=1 --size-cells=1'    shm0 $O $B
boot_check hostbase-cells1   PASS                                "$xen" 1 "--address-cells=1 --size-cells=1 --host-base=$HOST_BASE" shm0 $O $B
boot_check two-borrowers     PASS                                "$xen" 2 ''                                    shm0 $O $B $B2
boot_check two-borrowers-hb  PASS                                "$xen" 2 "--host-base=$HOST_BASE"              shm0 $O $B $B2
boot_check id15              PASS                                "$xen" 2 ''                                    shm0_abcdefghij $O $B
# Controls: the check must be able to fail, and Xen's failures must show.
boot_check control-noshm     'FAULT:borrower: FAULT'             "$xen" 2 ''                                    shm0 $O borrower:-
boot_check control-cells     'PANIC:Early FDT parsing failed'    "$xen" 1 ''                                    shm0 $O $B
# What the dom0less form cannot express: xen-sshm must refuse with exit 2.
refuse_check refuse-id16     2 '' owner:shm0_abcdefghijk:0x05000000 borrower:shm0_abcdefghijk:0x06000000
refuse_check refuse-offset   2 '' owner:shm0:0x05000000 borrower:shm0:0x06000000:0x100000:0x100000
refuse_check refuse-size     2 '' owner:shm0:0x05000000 borrower:shm0:0x06000000:0x100000
refuse_check refuse-1cell-high 2 "--address-cells=1 --host-base=0xfff00000" owner:shm0:0x05000000 borrower:shm0:0x06000000

echo
echo "== summary ($(since "$t_all") s in all)"
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q '^UNEXPECTED'
