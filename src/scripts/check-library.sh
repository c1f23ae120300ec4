#!/usr/bin/env bash
# What a library user gets, checked after the build (run-tests.sh runs it):
#  1. the example control plane (src/examples/consumer) resolves xen-sshm-core and slf4j-api at
#     compile and run time, and nothing of the CLI or the test kit;
#  2. core's jar holds no test bed class and no C artefact;
#  3. core builds and passes its tests with a JDK and Maven alone: no C compiler, no make on PATH,
#     no Xen headers read.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
export JAVA_HOME=${XEN_SSHM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fail() { echo "check-library: FAIL: $*" >&2; exit 1; }

# 1. The consumer's dependencies at run time.
tree=$(mktemp)
trap 'rm -f "$tree"; rm -rf "${bin:-}" "${copy:-}"' EXIT
mvn -B -q -ntp -o -f src/examples/consumer/pom.xml dependency:tree -Dscope=runtime -DoutputFile="$tree" >/dev/null
cat "$tree"
grep -q 'org.xensshm:xen-sshm-core:jar' "$tree" || fail "the consumer does not resolve xen-sshm-core"
if grep -E 'picocli|slf4j-simple|xen-sshm-testkit|xen-sshm-cli|junit' "$tree"; then
    fail "the consumer's run-time dependencies hold more than the library"
fi
[[ $(grep -cE '^[ |+\\-]' "$tree") == 2 ]] || fail "expected exactly core and slf4j-api at run time"

# 2. core's jar.
jar=$(ls src/core/target/xen-sshm-core-*.jar | grep -v -e sources -e javadoc | head -1)
if "$JAVA_HOME/bin/jar" tf "$jar" | grep -Ei 'testbed|testkit|\.so$|\.c$|\.h$'; then
    fail "$jar holds test bed or native files"
fi

# 3. core alone, with a PATH that has everything of /usr/bin and /bin but the C toolchain.
bin=$(mktemp -d)
for dir in /usr/bin /bin; do
    for tool in "$dir"/*; do
        name=$(basename "$tool")
        case $name in
            gcc*|cc|c++|g++*|cpp*|make|ld|ld.*|as|*-linux-gnu-*) ;;
            *) [[ -e "$bin/$name" ]] || ln -s "$tool" "$bin/$name" ;;
        esac
    done
done
PATH=$bin command -v gcc cc make >/dev/null 2>&1 && fail "the stripped PATH still has a C toolchain"
copy=$(mktemp -d)          # a fresh copy, so that everything is compiled anew
mkdir -p "$copy/src"
cp pom.xml "$copy/"
cp -r src/core "$copy/src/"
rm -rf "$copy/src/core/target"
# core's API docs show the example project's code (a javadoc snippet), so its sources go along.
mkdir -p "$copy/src/examples/consumer/src/main"
cp -r src/examples/consumer/src/main/java "$copy/src/examples/consumer/src/main/"
# This checkout's Maven settings (git-ignored: where its local repository is), if any.
if [[ -f .mvn/maven.config ]]; then
    mkdir -p "$copy/.mvn" && cp .mvn/maven.config "$copy/.mvn/"
fi
PATH=$bin mvn -B -q -ntp -o -f "$copy/src/core/pom.xml" verify || fail "core does not build without a C toolchain"
echo "check-library: ok (consumer resolves core + slf4j-api only; core jar clean; core builds without gcc/make)"
