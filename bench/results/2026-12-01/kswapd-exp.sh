#!/bin/bash
# Does a cell sequence leave kswapd "unreclaimable" on node 0, and does
# numab2 then fail to promote? (bench/results/2026-12-01/conditions.md)
top=$(cd "$(dirname "$0")/../../.." && pwd)
bin=$top/build/bin
zi() { awk '/^Node/ { n = $2; sub(",", "", n) } /node_unreclaimable/ && !(n in seen) { seen[n]; printf "node%s %s ", n, $2 } END { print "" }' /proc/zoneinfo; }
vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
cell() { # NAME CMD...
	local n=$1; shift
	sync; echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory
	local p0=$(vm pgpromote_success) k0=$(vm pgdemote_kswapd) s0=$(vm pgscan_kswapd)
	echo "== $n: before: $(zi) node0 free $(awk '/MemFree/ {print $4}' /sys/devices/system/node/node0/meminfo) kB"
	"$@" > /dev/null 2>&1
	echo "== $n: after: $(zi) promoted $(( $(vm pgpromote_success) - p0 )) demoted_kswapd $(( $(vm pgdemote_kswapd) - k0 )) scan_kswapd $(( $(vm pgscan_kswapd) - s0 ))"
}
sysctl -qw kernel.numa_balancing=0
G="$bin/gups -m 640 -h 128 -n 20"
cell static $G
cell demeter bash -c "$bin/tierctl load demeter --all && $G; $bin/tierctl unload"
cell static2 $G
cell numab2 bash -c "$top/bench/peers.sh start numab2 && $G; $top/bench/peers.sh stop numab2"
