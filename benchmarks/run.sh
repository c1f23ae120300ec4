#!/usr/bin/env bash
# Builds everything and runs every benchmark side by side in one run, then writes the results
# table (results.md) and the plot (ns-per-page.png) into the output directory:
#
#   - the map path, ns/page for 1 .. 4194304 pages: ours (JMH), the naive Java way (JMH) and the
#     C baseline written the libxl way (c/libxl_way.c), all over the real libxenctrl 4.17 and the
#     test bed's simulated hypervisor; Java/C per size; -prof gc allocation per operation;
#   - teardown: map + unmap, ours (multicalls) against the libxl way (page by page);
#   - the engine's attach and detach, xenstore's cost (1, 8, 64 regions, with the real xenstored,
#     round trips counted), the command's start-up (hyperfine), and a 16 GiB region attached and
#     detached through the command with the JVM at -Xmx64m (peak RSS recorded).
#
# Usage: benchmarks/run.sh [--quick] [--out DIR] [--before REV]
#   --quick       fewer and shorter iterations: under 10 minutes on 2 cores
#   --out DIR     where the results go (default: benchmarks/results)
#   --before REV  also time the command built from git revision REV (start-up before/after)
#
# Timings on a shared machine are noisy: compare the ratios of one run, and note the load, which
# machine.txt records before and after.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
bench=$root/benchmarks
arguments=("$@")
mode=full
out=$bench/results
before=
while (($#)); do
    case $1 in
        --quick) mode=quick ;;
        --out) out=$2; shift ;;
        --before) before=$2; shift ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
    esac
    shift
done

log() { echo "run.sh: $(date +%T) $*" >&2; }

