#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark suite: every workload under every contender (tier_ext
# policies and the upstream peers) in a tiered VM (fast 256 MiB = 20% of
# 1280 MiB, 2 vCPUs, TCG under icount) under the virtual-time testbed (its
# memory model charged into the guest's clock), REPEATS times (one VM per repeat). Results: bench/results/<date>/
# (cells.csv per repeat, bench.csv, bench.md, plots); see bench/README.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
all_workloads=gups,gups-moving,btree,pagerank,xsbench,redis,sqlite,liblinear
all_contenders=static,numab2,damon,tpp,memtis,nomad,demeter
workloads=$all_workloads contenders=$all_contenders repeats=3
out= quick=
fast_ns=${BENCH_FAST_NS:-69} slow_ns=${BENCH_SLOW_NS:-177}

usage() {
	cat <<EOT
Usage: bench/run.sh [--quick] [--repeats N] [--workloads LIST] [--contenders LIST] [--out DIR]

  --quick            gups under static and demeter, 3 repeats (make bench-quick;
                     results in bench/results/DATE-quick)
  --repeats N        VM runs, each with every cell               [$repeats]
  --workloads LIST   comma-separated, from: $all_workloads
  --contenders LIST  comma-separated, from: $all_contenders
  --out DIR          results directory                           [bench/results/DATE]
Modelled miss latencies: BENCH_FAST_NS [$fast_ns], BENCH_SLOW_NS [$slow_ns].
EOT
}
die() { echo "bench: $*" >&2; exit 1; }
in_list() { [[ ,$2, == *,$1,* ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	--quick) workloads=gups contenders=static,demeter quick=-quick; shift ;;
	--repeats) [[ ${2-} =~ ^[1-9][0-9]*$ ]] || die "--repeats needs a positive integer"; repeats=$2; shift 2 ;;
	--workloads) workloads=${2-}; shift 2 ;;
	--contenders) contenders=${2-}; shift 2 ;;
	--out) out=${2-}; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
out=${out:-$top/bench/results/$(date +%Y-%m-%d)$quick}
IFS=, read -r -a wl <<< "$workloads"
IFS=, read -r -a ct <<< "$contenders"
[ ${#wl[@]} -gt 0 ] && [ ${#ct[@]} -gt 0 ] || die "no workloads or contenders given"
for w in "${wl[@]}"; do in_list "$w" "$all_workloads" || die "unknown workload '$w' (from: $all_workloads)"; done
for c in "${ct[@]}"; do in_list "$c" "$all_contenders" || die "unknown contender '$c' (from: $all_contenders)"; done
for f in build/bin/tier_access.so build/qemu-build/qemu-system-x86_64 build/bin/tierctl build/bin/ballast build/kernel/arch/x86/boot/bzImage; do
	[ -e "$top/$f" ] || die "$f is missing (run: make bench)"
done
if in_list liblinear "$workloads"; then
	"$top/bench/workloads/liblinear.sh" -p -d "$top/build/bench-data/liblinear" -n 20
fi

ipi_addr=0x$(awk '$3 == "native_flush_tlb_multi" { print $1 }' "$top/build/kernel/System.map")
[ "$ipi_addr" != 0x ] || die "no native_flush_tlb_multi in build/kernel/System.map"
mkdir -p "$out"
out=$(cd "$out" && pwd)
share=$top/build/vm/share/bench
ncells=$(( ${#wl[@]} * ${#ct[@]} ))
echo "bench: ${#wl[@]} workloads x ${#ct[@]} contenders x $repeats repeats; memory model fast ${fast_ns} ns, slow ${slow_ns} ns; results in $out"
for ((r = 1; r <= repeats; r++)); do
	rm -rf "$share"; mkdir -p "$share"
	start=$(date +%s)
	set +e
	"$top/scripts/tier-vm" --accel tcg --icount 0 --qemu "$top/build/qemu-build/qemu-system-x86_64" --fast 256 --slow 1024 --timeout $((ncells * 600 + 300)) \
		--log "$share/serial.log" \
		--plugin "$top/build/bin/tier_access.so,fast_mb=256,ram_mb=1280,user=on,window_ms=250,model=on,fast_ns=$fast_ns,slow_ns=$slow_ns,ipi_addr=$ipi_addr,out=$share/access.csv" \
		-- "$top/bench/suite-guest.sh" "$share" "$r" "$workloads" "$contenders" 2>&1 |
		grep --line-buffered '^bench:'
	rc=${PIPESTATUS[0]}
	set -e
	rm -rf "$out/r$r"; mkdir -p "$out/r$r"
	cp -a "$share"/. "$out/r$r/"
	# the timed phases in host time (git keeps no mtimes)
	{
		echo "workload,contender,start_unix,end_unix"
		for d in "$out/r$r"/*.*/; do
			d=${d%/}; cell=$(basename "$d")
			[ -e "$d/start" ] && [ -e "$d/end" ] || continue
			echo "${cell%%.*},${cell#*.},$(stat -c %.6Y "$d/start"),$(stat -c %.6Y "$d/end")"
		done
	} > "$out/r$r/phases.csv"
	rm -f "$out/r$r"/*/start "$out/r$r"/*/end "$out/r$r"/*/ballast.ready
	echo "bench: repeat $r/$repeats done in $(( $(date +%s) - start )) s (VM exit $rc)"
done
python3 "$top/bench/report.py" "$out" --fast-ns "$fast_ns" --slow-ns "$slow_ns"
