#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the tiered VM (fast 256 MiB, slow 1280 MiB), run the
# hot-set workload (768 MiB, a 64 MiB hot set placed on the slow node)
# under `static`, swap `demeter` in live, and show the share of the hot set
# in fast memory over time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t_static=${DEMO_STATIC_S:-20}
t_demeter=${DEMO_DEMETER_S:-100}
out=$top/build/demo/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

echo "demo: hot-set workload, ${t_static}s under static, then ${t_demeter}s under demeter (TCG: slow, be patient)"
"$top/scripts/tier-vm" --fast 256 --slow 1280 --share "$out" --log "$out/serial.log" \
	--timeout $((t_static + t_demeter + 300)) -- \
	"$top/bench/demo-guest.sh" "$out" "$t_static" "$t_demeter" > /dev/null

[ -s "$out/hotset.csv" ] || { echo "demo: the workload produced no data (see $out/serial.log)" >&2; exit 1; }
awk -F, -v ts="$t_static" '
NR == 1 { next }
{
	pol = ($1 < ts) ? "static" : "demeter";
	pct = int($2 * 100 + 0.5);
	bar = sprintf("%*s", int(pct / 2.5), ""); gsub(/ /, "#", bar);
	printf "  %6.1fs  %-8s %3d%% |%-40s|\n", $1, pol, pct, bar;
	last[pol] = pct;
	if (pol == "demeter" && pct >= 90 && !t90) t90 = $1 - ts;
}
END {
	printf "\n  %-8s  %s\n", "policy", "hot set in fast memory at the end of its phase";
	printf "  %-8s  %d%%\n", "static", last["static"];
	printf "  %-8s  %d%%", "demeter", last["demeter"];
	if (t90) printf "  (90%% reached %.0f s after the swap)", t90;
	printf "\n";
}' "$out/hotset.csv" | tee "$out/summary.txt"
echo
sed -n 's/^/  /p' "$out/status.txt"
echo
echo "demo: results in $out (hotset.csv, summary.txt, status.txt, vmstat.txt, serial.log)"
