#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark suite: every workload under every contender (tier_ext
# policies and the upstream peers) for every seed, in tiered VMs (fast
# 256 MiB = 20% of 1280 MiB, 2 vCPUs, TCG under icount) under the
# virtual-time testbed (its memory model charged into the guest's clock).
# The cells are dealt round-robin to VMS VMs that run side by side (icount
# runs a VM on one host thread). Results: bench/results/<date>/ (per VM
# vN/cells.csv, bench.csv, bench.md, plots); see bench/README.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
all_workloads=gups,gups-moving,btree,pagerank,xsbench,redis,sqlite,liblinear
all_contenders=static,numab2,damon,tpp,memtis,nomad,demeter
# the default: gups and one real program, what fits 150 minutes on 2 cores
# (bench/README.md, "Budget"); make bench-full adds btree and xsbench
workloads=gups,pagerank contenders=$all_contenders seeds=3 vms=2 scenario=main
out= quick= resume=
fast_ns=${BENCH_FAST_NS:-69} slow_ns=${BENCH_SLOW_NS:-177}

usage() {
	cat <<EOT
Usage: bench/run.sh [--quick] [--seeds N] [--vms N] [--workloads LIST] [--contenders LIST] [--out DIR]
       bench/run.sh --resume [--out DIR]

  --quick            gups under static and demeter, 1 seed (make bench-quick;
                     results in bench/results/DATE-quick)
  --seeds N          seeds 1..N per cell (WL_SEED of the workloads)  [$seeds]
  --vms N            VMs side by side, each one host thread      [$vms]
  --scenario S       main: the workload's own data fills the fast tier first
                     (paper-sized: 2-2.5x the fast tier); noisy: small
                     workloads beside a foreign cold ballast that fills it
                     (results in bench/results/DATE-noisy)      [$scenario]
  --workloads LIST   comma-separated, from: $all_workloads
                     [$workloads]
  --contenders LIST  comma-separated, from: $all_contenders
  --out DIR          results directory                           [bench/results/DATE]
  --resume           finish the run that was stopped with its results in
                     DIR: the cells not done yet, with the run's own
                     settings (the other options do not apply)
Modelled miss latencies: BENCH_FAST_NS [$fast_ns], BENCH_SLOW_NS [$slow_ns].
EOT
}
die() { echo "bench: $*" >&2; exit 1; }
in_list() { [[ ,$2, == *,$1,* ]]; }

while [ $# -gt 0 ]; do
	case $1 in
	--quick) workloads=gups contenders=static,demeter seeds=1 quick=-quick; shift ;;
	--seeds) [[ ${2-} =~ ^[1-9][0-9]*$ ]] || die "--seeds needs a positive integer"; seeds=$2; shift 2 ;;
	--scenario) [[ ${2-} =~ ^(main|noisy)$ ]] || die "--scenario needs main or noisy"; scenario=$2; shift 2 ;;
	--vms) [[ ${2-} =~ ^[1-9][0-9]?$ ]] || die "--vms needs an integer 1-99"; vms=$2; shift 2 ;;
	--workloads) workloads=${2-}; shift 2 ;;
	--contenders) contenders=${2-}; shift 2 ;;
	--out) out=${2-}; shift 2 ;;
	--resume) resume=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ "$scenario" = main ] || quick=$quick-$scenario
