#!/usr/bin/env bash
# boot.sh - boot Xen dom0less (no dom0) under qemu-system-aarch64 (TCG) and judge the run.
#
# Usage: boot.sh --work DIR --xen FILE --dtb FILE --image FILE@ADDR [--image ...]
#                --owner NAME --borrower NAME [--borrower ...] [--name RUN] [--timeout SECONDS]
#   --xen       the hypervisor (build-xen.sh prints it)
#   --dtb       the host tree, .dtb or .dts (a .dts is compiled into DIR first)
#   --image     a guest image and the host address QEMU loads it at: the same FILE@ADDR as
#               host-tree.sh's --domain; checked against the tree's module nodes
#   --owner, --borrower   domain names whose lines decide when to stop and what the judge reads
#   --name      names the log, DIR/RUN.log (default: the tree's file name)
#   --timeout   hard limit for QEMU (default 60); QEMU is killed 5 s later if TERM is ignored
# Every console line is logged with the seconds since QEMU started. QEMU is stopped as soon as
# the owner and every borrower have spoken (MATCH / NO MATCH), a guest faults or Xen panics.
# Prints the run's timings and judge.sh's report; exits with judge.sh's status (0 = PASS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

work='' xen='' tree='' run='' timeout=60 owner='' images=() borrowers=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --xen) need "$@"; xen=$2; shift 2 ;;
        --dtb) need "$@"; tree=$2; shift 2 ;;
        --image) need "$@"; images+=("$2"); shift 2 ;;
        --owner) need "$@"; owner=$2; shift 2 ;;
        --borrower) need "$@"; borrowers+=("$2"); shift 2 ;;
        --name) need "$@"; run=$2; shift 2 ;;
        --timeout) need "$@"; timeout=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work && -f $xen && -f $tree && -n $owner ]] || die "--work, --xen FILE, --dtb FILE and --owner are required"
[[ ${#images[@]} -gt 0 && ${#borrowers[@]} -gt 0 ]] || die "at least one --image and one --borrower are required"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "bad --timeout: $timeout"
mkdir -p "$work"
run=${run:-$(basename "${tree%.*}")}
logf=$work/$run.log

dtb=$tree
if [[ $tree == *.dts ]]; then
    dtb=$work/$run.dtb
    dtc -q -I dts -O dtb -o "$dtb" "$tree"
fi

# QEMU loads the images; Xen finds them through the tree. Both must name the same addresses.
loaders=() addrs=()
for spec in "${images[@]}"; do
    [[ $spec =~ ^(.+)@(0x[0-9a-fA-F]+)$ ]] || die "bad --image $spec (FILE@0xADDR)"
    [[ -f ${BASH_REMATCH[1]} ]] || die "no such image: ${BASH_REMATCH[1]}"
    loaders+=(-device "loader,file=${BASH_REMATCH[1]},addr=${BASH_REMATCH[2]},force-raw=on")
    addrs+=($(( BASH_REMATCH[2] )))
done
for node in $(fdtget -l "$dtb" /chosen); do
    for mod in $(fdtget -l "$dtb" "/chosen/$node" 2>/dev/null | grep '^module@' || true); do
        read -r -a reg <<<"$(fdtget -t x "$dtb" "/chosen/$node/$mod" reg)"
        ac=$(fdtget -t x "$dtb" "/chosen/$node" '#address-cells' 2>/dev/null || echo 2)
        a=$(( 0x${reg[0]} )); [[ $ac == 2 ]] && a=$(( (0x${reg[0]} << 32) | 0x${reg[1]} ))
        [[ " ${addrs[*]} " == *" $a "* ]] || die "/chosen/$node/$mod is at $(printf '0x%x' "$a"), where no --image is loaded"
    done
done

fifo=$work/$run.fifo
rm -f "$fifo"; mkfifo "$fifo"
qpid=''
# Whatever happens to this script, QEMU must not outlive it.
trap '[[ -n $qpid ]] && kill "$qpid" 2>/dev/null; rm -f "$fifo"' EXIT

t0=$EPOCHREALTIME
timeout -k 5 "$timeout" qemu-system-aarch64 "${QEMU_MACHINE[@]}" \
    -display none -serial stdio -monitor none -no-reboot \
    -kernel "$xen" -dtb "$dtb" "${loaders[@]}" </dev/null >"$fifo" 2>&1 &
qpid=$!     # the timeout process: it passes our TERM on to QEMU

halt() { kill "$qpid" 2>/dev/null || true; }
stamp() { local d=$(( ${EPOCHREALTIME/./} - ${t0/./} )); printf '%d.%02d' $(( d / 1000000 )) $(( d % 1000000 / 10000 )); }
stopped='' t_xen='' t_verdict='' spoke=' '
while IFS= read -r line; do
    line=${line%$'\r'}
    now=$(stamp)
    printf '[%6s] %s\n' "$now" "$line"
    [[ -z $t_xen && $line == *'Xen version'* ]] && t_xen=$now
    case $line in
        *"Panic on CPU"*)
            # Xen prints the reason on the next lines: give it a second, then stop.
            t_verdict=${t_verdict:-$now}; stopped=${stopped:-panic}; (sleep 1; halt) & ;;
        *"Reboot in five seconds"*|*"Manual reset required"*) halt ;;
        *": FAULT esr="*) t_verdict=${t_verdict:-$now}; stopped=${stopped:-fault}; halt ;;
        *") $owner: wrote ["*|*") $owner: READBACK DIFFERS"*) spoke+="$owner " ;;
    esac
    for b in "${borrowers[@]}"; do
        [[ $line == *") $b: MATCH ["* || $line == *") $b: NO MATCH"* ]] && spoke+="$b "
    done
    if [[ -z $stopped ]]; then
        all=1
        for who in "$owner" "${borrowers[@]}"; do
            [[ $spoke == *" $who "* ]] || all=0
        done
        if [[ $all == 1 ]]; then t_verdict=$now; stopped=verdict; halt; fi
    fi
done <"$fifo" >"$logf"
rc=0; wait "$qpid" || rc=$?
qpid=''
total=$(since "$t0")
[[ $rc == 124 || $rc == 137 ]] && stopped="timeout (${timeout}s)"
echo "boot $run: QEMU ran ${total}s, stopped on ${stopped:-its own exit (rc $rc)}; Xen banner at ${t_xen:--}s, verdict at ${t_verdict:--}s; log $logf"
judge_args=(--log "$logf" --owner "$owner")
for b in "${borrowers[@]}"; do judge_args+=(--borrower "$b"); done
"$here/judge.sh" "${judge_args[@]}"
