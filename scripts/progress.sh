# SPDX-License-Identifier: GPL-2.0
# Sourced by build-kernel.sh and build-qemu.sh: run a long build step with
# its output in a log, and print a line with the elapsed time when it ends
# and every PROGRESS_SEC seconds (60) while it runs, so that a build is not
# silent for ten minutes.
#   progress NAME LOG COUNT_CMD -- COMMAND [ARG...]
# COUNT_CMD prints how far the step is from LOG (e.g. "812 files compiled");
# the step's exit status is returned, LOG kept for the caller's error report.
# The step runs in the foreground (Ctrl-C stops it: a background job of a
# script ignores SIGINT); the printer runs beside it and ends with it, or
# with this shell.

# 75 -> 1m15s
progress_time() {
	local s=$1

	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

progress() {
	local name=$1 log=$2 count=$3 every=${PROGRESS_SEC:-60} printer rc=0 start=$SECONDS
	shift 4
	: > "$log"
	(
		# sleep in the background: wait returns at once on our TERM
		trap 'kill $! 2>/dev/null; exit 0' TERM
		t=0
		while :; do
			sleep "$every" & wait $!
			kill -0 $$ 2>/dev/null || exit 0
			t=$((t + every))
			echo "$name: $(progress_time $t), $($count "$log")"
		done
	) &
	printer=$!
	"$@" >"$log" 2>&1 || rc=$?
	kill "$printer" 2>/dev/null || true
	wait "$printer" 2>/dev/null || true
	[ $rc -ne 0 ] || echo "$name: done in $(progress_time $((SECONDS - start))), $($count "$log")"
	return $rc
}
