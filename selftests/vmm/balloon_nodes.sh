#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-tier balloon, driven from the host: a tiered VM under make qemu's QEMU
# (virtio-balloon x-node-targets=on), the guest running tier-vm-agent, the
# host resizing each tier with tierhost and checking what the guest and the
# host see. Then a guest whose driver keeps the feature off and a device
# without it. TAP output; the last line is "N passed, N failed, N skipped".
#   balloon_nodes.sh [COUNTS-FILE]
set -u
counts=${1-}
. "$(dirname "$0")/lib.sh"
fast=1024 slow=2048
cur=nodes
qmp=$(vm_qmp $cur)
agent=$(vm_agent $cur)

guest_req() { vm_req "$cur" "$1"; }
start_vm() { cur=$1; qmp=$(vm_qmp "$1"); agent=$(vm_agent "$1"); vm_start "$@" --fast $fast --slow $slow --cpus 2; }
stop_vm() { vm_stop "$cur"; }

th() { "$tierhost" "$1" -S "$qmp" "${@:2}"; }
# node N's MemTotal in the guest, KiB
memtotal() { guest_req "awk '/MemTotal/ {print \$4}' /sys/devices/system/node/node$1/meminfo"; }
# a /proc/vmstat counter of the guest
vmstat_of() { guest_req "awk '/^$1 / {print \$2}' /proc/vmstat"; }
# pages the guest's balloon holds from node N (its sysfs slot)
held_pages() { guest_req "awk '\$1 == $1 {print \$5}' /sys/bus/virtio/devices/*/balloon_nodes"; }
# field of node N from tierhost show (MiB): size target actual discarded resident supported stalled
field() {
	local col
	case $2 in
	size) col=5 ;; target) col=6 ;; actual) col=7 ;; discarded) col=8 ;;
	resident) col=9 ;; supported) col=10 ;; stalled) col=11 ;;
	esac
	th show | awk -v n="$1" -v c=$col '$2 == n {print $c}'
}

wait_actual() { # wait_actual NODE MIB SECONDS
	for _ in $(seq $(($3 * 2))); do
		[ "$(field "$1" actual)" = "$2" ] && return 0
		sleep 0.5
	done
	note "node $1 actual $(field "$1" actual) MiB after $3 s, want $2"
	return 1
}

# resize NODE SIZE-MIB MiB-CHANGED LABEL: set, wait, check MemTotal of both nodes
resize() {
	local node=$1 size=$2 label=$4 other=$((1 - $1))
	local mine0 other0 mine1 other1 t0 t1 want
	mine0=$(memtotal $node) other0=$(memtotal $other)
	t0=$(now)
	th set --node $node=${size}M || return 1
	th wait --timeout 600 || return 1
	t1=$(now)
	mine1=$(memtotal $node) other1=$(memtotal $other)
	note "$label: node $node MemTotal $((mine0 / 1024)) -> $((mine1 / 1024)) MiB," \
		"node $other $((other0 / 1024)) -> $((other1 / 1024)) MiB, $(rate ${3#-} $t0 $t1)"
	want=$(( (mine0 / 1024) + $3 ))
	within $((mine1 / 1024)) $want 1 ||
		{ note "node $node MemTotal $((mine1 / 1024)) MiB, want $want +-1%"; return 1; }
	within $((other1 / 1024)) $((other0 / 1024)) 0.5 ||
		{ note "node $other MemTotal moved: $((other0 / 1024)) -> $((other1 / 1024)) MiB"; return 1; }
	[ "$(field $node stalled)" = no ] || { note "node $node stalled"; return 1; }
}

need_tools

note "per-node balloon: fast $fast MiB (node 0), slow $slow MiB (node 1), $(basename "$qemu")"

