# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts that boot VMs: whether a serial log shows a kernel
# warning, oops or panic, and the lines to show for it.
#   kernel_log_warned LOG...        true if any LOG has one
#   kernel_log_excerpt LINES LOG... the first LINES lines around them
kernel_log_warned() {
	grep -qE 'BUG:|WARNING:|Oops|Call Trace|Kernel panic' "$@"
}
kernel_log_excerpt() {
	local lines=$1
	shift
	grep -E -A5 'BUG:|WARNING:|Oops|Kernel panic' "$@" | head -n "$lines"
}
