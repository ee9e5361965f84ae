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
#   virt-host.sh DIR CONTENDER WORKLOAD SEED BUDGET_MIB
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
. "$top/bench/cell-lib.sh"
die() { echo "virt-host: $*" >&2; exit 1; }
[ $# -eq 5 ] || die "usage: virt-host.sh DIR CONTENDER WORKLOAD SEED BUDGET_MIB"
dir=$1 c=$2 w=$3 seed=$4 budget=$5
[ -n "${TIER_GUESTS-}" ] || die "not in a tier-host host VM"
read -r -a guests <<< "$TIER_GUESTS"
mkdir -p "$dir"

# The workloads for a guest of 128 MiB fast + 512 MiB slow (bench/README.md,
# "The virtualized cloud"): footprint 2.5x the fast node, hot set half of it.
workload_cmd() {	# NAME MARK_DIR
	case $1 in
	gups)		echo "$bin/gups -m 320 -h 64 -n ${VIRT_OPS:-40} -r $2" ;;
	pagerank)	echo "$bin/pagerank -v 6000 -d 4 -i ${VIRT_ITERS:-2} -r $2" ;;
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
# each guest's resident memory per host node, MiB: "t_s,vm,fast_mib,slow_mib"
sample_fast() {
	local g p
	echo "t_s,vm,fast_mib,slow_mib" > "$dir/fast.csv"
	while [ ! -e "$dir/stop-sampling" ]; do
		for g in "${guests[@]}"; do
			p=$(qemu_pid "$g") || continue
			awk -v t="$(cut -d' ' -f1 /proc/uptime)" -v g="$g" '
				{ for (i = 1; i <= NF; i++) if ($i ~ /^N[0-9]+=/) { split($i, a, "="); n[a[1]] += a[2] } }
				END { printf "%s,%s,%.1f,%.1f\n", t, g, n["N0"] * 4 / 1024, n["N1"] * 4 / 1024 }
			' "/proc/$p/numa_maps" >> "$dir/fast.csv" 2>/dev/null
		done
		sleep 2
	done
}

status=ok
sysctl -qw kernel.numa_balancing=0 kernel.bpf_stats_enabled=1
sync; echo 3 > /proc/sys/vm/drop_caches
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
[ -z "$dpid" ] || { kill -TERM $dpid; wait $dpid 2>/dev/null; }
[ -z "$host_peer" ] || timeout 120 "$top/bench/peers.sh" stop "$host_peer" >> "$dir/host-contender.log" 2>&1 || status=host-stop-failed
t1=$(tier_ticks)
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
