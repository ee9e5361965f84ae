#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest, for validate.sh: a 64 MiB hot set hammered on the slow node,
# then moved to the fast node with migratepages(8). Marker files in SHARE
# (created by the host's 9p server, so their mtimes are host time) delimit
# the phases; hotset.csv has the placement hotset saw with move_pages(2).
set -eu
share=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
sysctl -qw kernel.numa_balancing=0 2>/dev/null || true
rm -f "$share"/ready "$share"/migrate-start "$share"/migrate-done
"$top/build/bin/hotset" -m 64 -h 64 -o 0 -t 40 -i 1000 -r "$share/ready" > "$share/hotset.csv" &
pid=$!
for _ in $(seq 600); do [ -e "$share/ready" ] && break; sleep 0.1; done
sleep 15
echo > "$share/migrate-start"
migratepages "$pid" 1 0
echo > "$share/migrate-done"
wait "$pid"
