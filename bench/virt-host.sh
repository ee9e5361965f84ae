#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside bench/virt.sh's host VM (scripts/tier-host): one cell. Every guest
# runs the same workload at the same time, under one contender:
#   tpp-h, damon-h  hypervisor-based: one-node guests that know no tiers;
#                   the host VM's NUMA balancing in tiering mode (TPP-H) or
#                   DAMON (bench/peers.sh) tiers the guests' memory
#   a policy        guest-delegated: two-node guests, the tier_ext policy in
#                   each; the host only provisions, tierhost daemon sharing
#                   the fast budget among them by demand
# Writes to DIR: cells.csv rows (one per guest), fast.csv (each guest's
# memory on the host's fast and slow node every 2 s of the host's clock),
# host.txt (the host's tiering counters), the guests' files in DIR/gN/.
# DIR must be in the host VM's share (its only writable directory); a
# guest writes only to its own share, gN/cell there, copied to DIR/gN.
#   virt-host.sh DIR CONTENDER WORKLOAD SEED GUEST_FAST_MIB LENGTH
# LENGTH: gups, millions of updates; pagerank, iterations.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
. "$top/bench/cell-lib.sh"
. "$top/scripts/numa-maps.sh"
die() { echo "virt-host: $*" >&2; exit 1; }
[ $# -eq 6 ] || die "usage: virt-host.sh DIR CONTENDER WORKLOAD SEED GUEST_FAST_MIB LENGTH"
dir=$1 c=$2 w=$3 seed=$4 gfast=$5 len=$6
[ -n "${TIER_GUESTS-}" ] || die "not in a tier-host host VM"
read -r -a guests <<< "$TIER_GUESTS"
budget=$((gfast * ${#guests[@]}))
mkdir -p "$dir"

# The workloads, sized by the guest's fast node (bench/README.md, "The
# virtualized cloud"): gups over 2.5x it with a hot set of half of it;
# pagerank's graph (about 46 bytes per vertex) 2.2x it.
workload_cmd() {	# NAME MARK_DIR
	case $1 in
	gups)		echo "$bin/gups -m $((gfast * 5 / 2)) -h $((gfast / 2)) -n $len -r $2" ;;
	pagerank)	echo "$bin/pagerank -v $((gfast * 375 / 8)) -d 4 -i $len -r $2" ;;
	*)		return 1 ;;
	esac
}
cmd=$(workload_cmd "$w" MARK) || die "unknown workload '$w'"
# a guest's directory of the cell, in its share (the guest's only writable one)
gdir() { echo "$TIER_HOST_SHARE/$1/cell"; }

case $c in
tpp-h) host_peer=numab2 guest_c=none ;;
damon-h) host_peer=damon guest_c=none ;;
*) host_peer= guest_c=$c ;;
esac

qemu_pid() {	# GUEST: its QEMU process in this host VM (not the timeout(1) running it)
	pgrep -f "^[^ ]*qemu-system-x86_64 .*$TIER_HOST_SHARE/$1/" | head -1
}
# MiB of a guest's RAM on host node 0 and node 1: "N0 N1"
ram_mib() {	# QEMU-PID
	echo "$(( $(ram_kib "$1" 0) / 1024 )) $(( $(ram_kib "$1" 1) / 1024 ))"
}
# each guest's RAM per host node, MiB: "t_s,vm,fast_mib,slow_mib"
sample_fast() {
	local g p n0 n1
	echo "t_s,vm,fast_mib,slow_mib" > "$dir/fast.csv"
	while [ ! -e "$dir/stop-sampling" ]; do
		for g in "${guests[@]}"; do
			p=$(qemu_pid "$g") || continue
			read -r n0 n1 <<< "$(ram_mib "$p" 2>/dev/null)" || continue
			echo "$(cut -d' ' -f1 /proc/uptime),$g,$n0,$n1" >> "$dir/fast.csv"
		done
		sleep 2
	done
}

# The host's fast memory for the guests: N x GUEST_FAST_MIB, whoever places
# it. Tiered guests cannot hold more (their fast node is that, bound to
# host node 0); one-node guests could take whatever node 0 has free. So
# what node 0 has beyond the guests' share (its free memory, plus the guest
# RAM already there, minus the guests' share and the high watermark) is
# taken by the host VM's own per-node balloon, through the machine's
# tierhost (bench/virt.sh answers DIR/fast-reserve.req, MiB, with
# DIR/fast-reserve.done): kernel pages that no tiering in the host can
# move, for every contender alike.
node0_mib() { awk -v k="$1:" '$3 == k { print int($4 / 1024) }' /sys/devices/system/node/node0/meminfo; }
wmark_high_mib() {
	awk '/^Node 0, zone/ { z = 1; next } /^Node/ { z = 0 } z && $1 == "high" { s += $2 } END { print int(s * 4 / 1024) }' /proc/zoneinfo
}
reserve_fast() {
	local held=0 g p free want excess n0 n1
	for g in "${guests[@]}"; do
		p=$(qemu_pid "$g") || continue
		read -r n0 n1 <<< "$(ram_mib "$p")"
		held=$((held + n0))
	done
	free=$(node0_mib MemFree)
	want=$(( budget - held + $(wmark_high_mib) + 8 ))
	excess=$((free - want))
	echo "fast_held_mib=$held fast_free_mib=$free fast_want_free_mib=$want fast_reserve_mib=$(( excess > 0 ? excess : 0 ))" > "$dir/reserve.txt"
	[ "$excess" -gt 2 ] || return 0
	echo "$excess" > "$dir/fast-reserve.req.tmp" && mv "$dir/fast-reserve.req.tmp" "$dir/fast-reserve.req"
	# no timeout here: an idle host VM's clock (icount, sleep=off) races
	# ahead; the machine's side, on wall time, answers done or failed
	while [ ! -e "$dir/fast-reserve.done" ] && [ ! -e "$dir/fast-reserve.failed" ]; do sleep 1; done
	[ -e "$dir/fast-reserve.done" ] || { echo "virt-host: the host VM's balloon did not take $excess MiB of node 0" >&2; return 1; }
	echo "fast_free_after_mib=$(node0_mib MemFree) node0_total_after_mib=$(node0_mib MemTotal)" >> "$dir/reserve.txt"
}

