#!/usr/bin/env bash
# Reproducible builds: clones the current commit twice into fresh directories, builds the published
# libraries (core and testkit: jar, -sources.jar, -javadoc.jar) in each, offline, and compares the
# jars byte for byte. Fails, listing the entries that differ, if any jar does. run-tests.sh runs it
# after the full build, which has fetched every plugin it needs.
#
# Usage: src/scripts/check-reproducible.sh [COMMIT]   (default: HEAD; uncommitted changes are not seen)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
commit=$(git -C "$root" rev-parse --verify "${1:-HEAD}^{commit}")
export JAVA_HOME=${XEN_SSHM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fail() { echo "check-reproducible: FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() {
    local clone=$work/$1
    git clone -q --no-checkout "$root" "$clone"
    git -C "$clone" checkout -q --detach "$commit"
    # The local Maven settings of this checkout (git-ignored: where its repository is), if any.
    if [[ -f "$root/.mvn/maven.config" ]]; then
        mkdir -p "$clone/.mvn" && cp "$root/.mvn/maven.config" "$clone/.mvn/"
    fi
    (cd "$clone" && mvn -B -q -ntp -o -Dmaven.test.skip=true -pl src/core,src/testkit package) \
        || fail "the build in $clone failed"
}

# Two different directories: nothing of the build's location may reach the jars.
build first
build second

compared=0
for module in core testkit; do
    mapfile -t found < <(cd "$work/first" && ls src/$module/target/xen-sshm-$module-*.jar)
    ((${#found[@]} == 3)) || fail "expected $module's jar, -sources.jar and -javadoc.jar, found: ${found[*]}"
    for jar in "${found[@]}"; do
        [[ -f "$work/second/$jar" ]] || fail "the second build made no $jar"
        if ! cmp -s "$work/first/$jar" "$work/second/$jar"; then
            echo "check-reproducible: $jar differs between two builds of $commit; entries that differ:" >&2
            diff <("$JAVA_HOME/bin/jar" tvf "$work/first/$jar") <("$JAVA_HOME/bin/jar" tvf "$work/second/$jar") >&2 || true
            fail "$jar is not reproducible"
        fi
        echo "check-reproducible: identical: $jar ($(stat -c %s "$work/first/$jar") bytes, sha256 $(sha256sum "$work/first/$jar" | cut -c1-16))"
        compared=$((compared + 1))
    done
done
echo "check-reproducible: $compared jars of $(git -C "$root" rev-parse --short "$commit") built twice, byte for byte the same"
