#!/usr/bin/env bash
# smoke.sh - check the arm64 e2e harness end to end: fetch, build the dom0 root with the smoke
# driver (smoke/run.sh, smoke/XenctrlSmoke.java) and no project jars, boot it on each
# hypervisor asked for, and report the times.
#
# Usage: smoke.sh --work DIR [--xen IMAGE]... [--timeout SECONDS]
#   --work DIR          scratch and output; console logs land in DIR/smoke-<name>.log
#   --xen IMAGE         a hypervisor to boot; repeatable; `stock` is Debian's (the default)
#   --timeout SECONDS   per boot (default 900: several times a quiet run, for a loaded host)
# Exit 0 only if every boot ended with E2E-DONE rc=0 (every check of run.sh passed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

work='' xens=() limit=900
while [[ $# -gt 0 ]]; do
    case $1 in
        --work) need "$@"; work=$2; shift 2 ;;
        --xen) need "$@"; xens+=("$2"); shift 2 ;;
        --timeout) need "$@"; limit=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done
[[ -n $work ]] || die "--work DIR is required"
[[ ${#xens[@]} -gt 0 ]] || xens=(stock)
mkdir -p "$work"; work=$(cd "$work" && pwd)
javac=${XEN_SSHM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/javac
[[ -x $javac ]] || die "no javac at $javac (set XEN_SSHM_JAVA_HOME)"

files=$work/smoke-files jars=$work/smoke-jars
rm -rf "$files" "$jars"; mkdir -p "$files" "$jars"
cp "$here/smoke/run.sh" "$files/"
"$javac" --release 25 -d "$files" "$here/smoke/XenctrlSmoke.java"

t=$EPOCHREALTIME
"$here/build-root.sh" --work "$work" --jars "$jars" --files "$files"
echo "smoke: prepare (fetch + guest + root) $(since "$t") s"

status=0
for x in "${xens[@]}"; do
    if [[ $x = stock ]]; then image=$work/xen-4.17-arm64; name=stock; else image=$x; name=$(basename "$x"); fi
    t=$EPOCHREALTIME
    rc=0
    "$here/boot.sh" --work "$work" --xen "$image" --log "$work/smoke-$name.log" --timeout "$limit" || rc=$?
    grep -E '\] (ok|FAIL|T|RESULT:) ' "$work/smoke-$name.log" | sed 's/^/  /' || true
    echo "smoke: $name: boot.sh exit $rc after $(since "$t") s"
    [[ $rc = 0 ]] || status=1
done
exit $status