# tierhost topology: a -readconfig file QEMU takes as the tiered machine
topology() {
	local out mem sock=$work/topo.qmp
	"$tierhost" topology --fast ${fast}M --slow ${slow}M --cpus 2 --fast-host 0 \
		--slow-latency 250 > "$work/topo.cfg" || return 1
	"$qemu" -readconfig "$work/topo.cfg" -S -display none -nodefaults \
		-qmp unix:"$sock",server=on,wait=off > "$work/topo.out" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	out=$("$tierhost" qmp -S "$sock" human-monitor-command '{"command-line":"info numa"}')
	mem=$("$tierhost" qmp -S "$sock" query-memdev)
	"$tierhost" show -S "$sock" | sed 's/^/#   /'
	"$tierhost" qmp -S "$sock" quit > /dev/null
	wait $pid
	sed 's/^/#   /' "$work/topo.out"
	note "info numa: $out"
	# parsed, not grepped: the JSON's escapes are the writer's choice
	python3 -c 'import json, sys
numa = json.loads(sys.argv[1])
mem = {m["id"]: m for m in json.loads(sys.argv[2])}
f = mem.get("tier-fast", {})
sys.exit(0 if "node 0 cpus: 0 1\r\nnode 0 size: 1024 MB" in numa and
	 "node 1 cpus:\r\nnode 1 size: 2048 MB" in numa and f.get("host-nodes") == [0] and
	 f.get("size") == 1073741824 and f.get("policy") == "bind" else 1)' "$out" "$mem"
}
check "tierhost topology: QEMU takes the config as a two-tier machine (CPUs on the fast node, host binding)" topology
# each tier's backend bound to a host node (this host may have only node 0)
start_vm nodes --balloon-nodes --balloon-opt deflate-on-oom=on --fast-host 0 --slow-host 0 ||
	{ not_ok "boot with x-node-targets=on"; exit; }

# The guest negotiated the feature and maps both slots to its nodes.
negotiated() {
	local s
	s=$(th show) || return 1
	echo "$s" | sed 's/^/#   /'
	[ "$(echo "$s" | awk '$2 == 0 && $3 == "fast" && $10 == "yes"' | wc -l)" = 1 ] &&
	[ "$(echo "$s" | awk '$2 == 1 && $3 == "slow" && $10 == "yes"' | wc -l)" = 1 ] &&
	[ "$(field 0 size)" = $fast ] && [ "$(field 1 size)" = $slow ] &&
	guest_req 'cat /sys/bus/virtio/devices/*/balloon_nodes' > "$work/sysfs" &&
	sed 's/^/#   guest: /' "$work/sysfs" &&
	[ "$(awk '$1 == 0 && $2 == 0 && $3 == 0' "$work/sysfs" | wc -l)" = 1 ] &&
	[ "$(awk '$1 == 1 && $2 == 1 && $3 == 1' "$work/sysfs" | wc -l)" = 1 ]
}
check "negotiated: both nodes, guest-supported, sysfs slots map pxm to nid" negotiated

# QMP's guest-* of node N (bytes), from the balloon statistics; empty if absent
gstat() {
	th qmp x-query-balloon-nodes | tr '{' '\n' | grep "\"node\":$1," |
		grep -o "\"guest-$2\":[0-9]*" | cut -d: -f2
}
# The guest reports each node's free and total memory in its statistics.
guest_stats() {
	local n tot free mt mf
	th qmp qom-set '{"path":"/machine/peripheral/balloon0","property":"guest-stats-polling-interval","value":1}' > /dev/null || return 1
	for _ in $(seq 60); do [ -n "$(gstat 1 total)" ] && break; sleep 0.5; done
	for n in 0 1; do
		tot=$(gstat $n total) free=$(gstat $n free)
		mt=$(memtotal $n) mf=$(guest_req "awk '/MemFree/ {print \$4}' /sys/devices/system/node/node$n/meminfo")
		note "node $n: guest-total $((${tot:-0} >> 20)) MiB (MemTotal $((mt / 1024))), guest-free $((${free:-0} >> 20)) MiB (MemFree $((mf / 1024))), guest-demand '$(gstat $n demand)'"
		[ -n "$tot" ] && [ -n "$free" ] && [ -z "$(gstat $n demand)" ] || return 1
		within $((tot >> 10)) $mt 0.5 && [ "$free" -le "$tot" ] || return 1
		# free memory moves between the two reads; within 64 MiB
		[ $(( (free >> 10) - mf )) -le 65536 ] && [ $(( mf - (free >> 10) )) -le 65536 ] || return 1
	done
}
check "statistics: each node's free and total memory, no demand without a policy" guest_stats

