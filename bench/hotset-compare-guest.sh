#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the tiered VM: the hot-set workload (768 MiB touched once, a
# 64 MiB hot set on the slow node, hammered) under each contender in turn,
# from the same start. Appends "contender,seconds,hot_fast,cold_fast,passes"
# rows to OUT/hotset-compare.csv.
#   hotset-compare-guest.sh OUT SECONDS CONTENDER...
# A contender is a tier_ext policy name or an upstream peer (numab2, damon).
set -eu
out=$1 secs=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
tierctl=$top/build/bin/tierctl
csv=$out/hotset-compare.csv
[ -s "$csv" ] || echo "contender,seconds,hot_fast,cold_fast,passes" > "$csv"

for c in "$@"; do
	echo "# $c: ${secs}s" >&2
	rm -f /run/hotset.ready
	"$top/build/bin/hotset" -m 768 -h 64 -o 512 -i 1000 -t "$secs" \
		-r /run/hotset.ready > "$out/$c.hotset.csv" &
	pid=$!
	while [ ! -e /run/hotset.ready ]; do sleep 0.2; done
	case $c in
	numab2|damon) "$top/bench/peers.sh" start "$c" ;;
	*) "$tierctl" load "$c" --pid "$pid" ;;
	esac
	wait "$pid"
	case $c in
	numab2|damon) "$top/bench/peers.sh" stop "$c" ;;
	*) "$tierctl" status > "$out/$c.status.txt"; "$tierctl" unload ;;
	esac
	grep -v '^seconds' "$out/$c.hotset.csv" | sed "s/^/$c,/" >> "$csv"
	# the next contender starts from the same state: memory freed
	sync; echo 1 > /proc/sys/vm/drop_caches; sleep 1
done
