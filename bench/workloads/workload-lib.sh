# SPDX-License-Identifier: GPL-2.0
# Shell side of workload.h for the workloads that drive Debian's programs:
# the timed phase's marker files and the result line the harness parses.
wl_name=$(basename "$0" .sh)
mark_dir=

wl_usage() { echo "Usage: $1" >&2; exit 2; }
wl_fail() { echo "$wl_name: $*" >&2; exit 1; }
wl_num() {
	[[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "$wl_name: -$1 needs a positive integer, got '$2'" >&2; exit 2; }
	echo "$2"
}
wl_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || wl_fail "$p is not installed (run: scripts/install-deps.sh bench)"
	done
}
wl_mark() { [ -z "$mark_dir" ] || : > "$mark_dir/$1"; }
wl_start() { wl_mark start; wl_t0=$(date +%s.%N); }
wl_stop() { wl_secs=$(echo "$(date +%s.%N) - $wl_t0" | bc); wl_mark end; }
wl_finish() {	# OPS OK(true|false)
	local check=ok
	$2 || check=FAILED
	printf 'result workload=%s seconds=%.3f ops=%s check=%s\n' "$wl_name" "$wl_secs" "$1" "$check"
	$2 || { echo "$wl_name: result check failed" >&2; exit 1; }
}
