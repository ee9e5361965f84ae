#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# liblinear: Debian's liblinear-train (L2-regularised L2-loss SVM, primal)
# on a generated sparse, linearly separable data set with label noise;
# timed: the training run (reading the data included). Check: the model
# predicts a held-out set with more than 80% accuracy.
#   liblinear.sh [-r MARK_DIR] -d DATA_DIR [-n THOUSAND_ROWS]  run (DATA_DIR may be read-only)
#   liblinear.sh -p -d DATA_DIR [-n THOUSAND_ROWS]              make the data set once
set -eu
. "$(dirname "$0")/workload-lib.sh"
data= prepare=false rows=20
while getopts "r:d:pn:" o; do
	case $o in
	r) mark_dir=$OPTARG ;;
	d) data=$OPTARG ;;
	p) prepare=true ;;
	n) rows=$(wl_num n "$OPTARG") ;;
	*) wl_usage "liblinear.sh [-p] [-r MARK_DIR] -d DATA_DIR [-n THOUSAND_ROWS]" ;;
	esac
done
[ -n "$data" ] || wl_usage "liblinear.sh [-p] [-r MARK_DIR] -d DATA_DIR [-n THOUSAND_ROWS]"

# rows of 30 features out of 4000, label = sign of a fixed hidden weight
# vector's product, 5% flipped; the same seed always gives the same file
gen() {	# ROWS SEED
	awk -v n="$1" -v seed="$2" 'BEGIN {
		srand(1); for (f = 1; f <= 4000; f++) w[f] = rand() - 0.5
		srand(seed)
		for (r = 0; r < n; r++) {
			# 30 ascending feature ids, gaps uniform in [1, 133]
			line = ""; s = 0; f = 0
			for (i = 0; i < 30; i++) {
				f += 1 + int(rand() * 133); v = rand()
				s += w[f] * v; line = line " " f ":" sprintf("%.4f", v)
			}
			label = s >= 0 ? 1 : -1
			if (rand() < 0.05) label = -label
			print label line
		}
	}'
}
if $prepare; then
	mkdir -p "$data"
	[ -s "$data/train.$rows" ] || gen $((rows * 1000)) 2 > "$data/train.$rows"
	[ -s "$data/test" ] || gen 5000 3 > "$data/test"
	exit 0
fi
wl_need liblinear-train liblinear-predict
train=$data/train.$rows
[ -s "$train" ] && [ -s "$data/test" ] || wl_fail "no data set of ${rows}k rows in $data (run: liblinear.sh -p -d $data -n $rows)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wl_start
liblinear-train -s 2 -q "$train" "$tmp/model" >/dev/null
wl_stop
acc=$(liblinear-predict "$data/test" "$tmp/model" "$tmp/pred" | sed -n 's/^Accuracy = \([0-9.]*\)%.*/\1/p')
ok=false
awk -v a="${acc:-0}" 'BEGIN { exit !(a > 80) }' && ok=true
wl_finish "$(wc -l < "$train")" $ok
