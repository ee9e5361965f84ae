#!/bin/bash
# Resume bench 2026-12-01-final after its loops were killed at the end of
# session 4 (36/42 cells done): run the cells of each VM's cells.list that
# have no directory yet, with run.sh's exact per-cell command, then copy out
# and report as run.sh does.
set -euo pipefail
top=/work/benchwt
cd $top
shares=$top/build/vm/share/bench.AFK8im
out=$top/bench/results/2026-12-01-final
scenario=main fast_ns=69 slow_ns=177
ipi_addr=0x$(awk '$3 == "native_flush_tlb_multi" { print $1 }' "$top/build/kernel/System.map")
run_vm() {
	local v=$1 share=$shares/vm$1 rc=0 cell seed w c
	rm -f "$share/access.csv" "$share/oracle.csv" "$share/serial.log.cur" "$share/vm.out.cur"
	while read -r seed w c; do
		cell=$w.$c.$seed
		[ -d "$share/$cell" ] && continue
		echo "resume: vm$v $cell $(date -u +%T)"
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
	echo "resume: VM $v done (last exit $rc) $(date -u +%T)"
}
run_vm 1 & run_vm 2 & wait
python3 "$top/bench/report.py" "$out" --fast-ns "$fast_ns" --slow-ns "$slow_ns" > /dev/null
echo "resume: all done $(date -u +%T)"
