set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/main/bench/results/2026-11-30/runtime.svg"
set title "Runtime (modelled time, median), normalised to the best contender per workload"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "runtime / best"
set grid ytics
set key outside top center horizontal
set xtics rotate by -20
plot for [i=2:8] "/work/main/bench/results/2026-11-30/plot/runtime.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,1200 dynamic font "sans,10"
set output "/work/main/bench/results/2026-11-30/efficiency.svg"
set multiplot layout 4,2 title "Placement efficiency over the timed phase (repeat 1)"
set style data lines
set yrange [0:1.05]
set xlabel "s (host time)"
set ylabel "efficiency"
set key bottom right font ",8"
unset xtics
set xtics auto
set title "gups"
plot "/work/main/bench/results/2026-11-30/plot/eff.gups.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.gups.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.gups.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.gups.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.gups.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.gups.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.gups.demeter.dat" title "demeter"
set title "gups-moving"
plot "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.gups-moving.demeter.dat" title "demeter"
set title "btree"
plot "/work/main/bench/results/2026-11-30/plot/eff.btree.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.btree.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.btree.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.btree.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.btree.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.btree.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.btree.demeter.dat" title "demeter"
set title "pagerank"
plot "/work/main/bench/results/2026-11-30/plot/eff.pagerank.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.pagerank.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.pagerank.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.pagerank.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.pagerank.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.pagerank.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.pagerank.demeter.dat" title "demeter"
set title "xsbench"
plot "/work/main/bench/results/2026-11-30/plot/eff.xsbench.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.xsbench.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.xsbench.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.xsbench.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.xsbench.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.xsbench.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.xsbench.demeter.dat" title "demeter"
set title "redis"
plot "/work/main/bench/results/2026-11-30/plot/eff.redis.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.redis.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.redis.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.redis.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.redis.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.redis.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.redis.demeter.dat" title "demeter"
set title "sqlite"
plot "/work/main/bench/results/2026-11-30/plot/eff.sqlite.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.sqlite.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.sqlite.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.sqlite.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.sqlite.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.sqlite.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.sqlite.demeter.dat" title "demeter"
set title "liblinear"
plot "/work/main/bench/results/2026-11-30/plot/eff.liblinear.static.dat" title "static", "/work/main/bench/results/2026-11-30/plot/eff.liblinear.numab2.dat" title "numab2", "/work/main/bench/results/2026-11-30/plot/eff.liblinear.damon.dat" title "damon", "/work/main/bench/results/2026-11-30/plot/eff.liblinear.tpp.dat" title "tpp", "/work/main/bench/results/2026-11-30/plot/eff.liblinear.memtis.dat" title "memtis", "/work/main/bench/results/2026-11-30/plot/eff.liblinear.nomad.dat" title "nomad", "/work/main/bench/results/2026-11-30/plot/eff.liblinear.demeter.dat" title "demeter"
unset multiplot
