#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds the test
# bed, checks it on its own (C self-test of the simulated hypervisor, xenstored smoke test), then
# builds every module and runs its tests, the native ones against the test bed included, checks
# what a library user gets, that the launcher's start-up cache is made and read cleanly, and
# that two builds of the commit give the same library jars.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"

src/scripts/setup-debian.sh
export JAVA_HOME=${XEN_SSHM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
# Maven 3.8's bundled Guava pokes sun.misc.Unsafe; say yes once instead of warning on every run.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

testbed=$root/src/testkit/target/testbed
make -s -C src/testkit/native OUT="$testbed" check
src/testkit/native/run-xenstored-smoke.sh "$testbed/libxsdshim.so"
mvn -B -ntp install
src/scripts/check-library.sh
src/scripts/check-launcher.sh
src/scripts/check-reproducible.sh
