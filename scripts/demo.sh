#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the tiered VM (fast 256 MiB, slow 1280 MiB), run the
# hot-set workload (768 MiB, a 64 MiB hot set placed on the slow node)
# under `static`, swap `demeter` in live, and show the share of the hot set
# in fast memory second by second, as the guest reports it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
t_static=${DEMO_STATIC_S:-20}
t_demeter=${DEMO_DEMETER_S:-100}
out=$top/build/demo/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

echo "demo: hot-set workload, ${t_static}s under static, then ${t_demeter}s under demeter (TCG: slow, be patient)"
"$top/scripts/tier-vm" --fast 256 --slow 1280 --share "$out" --log "$out/serial.log" \
	--timeout $((t_static + t_demeter + 300)) -- \
	"$top/bench/demo-guest.sh" "$out" "$t_static" "$t_demeter" > /dev/null &
vm=$!

# One bar per second of the workload, drawn as the guest writes it (the
# share directory is the host's; hotset flushes each line). In shell, as
# awk (mawk) reads a pipe in blocks. hotset prints seconds with one
# decimal and shares with three.
bar() {
	local t hf rest pct pol hashes
	read -r _ || return	# the CSV header
	while IFS=, read -r t hf rest; do
		pct=$(( (10#${hf/./} + 5) / 10 ))
		pol=demeter
		[ "${t%.*}" -ge "$t_static" ] || pol=static
		printf -v hashes '%*s' $((pct * 10 / 25)) ''
		printf '  %6ss  %-8s %3d%% |%-40s|\n' "$t" "$pol" "$pct" "${hashes// /#}"
	done
}
tail -n +1 -F --pid=$vm "$out/hotset.csv" 2>/dev/null | bar
rc=0
wait $vm || rc=$?
[ $rc -eq 0 ] || { echo "demo: the VM run failed (tier-vm exit $rc; see $out/serial.log)" >&2; exit 1; }
[ -s "$out/hotset.csv" ] || { echo "demo: the workload produced no data (see $out/serial.log)" >&2; exit 1; }
awk -F, -v ts="$t_static" '
NR == 1 { next }
{
	pol = ($1 < ts) ? "static" : "demeter";
	last[pol] = int($2 * 100 + 0.5);
	if (pol == "demeter" && $2 >= 0.895 && !t90) t90 = $1 - ts;
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
