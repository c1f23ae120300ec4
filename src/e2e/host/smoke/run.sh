#!/bin/sh
# run.sh - the smoke check's dom0 driver (smoke.sh puts it in /e2e; busybox sh).
# Proves the harness, not the project: Java 25 and FFM work in dom0, e2e-peek reads and writes
# domU memory, and the test guest reports both a fault and what it reads, in a loop.
#   owner    pattern pages written with e2e-peek fill and verified with check
#   faulter  a guest watching 0x50000000, where nothing is mapped: its report must hold a data
#            abort with FAR=0x50000000; then re-armed (new generation) onto its own RAM, and
#            once more with a write probe that never ends (the guest's time limit must end it)
#   watcher  a guest watching its own RAM at 0x40800000 after dom0 wrote a pattern there, with
#            the write probe on: pattern, write read back, seq growing over 1 s, a change
#            made by dom0 later seen by the guest
# Every check prints "ok NAME" or "FAIL NAME: ..."; the exit status is the number of failures.
J=java
failed=0
passed=0
up() { cut -d' ' -f1 /proc/uptime; }
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# field LINE KEY: the value of KEY=value in an e2e-peek line
field() { echo "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p"; }
# timed NAME CMD...: run CMD, print its output and "T NAME seconds rc=N"
timed() {
    name=$1; shift
    t=$(up); "$@" >/tmp/out 2>&1; rc=$?; cat /tmp/out
    echo "T $name $(awk -v a="$t" -v b="$(up)" 'BEGIN { printf "%.2f", b - a }') rc=$rc"
    return $rc
}
expect() {   # expect NAME LINE KEY VALUE
    v=$(field "$2" "$3")
    if [ "$v" = "$4" ]; then ok "$1"; else bad "$1" "$3=$v, want $4"; fi
}

echo "=== java"
if timed java-version $J -version && grep -q 'version "25' /tmp/out; then ok java-version; else bad java-version "no Java 25"; fi
if timed ffm $J --enable-native-access=ALL-UNNAMED -cp /e2e XenctrlSmoke && grep -q 'xen_version=4.17' /tmp/out; then
    ok ffm-libxenctrl
else
    bad ffm-libxenctrl "see above"
fi

n=$(xenstore-read /local/domain/0/name 2>&1)
if [ "$n" = Domain-0 ]; then ok xenstore-read; else bad xenstore-read "$n"; fi

echo "=== domUs"
for d in owner faulter watcher; do
    timed "xl-create-$d" xl create -p /e2e/domu.cfg "name=\"$d\"" || bad "xl-create-$d" "xl create failed"
done
xl list
own=$(xl domid owner); flt=$(xl domid faulter); wat=$(xl domid watcher)

echo "=== owner: fill and check 4 pages at gfn 0x40400"
l=$(e2e-peek fill "$own" 0x40400 4 42); echo "$l"
l=$(e2e-peek check "$own" 0x40400 4 42); echo "$l"
expect owner-check "$l" result ok
l=$(e2e-peek check "$own" 0x40401 2 42 1); echo "$l"
expect owner-check-part "$l" result ok
l=$(e2e-peek check "$own" 0x40400 4 43); echo "$l"
expect owner-check-wrong-seed "$l" result mismatch
l=$(e2e-peek pages "$own"); echo "$l"
expect owner-pages "$l" state present

echo "=== faulter: nothing mapped at 0x50000000"
l=$(e2e-peek guest-report "$flt"); echo "$l"
expect faulter-not-started "$l" started 0
e2e-peek guest-setup "$flt" 0x50000000 0 0
xl unpause faulter
sleep 2
l=$(e2e-peek guest-report "$flt"); echo "$l"
expect faulter-started "$l" started 1
expect faulter-fault "$l" fault read
expect faulter-far "$l" far 0x50000000
esr=$(field "$l" esr)
case $esr in 0x96*|0x92*) ok faulter-esr-data-abort ;; *) bad faulter-esr-data-abort "esr=$esr" ;; esac
echo "--- re-armed onto its own RAM at 0x40800000"
e2e-peek write "$flt" 0x40800 6e6f772d6d6170706564
e2e-peek guest-setup "$flt" 0x40800000 0 0
sleep 1
l=$(e2e-peek guest-report "$flt"); echo "$l"
expect faulter-rearm-gen "$l" gen 2
expect faulter-rearm-fault "$l" fault none
case $(field "$l" bytes) in 6e6f772d6d6170706564*) ok faulter-rearm-bytes ;; *) bad faulter-rearm-bytes "bytes=$(field "$l" bytes)" ;; esac

