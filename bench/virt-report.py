#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a bench/virt.sh results directory into virt.csv and virt.md.

Each cell directory (NVM.WORKLOAD.CONTENDER.SEED) holds cells.csv (a row
per guest: its runtime on its own clock, its guest-side tiering counters),
host.txt (the host VM's tiering CPU and migrations over the cell) and
fast.csv (each guest's memory on the host's fast and slow node every 2 s).
Per guest it adds the mean fast memory it held in the host and its share
of the host's tiering CPU (the host's total / guests).  Usage: virt-report.py DIR
"""
import argparse
import csv
import glob
import math
import os
import statistics
import sys

from gnuplot import Plots


def read_kv(path):
    kv = {}
    if os.path.exists(path):
        for tok in open(path).read().split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                kv[k] = v
    return kv


def mean_fast(path, vm):
    if not os.path.exists(path):
        return None, None
    rows = [r for r in csv.DictReader(open(path)) if r["vm"] == vm]
    if not rows:
        return None, None
    return (statistics.mean(float(r["fast_mib"]) for r in rows),
            statistics.mean(float(r["slow_mib"]) for r in rows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    a = ap.parse_args()
    rows = []
    for d in sorted(glob.glob(os.path.join(a.dir, "*vm.*.*.*"))):
        name = os.path.basename(d)
        nvm, w, c, seed = name.split(".")
        n = int(nvm[:-2])
        host = read_kv(os.path.join(d, "host.txt"))
        path = os.path.join(d, "cells.csv")
        if not os.path.exists(path):
            rows.append({"vms": n, "workload": w, "contender": c, "seed": seed, "vm": "-",
                         "status": "no-cells"})
            continue
        for r in csv.DictReader(open(path)):
            fast, slow = mean_fast(os.path.join(d, "fast.csv"), r["vm"])
            row = {"vms": n, "workload": w, "contender": c, "seed": seed, **r,
                   "fast_mib": "" if fast is None else f"{fast:.1f}",
                   "slow_mib": "" if slow is None else f"{slow:.1f}"}
            if "host_tier_cpu_s" in host:
                row["host_tier_cpu_s"] = f"{float(host['host_tier_cpu_s']) / n:.3f}"
                row["host_migrated"] = str(int(host.get("host_migrated", 0)) // n)
            rows.append(row)
    if not rows:
        sys.exit("virt-report: no cells in " + a.dir)
    fields = ["vms", "workload", "contender", "seed", "vm", "status", "seconds", "ops", "check",
              "fast_mib", "slow_mib", "tier_cpu_s", "fault_s", "bpf_ms", "promoted", "demoted",
              "exchanged", "migrated", "host_tier_cpu_s", "host_migrated"]
    with open(os.path.join(a.dir, "virt.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fields, extrasaction="ignore")
        wr.writeheader()
        wr.writerows(rows)

    good = [r for r in rows if r.get("status") == "ok" and r.get("check") == "ok"]

    def vals(n, w, c, k):
        return [float(r[k]) for r in good if r["vms"] == n and r["workload"] == w
                and r["contender"] == c and r.get(k) not in (None, "")]

    def med(n, w, c, k):
        v = vals(n, w, c, k)
        return statistics.median(v) if v else None

    def fmt(x, f="{:.2f}"):
        return "-" if x is None else f.format(x)

    counts = sorted({r["vms"] for r in rows})
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    contenders = list(dict.fromkeys(r["contender"] for r in rows))
    # setup.txt: what bench/virt.sh ran with (not in runs before it wrote one)
    setup = read_kv(os.path.join(a.dir, "setup.txt"))
    gf, gs = setup.get("guest_fast_mib", "?"), setup.get("guest_slow_mib", "?")
    L = [f"# Virtualized cloud: {os.path.basename(os.path.abspath(a.dir))}\n",
         "A tiered host VM (TCG under icount, the virtual-time testbed charging every miss into its "
         f"clock) runs N KVM guests of {gf} MiB fast + {gs} MiB slow, every guest the same workload at "
         "the same time. tpp-h, damon-h: one-node guests, the host tiers their memory; the others: "
         f"the policy in each two-node guest, the host sharing N x {gf} MiB of fast memory by demand "
         "(tierhost daemon). Per guest: **runtime** on the guest's clock (median over guests and "
         "seeds, min-max), **fast MiB**: its memory on the host's fast node, mean over the cell; "
         "**guest CPU**: tiering CPU seconds inside the guest; **host CPU**: the host's tiering CPU "
         "(threads, hint faults, scans) / N.\n"]
    if setup:
        L.append("Setup (setup.txt): " + ", ".join(f"{k}={v}" for k, v in setup.items()) + "\n")
    for n in counts:
        for w in workloads:
            L.append(f"\n## {n} guest(s), {w}\n")
            L.append("| contender | runtime s (min-max) | vs demeter | fast MiB | guest CPU s | "
                     "host CPU s | migrated (guest) | migrated (host) | failed |")
            L.append("|---|---|---|---|---|---|---|---|---|")
            dm = med(n, w, "demeter", "seconds")
            for c in contenders:
                v = vals(n, w, c, "seconds")
                bad = sum(1 for r in rows if r["vms"] == n and r["workload"] == w
                          and r["contender"] == c and r not in good)
                if not v:
                    L.append(f"| {c} | - | - | - | - | - | - | - | {bad} |")
                    continue
                m = statistics.median(v)
                L.append(f"| {c} | {m:.2f} ({min(v):.2f}-{max(v):.2f}) | "
                         f"{fmt(m / dm if dm else None)} | {fmt(med(n, w, c, 'fast_mib'), '{:.0f}')} | "
                         f"{fmt(med(n, w, c, 'tier_cpu_s'))} | {fmt(med(n, w, c, 'host_tier_cpu_s'))} | "
                         f"{fmt(med(n, w, c, 'migrated'), '{:.0f}')} | "
                         f"{fmt(med(n, w, c, 'host_migrated'), '{:.0f}')} | {bad} |")
            if n > 1:
                L += per_guest(rows, n, w, contenders)
    L.append("\n## Headline\n")
    L.append("Median runtime of a guest under the contender / under demeter, geometric mean over the "
             "workloads (above 1: demeter is faster).\n")
    L.append("| contender | " + " | ".join(f"{n} guest(s)" for n in counts) + " |")
    L.append("|---|" + "---|" * len(counts))
    for c in contenders:
        cols = []
        for n in counts:
            rs = [med(n, w, c, "seconds") / med(n, w, "demeter", "seconds") for w in workloads
                  if med(n, w, c, "seconds") and med(n, w, "demeter", "seconds")]
            cols.append(f"{math.exp(sum(map(math.log, rs)) / len(rs)):.3f}" if rs else "-")
        L.append(f"| {c} | " + " | ".join(cols) + " |")
    L.append("\nPlots: `runtime.svg` (median runtime per guest), `cpu.svg` (tiering CPU per guest: "
             "in the guest plus its share of the host's), `fast.svg` (each guest's memory on the "
             "host's fast node over the cell, seed 1).")
    with open(os.path.join(a.dir, "virt.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    plots(a.dir, counts, workloads, contenders, med)
    print("\n".join(L))


def per_guest(rows, n, w, contenders):
    """Each guest of a seed-1 cell: does one guest win its share at the others' cost?"""
    L = [f"\nPer guest (seed 1): runtime s / fast MiB held (mean) / pages migrated in the guest\n",
         "| contender | " + " | ".join(f"g{i}" for i in range(1, n + 1)) + " |",
         "|---|" + "---|" * n]
    for c in contenders:
        by_vm = {r["vm"]: r for r in rows if r["vms"] == n and r["workload"] == w
                 and r["contender"] == c and r["seed"] == "1" and r.get("status") == "ok"}
        if not by_vm:
            continue
        cols = []
        for i in range(1, n + 1):
            r = by_vm.get(f"g{i}")
            cols.append("-" if r is None else
                        f"{float(r['seconds']):.2f} / {r.get('fast_mib') or '-'} / {r.get('migrated') or '-'}")
        L.append(f"| {c} | " + " | ".join(cols) + " |")
    return L


