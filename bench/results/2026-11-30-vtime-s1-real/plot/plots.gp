set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/build/exp-real/runtime.svg"
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
plot for [i=2:3] "/work/main/build/exp-real/plot/runtime.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/build/exp-real/t90.svg"
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
plot for [i=2:3] "/work/main/build/exp-real/plot/t90.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/build/exp-real/cpu.svg"
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
plot for [i=2:3] "/work/main/build/exp-real/plot/cpu.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,600 dynamic font "sans,10"
set output "/work/main/build/exp-real/efficiency.svg"
set multiplot layout 2,2 title "Placement efficiency over the timed phase (seed 1)"
set style data lines
set yrange [0:1.05]
set xlabel "s (host time)"
set ylabel "efficiency"
set key bottom right font ",8"
unset xtics
set xtics auto
set title "btree"
plot "/work/main/build/exp-real/plot/eff.btree.demeter.dat" title "demeter", "/work/main/build/exp-real/plot/eff.btree.static.dat" title "static"
set title "pagerank"
plot "/work/main/build/exp-real/plot/eff.pagerank.demeter.dat" title "demeter", "/work/main/build/exp-real/plot/eff.pagerank.static.dat" title "static"
set title "xsbench"
plot "/work/main/build/exp-real/plot/eff.xsbench.demeter.dat" title "demeter", "/work/main/build/exp-real/plot/eff.xsbench.static.dat" title "static"
unset multiplot
