#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside a VM with two fast nodes and one slow node (tier-vm --fast-nodes 2;
# selftests/topology.sh boots it): tools and policies find the tiers as the
# kernel ranks them instead of assuming node 0 fast and node 1 slow.
#   topology-guest.sh COUNTS     TAP on stdout, "PASS FAIL SKIP" to COUNTS
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
counts=$1
tierctl=$top/build/bin/tierctl
n=0 pass=0 fail=0 skip=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - topology: $1"; }
nok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - topology: $1"; }
trap 'echo "$pass $fail $skip" > "$counts"' EXIT

# 1. tierctl top: nodes 0 and 1 in the top tier, node 2 below
json=$("$tierctl" top -j -n 1 -d 0.1 2>&1)
if python3 -c 'import json, sys
r = json.loads(sys.argv[1])
t = {n["node"]: n["tier"] for n in r["nodes"]}
sys.exit(0 if t == {0: 0, 1: 0, 2: 1} else 1)' "$json"; then
	ok "tierctl top: nodes 0-1 in tier 0, node 2 in tier 1"
else
	nok "tierctl top: nodes 0-1 in tier 0, node 2 in tier 1"; echo "# $json"
fi

# 2. the migration engine moves between tiers only (kselftest, one test)
out=$("$top/build/selftests/tier_ext_mm" -t migrate_moves_between_tiers_only 2>&1)
echo "$out" | sed 's/^/# /'
if echo "$out" | grep -q '^ok 1 mm.migrate_moves_between_tiers_only$'; then
	ok "a promotion to one fast node leaves the other fast node's pages"
else
	nok "a promotion to one fast node leaves the other fast node's pages"
fi

pages_on() { # PID NODE: pages of PID on NODE from numa_maps
	awk -v k="N$2=" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) s += substr($i, length(k) + 1) } END { print s + 0 }' \
		"/proc/$1/numa_maps"
}

# 3. each policy brings a hot set from node 2 into the two fast nodes:
# hotset (bench/workloads) puts its hot 32 MiB on the slow tier's first
# node, found as the kernel ranks them; its "hot_fast" column counts pages
# on any top-tier node. Wait up to LIMIT seconds for 90% (the main VM's
# baselines_test takes 4-85 s for this with one fast node).
converge() { # POLICY LIMIT [--param NAME=VALUE]...
	local policy=$1 limit=$2 pid csv=/tmp/hotset.$1.csv last hf t=0 s2
	shift 2
	rm -f /run/hotset.ready
	"$top/build/bin/hotset" -m 320 -h 32 -o 256 -i 1000 -t $((limit + 30)) \
		-r /run/hotset.ready > "$csv" &
	pid=$!
	while [ ! -e /run/hotset.ready ]; do
		kill -0 $pid 2>/dev/null || { nok "$policy: hotset did not start"; wait $pid; return; }
		sleep 0.2
	done
	s2=$(pages_on $pid 2)
	if [ "$s2" -ge 8192 ]; then
		ok "$policy: hotset put its hot set on node 2 ($s2 pages there)"
	else
		nok "$policy: hotset put its hot set on node 2 ($s2 pages there)"
	fi
	if ! "$tierctl" load "$policy" --pid $pid "$@"; then
		nok "$policy loads with two fast nodes"
		kill $pid; wait $pid
		return
	fi
	ok "$policy loads with two fast nodes"
	hf=0
	while [ $t -lt "$limit" ]; do
		sleep 5; t=$((t + 5))
		last=$(tail -n 1 "$csv")
		hf=$(echo "$last" | cut -d, -f2)
		awk -v h="$hf" 'BEGIN { exit !(h >= 0.9) }' && break
	done
	echo "# $policy after $t s: $last; pages node0 $(pages_on $pid 0) node1 $(pages_on $pid 1) node2 $(pages_on $pid 2)"
	"$tierctl" status | sed 's/^/# /'
	if awk -v h="$hf" 'BEGIN { exit !(h >= 0.9) }'; then
		ok "$policy: 90% of the hot set in the fast tier within $limit s (hot_fast $hf)"
	else
		nok "$policy: 90% of the hot set in the fast tier within $limit s (hot_fast $hf)"
	fi
	"$tierctl" unload
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}
converge demeter 120
converge tpp 180
converge memtis 240 --param cpu_quota=250 --param tick_ms=50
