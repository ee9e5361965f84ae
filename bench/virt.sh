#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The virtualized cloud benchmark (make bench-virt): a tiered host VM
# (scripts/tier-host, TCG under icount with the virtual-time testbed) runs
# N KVM guests, all with the same workload at the same time, under each
# contender: the hypervisor-based ones (tpp-h: the host's NUMA balancing in
# tiering mode on one-node guests; damon-h: DAMON in the host) and the
# guest-delegated ones (a tier_ext policy in every two-node guest, the host
# provisioning the fast node by demand with tierhost daemon). One fresh host
# boot per cell. Results: bench/results/<date>-virt/ (see bench/README.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
all_contenders=tpp-h,damon-h,static,demeter,tpp,memtis,nomad
all_workloads=gups,pagerank
vm_counts=1,3 contenders=$all_contenders workloads=gups seeds=1 par=2 out= resume=
ops=150 iters=10
fast_ns=${BENCH_FAST_NS:-69} slow_ns=${BENCH_SLOW_NS:-177}
# a guest: 96 MiB fast + 352 MiB slow (fast = 21%); the host VM: the
# guests' fast memory plus HOST_FAST_EXTRA MiB for its own kernel and the
# QEMU processes, the rest slow; at most 2048 MiB in all (the testbed
# attributes an address to a node only below the 32-bit PCI hole): three
# such guests fill it
gfast=96 gslow=352 host_extra=${HOST_FAST_EXTRA:-192}

usage() {
	cat <<EOT
Usage: bench/virt.sh [--vms LIST] [--contenders LIST] [--workloads LIST] [--seeds N]
                     [--ops M] [--iters N] [--parallel N] [--out DIR] [--resume]

  --vms LIST         guests per host VM, comma-separated          [$vm_counts]
  --contenders LIST  from: $all_contenders
                     [$contenders]
  --workloads LIST   from: $all_workloads                    [$workloads]
  --seeds N          seeds 1..N per cell                          [$seeds]
  --ops M            gups: millions of updates per guest          [$ops]
  --iters N          pagerank: iterations                         [$iters]
  --parallel N       host VMs side by side (one host thread each) [$par]
  --out DIR          results directory          [bench/results/DATE-virt]
  --resume           keep the cells DIR already has results for (a
                     stopped run's); run the others
Modelled miss latencies: BENCH_FAST_NS [$fast_ns], BENCH_SLOW_NS [$slow_ns].
EOT
}
die() { echo "bench-virt: $*" >&2; exit 1; }
in_list() { [[ ,$2, == *,$1,* ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	--vms) [[ ${2-} =~ ^[1-9](,[1-9])*$ ]] || die "--vms needs a list of 1-9, got '${2-}'"; vm_counts=$2; shift 2 ;;
	--contenders) contenders=${2-}; shift 2 ;;
	--workloads) workloads=${2-}; shift 2 ;;
	--seeds) [[ ${2-} =~ ^[1-9][0-9]*$ ]] || die "--seeds needs a positive integer"; seeds=$2; shift 2 ;;
	--ops) [[ ${2-} =~ ^[1-9][0-9]{0,4}$ ]] || die "--ops needs millions of updates, 1-99999, got '${2-}'"; ops=$2; shift 2 ;;
	--iters) [[ ${2-} =~ ^[1-9][0-9]{0,2}$ ]] || die "--iters needs 1-999 iterations, got '${2-}'"; iters=$2; shift 2 ;;
	--parallel) [[ ${2-} =~ ^[1-9]$ ]] || die "--parallel needs 1-9"; par=$2; shift 2 ;;
	--out) out=${2-}; shift 2 ;;
	--resume) resume=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