# Make the slow backend resident, so the host has memory to give back.
guest_req 'mount -o remount,size=2700M /dev/shm && numactl --membind=1 head -c 1800M /dev/zero > /dev/shm/fill && rm /dev/shm/fill' >/dev/null

inflate_slow() {
	local res0 res1 disc
	res0=$(field 1 resident)
	resize 1 $((slow - 512)) -512 "inflate slow by 512 MiB" || return 1
	res1=$(field 1 resident) disc=$(field 1 discarded)
	note "slow backend resident on the host $res0 -> $res1 MiB, host-discarded $disc MiB"
	[ "$disc" -ge 507 ] && [ "$disc" -le 513 ] && [ $((res0 - res1)) -ge 400 ]
}
check "inflate slow by 512 MiB: node 1 shrinks, node 0 untouched, host memory freed" inflate_slow
sysfs_matches() { # pages the guest's slot holds == what QMP reports held
	local held
	held=$(held_pages 1) &&
	note "guest holds $held pages of node 1; QMP: actual $(field 1 actual) of $slow MiB" &&
	[ $((held * 4 / 1024)) = $((slow - $(field 1 actual))) ]
}
check "sysfs matches QMP: node 1 holds what QMP reports" sysfs_matches
deflate_slow() { resize 1 $slow 512 "deflate slow by 512 MiB" && [ "$(field 1 discarded)" -le 1 ]; }
check "deflate slow: node 1 back to its size" deflate_slow
check "inflate fast by 256 MiB: node 0 shrinks, node 1 untouched" resize 0 $((fast - 256)) -256 "inflate fast by 256 MiB"
check "deflate fast: node 0 back to its size" resize 0 $fast 256 "deflate fast by 256 MiB"

# Both tiers at once while the guest keeps checking its data.
workload() {
	local sum ok1 ooms0 ooms1 t0 t1
	guest_req 'numactl --interleave=0,1 head -c 400M /dev/urandom > /dev/shm/data && sha256sum /dev/shm/data | cut -d" " -f1 > /tmp/sum
		grep oom_kill /proc/vmstat | awk "{print \$2}" > /tmp/ooms
		(while [ ! -e /tmp/stop ]; do
			if [ "$(sha256sum /dev/shm/data | cut -d" " -f1)" = "$(cat /tmp/sum)" ]; then echo ok; else echo BAD; fi
		done > /tmp/verify 2>&1) > /dev/null 2>&1 &
		echo started' > /dev/null || return 1
	t0=$(now)
	th set --fast $((fast - 256))M --slow $((slow - 512))M && th wait --timeout 600 || return 1
	th set --fast ${fast}M --slow ${slow}M && th wait --timeout 600 || return 1
	t1=$(now)
	guest_req 'touch /tmp/stop; sleep 1; while pgrep -f "sha256sum /dev/shm/data" > /dev/null; do sleep 0.5; done
		sort /tmp/verify | uniq -c
		echo ooms $(cat /tmp/ooms) $(grep oom_kill /proc/vmstat | awk "{print \$2}")' > "$work/verify" || return 1
	sed 's/^/#   /' "$work/verify"
	note "inflate fast 256 + slow 512 MiB and back under a checksummed 400 MiB data set: $(rate 1536 $t0 $t1)"
	! grep -q BAD "$work/verify" && grep -q ' ok$' "$work/verify" &&
		[ "$(awk '/^ooms/ {print ($2 == $3)}' "$work/verify")" = 1 ]
}
check "checksummed data survives inflating and deflating both tiers, no OOM kill" workload
guest_req 'rm -f /dev/shm/data' > /dev/null

