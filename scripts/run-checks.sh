#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: host-side tests, then every selftest inside a booted tiered
# VM; ends with "N passed, N failed, N skipped" and fails if any failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
st=$top/build/selftests
vm=$top/build/vm
mkdir -p "$vm"
. "$top/selftests/kernel-log.sh"
start=$(date +%s)

# The C selftests register themselves: a line "/* tier-test: WHERE [ARGS] */"
# in selftests/NAME.c runs build/selftests/NAME with ARGS on the host (WHERE
# host) or in the main VM (vm); one line per place.
tests_for() {	# host|vm: "BIN[:ARGS]" for run_tests.sh
	local f where args
	for f in "$top"/selftests/*.c; do
		while read -r where args; do
			[ "$where" = "$1" ] || continue
			echo "$st/$(basename "$f" .c)${args:+:$args}"
		done < <(sed -n 's|^/\* tier-test: \(.*\) \*/$|\1|p' "$f")
	done
}
mapfile -t host_tests < <(tests_for host)
mapfile -t vm_tests < <(tests_for vm)
# and the series' kselftest target (make kselftest): its binary, whose
# tests are counted and shown one by one, then the kernel's runner, which
# runs it again and shows only its verdict
vm_tests+=("$top/build/kernel/kselftest/tier_ext/tier_ext_test"
	   "make:-s -C $top/build/linux/tools/testing/selftests TARGETS=tier_ext O=$top/build/kernel VMLINUX_BTF=$top/build/kernel/vmlinux run_tests")
untagged=$(grep -L '^/\* tier-test: ' "$top"/selftests/*.c)
if [ -n "$untagged" ] || [ ${#host_tests[@]} -eq 0 ] || [ ${#vm_tests[@]} -eq 0 ]; then
	echo "run-checks: a selftest would not run: no '/* tier-test: host|vm */' line in ${untagged:-any file}" >&2
	exit 1
fi

echo "# host: tierctl argument handling, tierhost JSON/QMP/usage (no VM needed)"
TIERHOST=$top/build/bin/tierhost "$top/selftests/run_tests.sh" "$vm/host.counts" "${host_tests[@]}"

echo "# VM: booting the tier_ext kernel (fast node 256 MiB with the CPUs, slow node 1280 MiB)"
rm -f "$vm/share/vm.counts"
"$top/scripts/tier-vm" --fast 256 --slow 1280 --timeout 2400 -- \
	"$top/selftests/run_tests.sh" "$vm/share/vm.counts" "${vm_tests[@]}"
vmrc=$?
echo "# VM run: $(( $(date +%s) - start )) s"

read -r hp hf hs < "$vm/host.counts"
if [ -s "$vm/share/vm.counts" ]; then
	read -r vp vf vs < "$vm/share/vm.counts"
else
	echo "not ok - the VM run did not finish (tier-vm exit $vmrc)"
	vp=0 vf=1 vs=0
fi
# The kernel must not have warned or crashed while the tests ran.
if kernel_log_warned "$vm/serial.log"; then
	echo "not ok - kernel log has warnings (build/vm/serial.log):"
	kernel_log_excerpt 40 "$vm/serial.log"
	vf=$((vf + 1))
else
	echo "ok - kernel log clean"
	vp=$((vp + 1))
fi

# SCRIPT... COUNTS: run a check script that writes "PASS FAIL SKIP" to
# COUNTS and add them to tp/tf/ts, or count one failure if it wrote none.
tp=0 tf=0 ts=0
counted() {
	local counts=${*: -1} p f s t0=$SECONDS
	rm -f "$counts"
	"$@"
	echo "# $(basename "$1"): $((SECONDS - t0)) s"
	if read -r p f s 2>/dev/null < "$counts"; then
		tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	else
		echo "not ok - $(basename "$1") reported nothing"
		tf=$((tf + 1))
	fi
}
echo "# topology: two fast nodes with the CPUs and one slow node (tier-vm --fast-nodes 2)"
counted "$top/selftests/topology.sh" "$vm/topology.counts"
echo "# install: make install into a temporary DESTDIR"
counted "$top/selftests/install.sh" "$vm/install.counts"
echo "# testbed: the tier_access TCG plugin against a known placement"
counted "$top/bench/testbed/validate.sh" "$vm/testbed.counts"
echo "# testbed: virtual time (icount and the tier_access model)"
counted "$top/bench/testbed/vtime.sh" "$vm/vtime.counts"
echo "# vmm: per-tier balloon and tierhost under make qemu's QEMU, driven from the host"
for t in balloon_nodes balloon_migrate tierhost_daemon libvirt; do
	echo "# ===== $t.sh"
	counted "$top/selftests/vmm/$t.sh" "$vm/$t.counts"
done
echo "# nested: a tiered host VM (build/kernel) runs KVM guests; TPP-H"
counted "$top/selftests/vmm/nested.sh" "$vm/nested.counts"

echo "# total time $(( $(date +%s) - start ))s"
pass=$((hp + vp + tp)) fail=$((hf + vf + tf)) skip=$((hs + vs + ts))
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
