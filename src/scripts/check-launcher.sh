#!/usr/bin/env bash
# What an operator meets first, checked after the build (run-tests.sh runs it): the launcher makes
# its AOT cache on the first run after a build, and a command run with that cache says nothing on
# stderr. The suite's other CLI tests run the launcher on their own module path, without the
# cache, so a cache the JVM cannot read (its writer can fail and still exit 0) shows only here.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
fail() { echo "check-launcher: FAIL: $*" >&2; exit 1; }
cache=src/cli/target/xen-sshm.aot
err=$(mktemp)
trap 'rm -f "$err"' EXIT

rm -f "$cache" "$cache".*
unset XEN_SSHM_MODULE_PATH XEN_SSHM_AOT XEN_SSHM_JAVA_OPTS
./xen-sshm --version >/dev/null 2>"$err" || { cat "$err" >&2; fail "the first run failed"; }
[[ -s $cache ]] || { cat "$err" >&2; fail "no AOT cache after the first run"; }
[[ -z $(ls "$cache".* 2>/dev/null | grep -v '\.jdk$') ]] || fail "the training left files: $(ls "$cache".*)"
[[ -z $(ls hs_err_pid*.log 2>/dev/null) ]] || fail "a JVM crashed in $root: $(ls hs_err_pid*.log)"
for command in --version "check src/cli/src/main/resources/org/xensshm/cli/command/demo-vm1.cfg"; do
    # shellcheck disable=SC2086 # the command's words
    ./xen-sshm $command >/dev/null 2>"$err" || { cat "$err" >&2; fail "xen-sshm $command failed"; }
    [[ ! -s $err ]] || { cat "$err" >&2; fail "xen-sshm $command wrote to stderr with the cache"; }
done
echo "check-launcher: the AOT cache is made and read cleanly"
