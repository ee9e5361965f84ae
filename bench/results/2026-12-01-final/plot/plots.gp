set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/bench/results/2026-12-01-final/runtime.svg"
set title "Runtime (guest virtual time, median), normalised to the best contender per workload"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "runtime / best"
set grid ytics
set key outside top center horizontal
set xtics rotate by -20
plot for [i=2:8] "/work/main/bench/results/2026-12-01-final/plot/runtime.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/bench/results/2026-12-01-final/t90.svg"
set title "Time to 90% of steady-state throughput (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "guest s"
set grid ytics
set key outside top center horizontal
set xtics rotate by -20
plot for [i=2:8] "/work/main/bench/results/2026-12-01-final/plot/t90.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/bench/results/2026-12-01-final/cpu.svg"
set title "CPU time of tiering: threads, hint faults, scans (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "CPU s"
set grid ytics
set key outside top center horizontal
set xtics rotate by -20
plot for [i=2:8] "/work/main/bench/results/2026-12-01-final/plot/cpu.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,300 dynamic font "sans,10"
set output "/work/main/bench/results/2026-12-01-final/efficiency.svg"
set multiplot layout 1,2 title "Placement efficiency over the timed phase (seed 1)"
set style data lines
set yrange [0:1.05]
set xlabel "s (host time)"
set ylabel "efficiency"
set key bottom right font ",8"
unset xtics
set xtics auto
set title "gups"
plot "/work/main/bench/results/2026-12-01-final/plot/eff.gups.static.dat" title "static", "/work/main/bench/results/2026-12-01-final/plot/eff.gups.damon.dat" title "damon", "/work/main/bench/results/2026-12-01-final/plot/eff.gups.memtis.dat" title "memtis", "/work/main/bench/results/2026-12-01-final/plot/eff.gups.demeter.dat" title "demeter", "/work/main/bench/results/2026-12-01-final/plot/eff.gups.numab2.dat" title "numab2", "/work/main/bench/results/2026-12-01-final/plot/eff.gups.tpp.dat" title "tpp", "/work/main/bench/results/2026-12-01-final/plot/eff.gups.nomad.dat" title "nomad"
set title "pagerank"
plot "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.static.dat" title "static", "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.damon.dat" title "damon", "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.memtis.dat" title "memtis", "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.demeter.dat" title "demeter", "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.numab2.dat" title "numab2", "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.tpp.dat" title "tpp", "/work/main/bench/results/2026-12-01-final/plot/eff.pagerank.nomad.dat" title "nomad"
unset multiplot
