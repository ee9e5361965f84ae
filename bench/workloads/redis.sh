#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# redis: Debian's redis-server loaded with cold data (DEBUG POPULATE), then
# a hot key set written by redis-benchmark; timed: redis-benchmark GETs
# over the hot keys (pipelined, two clients). Check: every hot GET found
# data (redis-benchmark reports no errors) and the key count is right.
#   redis.sh [-r MARK_DIR] [-c COLD_THOUSAND_KEYS] [-k HOT_THOUSAND_KEYS] [-n THOUSAND_GETS]
set -eu
. "$(dirname "$0")/workload-lib.sh"
cold=300 hot=50 gets=300
while getopts "r:c:k:n:" o; do
	case $o in
	r) mark_dir=$OPTARG ;;
	c) cold=$(wl_num c "$OPTARG") ;;
	k) hot=$(wl_num k "$OPTARG") ;;
	n) gets=$(wl_num n "$OPTARG") ;;
	*) wl_usage "redis.sh [-r MARK_DIR] [-c COLD_THOUSAND_KEYS] [-k HOT_THOUSAND_KEYS] [-n THOUSAND_GETS]" ;;
	esac
done
wl_need redis-server redis-cli redis-benchmark
# a Unix socket: the guest has no network, not even loopback
dir=$(mktemp -d)
sock=$dir/redis.sock
redis-server --port 0 --unixsocket "$sock" --save '' --appendonly no \
	--enable-debug-command local --dir "$dir" --daemonize no --logfile "$dir/log" &
srv=$!
trap 'redis-cli -s "$sock" shutdown nosave >/dev/null 2>&1 || kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 300); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -s "$sock" ping >/dev/null || wl_fail "redis-server did not start: $(tail -3 "$dir/log")"
redis-cli -s "$sock" debug populate $((cold * 1000)) cold 512 >/dev/null
# hot keys: key:000000000000 .. ; 3 writes per key cover 95% of them
redis-benchmark -s "$sock" -q -t set -n $((hot * 3000)) -r $((hot * 1000)) -d 1024 -P 16 -c 2 >/dev/null
keys=$(redis-cli -s "$sock" dbsize)

wl_start
out=$(redis-benchmark -s "$sock" -q -t get -n $((gets * 1000)) -r $((hot * 1000)) -d 1024 -P 16 -c 2 --csv)
wl_stop
# "GET","<rps>",... ; the hot keys hold 1024-byte values
val=$(redis-cli -s "$sock" get key:000000000001 | wc -c)
ok=true
[ "$keys" -ge $((cold * 1000 + hot * 900)) ] || ok=false
echo "$out" | grep -q '^"GET","[0-9.]*"' || ok=false
[ "$val" -eq 1025 ] || [ "$(redis-cli -s "$sock" exists key:000000000001)" = 0 ] || ok=false
wl_finish $((gets * 1000)) $ok
