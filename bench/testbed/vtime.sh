#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check the virtual-time testbed: a tiered VM under -icount shift=0 with the
# tier_access model (make qemu's QEMU, vmm-patch/0006-0007) runs
# vtime-guest.sh twice side by side (A, B), then once more (C) while
# stress-ng --cpu 2 loads the host. Checks, on guest-measured runtimes:
#  - determinism: A and B agree within 1% on every run;
#  - the runtime grows linearly with the slow tier's share (R^2 >= 0.99) and
#    its slope matches what the plugin charged for memory (within 10%);
#  - work on another vCPU is paid in guest time (icount runs the vCPUs in
#    turn on one clock): of two dd copies started at once on two vCPUs, the
#    one that ends last took about twice (1.8-2.2x) as long as one alone
#    (each the least disturbed of three rounds: other work that lands on a
#    vCPU meanwhile, at times that depend on the host's I/O, adds to a round;
#    one CI run measured 0.696 s alone where two other boots measured 0.553);
#  - host load changes no runtime by more than 1% (C against A).
# Prints TAP lines; writes "PASS FAIL SKIP" to $1.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
counts=${1:-/dev/null}
dir=$top/build/vm/share/vtime
qemu=$top/build/qemu-build/qemu-system-x86_64
plugin=$top/build/bin/tier_access.so

boot() {	# boot NAME: one VM, results in $dir/NAME
	mkdir -p "$dir/$1"
	"$top/scripts/tier-vm" --accel tcg --icount 0 --qemu "$qemu" --fast 256 --slow 1024 \
		--timeout 900 --share "$dir/$1" --log "$dir/$1/serial.log" \
		--plugin "$plugin,fast_mb=256,ram_mb=1280,window_ms=100,model=on,out=$dir/$1/access.csv" \
		-- "$top/bench/testbed/vtime-guest.sh" "$dir/$1" > "$dir/$1/vm.out" 2>&1
	echo $? > "$dir/$1/rc"
}

rm -rf "$dir"
mkdir -p "$dir"
if [ ! -x "$top/build/bin/gups" ]; then
	echo "not ok - vtime: build/bin/gups is missing (run: make workloads)"
	echo "0 1 0" > "$counts"
	exit 1
fi
if ! command -v stress-ng > /dev/null; then
	echo "not ok - vtime: stress-ng is missing (run: make deps)"
	echo "0 1 0" > "$counts"
	exit 1
fi
boot A & boot B
wait
stress-ng --cpu 2 --timeout 900 > /dev/null 2>&1 &
load=$!
boot C
kill "$load" 2>/dev/null
wait "$load" 2>/dev/null
python3 - "$dir" "$counts" "$top/bench" <<'EOPY'
import os, re, statistics, sys
d, counts = sys.argv[1], sys.argv[2]
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[3])
from report import phase_metrics, windows
shares = [0, 25, 50, 75, 100]
npass = nfail = 0
def check(what, ok):
    global npass, nfail
    print("%s - vtime: %s" % ("ok" if ok else "not ok", what))
    if ok: npass += 1
    else: nfail += 1
def secs(path):
    """A run's seconds from its result line; None without one or with a failed check."""
    try:
        m = re.search(r"seconds=([0-9.]+) .*check=ok", open(path).read())
    except OSError:
        return None
    return float(m.group(1)) if m else None
vm = {}
for n in "ABC":
    rc = open(os.path.join(d, n, "rc")).read().strip()
    runs = {s: secs(os.path.join(d, n, "gups.%d" % s, "out")) for s in shares}
    ok = rc == "0" and None not in runs.values()
    check("VM %s ran every run (exit %s)" % (n, rc), ok)
    vm[n] = runs if ok else None
if None in vm.values():
    open(counts, "w").write("%d %d 0\n" % (npass, nfail + 4))
    sys.exit(1)
A, B, C = vm["A"], vm["B"], vm["C"]
dev = max(abs(A[k] - B[k]) / A[k] for k in A)
print("# runtimes (s) A: %s" % " ".join("%s=%.4f" % (k, A[k]) for k in A))
print("# runtimes (s) B: %s" % " ".join("%s=%.4f" % (k, B[k]) for k in B))
print("# runtimes (s) C: %s" % " ".join("%s=%.4f" % (k, C[k]) for k in C))
check("determinism: two boots' gups runs agree within 1%% (largest difference %.3f%%)" % (100 * dev), dev <= 0.01)
# charged memory time inside each run's timed phase (windows prorated,
# as the suite's report does)
wins = windows(os.path.join(d, "A", "access.csv"))
def charged(s):
    base = os.path.join(d, "A", "gups.%d" % s)
    m, _ = phase_metrics(wins, os.stat(base + "/start").st_mtime, os.stat(base + "/end").st_mtime)
    return m["mem_s"] + m["ipi_s"]
xs, ys = shares, [A[s] for s in shares]
cs = [charged(s) for s in shares]
slope, icpt = statistics.linear_regression(xs, ys)
r2 = statistics.correlation(xs, ys) ** 2 if len(set(ys)) > 1 else 0
cslope, _ = statistics.linear_regression(xs, cs)
print("# charged memory time per run (s): %s" % " ".join("%d%%=%.4f" % (s, c) for s, c in zip(shares, cs)))
print("# runtime = %.4f + %.6f x slow%% s (R^2 %.5f); charged slope %.6f s per %%" % (icpt, slope, r2, cslope))
check("runtime linear in the slow share (R^2 %.4f >= 0.99)" % r2, r2 >= 0.99)
check("slope matches the charged memory time (%.6f vs %.6f s per %%)" % (slope, cslope),
      cslope > 0 and abs(slope - cslope) <= 0.1 * cslope)
def busy(n, what):
    """A round per line: its dd times, sorted."""
    try:
        return [sorted(float(x) for x in l.split())
                for l in open(os.path.join(d, n, "busy", what)) if l.strip()]
    except (OSError, ValueError):
        return []
def least(rounds):
    """The least disturbed round: the one whose last copy ended first."""
    return min(rounds, key=max) if rounds else []
rounds_alone, rounds_both = busy("A", "alone"), busy("A", "both")
alone, both = least(rounds_alone), least(rounds_both)
print("# dd alone, rounds %s s; two at once, rounds %s s (B: %s, C: %s)" % (
    rounds_alone, rounds_both, busy("B", "both"), busy("C", "both")))
check("another vCPU's work is paid in guest time (two dd at once: %s s, alone %s s)" % (both, alone),
      len(alone) == 1 and len(both) == 2 and 1.8 * alone[0] <= max(both) <= 2.2 * alone[0])
load = max(abs(C[k] - A[k]) / A[k] for k in A)
check("host load (stress-ng --cpu 2) changes no runtime by more than 1%% (largest %.3f%%)" % (100 * load), load <= 0.01)
open(counts, "w").write("%d %d 0\n" % (npass, nfail))
sys.exit(1 if nfail else 0)
EOPY