# One request, both nodes, one config generation: the guest sees both.
both_atomic() {
	th set --fast $((fast - 128))M --slow $((slow - 256))M && th wait --timeout 600 &&
	[ "$(field 0 actual)" = $((fast - 128)) ] && [ "$(field 1 actual)" = $((slow - 256)) ] &&
	th qmp query-balloon | grep -q "\"actual\":$(( (fast + slow - 384) << 20 ))" &&
	th set --fast ${fast}M --slow ${slow}M && th wait --timeout 600
}
check "both tiers in one request; query-balloon reports the sum" both_atomic

# The legacy balloon command spreads over the nodes in proportion to size.
legacy_split() {
	local t0 t1
	th qmp balloon "{\"value\": $(( (fast + slow - 384) << 20 ))}" > /dev/null || return 1
	t0=$(field 0 target) t1=$(field 1 target)
	note "legacy balloon of 384 MiB: node 0 target $t0, node 1 target $t1 MiB"
	[ "$t0" = $((fast - 128)) ] && [ "$t1" = $((slow - 256)) ] && th wait --timeout 600 &&
	th qmp balloon "{\"value\": $(( (fast + slow) << 20 ))}" > /dev/null && th wait --timeout 600 &&
	[ "$(field 0 target)" = $fast ] && [ "$(field 1 target)" = $slow ]
}
check "legacy balloon command splits in proportion to node size" legacy_split

# Bad input: a clear error and nothing changed.
bad() { # bad ARGS-JSON EXPECTED-MESSAGE
	local before after out
	before=$(th show | awk '{print $2, $6}') || return 1
	if out=$(th qmp x-balloon-nodes "$1" 2>&1); then
		note "accepted: $1"
		return 1
	fi
	after=$(th show | awk '{print $2, $6}')
	note "$1 -> $out"
	echo "$out" | grep -q "$2" && [ "$before" = "$after" ]
}
check "bad input: node out of range" bad '{"targets":[{"node":2,"size":536870912}]}' 'Node 2 is not a NUMA node'
check "bad input: size above the node" bad '{"targets":[{"node":0,"size":2147483648}]}' 'larger than the node'
check "bad input: size below the floor" bad '{"targets":[{"node":1,"size":33554432}]}' 'below the floor'
check "bad input: duplicate node" bad '{"targets":[{"node":1,"size":1073741824},{"node":1,"size":1073741824}]}' 'more than once'
check "bad input: no targets" bad '{"targets":[]}' 'No node targets'
check "bad input: a valid target next to a bad one changes nothing" \
	bad '{"targets":[{"node":0,"size":536870912},{"node":7,"size":536870912}]}' 'Node 7'
usage_error() { "$tierhost" set -S "$qmp" --slow 12Q 2>/dev/null; [ $? -eq 2 ]; }
check "tierhost: a bad size is a usage error (exit 2)" usage_error

hmp() {
	local out
	th qmp human-monitor-command '{"command-line":"balloon_node 1=1900"}' > /dev/null &&
	out=$(th qmp human-monitor-command '{"command-line":"info balloon_nodes"}') &&
	note "info balloon_nodes: $out" &&
	echo "$out" | grep -q '1 1 m1 2048 1900 ' &&
	out=$(th qmp human-monitor-command '{"command-line":"balloon_node 9=100"}') &&
	note "balloon_node 9=100: $out" && echo "$out" | grep -q 'Node 9 is not' &&
	th set --slow ${slow}M && th wait --timeout 600
}
check "HMP: balloon_node and info balloon_nodes" hmp

