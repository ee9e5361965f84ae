# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmark's scripts that run inside a VM (suite-guest.sh,
# virt-guest.sh, virt-host.sh): what a cell does there, start and stop a
# contender, and what it measures. Needs $top (the tree) and $bin
# (build/bin).

vmstat() { awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' /proc/vmstat; }
# Promoted: tier_ext's requests plus every hint-fault migration
# (numa_pages_migrated: the fault-path promotions of tpp, nomad and the
# kernel's tiering mode; pgpromote_success counts only the last).
counters() {	# promoted demoted exchanged migrated
	echo "$(( $(vmstat tier_ext_pages_promoted) + $(vmstat numa_pages_migrated) ))" \
	     "$(( $(vmstat tier_ext_pages_demoted) + $(vmstat pgdemote_kswapd) + $(vmstat pgdemote_direct) + $(vmstat pgdemote_khugepaged) ))" \
	     "$(vmstat tier_ext_pages_exchanged)" "$(vmstat pgmigrate_success)"
}
# CPU ticks of the threads that do tiering: tier_ext's kthreads, DAMON's
# kdamonds, kswapd (demotion in reclaim). Hint faults and NUMA balancing's
# scans are charged to the tasks that take them: faultclock times those.
tier_ticks() {
	local f t=0 comm rest
	for f in /proc/[0-9]*/stat; do
		read -r _ comm rest < "$f" 2>/dev/null || continue
		case $comm in
		"(tier_ext_"*|"(kdamond"*|"(kswapd"*)
			set -- $rest
			t=$((t + ${12} + ${13})) ;;
		esac
	done
	echo $t
}
# "nodeN 0|1" per node: node_unreclaimable from /proc/zoneinfo (kswapd
# gave up reclaiming there after MAX_RECLAIM_RETRIES fruitless runs).
kswapd_state() {
	awk '/^Node/ { n = $2; sub(",", "", n) }
	     /node_unreclaimable/ && !(n in seen) { seen[n]; printf "node%s %s ", n, $2 }
	     END { print "" }' /proc/zoneinfo
}
# Run time of the BPF programs but faultclock's own (fc_*).
bpf_ns() {
	bpftool -j prog show 2>/dev/null | python3 -c 'import json, sys
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if not p.get("name", "").startswith("fc_")))'
}
# faultclock in the background, attached: fpid, empty if it failed (not in
# a subshell: this shell must be its parent to wait for it).
faultclock_start() {	# DIR
	fpid=
	"$bin/faultclock" -r "$1/faultclock.ready" > "$1/faultclock.txt" 2>&1 &
	for _ in $(seq 600); do
		[ -e "$1/faultclock.ready" ] && { fpid=$!; rm -f "$1/faultclock.ready"; return; }
		kill -0 $! 2>/dev/null || return
		sleep 0.1
	done
	kill $! 2>/dev/null
}
# Stop faultclock (in this shell, its parent) and set fault_s: the seconds
# of hint faults and scans, or nothing.
faultclock_stop() {	# DIR
	kill -TERM "$fpid" 2>/dev/null && wait "$fpid"
	fault_s=$(sed -n 's/^fault_s=\([0-9.]*\) .* scan_s=\([0-9.]*\) .*/\1 \2/p' "$1/faultclock.txt" |
		awk '{ printf "%.3f\n", $1 + $2 }')
}

# A tier_ext policy (tierctl) or an upstream peer (peers.sh).
start_contender() {
	case $1 in
	numab2|damon) timeout 120 "$top/bench/peers.sh" start "$1" ;;
	*) timeout 120 "$bin/tierctl" load "$1" --all ;;
	esac
}
stop_contender() {
	case $1 in
	numab2|damon) timeout 120 "$top/bench/peers.sh" stop "$1" ;;
	*) timeout 120 "$bin/tierctl" unload ;;
	esac
}

# tier_ext's batch moves by direction, from its tier_ext_move trace events
# (kernel-patch 0031) in a tracefs instance of the cell's own. Nothing if
# the kernel has no such event.
move_trace_start() {
	local t=/sys/kernel/tracing
	[ -d $t/instances ] || mount -t tracefs tracefs $t 2>/dev/null
	rmdir $t/instances/bench-cell 2>/dev/null
	mkdir $t/instances/bench-cell 2>/dev/null || return 0
	echo 8192 > $t/instances/bench-cell/buffer_size_kb
	echo 1 > $t/instances/bench-cell/events/tier_ext/tier_ext_move/enable 2>/dev/null ||
		rmdir $t/instances/bench-cell
}
# "promote_tried=N promote_failed=N demote_tried=N demote_failed=N
# move_events=N trace_lost=N" (trace_lost: events the buffer overwrote),
# or nothing without move_trace_start.
move_trace_stop() {
	local d=/sys/kernel/tracing/instances/bench-cell
	[ -d $d ] || return 0
	echo 0 > $d/events/enable
	awk '/ tier_ext_move: / {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		n++; t[f["dir"]] += f["tried"]; x[f["dir"]] += f["failed"] }
	     END { printf "promote_tried=%d promote_failed=%d demote_tried=%d demote_failed=%d move_events=%d",
		   t["promote"], x["promote"], t["demote"], x["demote"], n }' $d/trace
	awk '/^overrun:/ { o += $2 } END { printf " trace_lost=%d\n", o }' $d/per_cpu/cpu*/stats
	rmdir $d
}
