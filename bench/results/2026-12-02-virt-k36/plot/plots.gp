set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/bw/bench/results/2026-12-02-virt-k36/runtime.svg"
set title "Runtime of a guest (its clock, median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "guest s"
set grid ytics
set key outside top center horizontal
set xtics rotate by -20
plot for [i=2:4] "/work/bw/bench/results/2026-12-02-virt-k36/plot/runtime.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,420 dynamic font "sans,11"
set output "/work/bw/bench/results/2026-12-02-virt-k36/cpu.svg"
set title "Tiering CPU per guest: in the guest plus its share of the host's (median)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set ylabel "CPU s"
set grid ytics
set key outside top center horizontal
set xtics rotate by -20
plot for [i=2:4] "/work/bw/bench/results/2026-12-02-virt-k36/plot/cpu.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,280 dynamic font "sans,10"
set output "/work/bw/bench/results/2026-12-02-virt-k36/fast.svg"
set multiplot layout 1,1 title "Guest memory on the host's fast node (seed 1)"
set style data lines
set yrange [0:*]
set xlabel "s (host clock, from the workload's start)"
set ylabel "MiB"
set key inside top right vertical font ",8"
set xtics norotate auto
set title "1 guest, gups"
plot "/work/bw/bench/results/2026-12-02-virt-k36/plot/fast.1.gups.demeter.g1.dat" title "demeter", "/work/bw/bench/results/2026-12-02-virt-k36/plot/fast.1.gups.nomad.g1.dat" title "nomad", "/work/bw/bench/results/2026-12-02-virt-k36/plot/fast.1.gups.tpp.g1.dat" title "tpp"
unset multiplot
