#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a bench/run.sh results directory into bench.csv, bench.md and plots.

Per cell (repeat, workload, contender) it joins the guest's counters
(rN/cells.csv) with the testbed's windows (rN/access.csv) that overlap the
workload's timed phase (rN/phases.csv, host time), weighting a window by
its overlap.  Usage: report.py DIR [--fast-ns N --slow-ns N]
"""
import argparse
import csv
import glob
import math
import os
import statistics
import subprocess
import sys

NUM = ["accesses", "fast", "mem_ms", "ipi_ms"]


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
        w = {k: float(r[k]) for k in NUM}
        w["oracle"] = float(r["oracle_ratio"]) * w["accesses"]
        w["start"], w["end"] = start, end
        out.append(w)
    return out


def phase_metrics(wins, start, end):
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
    return m, series


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
    for rdir in sorted(glob.glob(os.path.join(a.dir, "r[0-9]*"))):
        if not os.path.exists(os.path.join(rdir, "cells.csv")):
            continue
        phases = {(p["workload"], p["contender"]): p
                  for p in read_csv(os.path.join(rdir, "phases.csv"))}
        wins = windows(os.path.join(rdir, "access.csv"))
        for c in read_csv(os.path.join(rdir, "cells.csv")):
            p = phases.get((c["workload"], c["contender"]))
            row = dict(c)
            if p and c["status"] == "ok" and c["check"] == "ok":
                m, s = phase_metrics(wins, float(p["start_unix"]), float(p["end_unix"]))
                m["wall_s"] = float(p["end_unix"]) - float(p["start_unix"])
                m["runtime_s"] = float(c["seconds"])
                row.update(m)
                if c["rep"] == "1":
                    series[c["workload"], c["contender"]] = s
            cells.append(row)
    if not cells:
        sys.exit("report: no cells in " + a.dir)

    fields = ["rep", "workload", "contender", "status", "check", "runtime_s", "wall_s",
              "mem_s", "ipi_s", "fast_ratio", "oracle_ratio", "efficiency", "promoted",
              "demoted", "exchanged", "migrated", "tier_cpu_s", "bpf_ms", "ops"]
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
    reps = sorted({c["rep"] for c in cells})

    def vals(w, ct, k):
        return [float(c[k]) for c in good if c["workload"] == w and c["contender"] == ct
                and c.get(k) not in (None, "")]

    med = {}
    for w in workloads:
        for ct in contenders:
            for k in ("runtime_s", "wall_s"):
                v = vals(w, ct, k)
                if v:
                    med[w, ct, k] = statistics.median(v)

    L = []
    L.append(f"# Benchmark suite: {os.path.basename(os.path.abspath(a.dir))}\n")
    L.append(f"VM: fast node 256 MiB (20%), slow node 1024 MiB, 2 vCPUs, TCG under icount "
             f"(1 ns per instruction); the fast node is first filled with cold ballast. Testbed "
             f"memory model, charged into the guest's clock: fast {a.fast_ns} ns, slow "
             f"{a.slow_ns} ns per miss of a shared 3 MiB 12-way cache model (bench/README.md). "
             f"{len(reps)} repeat(s); cells: {len(good)} measured, {len(failed)} failed.\n")
    L.append("- **runtime s**: the timed phase on the guest's clock: virtual time, every "
             "instruction and charged memory miss of every vCPU, the policy's and the kernel's "
             "included; independent of TCG's speed and the host's load\n"
             "- **wall s**: the timed phase in host wall time (TCG speed, for the record)\n"
             "- **fast**: share of the workload's accesses served by the fast node; **eff**: "
             "placement efficiency (fast share / the oracle's)\n"
             "- **prom/dem/xchg/migr**: pages promoted (tier_ext migration requests and "
             "pgpromote_success), demoted, exchanged, and all page migrations (pgmigrate_success: "
             "also TPP's and Memtis' hint-fault promotions, DAMON's moves), medians; **tier CPU**: "
             "CPU seconds of tiering threads (tier_ext kthreads, kdamond, kswapd); **BPF ms**: "
             "policy programs' run time (bpf stats)\n")
    for w in workloads:
        best = min((med[w, ct, "runtime_s"] for ct in contenders if (w, ct, "runtime_s") in med),
                   default=None)
        L.append(f"\n## {w}\n")
        L.append("| contender | runtime s (min-max) | vs best | wall s (min-max) | fast | eff | "
                 "prom | dem | xchg | migr | tier CPU s | BPF ms |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for ct in contenders:
            if (w, ct, "runtime_s") not in med:
                L.append(f"| {ct} | failed | | | | | | | | | | |")
                continue
            ms, gs = vals(w, ct, "runtime_s"), vals(w, ct, "wall_s")

            def md(k, fmt="{:.0f}"):
                v = vals(w, ct, k)
                return fmt.format(statistics.median(v)) if v else "-"
            L.append(f"| {ct} | {med[w, ct, 'runtime_s']:.2f} ({min(ms):.2f}-{max(ms):.2f}) | "
                     f"{med[w, ct, 'runtime_s'] / best:.2f} | {statistics.median(gs):.1f} "
                     f"({min(gs):.1f}-{max(gs):.1f}) | {md('fast_ratio', '{:.3f}')} | "
                     f"{md('efficiency', '{:.3f}')} | {md('promoted')} | {md('demoted')} | "
                     f"{md('exchanged')} | {md('migrated')} | {md('tier_cpu_s', '{:.2f}')} | {md('bpf_ms')} |")

    L.append("\n## Headline: geometric mean over workloads of the runtime ratio\n")
    L.append("Ratio = the other contender's median runtime / demeter's (above 1: demeter is "
             "faster), over the workloads where both have results.\n")
    L.append("| vs | runtime | wall time | workloads |")
    L.append("|---|---|---|---|")
    head = {}
    if "demeter" in contenders:
        for ct in contenders:
            if ct == "demeter":
                continue
            ws = [w for w in workloads if (w, ct, "runtime_s") in med and (w, "demeter", "runtime_s") in med]
            rm = gmean([med[w, ct, "runtime_s"] / med[w, "demeter", "runtime_s"] for w in ws])
            rg = gmean([med[w, ct, "wall_s"] / med[w, "demeter", "wall_s"] for w in ws])
            head[ct] = (rm, rg)
            L.append(f"| {ct} | {rm:.3f} | {rg:.3f} | {len(ws)} |")
    if failed:
        L.append("\n## Failed cells\n")
        for c in failed:
            L.append(f"- repeat {c['rep']}: {c['workload']} under {c['contender']}: "
                     f"{c['status']}, check {c.get('check') or '-'}")
    L.append("\nPlots: `runtime.svg` (median runtime normalised to the best contender per "
             "workload), `efficiency.svg` (placement efficiency over the timed phase, repeat 1).")
    with open(os.path.join(a.dir, "bench.md"), "w") as f:
        f.write("\n".join(L) + "\n")

    plots(a.dir, workloads, contenders, med, series)
    print("\n".join(L))


def plots(d, workloads, contenders, med, series):
    pdir = os.path.join(d, "plot")
    os.makedirs(pdir, exist_ok=True)
    with open(os.path.join(pdir, "runtime.dat"), "w") as f:
        f.write("workload " + " ".join(contenders) + "\n")
        for w in workloads:
            ms = [med.get((w, ct, "runtime_s")) for ct in contenders]
            best = min((m for m in ms if m), default=None)
            f.write(w + " " + " ".join(f"{m / best:.4f}" if m and best else "NaN" for m in ms) + "\n")
    for (w, ct), s in series.items():
        with open(os.path.join(pdir, f"eff.{w}.{ct}.dat"), "w") as f:
            for t, e in s:
                f.write(f"{t:.2f} {e:.4f}\n")
    n = len(contenders)
    gp = [f'set terminal svg size 1000,420 dynamic font "sans,11"',
          f'set output "{os.path.join(d, "runtime.svg")}"',
          'set title "Runtime (guest virtual time, median), normalised to the best contender per workload"',
          'set style data histograms', 'set style histogram clustered gap 1',
          'set style fill solid 0.85 border -1', 'set boxwidth 0.9', 'set yrange [0:*]',
          'set ylabel "runtime / best"', 'set grid ytics', 'set key outside top center horizontal',
          'set xtics rotate by -20',
          f'plot for [i=2:{n + 1}] "{os.path.join(pdir, "runtime.dat")}" using i:xtic(1) title columnhead']
    rows = math.ceil(len(workloads) / 2)
    gp += [f'set terminal svg size 1000,{300 * rows} dynamic font "sans,10"',
           f'set output "{os.path.join(d, "efficiency.svg")}"',
           f'set multiplot layout {rows},2 title "Placement efficiency over the timed phase (repeat 1)"',
           'set style data lines', 'set yrange [0:1.05]', 'set xlabel "s (host time)"',
           'set ylabel "efficiency"', 'set key bottom right font ",8"',
           'unset xtics', 'set xtics auto']
    for w in workloads:
        parts = [f'"{os.path.join(pdir, f"eff.{w}.{ct}.dat")}" title "{ct}"'
                 for ct in contenders if (w, ct) in series and series[w, ct]]
        gp.append(f'set title "{w}"')
        gp.append("plot " + ", ".join(parts) if parts else 'plot 0 notitle')
    gp.append("unset multiplot")
    script = os.path.join(pdir, "plots.gp")
    with open(script, "w") as f:
        f.write("\n".join(gp) + "\n")
    try:
        subprocess.run(["gnuplot", script], check=True, capture_output=True, text=True)
    except FileNotFoundError:
        print("report: gnuplot not installed, no plots (run: scripts/install-deps.sh bench)",
              file=sys.stderr)
    except subprocess.CalledProcessError as e:
        print("report: gnuplot failed: " + e.stderr.strip().splitlines()[-1], file=sys.stderr)


if __name__ == "__main__":
    main()
