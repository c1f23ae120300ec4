#!/bin/busybox sh
# init.sh - /init of the e2e dom0 (build-root.sh installs it).
# Brings up just enough of a Xen dom0 for the toolstack and the project: the Xen drivers,
# xenfs, the C xenstored, xen-init-dom0 and xenconsoled (xl create waits for it to set up each
# domU's console, and it needs devpts). Then runs /e2e/run.sh, the caller's test driver, with
# its output on the console, and powers the emulated machine off.
# Console lines for the host (boot.sh): "E2E-DOM0-READY <dom0 uptime>" once dom0 is up,
# "E2E-DONE rc=<exit status of run.sh>" at the end. Lines starting "init:" report a failed step.
# Kernel command line words NAME=value (boot.sh --append-dom0) reach run.sh as environment.
/bin/busybox --install -s /bin
export PATH=/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs run /run
mkdir -p /run/xen /run/xenstored /var/lib/xen /var/log/xen /var/lib/xenstored /tmp

# Debian's kernel has these as modules (uncompressed .ko); xenfs needs xen-privcmd first.
# shellcheck disable=SC2043  # build-root.sh fills in the list
for m in @XEN_MODULES@; do
    insmod "/lib/modules/xen/$m.ko" || echo "init: insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || echo "init: mount xenfs failed"
xenstored --pid-file /run/xenstored.pid || echo "init: xenstored failed"
n=0
while [ ! -S /run/xenstored/socket ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
xen-init-dom0 || echo "init: xen-init-dom0 failed"
xenconsoled --pid-file=/run/xenconsoled.pid || echo "init: xenconsoled failed"
echo "E2E-DOM0-READY $(cut -d' ' -f1 /proc/uptime)"

if [ -f /e2e/run.sh ]; then
    (cd /e2e && sh /e2e/run.sh </dev/null 2>&1)
    rc=$?
else
    echo "init: no /e2e/run.sh in this initramfs"
    rc=127
fi
echo "E2E-DONE rc=$rc"
sync
poweroff -f
# Not reached unless poweroff failed; the host stops QEMU after E2E-DONE anyway.
while :; do sleep 60; done
