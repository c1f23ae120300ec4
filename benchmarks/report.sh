#!/usr/bin/env bash
# Turns the raw results of run.sh in DIR into DIR/results.md (tables, ratios, targets) and
# DIR/ns-per-page.png (gnuplot). Usage: benchmarks/report.sh DIR
set -euo pipefail
dir=${1:?usage: report.sh DIR}
cd "$dir"

# One line per measurement: path, size (pages or regions), ns per operation, its error, bytes
# allocated per operation. JMH's CSV (scores in us/op or ms/op, -prof gc's norm as its own rows)
# and the C baseline's TSV (ns/op, stddev) meet here.
{
    for csv in jmh-*.csv; do
        awk -F, '
            function unquote(s) { gsub(/^"|"$/, "", s); return s }
            { sub(/\r$/, "") }
            FNR == 1 {
                for (i = 1; i <= NF; i++) {
                    name = unquote($i)
                    if (name == "Benchmark") b = i
                    else if (name == "Score") sc = i
                    else if (name ~ /^Score Error/) er = i
                    else if (name == "Unit") un = i
                    else if (name ~ /^Param: /) pa = i
                }
                next
            }
            {
                bench = unquote($b); unit = unquote($un)
                sub(/^org\.xensshm\.benchmarks\./, "", bench)
                metric = ""
                if (index(bench, ":") > 0) { metric = substr(bench, index(bench, ":") + 1); bench = substr(bench, 1, index(bench, ":") - 1) }
                key = bench SUBSEP unquote($pa)
                if (metric == "gc.alloc.rate.norm") { alloc[key] = $sc; next }
                if (metric != "") next
                f = unit == "ns/op" ? 1 : unit == "us/op" ? 1e3 : unit == "ms/op" ? 1e6 : unit == "s/op" ? 1e9 : 0
                score[key] = $sc * f; error[key] = ($er == "NaN" ? 0 : $er * f); order[++n] = key
            }
            END {
                for (i = 1; i <= n; i++) {
                    split(order[i], k, SUBSEP)
                    printf "%s\t%s\t%.1f\t%.1f\t%s\n", k[1], k[2], score[order[i]], error[order[i]], (order[i] in alloc) ? alloc[order[i]] : "-"
                }
            }' "$csv"
    done
    awk -F'\t' '{ printf "C.%s\t%s\t%s\t%s\t-\n", $2, $3, $4, $5 }' c.tsv
} >results.tsv

# The plot's data: ns/page of each path by size; "?" where a path has no such size.
awk -F'\t' '
    BEGIN {
        split("MapPathBenchmark.ours MapPathBenchmark.naive C.map MapPathBenchmark.oursMapUnmap C.map-unmap C.map-multicall PerPageTeardownBenchmark.oursMapUnmapPerPage", paths, " ")
    }
    $1 ~ /^(MapPath|PerPage|C\.)/ { v[$1, $2] = $3 / $2; sizes[$2] = 1 }
    END {
        printf "# pages"
        for (p = 1; p <= 7; p++) printf "\t%s", paths[p]
        printf "\n"
        for (s in sizes) {
            printf "%s", s
            for (p = 1; p <= 7; p++) printf "\t%s", ((paths[p], s) in v) ? v[paths[p], s] : "?"
            printf "\n"
        }
    }' results.tsv | sort -n >plot.tsv

gnuplot <<'EOF'
set terminal pngcairo size 1000,750 font ",11"
set output "ns-per-page.png"
set datafile separator "\t"
set datafile missing "?"
set logscale xy
set xlabel "region size (pages of 4 KiB)"
set ylabel "ns per page"
set format x "%.0f"
set xtics ("1" 1, "512" 512, "64 Ki" 65536, "256 Ki" 262144, "1 Mi" 1048576, "4 Mi" 4194304)
set grid
set key below maxrows 4
set title "Mapping (and unmapping) a borrower's pages over libxenctrl 4.17 and the test bed, one run"
plot "plot.tsv" using 1:2 with linespoints lw 2 title "map: ours (JMH)", \
     "" using 1:3 with linespoints lw 2 title "map: naive Java (JMH)", \
     "" using 1:4 with linespoints lw 2 dt 2 title "map: C, the libxl way", \
     "" using 1:5 with linespoints lw 2 title "map + unmap: ours (multicalls)", \
     "" using 1:6 with linespoints lw 2 dt 2 title "map + unmap: C, the libxl way (page by page)", \
     "" using 1:7 with linespoints lw 1 dt 3 title "map + unmap: C with multicalls", \
     "" using 1:8 with linespoints lw 1 dt 4 title "map + unmap: ours page by page (fallback)"
EOF

