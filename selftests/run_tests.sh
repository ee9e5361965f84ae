#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run kselftest-harness test binaries, print their TAP output, and write
# "PASSED FAILED SKIPPED" to COUNTS. A binary that dies before finishing
# its plan has its missing tests counted as failed.
#   run_tests.sh COUNTS TEST[:ARGS] ...
set -u
counts=$1; shift
pass=0 fail=0 skip=0
for spec in "$@"; do
	bin=${spec%%:*}
	args=()
	[ "$bin" != "$spec" ] && read -r -a args <<< "${spec#*:}"
	out=$(mktemp)
	echo "# ===== $(basename "$bin") ${args[*]:-}"
	timeout 900 "$bin" "${args[@]}" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$out" | head -n1)
	p=$(grep -cE '^ok [0-9]+ ' "$out" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+ ' "$out" | tr -d ' ')
	p=$((p - s))
	missing=$(( ${plan:-0} - p - s - f ))
	if [ -z "$plan" ] || [ $missing -gt 0 ]; then
		echo "not ok - $(basename "$bin") stopped early (exit $rc, ${missing} tests not run)"
		f=$((f + (missing > 0 ? missing : 1)))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	rm -f "$out"
done
echo "$pass $fail $skip" > "$counts"
