#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check the tier_access plugin against a known placement: a tiered VM runs
# validate-guest.sh (a 64 MiB hot set on the slow node, then moved to the
# fast node with migratepages) under the plugin. While the hot set is slow,
# the fast tier must serve few of the user accesses although the oracle
# (which fits it in fast memory) serves nearly all; once it moved, the fast
# tier must serve nearly all. Placement is cross-checked with move_pages(2)
# (hotset's own report). Placement only, without icount or the model
# (vtime.sh checks those). Prints TAP lines; writes "PASS FAIL SKIP" to $1.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
counts=${1:-/dev/null}
share=$top/build/vm/share
dir=$share/testbed
plugin=$top/build/bin/tier_access.so
pass=0 fail=0

check() {	# check DESCRIPTION CONDITION...
	local what=$1
	shift
	if "$@"; then echo "ok - testbed: $what"; pass=$((pass + 1));
	else echo "not ok - testbed: $what"; fail=$((fail + 1)); fi
}

rm -rf "$dir"
mkdir -p "$dir"
"$top/scripts/tier-vm" --accel tcg --qemu "$top/build/qemu-build/qemu-system-x86_64" --fast 256 --slow 1280 --timeout 900 \
	--log "$dir/serial.log" \
	--plugin "$plugin,fast_mb=256,ram_mb=1536,window_ms=1000,user=on,out=$dir/access.csv" \
	-- "$top/bench/testbed/validate-guest.sh" "$dir" > "$dir/vm.out" 2>&1
rc=$?
check "the VM ran the workload under the plugin (exit $rc)" [ $rc -eq 0 ]
if [ $rc -ne 0 ] || [ ! -s "$dir/access.csv" ] || [ ! -e "$dir/migrate-done" ]; then
	echo "$pass $fail 0" > "$counts"
	exit 1
fi

ts() { date -r "$1" +%s.%N; }
ready=$(ts "$dir/ready") mstart=$(ts "$dir/migrate-start") mdone=$(ts "$dir/migrate-done")
# Access-weighted means over the windows wholly inside [from, to].
phase() {
	awk -F, -v from="$1" -v to="$2" '
		NR > 1 && $1 != "run" && $3 - 1 >= from && $3 <= to {
			n += $4; f += $5; o += $7 * $4; w++ }
		END { if (n) printf "%d %.3f %.3f %.3f\n", w, f / n, o / n, (f / n) / (o / n)
		      else print "0 0 0 0" }' "$dir/access.csv"
}
read -r wa fa oa ea <<< "$(phase "$(echo "$ready + 1" | bc)" "$mstart")"
read -r wb fb ob eb <<< "$(phase "$(echo "$mdone + 1" | bc)" "$(echo "$mdone + 16" | bc)")"
echo "# hot set on the slow node: $wa windows, fast-tier share $fa, oracle $oa, efficiency $ea"
echo "# hot set on the fast node: $wb windows, fast-tier share $fb, oracle $ob, efficiency $eb"
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
check "windows in both phases" ge "$(( wa < wb ? wa : wb ))" 3
check "slow phase: the fast tier serves < 20% of the accesses" ge 0.2 "$fa"
check "slow phase: the oracle would serve > 80%" ge "$oa" 0.8
check "fast phase: the fast tier serves > 80%" ge "$fb" 0.8
check "fast phase: placement efficiency > 0.8" ge "$eb" 0.8
# move_pages(2) agrees: hotset's first and last hot-set shares in fast memory
first=$(awk -F, 'NR == 2 { print $2 }' "$dir/hotset.csv")
last=$(awk -F, 'END { print $2 }' "$dir/hotset.csv")
check "move_pages: hot set slow at first ($first), fast at the end ($last)" \
	ge "$(awk -v a="$first" -v b="$last" 'BEGIN { print (a <= 0.05 && b >= 0.95) }')" 1
echo "$pass $fail 0" > "$counts"
[ $fail -eq 0 ]
