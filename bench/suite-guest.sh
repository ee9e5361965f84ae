#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the tiered VM, for bench/run.sh: the cells of CELLS (lines "SEED
# WORKLOAD CONTENDER"), one at a time, each from the same start: caches
# dropped, memory compacted (scenario noisy: the fast node then filled
# with a foreign process's cold ballast), the contender started, the
# workload run with WL_SEED=SEED (its timed phase between DIR/start and
# DIR/end, whose host mtimes place it in the testbed's windows), counters
# read, all stopped. Appends one row per cell to OUT/cells.csv.
#   suite-guest.sh OUT CELLS main|noisy
set -u
out=$1 cells=$2 scenario=$3
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
csv=$out/cells.csv
[ -s "$csv" ] || echo "seed,workload,contender,status,seconds,ops,check,fast_free_mb,promoted,demoted,exchanged,migrated,tier_cpu_s,fault_s,bpf_ms" > "$csv"

# The workloads for a 256 MiB fast + 1 GiB slow VM. main (the paper's
# shape): footprint 2-2.5x the fast tier, hot set smaller than it; the
# workload's own first-touched data fills the fast tier. noisy: the
# 2026-11-27 sizes (25-130 MiB) beside a cold ballast that fills the fast
# node. Op counts make the timed phases last tens of guest seconds
# (bench/README.md has the measured lengths).
workload_cmd() {	# NAME MARK_DIR
	local w=$top/bench/workloads
	if [ "$scenario" = main ]; then
		case $1 in
		gups)		echo "$bin/gups -m 640 -h 128 -n 150 -r $2" ;;
		gups-moving)	echo "$bin/gups -m 640 -h 128 -n 150 -M 3 -r $2" ;;
		btree)		echo "$bin/btree -k 40 -n 25 -r $2" ;;
		pagerank)	echo "$bin/pagerank -v 12000 -d 4 -i 4 -r $2" ;;
		xsbench)	echo "$bin/xsbench -g 200000 -n 1400 -r $2" ;;
		redis)		echo "$w/redis.sh -c 800 -k 150 -n 1400 -r $2" ;;
		sqlite)		echo "$w/sqlite.sh -c 450 -k 150 -n 3000 -r $2" ;;
		liblinear)	echo "$w/liblinear.sh -d $top/build/bench-data/liblinear -n 1200 -r $2" ;;
		*)		return 1 ;;
		esac
		return
	fi
	case $1 in
	gups)		echo "$bin/gups -m 128 -h 16 -n 6 -r $2" ;;
	gups-moving)	echo "$bin/gups -m 128 -h 16 -n 6 -M 3 -r $2" ;;
	btree)		echo "$bin/btree -k 4 -n 1 -r $2" ;;
	pagerank)	echo "$bin/pagerank -v 300 -d 4 -i 6 -r $2" ;;
	xsbench)	echo "$bin/xsbench -g 20000 -n 30 -r $2" ;;
	redis)		echo "$w/redis.sh -c 50 -k 10 -n 20 -r $2" ;;
	sqlite)		echo "$w/sqlite.sh -c 30 -k 10 -n 300 -r $2" ;;
	liblinear)	echo "$w/liblinear.sh -d $top/build/bench-data/liblinear -n 20 -r $2" ;;
	*)		return 1 ;;
	esac
}

. "$top/bench/cell-lib.sh"

# A contender that does not start or stop in 2 minutes: what is blocked.
diagnose() {	# DIR
	local p
	echo w > /proc/sysrq-trigger 2>/dev/null
	for p in $(pgrep -f 'tierctl|peers.sh'); do
		echo "== $p $(tr '\0' ' ' < /proc/$p/cmdline)"; cat /proc/$p/stack
	done > "$1/blocked.txt" 2>&1
	cat /sys/kernel/mm/tier_ext/* > "$1/tier_ext-sysfs.txt" 2>&1
}

sysctl -qw kernel.numa_balancing=0 kernel.bpf_stats_enabled=1
ncells=$(wc -l < "$cells") i=0
while read -r seed w c <&3; do
	i=$((i + 1))
	dir=$out/$w.$c.$seed
	rm -rf "$dir"; mkdir -p "$dir"
	echo "bench: cell $i/$ncells: $w under $c, seed $seed" >&2
	cmd=$(workload_cmd "$w" "$dir") || { echo "bench: unknown workload $w" >&2; exit 2; }
	sync; echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory
	status=ok bpid=
	if [ "$scenario" = noisy ]; then
		"$bin/ballast" -N 0 -R 16 -r "$dir/ballast.ready" & bpid=$!
		for _ in $(seq 600); do [ -e "$dir/ballast.ready" ] || ! kill -0 $bpid 2>/dev/null && break; sleep 0.2; done
		[ -e "$dir/ballast.ready" ] || status=ballast-failed
	fi
	# kswapd's state per node (node_unreclaimable: it gave up reclaiming
	# there, so promotions that need room stall; a fresh boot starts at 0)
	kswapd_state > "$dir/kswapd.txt"
	# what the oracle may use: the fast node's free memory at the start
	fast_free=$(awk '/MemFree/ { print int($4 / 1024) }' /sys/devices/system/node/node0/meminfo)
	read -r p0 d0 x0 m0 <<< "$(counters)"
	t0=$(tier_ticks) b0=$(bpf_ns)
	fpid= fault_s=
	if [ $status = ok ]; then
		faultclock_start "$dir"
		[ -n "$fpid" ] || status=faultclock-failed
	fi
	if [ $status = ok ] && ! start_contender "$c" > "$dir/contender.log" 2>&1; then
		status=contender-failed
		diagnose "$dir"
	fi
	secs= ops= check=
	if [ $status = ok ]; then
		WL_SEED=$seed timeout 900 $cmd > "$dir/out" 2> "$dir/err"
		rc=$?
		read -r secs ops check <<< "$(sed -n 's/^result .*seconds=\([0-9.]*\) ops=\([0-9]*\) check=\([a-zA-Z]*\).*/\1 \2 \3/p' "$dir/out")"
		[ $rc -eq 0 ] || status=workload-exit-$rc
		b1=$(bpf_ns) t1=$(tier_ticks)
		faultclock_stop "$dir"
		"$bin/tierctl" status > "$dir/status.txt" 2>&1
		kswapd_state >> "$dir/kswapd.txt"
		stop_contender "$c" >> "$dir/contender.log" 2>&1 || { status=stop-failed; diagnose "$dir"; }
	else
		[ -z "$fpid" ] || faultclock_stop "$dir"
		b1=$b0 t1=$t0
	fi
	read -r p1 d1 x1 m1 <<< "$(counters)"
	[ -z "$bpid" ] || { kill $bpid 2>/dev/null; wait $bpid 2>/dev/null; }
	echo "$seed,$w,$c,$status,$secs,$ops,$check,$fast_free,$((p1 - p0)),$((d1 - d0)),$((x1 - x0)),$((m1 - m0)),$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v f="${fault_s:-0}" 'BEGIN { printf "%.3f", t / hz + f }'),$fault_s,$(( (b1 - b0) / 1000000 ))" >> "$csv"
	[ $status = ok ] || { echo "bench: $w under $c: $status (see $dir)" >&2; tail -3 "$dir/err" "$dir/contender.log" >&2 2>/dev/null; }
done 3< "$cells"
exit 0
