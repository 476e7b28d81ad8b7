#!/usr/bin/env bash
# Print what the hardening checks of `make check` covered: operations fuzzed, malformed
# provider tables refused, kernel configurations built, kernel splats and new sparse warnings.
# Reads the guest runs and build/results; decides nothing (the checks' PASS/FAIL lines do).
# usage: counts.sh BUILD_DIR RUN_DIR...
set -uo pipefail
b=$1; shift

ops=0 per_run= consoles=0 splats=0 misbehaved=0 unloads=0
declare -A refused=()
for run in "$@"; do
	name=${run##*/check-}
	[ -f "$run/verdict" ] || continue
	consoles=$((consoles + 1))
	# boot.sh scanned the console: "console: N suspicious line(s)" or "console: clean"
	n=$(sed -n 's/.*console: \([0-9]*\) suspicious.*/\1/p' "$run/verdict")
	splats=$((splats + ${n:-0}))
	# the fuzzer's last line: "# N ops in M ms (...), F failures, seed=S"
	n=$(sed -n 's/^# \([0-9]*\) ops in [0-9]* ms.*/\1/p' "$run/results.log" 2>/dev/null | tail -1)
	[ -z "$n" ] || { ops=$((ops + n)); per_run+="${per_run:+, }$name $n"; }
	while read -r t; do refused[$t]=1; done < <(sed -n 's/^# refused and logged once: \([a-z_]*\).*/\1/p' \
		"$run/results.log" 2>/dev/null)
	# the selftests of provider memory: hooks breaking their contract, the provider unloaded under a fault
	n=$(sed -n 's/^# \([0-9]*\) misbehaving hooks tried.*/\1/p' "$run/results.log" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
	misbehaved=$((misbehaved + ${n:-0}))
	n=$(grep -c '^# module unloaded under a' "$run/results.log" 2>/dev/null)
	unloads=$((unloads + ${n:-0}))
done

# kernel builds that passed: each commit of the series in its configurations, the tip in
# the others, and the kernels booted by make check
configs=$(sed -n 's/^PASS series: .*: builds (\(.*\) config)$/\1/p' "$b/results/series.txt" 2>/dev/null |
	sort -u | paste -sd, | sed 's/,/, /g')
builds=$(grep -c '^PASS series: .*: builds (' "$b/results/series.txt" 2>/dev/null)
booted=
for k in stock patched debug nomarker; do
	[ -f "$b/out-$k/arch/x86/boot/bzImage" ] && booted+="${booted:+, }$k"
done
new_sparse=$(grep -c '^FAIL sparse' "$b/results/sparse.txt" 2>/dev/null)
# The two stock 6.12 bugs the series fixes, measured on the stock kernel (tests/fixes)
stock_log=
for run in "$@"; do [ "${run##*/}" = check-stock ] && stock_log=$run/results.log; done
races=$(sed -n 's/^# \([a-z]*\): \([0-9]*\) of \([0-9]*\) rounds had a fault delivered.*/\1 \2\/\3/p' \
	"${stock_log:-/dev/null}" 2>/dev/null | paste -sd, | sed 's/,/, /g')
spins=$(grep -c '^not ok .*write completes' "${stock_log:-/dev/null}" 2>/dev/null)
tolerated=$(grep -c 'uffd-common: tolerated ' "${stock_log:-/dev/null}" 2>/dev/null)
leaked=$(sed -n 's/^# \([0-9]*\) rounds, .*: \(-*[0-9]*\) lost$/\2 pages lost in \1 rounds/p' \
	"${stock_log:-/dev/null}" 2>/dev/null | tail -1)

echo "hardening counts:"
echo "  operations fuzzed:        $ops (${per_run:-no fuzzer run})"
echo "  malformed tables refused: ${#refused[@]} (distinct tables, each with -EINVAL in every mode and one log line per load)"
echo "  misbehaving hooks:        $misbehaved (contract breaches, each an errno or SIGBUS, no BUG)"
echo "  provider unloaded under a sleeping fault: $unloads times, kernel alive"
echo "  kernel configs built:     ${builds:-0} builds of the series in configs: ${configs:-none}; kernels built for the guests: ${booted:-none}"
echo "  splats in guest consoles: $splats (in $consoles consoles)"
echo "  sparse: files with new warnings: ${new_sparse:-not run}"
echo "  stock 6.12 bugs seen on stock: faults after UFFDIO_UNREGISTER in ${races:-no} rounds;" \
	"hugetlb writes spinning on a stale uffd-wp bit: ${spins:-0} of 4; selftest -ENOENT tolerated: ${tolerated:-0};" \
	"UFFDIO_COPY retries into a new huge page: ${leaked:-not run}"