IFS=, read -r -a ct <<< "$contenders"
IFS=, read -r -a wl <<< "$workloads"
IFS=, read -r -a nv <<< "$vm_counts"
[ ${#ct[@]} -gt 0 ] && [ ${#wl[@]} -gt 0 ] || die "no contenders or workloads given"
for c in "${ct[@]}"; do in_list "$c" "$all_contenders" || die "unknown contender '$c' (from: $all_contenders)"; done
for w in "${wl[@]}"; do in_list "$w" "$all_workloads" || die "unknown workload '$w' (from: $all_workloads)"; done
for n in "${nv[@]}"; do
	[ $(( (gfast + gslow) * n + host_extra + 512 )) -le 2048 ] ||
		die "$n guests of $((gfast + gslow)) MiB do not fit a 2048 MiB host VM"
done
for f in build/bin/tier_access.so build/qemu-build/qemu-system-x86_64 build/bin/tierctl build/bin/tierhost build/kernel/arch/x86/boot/bzImage; do
	[ -e "$top/$f" ] || die "$f is missing (run: make bench-virt)"
done
out=${out:-$top/bench/results/$(date +%Y-%m-%d)-virt}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# what the cells ran with; a resumed run must run the same
setup="guest_fast_mib=$gfast guest_slow_mib=$gslow host_fast_extra_mib=$host_extra gups_ops_m=$ops pagerank_iters=$iters fast_ns=$fast_ns slow_ns=$slow_ns"
if [ -n "$resume" ] && [ -e "$out/setup.txt" ]; then
	[ "$(cat "$out/setup.txt")" = "$setup" ] ||
		die "$out was run with $(cat "$out/setup.txt"), not $setup: resume it with the same settings"
else
	echo "$setup" > "$out/setup.txt"
fi
ipi_addr=0x$(awk '$3 == "native_flush_tlb_multi" { print $1 }' "$top/build/kernel/System.map")

cells=()
for ((s = 1; s <= seeds; s++)); do
	for n in "${nv[@]}"; do
		for w in "${wl[@]}"; do
			for c in "${ct[@]}"; do cells+=("$n $w $c $s"); done
		done
	done
done
echo "bench-virt: ${#cells[@]} cells (guests ${vm_counts} x ${#wl[@]} workloads x ${#ct[@]} contenders x $seeds seeds), $par host VMs side by side; results in $out"

length() { case $1 in gups) echo "$ops" ;; pagerank) echo "$iters" ;; esac; }
run_cell() {	# N WORKLOAD CONTENDER SEED
	local n=$1 w=$2 c=$3 s=$4 cell=$1vm.$2.$3.$4 hfast hslow flat=() rc=0
	local d=$out/$cell share
	# done: cells.csv comes out of the host VM when the cell has ended
	if [ -n "$resume" ] && [ -s "$d/cells.csv" ] && [ "$(wc -l < "$d/cells.csv")" -gt 1 ]; then
		echo "bench-virt: $cell done before (--resume)"
		return
	fi
	rm -rf "$d"; mkdir -p "$d"
	share=$(mktemp -d "$top/build/vm/share/virt.XXXXXX")
	hfast=$((gfast * n + host_extra))
	hslow=$((2048 - hfast))
	case $c in tpp-h|damon-h) flat=(--flat) ;; esac
	"$top/scripts/tier-host" --icount 0 --qmp "$share/host.qmp" \
		--plugin "$top/build/bin/tier_access.so,fast_mb=$hfast,ram_mb=2048,window_ms=1000,model=on,fast_ns=$fast_ns,slow_ns=$slow_ns,ipi_addr=$ipi_addr,out=$d/access.csv" \
		--fast "$hfast" --slow "$hslow" --vms "$n" "${flat[@]}" --guest-fast "$gfast" --guest-slow "$gslow" \
		--share "$share" --timeout 10800 -- \
		"$top/bench/virt-host.sh" "$share/cell" "$c" "$w" "$s" "$gfast" "$(length "$w")" > "$d/host.out" 2>&1 &
	local hpid=$! ex
	# virt-host.sh asks for node 0's memory beyond the guests' share: the
	# host VM's own per-node balloon takes it (bench/README.md)
	while kill -0 $hpid 2>/dev/null; do
		if [ -e "$share/cell/fast-reserve.req" ] && [ ! -e "$share/cell/fast-reserve.sent" ]; then
			touch "$share/cell/fast-reserve.sent"
			ex=$(cat "$share/cell/fast-reserve.req")
			if "$top/build/bin/tierhost" set -S "$share/host.qmp" --node "0=$((hfast - ex))M" &&
			   "$top/build/bin/tierhost" wait -S "$share/host.qmp" --timeout 1200; then
				touch "$share/cell/fast-reserve.done"
			else
				touch "$share/cell/fast-reserve.failed"
			fi >> "$d/reserve.log" 2>&1
		fi
		sleep 2
	done
	wait $hpid || rc=$?
	# the host VM writes only to its share
	cp -a "$share/cell/." "$d/" 2>/dev/null || true
	cp "$share"/host.serial.log "$d/" 2>/dev/null || true
	for g in "$share"/g[0-9]*; do [ ! -d "$g" ] || cp "$g/serial.log" "$d/$(basename "$g").serial.log" 2>/dev/null || true; done
	rm -rf "$share"
	echo "bench-virt: $cell done (exit $rc)"
}
mkdir -p "$top/build/vm/share"
for cell in "${cells[@]}"; do
	while [ "$(jobs -r | wc -l)" -ge "$par" ]; do sleep 5; done
	# shellcheck disable=SC2086
	run_cell $cell &
done
wait
python3 "$top/bench/virt-report.py" "$out"