events() {
	local out
	"$tierhost" watch -S "$(vm_events_qmp $cur)" --timeout 20 > "$work/events" &
	local w=$!
	sleep 1
	th set --slow $((slow - 64))M || return 1
	wait $w
	out=$(cat "$work/events")
	note "events: $(echo $out)"
	th wait --timeout 600 && th set --slow ${slow}M && th wait --timeout 600 &&
	echo "$out" | grep -q "node 1 target $((slow - 64))"
}
check "BALLOON_NODE_CHANGE event on a change" events

# A target the guest cannot reach (node 0 filled with anonymous memory and
# no swap) is reported as stalled, and completes once the memory is free.
stalled() {
	local i st=no
	guest_req "nohup $top/build/bin/ballast -N 0 -R 64 -r /tmp/ballast.ready > /tmp/ballast.log 2>&1 &
		echo \$! > /tmp/ballast.pid
		for i in \$(seq 600); do [ -e /tmp/ballast.ready ] && break; sleep 0.5; done
		[ -e /tmp/ballast.ready ]" > /dev/null || return 1
	th set --fast 512M || return 1
	for i in $(seq 120); do
		st=$(field 0 stalled)
		[ "$st" = yes ] && break
		sleep 0.5
	done
	note "node 0 with ballast: target $(field 0 target), actual $(field 0 actual) MiB, stalled $st"
	[ "$st" = yes ] && [ "$(field 0 actual)" -gt 512 ] || return 1
	guest_req 'kill $(cat /tmp/ballast.pid); sleep 1' > /dev/null
	wait_actual 0 512 300 && [ "$(field 0 stalled)" = no ] &&
	th set --fast ${fast}M && th wait --timeout 600
}
check "stalled: a target the guest cannot reach is reported, then completes" stalled

