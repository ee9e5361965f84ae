#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a bench/run.sh results directory into bench.csv, bench.md and plots.

Per cell (seed, workload, contender) it joins the guest's counters
(vN/cells.csv, one directory per VM) with the testbed's windows
(vN/access.csv) that overlap the workload's timed phase (vN/phases.csv,
host time), weighting a window by its overlap.  Usage: report.py DIR [--fast-ns N --slow-ns N]
"""
import argparse
import csv
import glob
import math
import os
import statistics
import sys

from gnuplot import Plots

NUM = ["accesses", "fast", "mem_ms", "ipi_ms", "misses", "stream_misses"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def windows(path):
    rows = [r for r in read_csv(path) if r["window"] != "run"]
    out, prev = [], None
    for r in rows:
        end = float(r["unix_s"])
        start = prev if prev is not None else end - 0.25
        prev = end
        w = {k: float(r.get(k) or 0) for k in NUM}
        w["label"] = r["window"]
        w["oracle"] = float(r["oracle_ratio"]) * w["accesses"]
        w["start"], w["end"] = start, end
        out.append(w)
    return out


def fast_random(tot, fast_ns, slow_ns):
    """The fast-served share f of the phase's random (not streamed) misses.

    The plugin charges r * (fast_ns f + slow_ns (1 - f)) + s * c for r
    random and s streamed misses, c a line's transfer time (fast_line_ns 5,
    slow_line_ns 10): solved for f with c = 7.5, the middle; +-half_range
    covers c from 5 to 10.  Streamed lines (a scan, a page copy) weigh as
    much as latency-bound misses in the access counts; this separates them.
    """
    r = tot["misses"] - tot["stream_misses"]
    s = tot["stream_misses"]
    if r <= 0 or slow_ns <= fast_ns:
        return None, None
    f = [(slow_ns - (tot["mem_ms"] * 1e6 - s * c) / r) / (slow_ns - fast_ns) for c in (5.0, 10.0)]
    return (f[0] + f[1]) / 2, abs(f[1] - f[0]) / 2


def phase_metrics(wins, start, end, fast_ns=None, slow_ns=None):
    """Totals of the windows overlapping [start, end] (host time), weighted
    by overlap; with the model's latencies also fast_random (bench/testbed/
    vtime.sh uses only mem_s and calls it without them)."""
    tot = dict.fromkeys(NUM + ["oracle"], 0.0)
    series = []
    for w in wins:
        lo, hi = max(w["start"], start), min(w["end"], end)
        if hi <= lo:
            continue
        frac = (hi - lo) / (w["end"] - w["start"])
        for k in tot:
            tot[k] += w[k] * frac
        if w["accesses"] > 0 and w["oracle"] > 0:
            series.append((w["end"] - start, w["fast"] / w["oracle"]))
    m = {"mem_s": tot["mem_ms"] / 1000, "ipi_s": tot["ipi_ms"] / 1000}
    m["fast_ratio"] = tot["fast"] / tot["accesses"] if tot["accesses"] else 0
    m["oracle_ratio"] = tot["oracle"] / tot["accesses"] if tot["accesses"] else 0
    m["efficiency"] = tot["fast"] / tot["oracle"] if tot["oracle"] else 0
    f, half = (None, None) if fast_ns is None else fast_random(tot, fast_ns, slow_ns)
    if f is not None:
        m["fast_random"], m["fast_random_pm"] = f, half
    return m, series


def oracle_curve(path):
    """Per window label: (accesses, {MiB: accesses of the hottest MiB})."""
    out = {}
    if not os.path.exists(path):
        return out
    for r in read_csv(path):
        tops = {int(k[4:-2]): float(v) for k, v in r.items() if k.startswith("top_")}
        out[r["window"]] = (float(r["accesses"]), tops)
    return out


def oracle_k(wins, curve, start, end, k_mb, runtime):
    """Over the phase: the oracle's fast share with K = k_mb of fast memory,
    the efficiency against it, and the guest time (s into the phase) at which
    a window's efficiency first reached 0.9 (None: never)."""
    if not curve or k_mb <= 0:
        return None, None, None
    fast = best = acc = 0.0
    t90 = None
    for w in wins:
        lo, hi = max(w["start"], start), min(w["end"], end)
        if hi <= lo or w["label"] not in curve:
            continue
        frac = (hi - lo) / (w["end"] - w["start"])
        n, tops = curve[w["label"]]
        sizes = sorted(tops)
        below = [m for m in sizes if m <= k_mb]
        top = tops[below[-1]] if below else 0.0
        fast += w["fast"] * frac
        best += top * frac
        acc += n * frac
        # only windows wholly inside the phase: a partial one has few accesses
        if t90 is None and frac > 0.999 and top > 0 and w["fast"] / top >= 0.9:
            t90 = (w["end"] - start) / (end - start) * runtime
    if not best:
        return None, None, None
    return best / acc, fast / best, t90


