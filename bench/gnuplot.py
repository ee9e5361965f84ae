# SPDX-License-Identifier: GPL-2.0
"""Plots for the benchmark reports (report.py, virt-report.py), drawn by gnuplot.

A Plots object collects the charts of one results directory: their data
files go to DIR/plot/, the SVGs to DIR, and run() draws them all with one
gnuplot script (DIR/plot/plots.gp).
"""
import os
import subprocess
import sys


class Plots:
    def __init__(self, d, who):
        self.d, self.who = d, who
        self.pdir = os.path.join(d, "plot")
        os.makedirs(self.pdir, exist_ok=True)
        self.gp = []

    def data(self, name):
        return os.path.join(self.pdir, name + ".dat")

    def bars(self, name, title, ylabel, groups, members, value):
        """A clustered bar chart NAME.svg: per group a bar per member;
        value(group, member) is a string or None (no bar)."""
        with open(self.data(name), "w") as f:
            f.write("workload " + " ".join(members) + "\n")
            for g in groups:
                vs = (value(g, m) for m in members)
                f.write(g + " " + " ".join("NaN" if v is None else v for v in vs) + "\n")
        self.gp.extend([f'set terminal svg size 1000,420 dynamic font "sans,11"',
                        f'set output "{os.path.join(self.d, name + ".svg")}"', f'set title "{title}"',
                        'set style data histograms', 'set style histogram clustered gap 1',
                        'set style fill solid 0.85 border -1', 'set boxwidth 0.9', 'set yrange [0:*]',
                        f'set ylabel "{ylabel}"', 'set grid ytics',
                        'set key outside top center horizontal', 'set xtics rotate by -20',
                        f'plot for [i=2:{len(members) + 1}] "{self.data(name)}" '
                        'using i:xtic(1) title columnhead'])

    def run(self):
        script = os.path.join(self.pdir, "plots.gp")
        with open(script, "w") as f:
            f.write("\n".join(self.gp) + "\n")
        try:
            subprocess.run(["gnuplot", script], check=True, capture_output=True, text=True)
        except FileNotFoundError:
            print(f"{self.who}: gnuplot not installed, no plots (run: scripts/install-deps.sh bench)",
                  file=sys.stderr)
        except subprocess.CalledProcessError as e:
            print(f"{self.who}: gnuplot failed: " + e.stderr.strip().splitlines()[-1], file=sys.stderr)
