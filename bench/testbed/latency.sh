#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Does a guest-measured runtime follow the testbed's latency model? gups
# (uniform random updates of 128 MiB) with 0, 25, 50, 75 and 100% of its
# table on the slow node, RUNS times each, under the plugin with fast 80 ns
# and slow 300 ns. The model predicts runtime = base + share x (the extra
# memory time of an all-slow table); the report fits a line through the
# guest-measured runtimes and compares its slope with the modelled one.
# Writes OUT/latency-model.{csv,md}. A measurement, not a test.
#   bench/testbed/latency.sh [OUT_DIR [RUNS]]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/bench/results/$(date +%Y-%m-%d)}
runs=${2:-3}
fast_ns=${BENCH_FAST_NS:-80} slow_ns=${BENCH_SLOW_NS:-300}
share=$top/build/vm/share/latency
rm -rf "$share"; mkdir -p "$share" "$out"
echo "latency: gups at 0-100% slow, $runs runs each, model fast $fast_ns ns, slow $slow_ns ns"
"$top/scripts/tier-vm" --accel tcg --fast 256 --slow 1024 --timeout 3600 --log "$share/serial.log" \
	--plugin "$top/build/bin/tier_access.so,fast_mb=256,ram_mb=1280,user=on,window_ms=250,fast_ns=$fast_ns,slow_ns=$slow_ns,out=$share/access.csv" \
	-- "$top/bench/testbed/latency-guest.sh" "$share" "$runs" 0 25 50 75 100 2>&1 | grep --line-buffered '^latency:' || true
{
	echo "slow_pct,run,guest_s,start_unix,end_unix"
	for d in "$share"/*.*/; do
		d=${d%/}; n=$(basename "$d")
		secs=$(sed -n 's/^result .*seconds=\([0-9.]*\) .*check=ok.*/\1/p' "$d/out")
		[ -n "$secs" ] || { echo "latency: run $n failed" >&2; continue; }
		echo "${n%.*},${n#*.},$secs,$(stat -c %.6Y "$d/start"),$(stat -c %.6Y "$d/end")"
	done
} > "$share/runs.csv"
python3 - "$share" "$out" "$fast_ns" "$slow_ns" <<'EOPY'
import csv, os, statistics, sys
share, out, fast_ns, slow_ns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
wins, prev = [], None
for r in csv.DictReader(open(os.path.join(share, "access.csv"))):
    if r["window"] == "run":
        continue
    end = float(r["unix_s"])
    wins.append((prev if prev is not None else end - 0.25, end, float(r["mem_ms"]), float(r["model_ms"])))
    prev = end
def model(lo, hi):
    mem = mod = 0.0
    for s, e, m, md in wins:
        a, b = max(s, lo), min(e, hi)
        if b > a:
            f = (b - a) / (e - s)
            mem += m * f
            mod += md * f
    return mem / 1000, mod / 1000
rows = []
for r in csv.DictReader(open(os.path.join(share, "runs.csv"))):
    mem, mod = model(float(r["start_unix"]), float(r["end_unix"]))
    rows.append((int(r["slow_pct"]), int(r["run"]), float(r["guest_s"]), mem, mod))
rows.sort()
with open(os.path.join(out, "latency-model.csv"), "w") as f:
    f.write("slow_pct,run,guest_s,mem_model_s,model_s\n")
    for row in rows:
        f.write("%d,%d,%.3f,%.3f,%.3f\n" % row)
def fit(xs, ys):
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    ss = sum((y - my) ** 2 for y in ys)
    res = sum((y - (my + slope * (x - mx))) ** 2 for x, y in zip(xs, ys))
    return slope, my - slope * mx, 1 - res / ss if ss else 1.0
L = ["# Does guest-measured runtime follow the latency model?\n",
     f"gups, 4 M uniform random updates of a 128 MiB table, a share of it on the slow node; "
     f"model: fast {fast_ns} ns, slow {slow_ns} ns per access missing the 4 MiB cache model. "
     "guest s: the timed phase on the guest's clock (TCG, stalls included); mem model s: "
     "the memory time the plugin charged in that phase; model s: plus user instructions at 0.4 ns.\n",
     "| slow % | guest s (median, min-max) | mem model s (median) | model s (median) |", "|---|---|---|---|"]
for p in sorted({r[0] for r in rows}):
    g = [r[2] for r in rows if r[0] == p]
    L.append(f"| {p} | {statistics.median(g):.2f} ({min(g):.2f}-{max(g):.2f}) | "
             f"{statistics.median(r[3] for r in rows if r[0] == p):.2f} | "
             f"{statistics.median(r[4] for r in rows if r[0] == p):.2f} |")
if len({r[0] for r in rows}) >= 2:
    xs = [r[0] / 100 for r in rows]
    gs, ms = fit(xs, [r[2] for r in rows]), fit(xs, [r[3] for r in rows])
    L.append(f"\nLinear fit over all runs, runtime = a + b x slow share: guest-measured "
             f"b = {gs[0]:.2f} s (a = {gs[1]:.2f} s, R^2 = {gs[2]:.3f}); modelled memory time "
             f"b = {ms[0]:.2f} s (R^2 = {ms[2]:.3f}). The guest's runtime grows by "
             f"{gs[0] / ms[0]:.2f} s per modelled second.")
open(os.path.join(out, "latency-model.md"), "w").write("\n".join(L) + "\n")
print("\n".join(L))
EOPY