out=${out:-$top/bench/results/$(date +%Y-%m-%d)$quick}
IFS=, read -r -a wl <<< "$workloads"
IFS=, read -r -a ct <<< "$contenders"
[ ${#wl[@]} -gt 0 ] && [ ${#ct[@]} -gt 0 ] || die "no workloads or contenders given"
for w in "${wl[@]}"; do in_list "$w" "$all_workloads" || die "unknown workload '$w' (from: $all_workloads)"; done
for c in "${ct[@]}"; do in_list "$c" "$all_contenders" || die "unknown contender '$c' (from: $all_contenders)"; done
for f in build/bin/tier_access.so build/qemu-build/qemu-system-x86_64 build/bin/tierctl build/bin/ballast build/kernel/arch/x86/boot/bzImage; do
	[ -e "$top/$f" ] || die "$f is missing (run: make bench)"
done
if in_list liblinear "$workloads"; then
	if [ "$scenario" = main ]; then rows=1200; else rows=20; fi
	"$top/bench/workloads/liblinear.sh" -p -d "$top/build/bench-data/liblinear" -n $rows
fi

ipi_addr=0x$(awk '$3 == "native_flush_tlb_multi" { print $1 }' "$top/build/kernel/System.map")
[ "$ipi_addr" != 0x ] || die "no native_flush_tlb_multi in build/kernel/System.map"
# A new run: its directory, the cells dealt to the VMs' cells.list files
# in a share directory of its own, and .resume.
new_run() {
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	ncells=$(( ${#wl[@]} * ${#ct[@]} * seeds ))
	[ "$vms" -le "$ncells" ] || vms=$ncells
	echo "bench: ${#wl[@]} workloads x ${#ct[@]} contenders x $seeds seeds = $ncells cells on $vms VMs, scenario $scenario; memory model fast ${fast_ns} ns, slow ${slow_ns} ns; results in $out"
	# The cells, "SEED WORKLOAD CONTENDER", per workload and seed the
	# contenders in an order rotated by the seed (no one always goes first),
	# dealt round-robin to the VMs, each in this run's own share directory
	# (runs side by side must not share one).
	echo "$scenario" > "$out/scenario"
	mkdir -p "$top/build/vm/share"
	shares=$(mktemp -d "$top/build/vm/share/bench.XXXXXX")
	for ((v = 1; v <= vms; v++)); do mkdir "$shares/vm$v"; done
	k=0
	for ((s = 1; s <= seeds; s++)); do
		for w in "${wl[@]}"; do
			n=${#ct[@]}
			for ((j = 0; j < n; j++)); do
				echo "$s $w ${ct[$(( (j + s - 1) % n ))]}" >> "$shares/vm$(( k % vms + 1 ))/cells.list"
				k=$((k + 1))
			done
		done
	done
	# until the run ends: what --resume needs
	printf 'shares=%q vms=%q ncells=%q scenario=%q fast_ns=%q slow_ns=%q\n' \
		"$shares" "$vms" "$ncells" "$scenario" "$fast_ns" "$slow_ns" > "$out/.resume"
}
if [ -n "$resume" ]; then
	# what the stopped run recorded: shares vms ncells scenario fast_ns slow_ns
	[ -r "$out/.resume" ] || die "nothing to resume in $out (no .resume: the run finished, or never started there)"
	. "$out/.resume"
	out=$(cd "$out" && pwd)
	[ -d "$shares" ] || die "the stopped run's share directory $shares is gone: cannot resume"
	echo "bench: resuming the run in $out: $ncells cells on $vms VMs, scenario $scenario"
else
	new_run
fi
t0=$(date +%s)
# VM N runs its cells, each in a fresh boot, so that no cell inherits
# state from the one before (kswapd that gave up on a node, a peer's
# leftovers: bench/results/2026-12-01/conditions.md); the testbed's windows
# go to each cell's directory. Results in $out/vN.
run_vm() {	# N
	local v=$1 share=$shares/vm$1 rc=0 d cell seed w c
	# A cell is done once its vm.out is in place, the last step below; a
	# stopped run's cell in progress (--resume) runs again from a fresh
	# boot, its partial files and row dropped.
	rm -f "$share/access.csv" "$share/oracle.csv" "$share/serial.log.cur" "$share/vm.out.cur"
	if [ -e "$share/cells.csv" ]; then
		awk -F, -v s="$share" 'NR == 1 || system("test -e " s "/" $2 "." $3 "." $1 "/vm.out") == 0' \
			"$share/cells.csv" > "$share/cells.csv.new" && mv "$share/cells.csv.new" "$share/cells.csv"
	fi
	while read -r seed w c; do
		cell=$w.$c.$seed
		[ ! -e "$share/$cell/vm.out" ] || continue
		echo "$seed $w $c" > "$share/cell.list"
		"$top/scripts/tier-vm" --accel tcg --icount 0 --qemu "$top/build/qemu-build/qemu-system-x86_64" \
			--fast 256 --slow 1024 --timeout 2100 \
			--share "$share" --log "$share/serial.log.cur" \
			--plugin "$top/build/bin/tier_access.so,fast_mb=256,ram_mb=1280,user=on,window_ms=250,model=on,fast_ns=$fast_ns,slow_ns=$slow_ns,ipi_addr=$ipi_addr,out=$share/access.csv,oracle_out=$share/oracle.csv" \
			-- "$top/bench/suite-guest.sh" "$share" "$share/cell.list" "$scenario" > "$share/vm.out.cur" 2>&1 || rc=$?
		mkdir -p "$share/$cell"
		for f in access.csv oracle.csv; do [ ! -e "$share/$f" ] || mv "$share/$f" "$share/$cell/$f"; done
		mv "$share/serial.log.cur" "$share/$cell/serial.log" 2>/dev/null || true
		mv "$share/vm.out.cur" "$share/$cell/vm.out"
	done < "$share/cells.list"
	rm -f "$share/cell.list"
	rm -rf "$out/v$v"; mkdir -p "$out/v$v"
	cp -a "$share"/. "$out/v$v/"
	# the timed phases in host time (git keeps no mtimes)
	{
		echo "seed,workload,contender,start_unix,end_unix"
		for d in "$out/v$v"/*.*.*/; do
			d=${d%/}; cell=$(basename "$d")
			[ -e "$d/start" ] && [ -e "$d/end" ] || continue
			IFS=. read -r w c s <<< "$cell"
			echo "$s,$w,$c,$(stat -c %.6Y "$d/start"),$(stat -c %.6Y "$d/end")"
		done
	} > "$out/v$v/phases.csv"
	rm -f "$out/v$v"/*/start "$out/v$v"/*/end "$out/v$v"/*/ballast.ready
	echo "bench: VM $v done (last exit $rc)"
}
for ((v = 1; v <= vms; v++)); do run_vm "$v" & done
# A progress line per finished cell, with an estimate of what is left.
done_cells=0
while [ "$(jobs -r | wc -l)" -gt 0 ]; do
	sleep 10
	n=$(cat "$shares"/vm*/cells.csv 2>/dev/null | grep -vc '^seed,' || true)
	if [ "$n" -gt "$done_cells" ]; then
		done_cells=$n el=$(( $(date +%s) - t0 ))
		echo "bench: $n/$ncells cells done, $((el / 60)) min elapsed, about $(( el * (ncells - n) / n / 60 )) min left"
	fi
done
wait
rm -rf "$shares" "$out/.resume"
python3 "$top/bench/report.py" "$out" --fast-ns "$fast_ns" --slow-ns "$slow_ns"
