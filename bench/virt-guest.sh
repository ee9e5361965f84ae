#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside a KVM guest of bench/virt.sh's host VM: one cell's guest side.
#   virt-guest.sh start DIR CONTENDER   caches dropped, faultclock started,
#                                       the guest's contender (a tier_ext
#                                       policy; none: the host tiers) loaded
#   virt-guest.sh stop DIR CONTENDER    counters read (DIR/guest.txt: one
#                                       "key=value" line), contender stopped
# DIR is the guest's directory of the cell, in its share.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
. "$top/bench/cell-lib.sh"
die() { echo "virt-guest: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: virt-guest.sh start|stop DIR CONTENDER"
op=$1 dir=$2 c=$3
guest_policy() { [ "$c" != none ]; }

case $op in
start)
	mkdir -p "$dir"
	sysctl -qw kernel.numa_balancing=0 kernel.bpf_stats_enabled=1
	sync; echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory
	# faultclock outlives this request: detached, its pid kept
	setsid "$bin/faultclock" -r "$dir/faultclock.ready" > "$dir/faultclock.txt" 2>&1 < /dev/null &
	echo $! > "$dir/faultclock.pid"
	for _ in $(seq 600); do
		[ -e "$dir/faultclock.ready" ] && break
		kill -0 "$(cat "$dir/faultclock.pid")" 2>/dev/null || die "faultclock failed: $(cat "$dir/faultclock.txt")"
		sleep 0.1
	done
	[ -e "$dir/faultclock.ready" ] || die "faultclock did not start in 60 s"
	read -r p0 d0 x0 m0 <<< "$(counters)"
	echo "$p0 $d0 $x0 $m0 $(tier_ticks) $(bpf_ns)" > "$dir/base"
	if guest_policy; then
		move_trace_start
		start_contender "$c" > "$dir/contender.log" 2>&1 || die "contender $c did not start: $(tail -1 "$dir/contender.log")"
	fi
	;;
stop)
	[ -e "$dir/base" ] || die "no cell started in $dir"
	read -r p0 d0 x0 m0 t0 b0 < "$dir/base"
	t1=$(tier_ticks) b1=$(bpf_ns)
	read -r p1 d1 x1 m1 <<< "$(counters)"
	fpid=$(cat "$dir/faultclock.pid")
	kill -TERM "$fpid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
	fault_s=$(sed -n 's/^fault_s=\([0-9.]*\) .* scan_s=\([0-9.]*\) .*/\1 \2/p' "$dir/faultclock.txt" |
		awk '{ printf "%.3f\n", $1 + $2 }')
	rc=0
	if guest_policy; then
		"$bin/tierctl" status > "$dir/status.txt" 2>&1
		stop_contender "$c" >> "$dir/contender.log" 2>&1 || rc=1
	fi
	awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v f="${fault_s:-0}" \
	    -v p=$((p1 - p0)) -v d=$((d1 - d0)) -v x=$((x1 - x0)) -v m=$((m1 - m0)) -v b=$(( (b1 - b0) / 1000000 )) \
	    'BEGIN { printf "tier_cpu_s=%.3f fault_s=%s bpf_ms=%d promoted=%d demoted=%d exchanged=%d migrated=%d\n", t / hz + f, f, b, p, d, x, m }' \
	    > "$dir/guest.txt"
	# pages tried and failed by direction, beside guest.txt (whose columns
	# cells.csv has)
	move_trace_stop > "$dir/moves.txt"
	cat "$dir/guest.txt"
	exit $rc
	;;
*) die "usage: virt-guest.sh start|stop DIR CONTENDER" ;;
esac
