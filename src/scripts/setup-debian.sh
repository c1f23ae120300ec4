#!/usr/bin/env bash
# Installs, on Debian 12, whatever xen-sshm needs to build, test and run that is not there yet:
# the Xen 4.17 libraries and xenstored, the C toolchain for the test bed, Maven, dtc, the renderers
# the picture tests use, and QEMU with an arm64 cross toolchain for the end-to-end tiers. (Their
# arm64 packages and Xen sources come from a private apt configuration under ~/.cache/xen-sshm,
# never from the host's.)
# Java 25 is expected as Temurin in /usr/lib/jvm/temurin-25-jdk-amd64 (override: XEN_SSHM_JAVA_HOME).
# Arguments name more Debian packages to install the same way (benchmarks/setup.sh's).
set -euo pipefail

packages=(
    libxenmisc4.17 libxenstore4   # libxenctrl.so.4.17, libxenstore.so.4: what the bindings load
    xen-utils-4.17 xenstore-utils # the real C xenstored and the xenstore-* tools for the test bed
    libxen-dev gcc make libc6-dev # to build the test bed's C libraries
    maven                         # the build
    device-tree-compiler          # dtc, fdtget, fdtput: the device-tree fragments and host trees
    librsvg2-bin graphviz         # rsvg-convert and dot, to render check's pictures in the tests
    systemd                       # systemd-analyze, to check the watch service's unit file
    # The end-to-end tiers (src/e2e): Xen under QEMU, the arm64 dom0 root, bare-metal arm64
    # guests and e2e-peek, and Xen built from Debian's source package for the dom0less tier
    # (private apt, dpkg-source, Xen's own build).
    qemu-system-arm cpio gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
    flex bison python3 dpkg-dev debian-archive-keyring
    "$@"
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "xen-sshm setup: missing Debian packages: ${missing[*]}" >&2
        echo "install them as root: apt-get install ${missing[*]}" >&2
        exit 2
    fi
    echo "xen-sshm setup: installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

java_home=${XEN_SSHM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [[ ! -x "$java_home/bin/java" ]]; then
    echo "xen-sshm setup: no Java 25 at $java_home (install Temurin 25 there, or set XEN_SSHM_JAVA_HOME)" >&2
    exit 2
fi
