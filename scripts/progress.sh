# SPDX-License-Identifier: GPL-2.0
# Sourced by build-kernel.sh and build-qemu.sh: run a long build step with
# its output in a log, and print a line with the elapsed time when it ends
# and every PROGRESS_SEC seconds (60) while it runs, so that a build is not
# silent for ten minutes.
#   progress NAME LOG COUNT_CMD -- COMMAND [ARG...]
# COUNT_CMD prints how far the step is from LOG (e.g. "812 files compiled");
# the step's exit status is returned, LOG kept for the caller's error report.

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
	local name=$1 log=$2 count=$3 every=${PROGRESS_SEC:-60} pid rc=0 start now next
	shift 4
	start=$SECONDS
	next=$((start + every))
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		now=$SECONDS
		if [ "$now" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
			echo "$name: $(progress_time $((now - start))), $($count "$log")"
			next=$((now + every))
		fi
	done
	wait "$pid" || rc=$?
	[ $rc -ne 0 ] || echo "$name: done in $(progress_time $((SECONDS - start))), $($count "$log")"
	return $rc
}
