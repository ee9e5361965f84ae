#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sqlite: Debian's sqlite3 with an in-memory database: a cold table, then a
# hot one (1000-byte blobs, integer keys); timed: random point lookups on
# the hot table in one query. Check: the lookups return the expected total
# length (every key found).
#   sqlite.sh [-r MARK_DIR] [-c COLD_THOUSAND_ROWS] [-k HOT_THOUSAND_ROWS] [-n THOUSAND_LOOKUPS]
set -eu
. "$(dirname "$0")/workload-lib.sh"
cold=100 hot=40 lookups=1000
while getopts "r:c:k:n:" o; do
	case $o in
	r) mark_dir=$OPTARG ;;
	c) cold=$(wl_num c "$OPTARG") ;;
	k) hot=$(wl_num k "$OPTARG") ;;
	n) lookups=$(wl_num n "$OPTARG") ;;
	*) wl_usage "sqlite.sh [-r MARK_DIR] [-c COLD_THOUSAND_ROWS] [-k HOT_THOUSAND_ROWS] [-n THOUSAND_LOOKUPS]" ;;
	esac
done
wl_need sqlite3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mark() { if [ -n "$mark_dir" ]; then echo ".shell : > $mark_dir/$1"; fi; }
sqlite3 :memory: > "$tmp/out" <<EOS
CREATE TABLE cold(k INTEGER PRIMARY KEY, v BLOB);
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $((cold * 1000 - 1)))
	INSERT INTO cold SELECT i, randomblob(1000) FROM c;
CREATE TABLE hot(k INTEGER PRIMARY KEY, v BLOB);
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $((hot * 1000 - 1)))
	INSERT INTO hot SELECT i, randomblob(1000) FROM c;
.shell date +%s.%N > $tmp/t0
$(mark start)
WITH RECURSIVE q(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM q WHERE i < $((lookups * 1000)))
	SELECT sum((SELECT length(v) FROM hot WHERE k = abs(random()) % $((hot * 1000)))) FROM q;
.shell date +%s.%N > $tmp/t1
$(mark end)
EOS
wl_secs=$(echo "$(cat "$tmp/t1") - $(cat "$tmp/t0")" | bc)
ok=false
[ "$(tail -1 "$tmp/out")" = $((lookups * 1000 * 1000)) ] && ok=true
wl_finish $((lookups * 1000)) $ok
