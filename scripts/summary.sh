#!/usr/bin/env bash
# Total the PASS/FAIL/SKIP lines of every RESULTS_DIR/*.txt (one file per check); list the
# failures and skips, and end with "N passed, N failed[, N skipped]". Fails on any FAIL.
# usage: summary.sh RESULTS_DIR
set -euo pipefail
shopt -s nullglob
files=("$1"/*.txt)
[ ${#files[@]} -gt 0 ] || { echo "summary: no results in $1" >&2; echo "0 passed, 1 failed"; exit 1; }
cat "${files[@]}" | awk -v dir="$1" '
	$1 == "PASS" { p++ }
	$1 == "SKIP" { if (++s <= 25) skips = skips "  " $0 "\n" }
	$1 == "FAIL" { if (++f <= 25) fails = fails "  " $0 "\n" }
	END {
		if (s > 25) skips = skips "  ... and " s - 25 " more\n"
		if (f > 25) fails = fails "  ... and " f - 25 " more (all in " dir ")\n"
		if (skips) printf "skipped:\n%s", skips
		if (fails) printf "failed:\n%s", fails
		if (s) printf "%d passed, %d failed, %d skipped\n", p, f, s
		else   printf "%d passed, %d failed\n", p, f
		exit (f > 0 || p == 0)
	}'