echo "--- and a write probe whose store never ends (flags bit 1): the time limit must end it"
e2e-peek guest-setup "$flt" 0x40800000 3 0x99
sleep 1
a=$(e2e-peek guest-report "$flt"); echo "$a"
sleep 1
b=$(e2e-peek guest-report "$flt"); echo "$b"
expect faulter-stuck-gen "$b" gen 3
expect faulter-stuck-wprobe "$b" wprobe stuck
expect faulter-stuck-fault "$b" fault none
sa=$(field "$a" seq); sb=$(field "$b" seq)
if [ -n "$sa" ] && [ -n "$sb" ] && [ "$sb" -gt "$sa" ]; then ok "faulter-stuck-goes-on ($sa -> $sb)"; else bad faulter-stuck-goes-on "seq $sa -> $sb"; fi

echo "=== watcher: pattern at 0x40800000, write probe at +8"
e2e-peek write "$wat" 0x40800 45324553484d4f4b452d50415454524e
e2e-peek guest-setup "$wat" 0x40800000 1 0x1122334455667788
xl unpause watcher
sleep 1
a=$(e2e-peek guest-report "$wat"); echo "$a"
sleep 1
b=$(e2e-peek guest-report "$wat"); echo "$b"
expect watcher-fault "$b" fault none
expect watcher-wprobe "$b" wprobe ok
expect watcher-wback "$b" wback 0x1122334455667788
case $(field "$b" bytes) in 45324553484d4f4b8877665544332211*) ok watcher-bytes ;; *) bad watcher-bytes "bytes=$(field "$b" bytes)" ;; esac
sa=$(field "$a" seq); sb=$(field "$b" seq)
if [ -n "$sa" ] && [ -n "$sb" ] && [ "$sb" -gt "$sa" ]; then ok "watcher-seq ($sa -> $sb in 1 s)"; else bad watcher-seq "seq $sa -> $sb"; fi
wk=$(field "$b" wakeups)
if [ -n "$wk" ] && [ "$wk" -le $((sb * 2 + 2)) ]; then ok "watcher-sleeps (wakeups=$wk for seq=$sb)"; else bad watcher-sleeps "wakeups=$wk for seq=$sb"; fi
l=$(e2e-peek read "$wat" 0x40800 16); echo "$l"
expect watcher-dom0-sees-write "$l" hex 45324553484d4f4b8877665544332211
echo "--- dom0 changes the bytes; the running guest must notice"
e2e-peek write "$wat" 0x40800 4348414e474544210000000000000000
sleep 1
l=$(e2e-peek guest-report "$wat"); echo "$l"
case $(field "$l" bytes) in 4348414e47454421*) ok watcher-sees-change ;; *) bad watcher-sees-change "bytes=$(field "$l" bytes)" ;; esac

echo "=== pages and teardown"
l=$(e2e-peek pages "$flt"); echo "$l"
expect faulter-pages "$l" state present
xl destroy faulter
n=0; while [ $n -lt 20 ]; do l=$(e2e-peek pages "$flt"); [ "$(field "$l" state)" = gone ] && break; sleep 0.5; n=$((n + 1)); done
echo "$l"
expect faulter-gone "$l" state gone
l=$(e2e-peek pages 999); echo "$l"
expect no-such-domain "$l" state gone
if e2e-peek read "$own" 0x7ffff 8; then bad bad-gfn "read of an unmapped gfn succeeded"; else ok "bad-gfn (exit $?)"; fi
xl destroy watcher; xl destroy owner
xl list

echo "RESULT: $passed passed, $failed failed"
exit $failed
