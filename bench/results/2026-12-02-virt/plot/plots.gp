set terminal svg size 1000,420 dynamic font "sans,11"
set output "bench/results/2026-12-02-virt/runtime.svg"
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
plot for [i=2:6] "bench/results/2026-12-02-virt/plot/runtime.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,420 dynamic font "sans,11"
set output "bench/results/2026-12-02-virt/cpu.svg"
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
plot for [i=2:6] "bench/results/2026-12-02-virt/plot/cpu.dat" using i:xtic(1) title columnhead
set terminal svg size 1000,560 dynamic font "sans,10"
set output "bench/results/2026-12-02-virt/fast.svg"
set multiplot layout 2,2 title "Guest memory on the host's fast node (seed 1)"
set style data lines
set yrange [0:*]
set xlabel "s (host clock, from the workload's start)"
set ylabel "MiB"
set key inside top right vertical font ",8"
set xtics norotate auto
set title "1 guest, gups"
plot "bench/results/2026-12-02-virt/plot/fast.1.gups.damon-h.g1.dat" title "damon-h", "bench/results/2026-12-02-virt/plot/fast.1.gups.demeter.g1.dat" title "demeter", "bench/results/2026-12-02-virt/plot/fast.1.gups.memtis.g1.dat" title "memtis", "bench/results/2026-12-02-virt/plot/fast.1.gups.static.g1.dat" title "static", "bench/results/2026-12-02-virt/plot/fast.1.gups.tpp-h.g1.dat" title "tpp-h"
set title "3 guests, gups, demeter"
plot "bench/results/2026-12-02-virt/plot/fast.3.gups.demeter.g1.dat" title "g1", "bench/results/2026-12-02-virt/plot/fast.3.gups.demeter.g2.dat" title "g2", "bench/results/2026-12-02-virt/plot/fast.3.gups.demeter.g3.dat" title "g3"
set title "3 guests, gups, tpp-h"
plot "bench/results/2026-12-02-virt/plot/fast.3.gups.tpp-h.g1.dat" title "g1", "bench/results/2026-12-02-virt/plot/fast.3.gups.tpp-h.g2.dat" title "g2", "bench/results/2026-12-02-virt/plot/fast.3.gups.tpp-h.g3.dat" title "g3"
unset multiplot