def progress_metrics(path, runtime):
    """From a workload's progress file ("SECONDS OPS" every ~100 ms of guest
    time): throughput over the second half (ops/s), the time its 1-s
    throughput first reached 90% of that, and whether it still rose at the
    end (last quarter > 1.1 x the third)."""
    if not os.path.exists(path):
        return None, None, None
    pts = [tuple(map(float, l.split())) for l in open(path) if l.strip()]
    pts.append((runtime, pts[-1][1] if pts else 0.0))
    if len(pts) < 8 or runtime <= 2:
        return None, None, None

    def ops_at(t):
        prev = pts[0]
        for p in pts:
            if p[0] >= t:
                if p[0] == prev[0]:
                    return p[1]
                return prev[1] + (p[1] - prev[1]) * (t - prev[0]) / (p[0] - prev[0])
            prev = p
        return pts[-1][1]

    def rate(a, b):
        return (ops_at(b) - ops_at(a)) / (b - a)
    steady = rate(runtime / 2, runtime)
    t90 = None
    t = 1.0
    while t <= runtime:
        if rate(t - 1, t) >= 0.9 * steady:
            t90 = t
            break
        t += 0.1
    rising = rate(0.75 * runtime, runtime) > 1.1 * rate(0.5 * runtime, 0.75 * runtime)
    return steady, t90, rising