# DEFLATE_ON_OOM per node: a guest out of memory takes pages back from the
# balloon of the node that ran short instead of killing, even when that
# balloon is the smaller one (a task bound to the fast node cannot use the
# slow node's pages); the other node's balloon is untouched.
#   oom_deflate FAST_BALLOONED_MIB SLOW_BALLOONED_MIB NODE FILL_MIB
oom_deflate() {
	local n=$3 k=$((1 - $3)) a ooms out
	th set --fast $((fast - $1))M --slow $((slow - $2))M && th wait --timeout 600 || return 1
	a=("$(field 0 actual)" "$(field 1 actual)")
	out=$(guest_req 'o=$(awk "/oom_kill / {print \$2}" /proc/vmstat)
		numactl --membind='"$n"' head -c '"$4"'M /dev/zero > /dev/shm/oomfill; rc=$?
		echo "rc $rc oom_kill $o $(awk "/oom_kill / {print \$2}" /proc/vmstat)"
		rm -f /dev/shm/oomfill') || return 1
	note "$4 MiB on node $n with $1 MiB of node 0 and $2 MiB of node 1 ballooned: $out; node 0 actual ${a[0]} -> $(field 0 actual), node 1 ${a[1]} -> $(field 1 actual) MiB"
	ooms=$(awk '{print ($4 == $5)}' <<< "$out")
	[ "$(awk '{print $2}' <<< "$out")" = 0 ] && [ "$ooms" = 1 ] &&
	[ "$(field $k actual)" = "${a[$k]}" ] && [ "$(field $n actual)" -gt $((a[n] + 64)) ] || return 1
	th set --fast ${fast}M --slow ${slow}M && th wait --timeout 600
}
check "deflate on OOM: from node 1, which ran short, no OOM kill, node 0 kept" oom_deflate 128 1024 1 1300
check "deflate on OOM: from the node that ran short (node 0, the smaller balloon), no OOM kill, node 1 kept" oom_deflate 512 1024 0 700

# Compaction migrates ballooned pages (the migration callback): balloon
# pages spread over node 1, then compacted; the node keeps its size.
compaction() {
	local m0 m1 held0 held1 mt0 mt1
	guest_req "cat > /tmp/frag.py <<'PY'
import mmap, os, time
mb = 1400
m = mmap.mmap(-1, mb << 20)
for off in range(0, mb << 20, 4096):
    m[off] = 1
for off in range(0, mb << 20, 4 << 20):
    m.madvise(mmap.MADV_DONTNEED, off, 2 << 20)
open('/tmp/frag.ready', 'w').close()
while not os.path.exists('/tmp/frag.stop'):
    time.sleep(0.2)
PY
		rm -f /tmp/frag.ready /tmp/frag.stop
		echo never > /sys/kernel/mm/transparent_hugepage/enabled
		nohup numactl --membind=1 python3 /tmp/frag.py > /tmp/frag.log 2>&1 &
		for i in \$(seq 600); do [ -e /tmp/frag.ready ] && break; sleep 0.5; done
		[ -e /tmp/frag.ready ]" > /dev/null || return 1
	th set --slow $((slow - 512))M && th wait --timeout 600 || return 1
	guest_req 'touch /tmp/frag.stop; while pgrep -f frag.py > /dev/null; do sleep 0.2; done
		echo always > /sys/kernel/mm/transparent_hugepage/enabled' > /dev/null || return 1
	m0=$(vmstat_of balloon_migrate)
	held0=$(held_pages 1)
	mt0=$(memtotal 1)
	guest_req 'echo 1 > /sys/devices/system/node/node1/compact' > /dev/null || return 1
	m1=$(vmstat_of balloon_migrate)
	held1=$(held_pages 1)
	mt1=$(memtotal 1)
	note "compact node 1 with 512 MiB ballooned in holes: balloon_migrate $m0 -> $m1, node 1 held $held0 -> $held1 pages, MemTotal $((mt0 / 1024)) -> $((mt1 / 1024)) MiB, QMP actual $(field 1 actual) MiB, host-discarded $(field 1 discarded) MiB"
	[ "$m1" -gt "$m0" ] && [ "$held1" = "$held0" ] && [ "$mt1" = "$mt0" ] &&
	[ "$(field 1 actual)" = $((slow - 512)) ] && [ "$(field 1 discarded)" -ge 507 ] &&
	[ "$(field 1 discarded)" -le 513 ] || return 1
	th set --slow ${slow}M && th wait --timeout 600 && [ "$(field 1 discarded)" -le 1 ]
}
check "compaction migrates ballooned pages: node 1 keeps its balloon and size" compaction

# Memory offline migrates ballooned pages off their node (the migration
# callback's other branch): they count on the new node's slot, then the
# driver puts each node back on its target. The highest node 1 block whose
# offlining migrated balloon pages is taken offline, then back online.
node_block=/sys/devices/system/node/node1
offline() {
	local mt0 mt1 mt0f mt1f out blk moved h0 h1
	th set --slow $((slow - 512))M && th wait --timeout 600 || return 1
	mt0=$(memtotal 1) mt0f=$(memtotal 0)
	out=$(guest_req "migrated() { awk '/^balloon_migrate / {print \$2}' /proc/vmstat; }
		m=\$(migrated)
		for b in \$(ls -d $node_block/memory* | sed 's/.*memory//' | sort -n -r); do
			f=$node_block/memory\$b/state
			timeout 60 sh -c \"echo offline > \$f\" 2> /dev/null || continue
			n=\$(migrated)
			[ \$n -gt \$m ] && { echo memory\$b \$((n - m)); exit 0; }
			echo online > \$f
		done
		exit 1") || { note "no node 1 block with balloon pages went offline: $out"; return 1; }
	read -r blk moved <<< "$out"
	# the work runs after the migration: wait for the guest's slots first
	for _ in $(seq 240); do
		h0=$(held_pages 0) h1=$(held_pages 1)
		[ "$h0" = 0 ] && [ "$h1" = 131072 ] && break
		sleep 0.5
	done
	wait_actual 1 $((slow - 512)) 120 && wait_actual 0 $fast 120 || return 1
	mt1=$(memtotal 1) mt1f=$(memtotal 0)
	note "offline $blk of node 1: $moved balloon pages migrated; node 1 MemTotal $((mt0 / 1024)) -> $((mt1 / 1024)) MiB, node 0 $((mt0f / 1024)) -> $((mt1f / 1024)) MiB; held node 0 $h0, node 1 $h1 pages; host-discarded node 0 $(field 0 discarded), node 1 $(field 1 discarded) MiB"
	[ "$moved" -gt 0 ] && [ "$h0" = 0 ] && [ "$h1" = 131072 ] &&
	[ $(( (mt0 - mt1) / 1024 )) = $(( $(guest_req 'cat /sys/devices/system/memory/block_size_bytes' | sed 's/^/0x/') >> 20 )) ] &&
	[ "$mt1f" = "$mt0f" ] && [ "$(field 0 discarded)" -le 1 ] &&
	[ "$(field 1 discarded)" -ge 507 ] && [ "$(field 1 discarded)" -le 513 ] || return 1
	guest_req "echo online > $node_block/$blk/state" > /dev/null || return 1
	[ "$(memtotal 1)" = "$mt0" ] || { note "node 1 MemTotal $(( $(memtotal 1) / 1024 )) MiB after onlining, want $((mt0 / 1024))"; return 1; }
	th set --slow ${slow}M && th wait --timeout 600 && [ "$(field 1 discarded)" -le 1 ]
}
check "memory offline moves ballooned pages to the other node's slot, then each node is back on its target" offline

# Demeter tells the host how much fast memory it wants: its warm ranges
# (the hot-set workload's 1300 MiB at most, over fast_pct), in the guest's
# sysfs and in the balloon statistics.
demand_reported() {
	local sys q plan
	sys=$(guest_req 'cat /sys/kernel/mm/tier_ext/demand')
	for _ in $(seq 20); do q=$(gstat 0 demand); [ -n "$q" ] && break; sleep 0.5; done
	note "Demeter's demand: sysfs '$(echo $sys)' (pages), QMP guest-demand of node 0 $((${q:-0} >> 20)) MiB"
	[ -n "$q" ] && [ "$(awk '$1 == 0 {print $2}' <<< "$sys")" -gt 0 ] &&
	[ $((q >> 20)) -gt 0 ] && [ $((q >> 20)) -le $((1400 * 100 / 90)) ] || return 1
	# the daemon sizes the fast tier by it (one round, changing nothing)
	plan=$(th daemon --budget 1G --min 256M --dry-run -n 1 | grep -v '^#')
	note "tierhost daemon --dry-run: $plan"
	[ "$(awk '{print $9}' <<< "$plan")" = policy ]
}
demand_gone() {
	local sys q
	sys=$(guest_req 'cat /sys/kernel/mm/tier_ext/demand')
	sleep 3
	q=$(gstat 0 demand)
	note "after unload: sysfs '$sys', guest-demand '$q'"
	[ -z "$sys" ] && [ -z "$q" ]
}

# Demeter follows the fast tier's size: shrinking it makes Demeter demote
# so that the balloon can take its pages; growing it lets it promote more.
stat() { grep -o "$1=[0-9]*" <<< "$2" | cut -d= -f2; }
fast_pages() { # pages of the hot-set workload on node 0
	guest_req 'awk "/anon/ { for (i = 1; i <= NF; i++) if (\$i ~ /^N0=/) n += substr(\$i, 4) } END { print n + 0 }" /proc/$(cat /tmp/hs.pid)/numa_maps'
}
demeter_follows() {
	local st0 st1 st2 n0 n1 n2 t0 t1 cc0 cc1
	guest_req "nohup $top/build/bin/hotset -m 1300 -h 700 -o 500 -t 1200 -r /tmp/hs.ready > /tmp/hs.log 2>&1 &
		echo \$! > /tmp/hs.pid
		for i in \$(seq 600); do [ -e /tmp/hs.ready ] && break; sleep 0.5; done
		[ -e /tmp/hs.ready ] && $top/build/bin/tierctl load demeter --pid \$(cat /tmp/hs.pid)" || return 1
	sleep 60
	n0=$(fast_pages)
	st0=$(guest_req "$top/build/bin/tierctl status")
	demand_reported || return 1
	cc0=$(vmstat_of tier_ext_capacity_changes)
	t0=$(now)
	th set --fast $((fast - 384))M || return 1
	wait_actual 0 $((fast - 384)) 600 || return 1
	t1=$(now)
	n1=$(fast_pages)
	st1=$(guest_req "$top/build/bin/tierctl status")
	cc1=$(vmstat_of tier_ext_capacity_changes)
	note "shrink fast by 384 MiB under Demeter: $(rate 384 $t0 $t1); hot-set workload on node 0 $((n0 / 256)) -> $((n1 / 256)) MiB;" \
		"tier_ext_capacity_changes $cc0 -> $cc1, capacity_events $(stat capacity_events "$st1"), capacity_demotions $(stat capacity_demotions "$st1"), demote_reqs $(stat demote_reqs "$st0") -> $(stat demote_reqs "$st1")"
	[ "$(stat capacity_events "$st1")" -gt 0 ] && [ "$(stat capacity_demotions "$st1")" -gt 0 ] &&
	[ "$cc1" -gt "$cc0" ] &&
	[ "$(stat demote_reqs "$st1")" -gt "$(stat demote_reqs "$st0")" ] || return 1
	th set --fast ${fast}M && wait_actual 0 $fast 600 || return 1
	sleep 90
	n2=$(fast_pages)
	st2=$(guest_req "$top/build/bin/tierctl status")
	note "grow fast back: hot-set workload on node 0 $((n1 / 256)) -> $((n2 / 256)) MiB, promote_reqs $(stat promote_reqs "$st1") -> $(stat promote_reqs "$st2")"
	guest_req "$top/build/bin/tierctl unload; kill \$(cat /tmp/hs.pid)" > /dev/null
	[ "$(stat capacity_events "$st2")" -gt "$(stat capacity_events "$st1")" ] &&
	[ "$(stat promote_reqs "$st2")" -gt "$(stat promote_reqs "$st1")" ] && [ "$n2" -gt "$n1" ]
}
check "Demeter demotes to fit a shrunk fast tier and promotes more when it grows" demeter_follows
check "Demeter's demand is gone from sysfs and the statistics once it is unloaded" demand_gone
stop_vm

# A guest driver without the feature (virtio_balloon.node_targets=0).
start_vm stock --balloon-nodes --append virtio_balloon.node_targets=0 || { not_ok "boot the stock-driver guest"; exit; }
stock() {
	local out a
	[ "$(field 0 supported)" = no ] && [ "$(field 1 supported)" = no ] || return 1
	out=$(th set --slow 1G 2>&1) && return 1
	note "x-balloon-nodes with a stock driver: $out"
	echo "$out" | grep -q 'does not support per-node' || return 1
	th qmp balloon "{\"value\": $(( (fast + slow - 256) << 20 ))}" > /dev/null || return 1
	for _ in $(seq 600); do
		a=$(th qmp query-balloon | sed 's/.*"actual":\([0-9]*\).*/\1/')
		[ "$a" = $(( (fast + slow - 256) << 20 )) ] && return 0
		sleep 0.5
	done
	note "legacy balloon did not reach its target: actual $a"
	return 1
}
check "stock driver: guest-supported false, per-node refused, legacy balloon works" stock
stop_vm

# The device without x-node-targets: the per-node commands say so.
start_vm off || { not_ok "boot without x-node-targets"; exit; }
off() {
	local out
	out=$(th show 2>&1) && return 1
	note "x-query-balloon-nodes without the property: $out"
	echo "$out" | grep -q 'does not have x-node-targets=on'
}
check "device without x-node-targets: clear error" off