# ---- results.md ---------------------------------------------------------------------------------
ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1e6 }'; }
{
    echo "# Benchmark results"
    echo
    echo '```'
    cat machine.txt
    echo '```'
    echo
    echo "![ns per page](ns-per-page.png)"
    echo
    echo "## Map path: ns per page (one operation maps the whole region and checks every page)"
    echo
    awk -F'\t' '
        FILENAME == "allocation.tsv" { al[$1, $2] = $3; pc[$1, $2] = $4; next }
        { v[$1, $2] = $3; a[$1, $2] = $5; if ($1 == "C.map") sizes[++n] = $2 }
        END {
            print "| pages | ours | naive Java | C, the libxl way | ours / C | naive / ours | ours: B allocated per op (per batch call) | naive: B per op | -prof gc, ours / naive: B per op |"
            print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                s = sizes[i]; o = v["MapPathBenchmark.ours", s]; nv = v["MapPathBenchmark.naive", s]; c = v["C.map", s]
                printf "| %d | %.1f | %.1f | %.1f | %.3f | %.2f | %s (%s) | %s | %.0f / %.0f |\n", s, o / s, nv / s, c / s, o / c, nv / o,
                    al["ours", s], pc["ours", s], al["naive", s], a["MapPathBenchmark.ours", s], a["MapPathBenchmark.naive", s]
            }
        }' allocation.tsv results.tsv
    echo
    echo "Allocation: counted for the benchmark thread alone after warm-up (AllocationPerCall); JMH's"
    echo "-prof gc column counts every thread of the JVM, which at long operations (a few per iteration)"
    echo "charges the harness's own allocations to each operation."
    echo
    echo "## Teardown: map + unmap, ns per page"
    echo
    awk -F'\t' '
        { v[$1, $2] = $3; if ($1 == "C.map-unmap") sizes[++n] = $2 }
        END {
            print "| pages | ours: map into an empty window | ours: unmap (multicalls) | unmap / map | ours: map + unmap | C, the libxl way: map + unmap page by page | libxl way / ours | C: map + multicall unmap | ours: map + unmap page by page |"
            print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                s = sizes[i]; mu = v["MapPathBenchmark.oursMapUnmap", s]; u = v["MapPathBenchmark.oursUnmap", s]; m = mu - u
                pp = ("PerPageTeardownBenchmark.oursMapUnmapPerPage", s) in v ? sprintf("%.1f", v["PerPageTeardownBenchmark.oursMapUnmapPerPage", s] / s) : "-"
                printf "| %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f | %s |\n", s, m / s, u / s, u / m, mu / s,
                    v["C.map-unmap", s] / s, v["C.map-unmap", s] / mu, v["C.map-multicall", s] / s, pp
            }
        }' results.tsv
    echo
    echo "Map into an empty window = (map + unmap) - unmap, both measured in this run; the unmap alone is"
    echo "timed with the region mapped before each invocation (JMH Level.Invocation, untimed)."
    echo
    echo "## The engine: a borrower's attach and detach (xenstore, window emptied, pages mapped; detach: multicalls), ms"
    echo
    awk -F'\t' '
        { v[$1, $2] = $3; a[$1, $2] = $5; if ($1 == "EngineBenchmark.attach") sizes[++n] = $2 }
        END {
            print "| pages | attach | detach | detach / attach | attach + detach | C, the libxl way: map + unmap | libxl way / ours | -prof gc: B per attach + detach |"
            print "|---:|---:|---:|---:|---:|---:|---:|---:|"
            for (i = 1; i <= n; i++) {
                s = sizes[i]; at = v["EngineBenchmark.attach", s]; de = v["EngineBenchmark.detach", s]; ad = at + de
                printf "| %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.1f | %.0f |\n", s, at / 1e6, de / 1e6, de / at, ad / 1e6,
                    v["C.map-unmap", s] / 1e6, v["C.map-unmap", s] / ad, a["EngineBenchmark.attach", s] + a["EngineBenchmark.detach", s]
            }
        }' results.tsv
    echo
    echo "## xenstore: N one-page regions, the real xenstored"
    echo
    awk -F'\t' '
        FILENAME == "roundtrips.tsv" { rt[$1, $2] = $3; next }
        $1 ~ /^XenstoreBenchmark/ { op = $1; sub(/^XenstoreBenchmark\./, "", op); v[op, $2] = $3; r[$2] = 1 }
        END {
            print "| regions | operation | ms | ms per region | xenstore requests | requests per region | ms per request |"
            print "|---:|---|---:|---:|---:|---:|---:|"
            split("1 8 64", ns, " "); split("ownerAttach borrowerAttach borrowerDetach ownerDetach", ops, " ")
            for (i = 1; i <= 3; i++) for (j = 1; j <= 4; j++) {
                k = ops[j] SUBSEP ns[i]
                printf "| %d | %s | %.3f | %.3f | %d | %.1f | %.3f |\n", ns[i], ops[j], v[k] / 1e6, v[k] / 1e6 / ns[i], rt[k], rt[k] / ns[i], v[k] / 1e6 / rt[k]
            }
        }' roundtrips.tsv results.tsv
    echo
    echo "## The command's start-up (hyperfine)"
    echo
    cat cli-status.md
    echo
    cat cli-check.md
    echo
    echo "## A 16 GiB region (4194304 pages) through the command, JVM at -Xmx64m"
    echo
    awk -F'\t' 'NR == 1 { print "| " $1 " | " $2 " | " $3 " | " $4 " |"; print "|---|---:|---:|---:|"; next }
        { print "| " $1 " | " $2 " | " $3 " | " $4 " |" }' scale.tsv
    echo
    echo "## Targets"
    echo
    awk -F'\t' '
        FILENAME ~ /allocation.tsv/ { pc[$1, $2] = $4; next }
        FILENAME ~ /results.tsv/ { v[$1, $2] = $3; a[$1, $2] = $5; next }
        FILENAME ~ /scale.tsv/ { if (FNR > 1 && $4 != 0) scalefail++; if (FNR > 1) scalesteps++; next }
        function number(line) { sub(/.*: */, "", line); sub(/,.*/, "", line); return line + 0 }
        FILENAME ~ /cli-status.json/ && /"mean"/ && !st { st = number($0); next }
        FILENAME ~ /cli-check.json/ && /"mean"/ && !ck { ck = number($0); next }
        function verdict(ok) { return ok ? "met" : "**missed**" }
        END {
            print "| target | measured in this run | |"
            print "|---|---|---|"
            r = v["MapPathBenchmark.ours", 512] / v["C.map", 512]
            printf "| map path at C cost: Java/C <= 1.05 at 512 pages | %.3f | %s |\n", r, verdict(r <= 1.05)
            worst = 0
            for (s = 65536; s <= 4194304; s *= 4) if (("MapPathBenchmark.oursUnmap", s) in v) {
                u = v["MapPathBenchmark.oursUnmap", s]; q = u / (v["MapPathBenchmark.oursMapUnmap", s] - u); if (q > worst) worst = q }
            printf "| detach of >= 65536 pages at most 2x its attach (map path: unmap / map) | worst %.2f | %s |\n", worst, verdict(worst <= 2)
            worst = 0
            for (s = 65536; s <= 4194304; s *= 4) if (("EngineBenchmark.attach", s) in v) {
                q = v["EngineBenchmark.detach", s] / v["EngineBenchmark.attach", s]; if (q > worst) worst = q }
            printf "| the same through the engine (detach / attach) | worst %.2f | %s |\n", worst, verdict(worst <= 2)
            least = 1e9
            for (s = 65536; s <= 4194304; s *= 4) if (("MapPathBenchmark.oursMapUnmap", s) in v) {
                q = v["C.map-unmap", s] / v["MapPathBenchmark.oursMapUnmap", s]; if (q < least) least = q }
            printf "| attach + detach >= 5x faster than the libxl way, >= 65536 pages (map path) | least %.1fx | %s |\n", least, verdict(least >= 5)
            least = 1e9
            for (s = 65536; s <= 4194304; s *= 4) if (("EngineBenchmark.attach", s) in v) {
                q = v["C.map-unmap", s] / (v["EngineBenchmark.attach", s] + v["EngineBenchmark.detach", s]); if (q < least) least = q }
            printf "| the same through the engine, xenstore included | least %.1fx | %s |\n", least, verdict(least >= 5)
            worst = 0
            for (k in pc) { split(k, key, SUBSEP); if (key[1] == "ours" && pc[k] > worst) { worst = pc[k]; at = key[2] } }
            printf "| no allocation per batch call on the map path (B per call, worst size) | %s | %s |\n",
                ((worst > 0) ? sprintf("%.1f (%d pages)", worst, at) : "0 at every size"), verdict(worst < 1)
            printf "| `xen-sshm status` on the test bed <= 0.25 s (the launcher, wall) | %.3f s | %s |\n", st, (st > 0) ? verdict(st <= 0.25) : "not measured"
            printf "| `xen-sshm check` of three configs <= 0.2 s (the launcher, wall) | %.3f s | %s |\n", ck, (ck > 0) ? verdict(ck <= 0.2) : "not measured"
            printf "| a 16 GiB region attaches and detaches through the command at -Xmx64m | %d of %d steps succeeded | %s |\n", scalesteps - scalefail, scalesteps, verdict(scalefail == 0)
        }' allocation.tsv results.tsv scale.tsv cli-status.json cli-check.json
} >results.md