def gmean(xs):
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--fast-ns", type=int, default=69)
    ap.add_argument("--slow-ns", type=int, default=177)
    a = ap.parse_args()
    cells, series = [], {}
    for vdir in sorted(glob.glob(os.path.join(a.dir, "v[0-9]*"))):
        if not os.path.exists(os.path.join(vdir, "cells.csv")):
            continue
        phases = {(p["seed"], p["workload"], p["contender"]): p
                  for p in read_csv(os.path.join(vdir, "phases.csv"))}
        # one access.csv per VM before the boot per cell (run.sh, 2026-12-01)
        vm_wins = curve0 = None
        if os.path.exists(os.path.join(vdir, "access.csv")):
            vm_wins = windows(os.path.join(vdir, "access.csv"))
            curve0 = oracle_curve(os.path.join(vdir, "oracle.csv"))
        for c in read_csv(os.path.join(vdir, "cells.csv")):
            p = phases.get((c["seed"], c["workload"], c["contender"]))
            row = dict(c)
            cell_dir = os.path.join(vdir, f"{c['workload']}.{c['contender']}.{c['seed']}")
            wins, curve = vm_wins, curve0
            if os.path.exists(os.path.join(cell_dir, "access.csv")):
                # a boot per cell: the cell's own windows
                wins = windows(os.path.join(cell_dir, "access.csv"))
                curve = oracle_curve(os.path.join(cell_dir, "oracle.csv"))
            if p and wins is not None and c["status"] == "ok" and c["check"] == "ok":
                m, s = phase_metrics(wins, float(p["start_unix"]), float(p["end_unix"]),
                                     a.fast_ns, a.slow_ns)
                m["wall_s"] = float(p["end_unix"]) - float(p["start_unix"])
                m["runtime_s"] = float(c["seconds"])
                k_mb = float(c.get("fast_free_mb") or 0)
                m["oracle_k"], m["efficiency_k"], m["t90_oracle_s"] = oracle_k(
                    wins, curve, float(p["start_unix"]), float(p["end_unix"]), k_mb,
                    m["runtime_s"])
                m["steady_ops_s"], m["t90_steady_s"], rising = progress_metrics(
                    os.path.join(cell_dir, "progress"), m["runtime_s"])
                m["converged"] = "" if rising is None else ("no" if rising else "yes")
                row.update(m)
                if c["seed"] == "1":
                    series[c["workload"], c["contender"]] = s
            cells.append(row)
    if not cells:
        sys.exit("report: no cells in " + a.dir)

    fields = ["seed", "workload", "contender", "status", "check", "runtime_s", "wall_s",
              "mem_s", "ipi_s", "fast_ratio", "fast_random", "fast_random_pm", "oracle_ratio",
              "efficiency", "fast_free_mb", "oracle_k", "efficiency_k", "t90_oracle_s",
              "steady_ops_s", "t90_steady_s", "converged", "promoted", "demoted", "exchanged",
              "migrated", "tier_cpu_s", "fault_s", "bpf_ms", "ops"]
    with open(os.path.join(a.dir, "bench.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        for c in cells:
            w.writerow({k: (f"{c[k]:.4f}" if isinstance(c.get(k), float) else c.get(k, ""))
                        for k in fields})

    workloads = list(dict.fromkeys(c["workload"] for c in cells))
    contenders = list(dict.fromkeys(c["contender"] for c in cells))
    good = [c for c in cells if "runtime_s" in c]
    failed = [c for c in cells if "runtime_s" not in c]
    seeds = sorted({c["seed"] for c in cells})

    def vals(w, ct, k):
        return [float(c[k]) for c in good if c["workload"] == w and c["contender"] == ct
                and c.get(k) not in (None, "")]

    def median_all(ct, k):
        v = [float(c[k]) for c in good if c["contender"] == ct and c.get(k) not in (None, "")]
        return statistics.median(v) if v else None

    med = {}
    for w in workloads:
        for ct in contenders:
            for k in ("runtime_s", "wall_s", "t90_steady_s", "tier_cpu_s"):
                v = vals(w, ct, k)
                if v:
                    med[w, ct, k] = statistics.median(v)

    L = []
    L.append(f"# Benchmark suite: {os.path.basename(os.path.abspath(a.dir))}\n")
    scen = open(os.path.join(a.dir, "scenario")).read().strip() \
        if os.path.exists(os.path.join(a.dir, "scenario")) else "noisy"
    start = ("the workload's own data fills the fast node first (scenario main)"
             if scen == "main" else
             "the fast node is first filled with a foreign process's cold ballast (scenario noisy)")
    L.append(f"VM: fast node 256 MiB (20%), slow node 1024 MiB, 2 vCPUs, TCG under icount "
             f"(1 ns per instruction); {start}. Testbed "
             f"memory model, charged into the guest's clock: fast {a.fast_ns} ns, slow "
             f"{a.slow_ns} ns per miss of a shared 3 MiB 12-way cache model (bench/README.md). "
             f"{len(seeds)} seed(s); cells: {len(good)} measured, {len(failed)} failed.\n")
    L.append("- **runtime s**: the timed phase on the guest's clock: virtual time, every "
             "instruction and charged memory miss of every vCPU, the policy's and the kernel's "
             "included; independent of TCG's speed and the host's load\n"
             "- **wall s**: the timed phase in host wall time (TCG speed, for the record)\n"
             "- **fast**: share of the workload's accesses served by the fast node; **eff K**: "
             "placement efficiency against the oracle with K = the fast node's free memory at "
             "the cell's start (the hottest K of pages in fast memory); **fast rnd**: share "
             "of the random (not streamed) cache misses of every vCPU that the fast node served, "
             "from the charged time (bench.csv: fast_random, +-fast_random_pm for a streamed "
             "line's cost between the tiers' 5 and 10 ns)\n"
             "- **t90 steady**: guest seconds until the workload's 1-s throughput first reached "
             "90% of its second-half throughput (C workloads only); **t90 oracle**: until a "
             "window's eff K first reached 0.9 (-: never); **conv**: no if the throughput still rose at the "
             "end (last quarter > 1.1 x the third)\n"
             "- **prom/dem/xchg/migr**: pages promoted (tier_ext migration requests and "
             "hint-fault migrations, numa_pages_migrated), demoted, exchanged, and all page migrations (pgmigrate_success: "
             "also TPP's and Memtis' hint-fault promotions, DAMON's moves), medians; **tier CPU**: "
             "guest CPU seconds of tiering: threads (tier_ext kthreads, kdamond, kswapd) plus hint faults and "
             "NUMA-balancing scans (faultclock); **BPF ms**: "
             "policy programs' run time (bpf stats)\n")
    for w in workloads:
        best = min((med[w, ct, "runtime_s"] for ct in contenders if (w, ct, "runtime_s") in med),
                   default=None)
        L.append(f"\n## {w}\n")
        L.append("| contender | runtime s (min-max) | vs best | wall s (min-max) | fast | fast rnd | eff K | "
                 "t90 steady s | t90 oracle s | conv | prom | dem | xchg | migr | tier CPU s | BPF ms |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for ct in contenders:
            if (w, ct, "runtime_s") not in med:
                ran = any(c["workload"] == w and c["contender"] == ct for c in cells)
                L.append(f"| {ct} | {'failed' if ran else 'not run'} | | | | | | | | | | | | | | |")
                continue
            ms, gs = vals(w, ct, "runtime_s"), vals(w, ct, "wall_s")

            def md(k, fmt="{:.0f}"):
                v = vals(w, ct, k)
                return fmt.format(statistics.median(v)) if v else "-"

            def conv():
                v = [c["converged"] for c in good if c["workload"] == w and c["contender"] == ct
                     and c.get("converged")]
                return "/".join(sorted(set(v))) if v else "-"
            L.append(f"| {ct} | {med[w, ct, 'runtime_s']:.2f} ({min(ms):.2f}-{max(ms):.2f}) | "
                     f"{med[w, ct, 'runtime_s'] / best:.2f} | {statistics.median(gs):.1f} "
                     f"({min(gs):.1f}-{max(gs):.1f}) | {md('fast_ratio', '{:.3f}')} | "
                     f"{md('fast_random', '{:.2f}')} | "
                     f"{md('efficiency_k', '{:.3f}')} | {md('t90_steady_s', '{:.1f}')} | "
                     f"{md('t90_oracle_s', '{:.1f}')} | {conv()} | {md('promoted')} | {md('demoted')} | "
                     f"{md('exchanged')} | {md('migrated')} | {md('tier_cpu_s', '{:.2f}')} | {md('bpf_ms')} |")

    L.append("\n## Headline\n")
    L.append("Runtime ratio = the contender's median runtime / demeter's (above 1: demeter is "
             "faster), geometric mean over the workloads where both have results: the real "
             "programs (redis, sqlite, liblinear, btree, pagerank, xsbench), gups (and "
             "gups-moving), and all. Migrations: pages migrated (pgmigrate_success) summed over "
             "the workloads both have, relative to tpp's. Tier CPU: median over the contender's "
             "cells of the guest CPU seconds of tiering (threads, hint faults, scans).\n")
    L.append("| contender | vs demeter: real programs | gups | all | migrations vs tpp | "
             "tier CPU s | BPF ms |")
    L.append("|---|---|---|---|---|---|---|")
    real = {"redis", "sqlite", "liblinear", "btree", "pagerank", "xsbench"}

    def ratio(ct, ws):
        ws = [w for w in ws if (w, ct, "runtime_s") in med and (w, "demeter", "runtime_s") in med]
        if not ws:
            return "-", 0
        return f"{gmean([med[w, ct, 'runtime_s'] / med[w, 'demeter', 'runtime_s'] for w in ws]):.3f}", len(ws)

    def migr(ct):
        ws = [w for w in workloads if vals(w, ct, "migrated") and vals(w, "tpp", "migrated")]
        a = sum(statistics.median(vals(w, ct, "migrated")) for w in ws)
        b = sum(statistics.median(vals(w, "tpp", "migrated")) for w in ws)
        return f"{a / b:.2f}" if b else "-"
    for ct in contenders:
        rr, nr = ratio(ct, [w for w in workloads if w in real])
        rg, ng = ratio(ct, [w for w in workloads if w.startswith("gups")])
        ra, na = ratio(ct, workloads)
        cpu, bpf = median_all(ct, "tier_cpu_s"), median_all(ct, "bpf_ms")
        L.append(f"| {ct} | {rr} ({nr}) | {rg} ({ng}) | {ra} ({na}) | {migr(ct)} | "
                 f"{'-' if cpu is None else f'{cpu:.2f}'} | {'-' if bpf is None else f'{bpf:.0f}'} |")
    if failed:
        L.append("\n## Failed cells\n")
        for c in failed:
            L.append(f"- seed {c['seed']}: {c['workload']} under {c['contender']}: "
                     f"{c['status']}, check {c.get('check') or '-'}")
    L.append("\nPlots: `runtime.svg` (median runtime normalised to the best contender per "
             "workload), `t90.svg` (time to 90% of steady state), `cpu.svg` (tiering CPU), "
             "`efficiency.svg` (placement efficiency over the timed phase, seed 1).")
    with open(os.path.join(a.dir, "bench.md"), "w") as f:
        f.write("\n".join(L) + "\n")

    plots(a.dir, workloads, contenders, med, series)
    print("\n".join(L))


def plots(d, workloads, contenders, med, series):
    p = Plots(d, "report")

    def normalised(w, ct):
        best = min((med[w, c, "runtime_s"] for c in contenders if (w, c, "runtime_s") in med),
                   default=None)
        m = med.get((w, ct, "runtime_s"))
        return f"{m / best:.4f}" if m and best else None

    def median_of(key, fmt):
        return lambda w, ct: fmt.format(med[w, ct, key]) if (w, ct, key) in med else None

    p.bars("runtime", "Runtime (guest virtual time, median), normalised to the best contender "
           "per workload", "runtime / best", workloads, contenders, normalised)
    p.bars("t90", "Time to 90% of steady-state throughput (median)", "guest s",
           workloads, contenders, median_of("t90_steady_s", "{:.2f}"))
    p.bars("cpu", "CPU time of tiering: threads, hint faults, scans (median)", "CPU s",
           workloads, contenders, median_of("tier_cpu_s", "{:.3f}"))
    for (w, ct), s in series.items():
        with open(p.data(f"eff.{w}.{ct}"), "w") as f:
            for t, e in s:
                f.write(f"{t:.2f} {e:.4f}\n")
    rows = math.ceil(len(workloads) / 2)
    p.gp += [f'set terminal svg size 1000,{300 * rows} dynamic font "sans,10"',
             f'set output "{os.path.join(d, "efficiency.svg")}"',
             f'set multiplot layout {rows},2 title "Placement efficiency over the timed phase (seed 1)"',
             'set style data lines', 'set yrange [0:1.05]', 'set xlabel "s (host time)"',
             'set ylabel "efficiency"', 'set key bottom right font ",8"',
             'unset xtics', 'set xtics auto']
    for w in workloads:
        parts = [f'"{p.data(f"eff.{w}.{ct}")}" title "{ct}"'
                 for ct in contenders if (w, ct) in series and series[w, ct]]
        p.gp.append(f'set title "{w}"')
        p.gp.append("plot " + ", ".join(parts) if parts else 'plot 0 notitle')
    p.gp.append("unset multiplot")
    p.run()


if __name__ == "__main__":
    main()
