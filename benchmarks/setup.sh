#!/usr/bin/env bash
# Installs, on Debian 12, what benchmarks/run.sh needs: the project's own setup, plus gnuplot (the
# plot), hyperfine (the command's start-up) and GNU time (peak memory of a command).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)

exec "$root/src/scripts/setup-debian.sh" gnuplot-nox hyperfine time
