#!/usr/bin/env bash
# judge.sh - the verdict on one boot's console log (boot.sh runs it; it can be rerun on a log).
#
# Usage: judge.sh --log FILE --owner NAME --borrower NAME [--borrower NAME ...]
# Prints the owner's and each borrower's bytes, then one last line
#   "verdict: PASS" or "verdict: <KIND> (<detail>)"
# with KIND, in order of precedence:
#   PANIC        Xen panicked (detail: its message, e.g. "Early FDT parsing failed (-22)")
#   FAULT        a guest took an exception (detail: its FAULT line)
#   NO-OWNER     the owner never reported what it wrote
#   NO-MATCH     a borrower gave up (NO MATCH)
#   NO-VERDICT   a borrower printed no verdict (timeout, hang, crash)
#   MISMATCH     a borrower said MATCH but its bytes differ from the owner's
#   PASS         every borrower printed MATCH with exactly the owner's bytes, run-time counter
#                included, and the owner read back what it wrote
# Exit 0 only for PASS, 1 otherwise, 2 for a bad command line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

logf='' owner='' borrowers=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --log) need "$@"; logf=$2; shift 2 ;;
        --owner) need "$@"; owner=$2; shift 2 ;;
        --borrower) need "$@"; borrowers+=("$2"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -f $logf && -n $owner && ${#borrowers[@]} -gt 0 ]] || die "--log FILE, --owner and --borrower are required"

verdict() {
    echo "verdict: $*"
    if [[ $1 == PASS ]]; then exit 0; fi
    exit 1
}

# The bracketed bytes of the last line "<name>: <tag> [...]" (guest lines carry Xen's "(dN) ").
bytes_of() {
    { grep -E "\(d[0-9]+\) $1: $2 \[" "$logf" || true; } | tail -1 | sed -E 's/^.*\[(.*)\][^]]*$/\1/'
}

# The owner's line, and whether its bytes have the expected form (id up to 15, 16 hex digits).
own=$(bytes_of "$owner" wrote)
echo "owner    $owner: ${own:-<nothing>}"
for b in "${borrowers[@]}"; do
    got=$(bytes_of "$b" MATCH)
    if [[ -z $got ]]; then
        got=$(bytes_of "$b" "(NO MATCH after [0-9]+ tries, window holds|waiting, window holds)")
        echo "borrower $b: no MATCH; last seen [${got}]"
    elif [[ $got == "$own" ]]; then
        echo "borrower $b: MATCH, same bytes as the owner"
    else
        echo "borrower $b: MATCH [$got], but the owner wrote [$own]"
    fi
done

panic=$(grep -A2 'Panic on CPU' "$logf" | grep -v -E 'Panic on CPU|\*\*\*\*' | head -1 | sed -E 's/^.*\(XEN\) *//' || true)
grep -q 'Panic on CPU' "$logf" && verdict PANIC "${panic:-see the log}"
fault=$(grep -m1 -E '\(d[0-9]+\) [A-Za-z0-9_.-]+: FAULT ' "$logf" | sed -E 's/^.*\(d[0-9]+\) //' || true)
[[ -n $fault ]] && verdict FAULT "$fault"
grep -qE "\(d[0-9]+\) $owner: READBACK DIFFERS" "$logf" \
    && verdict MISMATCH "the owner read back other bytes than it wrote"
[[ -n $own ]] || verdict NO-OWNER "no '$owner: wrote' line"
[[ $own =~ ^xen-sshm:[A-Za-z0-9_.-]{1,15}:cntvct=[0-9a-f]{16}$ ]] \
    || verdict MISMATCH "the owner's bytes are not pattern + counter: [$own]"
for b in "${borrowers[@]}"; do
    grep -qE "\(d[0-9]+\) $b: NO MATCH" "$logf" && verdict NO-MATCH "$b gave up"
    got=$(bytes_of "$b" MATCH)
    [[ -n $got ]] || verdict NO-VERDICT "$b printed no MATCH"
    [[ $got == "$own" ]] || verdict MISMATCH "$b saw [$got], the owner wrote [$own]"
done
verdict PASS
