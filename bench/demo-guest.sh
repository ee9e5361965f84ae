#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo inside the tiered VM: the hot-set workload runs first under
# `static`, then `demeter` is swapped in live. Results go to OUT.
#   demo-guest.sh OUT STATIC_SECONDS DEMETER_SECONDS
set -eu
out=$1 t_static=$2 t_demeter=$3
top=$(cd "$(dirname "$0")/.." && pwd)
tierctl=$top/build/bin/tierctl

"$top/build/bin/hotset" -m 768 -h 64 -o 512 -i 1000 -t $((t_static + t_demeter)) \
	-r /run/hotset.ready > "$out/hotset.csv" &
pid=$!
while [ ! -e /run/hotset.ready ]; do sleep 0.2; done
"$tierctl" load static --pid $pid
echo "0 static" > "$out/phases"
sleep "$t_static"
"$tierctl" swap demeter
echo "$t_static demeter" >> "$out/phases"
wait $pid
"$tierctl" status > "$out/status.txt"
"$tierctl" unload
grep -E '^(nr_|)tier_ext_' /proc/vmstat > "$out/vmstat.txt"
