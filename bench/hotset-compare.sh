#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Side by side on the hot-set workload, in one tiered VM (fast 256 MiB,
# slow 1280 MiB): every tier_ext policy and the upstream peers, each from
# the same start for SECONDS. Writes bench/results/<date>/hotset-compare.csv
# and .md (share of the hot set in fast memory over time).
#   bench/hotset-compare.sh [SECONDS [CONTENDER...]]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-120}
shift || true
contenders=("$@")
[ ${#contenders[@]} -gt 0 ] || contenders=(static tpp memtis nomad demeter numab2 damon)
out=$top/bench/results/$(date +%Y-%m-%d)
share=$top/build/vm/share/compare
mkdir -p "$out"
rm -rf "$share"
mkdir -p "$share"

timeout=$(( (secs + 60) * ${#contenders[@]} + 300 ))
echo "# hotset-compare: ${contenders[*]}, ${secs}s each (VM limit ${timeout}s)"
vmrc=0
"$top/scripts/tier-vm" --fast 256 --slow 1280 --timeout "$timeout" -- \
	"$top/bench/hotset-compare-guest.sh" "$share" "$secs" "${contenders[@]}" || vmrc=$?
cp "$share"/*.csv "$share"/*.txt "$out/" 2>/dev/null || true
[ -s "$out/hotset-compare.csv" ] || { echo "hotset-compare: no results (tier-vm exit $vmrc)" >&2; exit 1; }

# Markdown: hot-set share in fast memory at fixed times (epochs of 500 ms).
{
	echo "# Hot set in fast memory over time ($(date +%Y-%m-%d))"
	echo
	echo "768 MiB touched once, 64 MiB hot set on the slow node hammered;"
	echo "VM fast 256 MiB, slow 1280 MiB, 2 vCPUs (TCG). Share of the hot set"
	echo "on the fast node at each time (one Demeter epoch = 0.5 s); last column:"
	echo "share of the cold bulk on the fast node at the end."
	echo
	awk -F, -v secs="$secs" '
		NR == 1 { next }
		{ c = $1; t = $2 + 0
		  if (!(c in seen)) { seen[c] = 1; order[n++] = c }
		  last[c] = $4
		  for (k = 1; k <= 6; k++) {
			want = k * secs / 6
			if (t <= want + 0.5) val[c, k] = $3
		  }
		}
		END {
			printf "| contender |"
			for (k = 1; k <= 6; k++) printf " %ds (%d epochs) |", k * secs / 6, k * secs / 3
			printf " cold on fast |\n|---|"
			for (k = 1; k <= 7; k++) printf "---|"
			printf "\n"
			for (i = 0; i < n; i++) {
				c = order[i]; printf "| %s |", c
				for (k = 1; k <= 6; k++) printf " %s |", ((c, k) in val) ? val[c, k] : "-"
				printf " %s |\n", last[c]
			}
		}' "$out/hotset-compare.csv"
} > "$out/hotset-compare.md"
cat "$out/hotset-compare.md"
[ $vmrc -eq 0 ] || echo "hotset-compare: the VM run failed (exit $vmrc); the table has what finished" >&2
exit $vmrc