status=ok
sysctl -qw kernel.numa_balancing=0 kernel.bpf_stats_enabled=1
sync; echo 3 > /proc/sys/vm/drop_caches
reserve_fast || status=fast-reserve-failed
for g in "${guests[@]}"; do
	rm -rf "$(gdir "$g")"; mkdir -p "$(gdir "$g")"
	tier-guest "$g" "$top/bench/virt-guest.sh" start "$(gdir "$g")" "$guest_c" > "$dir/$g.start.log" 2>&1 ||
		{ status=guest-start-failed; cat "$dir/$g.start.log" >&2; }
done
# the host's side: its counters, faultclock (hint faults taken in the host
# on the guests' memory: TPP-H), its contender or the fast-memory daemon
read -r p0 d0 x0 m0 <<< "$(counters)"
t0=$(tier_ticks) fpid=
faultclock_start "$dir"
[ -n "$fpid" ] || status=faultclock-failed
dpid=
if [ -n "$host_peer" ]; then
	timeout 120 "$top/bench/peers.sh" start "$host_peer" > "$dir/host-contender.log" 2>&1 || status=host-contender-failed
else
	vms=()
	for g in "${guests[@]}"; do vms+=(-S "$g=$TIER_GUEST_QMP/$g.qmp"); done
	"$bin/tierhost" daemon "${vms[@]}" --budget "${budget}M" --min 32M --interval 2000 \
		> "$dir/tierhost.log" 2>&1 < /dev/null &
	dpid=$!
fi
sample_fast & spid=$!

if [ $status = ok ]; then
	wpids=()
	for g in "${guests[@]}"; do
		gd=$(gdir "$g")
		tier-guest "$g" env WL_SEED="$seed" ${cmd//MARK/$gd} > "$gd/out" 2> "$gd/err" &
		wpids+=($!)
	done
	for i in "${!wpids[@]}"; do
		wait "${wpids[$i]}" || echo "workload-exit-$?" > "$(gdir "${guests[$i]}")/failed"
	done
fi

touch "$dir/stop-sampling"; wait $spid
# before the contender stops: DAMON's kdamonds exit with it, and with
# them the CPU time they used
t1=$(tier_ticks)
[ -z "$dpid" ] || { kill -TERM $dpid; wait $dpid 2>/dev/null; }
[ -z "$host_peer" ] || timeout 120 "$top/bench/peers.sh" stop "$host_peer" >> "$dir/host-contender.log" 2>&1 || status=host-stop-failed
[ -z "$fpid" ] || faultclock_stop "$dir"
read -r p1 d1 x1 m1 <<< "$(counters)"
awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v f="${fault_s:-0}" \
    -v p=$((p1 - p0)) -v d=$((d1 - d0)) -v m=$((m1 - m0)) \
    'BEGIN { printf "host_tier_cpu_s=%.3f host_fault_s=%s host_promoted=%d host_demoted=%d host_migrated=%d\n", t / hz + f, f, p, d, m }' > "$dir/host.txt"

# one row per guest
[ -s "$dir/cells.csv" ] || echo "vm,status,seconds,ops,check,tier_cpu_s,fault_s,bpf_ms,promoted,demoted,exchanged,migrated" > "$dir/cells.csv"
for g in "${guests[@]}"; do
	st=$status
	tier-guest "$g" "$top/bench/virt-guest.sh" stop "$(gdir "$g")" "$guest_c" > "$dir/$g.stop.log" 2>&1 || st=guest-stop-failed
	rm -rf "${dir:?}/$g"; cp -a "$(gdir "$g")" "$dir/$g"
	[ ! -e "$dir/$g/failed" ] || st=$(cat "$dir/$g/failed")
	read -r secs ops check <<< "$(sed -n 's/^result .*seconds=\([0-9.]*\) ops=\([0-9]*\) check=\([a-zA-Z]*\).*/\1 \2 \3/p' "$dir/$g/out")"
	[ -n "$secs" ] || [ "$st" != ok ] || st=no-result
	declare -A kv=()
	for f in $(cat "$dir/$g/guest.txt" 2>/dev/null); do kv[${f%%=*}]=${f#*=}; done
	echo "$g,$st,$secs,$ops,$check,${kv[tier_cpu_s]-},${kv[fault_s]-},${kv[bpf_ms]-},${kv[promoted]-},${kv[demoted]-},${kv[exchanged]-},${kv[migrated]-}" >> "$dir/cells.csv"
	unset kv
done
cat "$dir/cells.csv" "$dir/host.txt"
