#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The upstream tiering peers, configured through the kernel's own
# interfaces (no BPF), for comparisons with the tier_ext policies:
#   numab2  NUMA balancing in memory tiering mode (kernel.numa_balancing=2)
#           with demotion in reclaim: the kernel's TPP
#   damon   DAMON: one kdamond per node over its physical memory, DAMOS
#           migrate_cold from the fast node, migrate_hot from the slow one
# Usage (as root, in the guest): peers.sh start|stop numab2|damon
set -eu

die() { echo "peers.sh: $*" >&2; exit 1; }

# "START END" physical byte range of node $1, from /proc/zoneinfo.
node_range() {
	awk -v want="$1" '
		/^Node/ { sub(",", "", $2); node = $2 }
		$1 == "spanned" { spanned = $2 }
		$1 == "start_pfn:" && node == want && spanned > 0 {
			s = $2; e = $2 + spanned
			if (lo == "" || s < lo) lo = s
			if (e > hi) hi = e
		}
		END { if (lo == "") exit 1; printf "%d %d\n", lo * 4096, hi * 4096 }
	' /proc/zoneinfo
}

damon_kdamond() {	# index, node, action, target node, min accesses, max accesses, min age
	local k=$1 node=$2 action=$3 target=$4 amin=$5 amax=$6 agemin=$7
	local d=/sys/kernel/mm/damon/admin/kdamonds/$k c s start end
	read -r start end <<< "$(node_range "$node")" || die "node $node has no memory"
	echo 1 > "$d/contexts/nr_contexts"
	c=$d/contexts/0
	echo paddr > "$c/operations"
	echo 5000 > "$c/monitoring_attrs/intervals/sample_us"
	echo 100000 > "$c/monitoring_attrs/intervals/aggr_us"
	echo 1000000 > "$c/monitoring_attrs/intervals/update_us"
	echo 10 > "$c/monitoring_attrs/nr_regions/min"
	echo 1000 > "$c/monitoring_attrs/nr_regions/max"
	echo 1 > "$c/targets/nr_targets"
	echo 1 > "$c/targets/0/regions/nr_regions"
	echo "$start" > "$c/targets/0/regions/0/start"
	echo "$end" > "$c/targets/0/regions/0/end"
	echo 1 > "$c/schemes/nr_schemes"
	s=$c/schemes/0
	echo "$action" > "$s/action"
	echo "$target" > "$s/target_nid"
	# every range starts as [0, 0]: give each its bounds
	echo 4096 > "$s/access_pattern/sz/min"
	echo $((1 << 40)) > "$s/access_pattern/sz/max"
	echo "$amin" > "$s/access_pattern/nr_accesses/min"
	echo "$amax" > "$s/access_pattern/nr_accesses/max"
	echo "$agemin" > "$s/access_pattern/age/min"
	echo 4294967295 > "$s/access_pattern/age/max"
	# at most 256 MiB per second, as tier_ext's default rate limit
	echo $((256 << 20)) > "$s/quotas/bytes"
	echo 1000 > "$s/quotas/reset_interval_ms"
	echo on > "$d/state"
}

start() {
	case $1 in
	numab2)
		[ -w /proc/sys/kernel/numa_balancing ] || die "kernel without NUMA balancing"
		echo 1 > /sys/kernel/mm/numa/demotion_enabled
		echo 2 > /proc/sys/kernel/numa_balancing ;;
	damon)
		local a=/sys/kernel/mm/damon/admin/kdamonds
		[ -d $a ] || die "kernel without DAMON sysfs"
		echo 2 > $a/nr_kdamonds
		# cold: no access in 10 aggregation intervals (1 s); hot: any access
		damon_kdamond 0 0 migrate_cold 1 0 0 10
		damon_kdamond 1 1 migrate_hot 0 1 20 0 ;;
	*) die "unknown peer '$1' (numab2, damon)" ;;
	esac
}

stop() {
	case $1 in
	numab2)
		echo 0 > /proc/sys/kernel/numa_balancing
		echo 0 > /sys/kernel/mm/numa/demotion_enabled ;;
	damon)
		local a=/sys/kernel/mm/damon/admin/kdamonds k
		for k in 0 1; do
			[ "$(cat $a/$k/state 2>/dev/null)" = on ] && echo off > $a/$k/state
		done
		echo 0 > $a/nr_kdamonds ;;
	*) die "unknown peer '$1' (numab2, damon)" ;;
	esac
}

[ $# -eq 2 ] || die "usage: peers.sh start|stop numab2|damon"
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
*) die "usage: peers.sh start|stop numab2|damon" ;;
esac