def plots(d, counts, workloads, contenders, med):
    p = Plots(d, "virt-report")
    groups = [(n, w) for n in counts for w in workloads]
    names = [f"{n}-guest-{w}" for n, w in groups]
    by_name = dict(zip(names, groups))

    def value(f):
        def v(name, c):
            x = f(*by_name[name], c)
            return None if x is None else f"{x:.3f}"
        return v

    def cpu(n, w, c):
        g, h = med(n, w, c, "tier_cpu_s"), med(n, w, c, "host_tier_cpu_s")
        return None if g is None and h is None else (g or 0) + (h or 0)

    p.bars("runtime", "Runtime of a guest (its clock, median)", "guest s", names, contenders,
           value(lambda n, w, c: med(n, w, c, "seconds")))
    p.bars("cpu", "Tiering CPU per guest: in the guest plus its share of the host's (median)",
           "CPU s", names, contenders, value(cpu))
    # fast memory over time, seed 1: one guest, a line per contender; several,
    # a panel per contender with a line per guest
    panels = []
    for n, w in groups:
        series = {}
        for c in contenders:
            path = os.path.join(d, f"{n}vm.{w}.{c}.1", "fast.csv")
            if not os.path.exists(path):
                continue
            rows = list(csv.DictReader(open(path)))
            if not rows:
                continue
            t0 = float(rows[0]["t_s"])
            for r in rows:
                series.setdefault((c, r["vm"]), []).append((float(r["t_s"]) - t0, r["fast_mib"]))
        for (c, vm), pts in series.items():
            with open(p.data(f"fast.{n}.{w}.{c}.{vm}"), "w") as f:
                f.writelines(f"{t:.1f} {m}\n" for t, m in pts)
        if n == 1:
            panels.append((f"1 guest, {w}", [(f"fast.{n}.{w}.{c}.{vm}", c) for c, vm in series]))
        else:
            for c in contenders:
                lines = [(f"fast.{n}.{w}.{c}.{vm}", vm) for cc, vm in series if cc == c]
                if lines:
                    panels.append((f"{n} guests, {w}, {c}", lines))
    if panels:
        cols = 1 if len(panels) == 1 else 2
        rows = math.ceil(len(panels) / cols)
        p.gp += [f'set terminal svg size 1000,{280 * rows} dynamic font "sans,10"',
                 f'set output "{os.path.join(d, "fast.svg")}"',
                 f'set multiplot layout {rows},{cols} title "Guest memory on the host\'s fast node (seed 1)"',
                 'set style data lines', 'set yrange [0:*]', 'set xlabel "s (host clock, from the workload\'s start)"',
                 'set ylabel "MiB"', 'set key inside top right vertical font ",8"',
                 'set xtics norotate auto']
        for title, lines in panels:
            p.gp.append(f'set title "{title}"')
            p.gp.append("plot " + ", ".join(f'"{p.data(f)}" title "{t}"' for f, t in lines))
        p.gp.append("unset multiplot")
    p.run()


if __name__ == "__main__":
    main()