"$bench/setup.sh"
export JAVA_HOME=${XEN_SSHM_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
java=$JAVA_HOME/bin/java
testbed=$root/src/testkit/target/testbed
work=$(mktemp -d /tmp/xen-sshm-bench.XXXXXX)
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.tsv "$out"/*.json "$out"/*.md "$out"/*.txt "$out"/*.png

cleanup() {
    for env_file in "$work"/*.env; do
        [[ -f $env_file ]] && XEN_SSHM_TESTBED_ENV=$env_file "$root/xen-sshm" testbed stop >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# ---- build -------------------------------------------------------------------------------------
log "building the library, the command, the benchmarks and the C baseline"
build() {
    local name=$1
    shift
    if ! "$@" >"$work/$name.log" 2>&1; then
        cat "$work/$name.log" >&2
        echo "run.sh: $name failed" >&2
        exit 1
    fi
}
build library bash -c "cd '$root' && mvn -B -q -ntp -DskipTests -pl src/cli -am install"
build benchmarks bash -c "cd '$bench' && mvn -B -q -ntp package"
build baseline make -s -C "$bench/c" OUT="$bench/target/c"
jar=$bench/target/benchmarks.jar

{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "jdk: $("$java" -version 2>&1 | sed -n 2p)"
    echo "xen libraries: $(dpkg-query -W -f='${Package} ${Version}' libxenmisc4.17)"
    echo "mode: $mode"
    echo "command: benchmarks/run.sh ${arguments[*]}"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

if [[ $mode == quick ]]; then
    jmh=(-f 1 -wi 1 -w 500ms -i 3 -r 500ms)
    baseline=(--warmup 1 --iterations 3 --time 300)
    hyperfine_runs=10
else
    jmh=()
    baseline=(--warmup 3 --iterations 5 --time 1000)
    hyperfine_runs=40
fi

# The native benchmarks run libxenctrl and libxenstore for real over the test bed: the simulator
# preloaded (JMH's forks inherit it) with its own state file, xenstored started by the benchmarks.
simulated=(env LD_PRELOAD="$testbed/libxensim.so" XENSIM_STATE="$work/hypervisor.state"
    XEN_SSHM_TESTBED_DIR="$testbed")

# ---- the C baseline ----------------------------------------------------------------------------
log "C baseline (the libxl way)"
"${simulated[@]}" "$bench/target/c/libxl-way" "${baseline[@]}" >"$out/c.tsv"

# ---- JMH ---------------------------------------------------------------------------------------
run_jmh() {
    local name=$1
    shift
    log "JMH $name"
    "${simulated[@]}" "$java" -Duser.language=en -Duser.country=US -jar "$jar" "$@" "${jmh[@]}" -prof gc \
        -rf csv -rff "$out/jmh-$name.csv" >"$work/jmh-$name.log" 2>&1 || {
        tail -40 "$work/jmh-$name.log" >&2
        echo "run.sh: JMH $name failed" >&2
        exit 1
    }
}
run_jmh map 'MapPathBenchmark'
run_jmh perpage 'PerPageTeardownBenchmark'
run_jmh engine 'EngineBenchmark'
run_jmh xenstore 'XenstoreBenchmark'

log "allocation per operation, this thread only"
"${simulated[@]}" "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" org.xensshm.benchmarks.AllocationPerCall \
    >"$out/allocation.tsv" 2>"$work/allocation.log"

log "xenstore round trips"
"${simulated[@]}" "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" org.xensshm.benchmarks.RoundTrips \
    >"$out/roundtrips.tsv" 2>"$work/roundtrips.log"

# ---- the command's start-up --------------------------------------------------------------------
log "the command's start-up (hyperfine)"
cli_env=$work/cli.env
cli() { env XEN_SSHM_TESTBED_ENV="$cli_env" "$root/xen-sshm" "$@"; }
cli --version >/dev/null            # builds if needed and makes the AOT cache
cli testbed start >/dev/null
for domid in 1 2 3; do
    cli attach --domid "$domid" "$bench/configs/vm$domid.cfg" >/dev/null
done
configs=("$bench/configs/vm1.cfg" "$bench/configs/vm2.cfg" "$bench/configs/vm3.cfg")
module_path=$root/src/cli/target/xen-sshm-cli.jar:$root/src/cli/target/lib
# What the test bed's clients need, for the JVMs started without the launcher.
bed_env=(env $(. "$cli_env" && echo "LD_PRELOAD=$LD_PRELOAD XENSIM_STATE=$XENSIM_STATE XENSTORED_PATH=$XENSTORED_PATH"))
plain=("$java" --enable-native-access=org.xensshm,org.xensshm.testkit -p "$module_path" -m org.xensshm.cli/org.xensshm.cli.Main)
quote() { printf '%q ' "$@"; }
variants=(
    -n "launcher (AOT cache)" "$(quote env XEN_SSHM_TESTBED_ENV="$cli_env" "$root/xen-sshm") COMMAND"
    -n "launcher, no AOT cache" "$(quote env XEN_SSHM_AOT=off XEN_SSHM_TESTBED_ENV="$cli_env" "$root/xen-sshm") COMMAND"
    -n "plain java" "$(quote "${bed_env[@]}" "${plain[@]}") COMMAND"
)
if [[ -n $before ]]; then
    log "building the command of $before"
    mkdir -p "$work/before"
    git -C "$root" archive "$before" | tar -x -C "$work/before"
    cp -r "$root/.mvn" "$work/before/" 2>/dev/null || true
    build before bash -c "cd '$work/before' && mvn -B -q -ntp -DskipTests -pl src/cli -am package"
    before_path=$work/before/src/cli/target/xen-sshm-cli.jar:$work/before/src/cli/target/lib
    variants+=(-n "plain java, $before" "$(quote "${bed_env[@]}" "$java" --enable-native-access=org.xensshm,org.xensshm.testkit \
        -p "$before_path" -m org.xensshm.cli/org.xensshm.cli.Main) COMMAND")
fi
time_command() {
    local name=$1
    shift
    local commands=() i
    for ((i = 0; i < ${#variants[@]}; i += 3)); do
        commands+=("${variants[i]}" "${variants[i + 1]} ($name)" "${variants[i + 2]/COMMAND/$*}")
    done
    hyperfine -N -w 2 -r "$hyperfine_runs" --export-json "$out/cli-$name.json" --export-markdown "$out/cli-$name.md" \
        "${commands[@]}" >"$work/hyperfine-$name.log" 2>&1 || { cat "$work/hyperfine-$name.log" >&2; exit 1; }
}
time_command status status
time_command check check "$(quote "${configs[@]}")"
cli testbed stop >/dev/null

# ---- scale: a 16 GiB region through the command ------------------------------------------------
log "a 16 GiB region through the command at -Xmx64m"
scale_env=$work/scale.env
cat >"$work/big1.cfg" <<'EOF'
name = "big1"
static_shm = [ "id=BIG, begin=0x200000000, size=0x400000000, role=owner" ]
EOF
cat >"$work/big2.cfg" <<'EOF'
name = "big2"
static_shm = [ "id=BIG, begin=0x2000000000, size=0x400000000, role=borrower" ]
EOF
big() { env XENSIM_MAX_PAGES=$((1 << 24)) XEN_SSHM_TESTBED_ENV="$scale_env" XEN_SSHM_JAVA_OPTS=-Xmx64m "$root/xen-sshm" "$@"; }
# Each domain gets 24 GiB of (sparse) RAM, so the owner's region, at 8 GiB, is RAM. The borrower's
# window, at 128 GiB, lies past the most RAM the domain may have (64 GiB, XENSIM_MAX_PAGES), which
# attach checks: a window must be a hole.
big testbed start --domain big1=1 --domain big2=2 --ram 24G >/dev/null
printf 'step\tseconds\tpeak RSS (KiB)\texit\n' >"$out/scale.tsv"
scale_step() {
    local step=$1
    shift
    local status=0
    /usr/bin/time -o "$work/time" -f '%e\t%M' env XENSIM_MAX_PAGES=$((1 << 24)) XEN_SSHM_TESTBED_ENV="$scale_env" \
        XEN_SSHM_JAVA_OPTS=-Xmx64m "$root/xen-sshm" "$@" >"$work/$step.out" 2>&1 || status=$?
    printf '%s\t%s\t%s\n' "$step" "$(cat "$work/time" | tail -1)" "$status" >>"$out/scale.tsv"
    if ((status != 0)); then
        cat "$work/$step.out" >&2
        scale_failed=1
    fi
}
scale_failed=0
scale_step "attach owner (16 GiB)" attach --domid 1 "$work/big1.cfg"
scale_step "attach borrower (4194304 pages)" attach --domid 2 "$work/big2.cfg"
scale_step "status" status
scale_step "detach borrower" detach --domid 2
scale_step "detach owner" detach --domid 1
cp "$work/attach borrower (4194304 pages).out" "$out/scale-attach.txt" 2>/dev/null || true
big testbed stop >/dev/null

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

# ---- the table and the plot --------------------------------------------------------------------
"$bench/report.sh" "$out"
log "done: $out/results.md, $out/ns-per-page.png"
if ((scale_failed)); then
    echo "run.sh: a step of the 16 GiB run failed (its output is above; scale.tsv has its exit status)" >&2
    exit 1
fi
