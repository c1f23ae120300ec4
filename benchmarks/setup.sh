#!/usr/bin/env bash
# Installs, on Debian 12, what benchmarks/run.sh needs on top of the project's own setup:
# gnuplot (the plot), hyperfine (the command's start-up) and GNU time (peak memory of a command).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)

"$root/src/scripts/setup-debian.sh"

packages=(gnuplot-nox hyperfine time)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "benchmarks setup: missing Debian packages: ${missing[*]}" >&2
        echo "install them as root: apt-get install ${missing[*]}" >&2
        exit 2
    fi
    echo "benchmarks setup: installing ${missing[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
