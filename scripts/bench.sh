#!/usr/bin/env bash
# `make bench`: boot the bench kernels (config/bench.config), stock and patched, REPS times
# each and under two clocks, every boot running guest/bench.plan (uffd_bench once); then
# write the tables of ratios (scripts/bench-report.sh) to build/bench/table.txt,
# docs/bench-results.md and README.md. Interleaving spreads drifts of the host over both kernels.
#
# The clocks: "icount" runs QEMU with -icount shift=0,sleep=off, so guest time is the number of
# guest instructions executed (1 ns each): deterministic, blind to host load, and what TCG's
# cost model comes down to anyway (it models no caches or branch predictors). "host" is plain
# TCG, guest time follows the host clock: it also counts the emulator's own costs, and noise.
# Under the instruction clock the inner repetitions of uffd_bench agree to 0.05%, and a boot
# takes 4x longer: those boots run one, of half the default sizes (passed in the guest's file
# bench-args), and the host clock, which cannot resolve 1% (docs/bench-results.md), is only
# run when asked for: that keeps a first `make bench`, kernel builds included, under 15 min.
# usage: bench.sh BUILD_DIR REPS
# env:   AA=1 boots the stock kernel in the patched turns too, to measure the benchmark's own
#        noise; the table then goes to build/bench/aa-table.txt only.
#        CLOCKS (default "icount"; "icount host" adds plain TCG), TIMEOUT per boot (default 300)
set -euo pipefail
trap 'echo "bench: failed (status $?) at scripts/bench.sh:$LINENO: $BASH_COMMAND" >&2' ERR
b=$1 reps=$2
top=$(realpath "$(dirname "$0")/..")
clocks=${CLOCKS:-icount}
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "bench: REPS must be a positive number, not '$reps'" >&2; exit 2; }
for c in $clocks; do
	[[ $c == icount || $c == host ]] || { echo "bench: unknown clock '$c' (icount, host)" >&2; exit 2; }
done

files_stock=("$b/guest/uffd_bench")
files_patched=("$b/guest/uffd_bench" "$b/mod-bench-patched/uffd_sample.ko")
second=patched out=$b/bench/table.txt
[ -z "${AA:-}" ] || { second=stock out=$b/bench/aa-table.txt; }
for c in $clocks; do
	mkdir -p "$b/bench/$c"
	args=; [ "$c" = host ] || args="--inner 1 --pages 1536 --bulk-mib 32"
	echo "$args" >"$b/bench/$c/bench-args"
	for k in stock patched; do
		declare -n files=files_$k
		"$top/scripts/initramfs.sh" "$b/bench/$c/$k.cpio" "$top/guest/bench.plan" "${files[@]}" \
			"$b/bench/$c/bench-args"
	done
done

# boot_one CLOCK KERNEL REP: one boot of guest/bench.plan; says why if it failed.
# Under the instruction clock, boot REP runs uffd_bench --shift REP (bench_shift= on the kernel
# command line, read by guest/bench.plan): its measurements sit elsewhere in guest time than in
# the other boots (uffd_bench.c says why). The stock and patched boots of a REP share it.
boot_one() {
	local c=$1 k=$2 i=$3 kk=$2 qemu_args= run=$b/runs/bench-$1-$2-$3 append=${APPEND:-} seed=1
	[ $k = stock ] || kk=$second
	if [ "$c" = icount ]; then
		qemu_args="-icount shift=0,sleep=off"
		[[ $i =~ ^[0-9]+$ ]] && seed=$i	# the nomemcg boots are compared with boot 1
		append="${append:+$append }bench_shift=$seed"
	fi
	APPEND=$append QEMU_ARGS=$qemu_args TIMEOUT=${TIMEOUT:-300} "$top/scripts/boot.sh" \
		"$b/out-bench-$kk/arch/x86/boot/bzImage" "$b/bench/$c/$kk.cpio" "$run" >/dev/null && return
	echo "bench: the $k boot $i ($c clock) failed (verdict below, console in $run)" >&2
	cat "$run/verdict" >&2; tail -n 20 "$run/results.log" >&2 || true
	return 1
}

# Under the instruction clock a guest's time is its instruction count, whatever else the host
# runs, so the stock and patched boots of a repetition run side by side, one host core each.
# Under the host clock they take turns, since each would slow the other down.
declare -A runs
failed=0 t0=$(date +%s)
for i in $(seq "$reps"); do
	for c in $clocks; do
		if [ "$c" = icount ]; then
			echo "== bench $i/$reps, $c clock: stock and patched kernels side by side"
			boot_one "$c" stock "$i" & pid=$!
			boot_one "$c" patched "$i" || failed=1
			wait $pid || failed=1
		else
			for k in stock patched; do
				echo "== bench $i/$reps, $c clock: $k kernel"
				boot_one "$c" $k "$i" || failed=1
			done
		fi
		runs[$c]+=" $b/runs/bench-$c-stock-$i $b/runs/bench-$c-patched-$i"
	done
done
# What memcg charging costs: one more boot of each kernel under the instruction clock (which
# needs no repetition) with the memory controller off (cgroup_disable=memory), measured against
# the first boot above. The series charges what uffd_pagecache_copy() allocates as shmem does.
if [[ " $clocks " == *" icount "* ]] && [ -z "${AA:-}" ]; then
	echo "== bench: stock and patched kernels side by side, memory cgroup off"
	APPEND=cgroup_disable=memory boot_one icount stock nomemcg & pid=$!
	APPEND=cgroup_disable=memory boot_one icount patched nomemcg || failed=1
	wait $pid || failed=1
	# bench-report.sh takes a run whose name has "stock" for its stock column, any other for
	# patched: here memcg off and on, of kernel s(tock) or p(atched)
	for k in stock patched; do
		ln -sfn "$b/runs/bench-icount-$k-nomemcg" "$b/runs/memcg-${k:0:1}-off-stock"
		ln -sfn "$b/runs/bench-icount-$k-1" "$b/runs/memcg-${k:0:1}-on-patched"
	done
fi
[ $failed -eq 0 ] || exit 1

# What the tables were measured on: date, host, QEMU, guest kernels and their Spectre v2 mode
# guest_line CLOCK KERNEL ENTRY: the first line ENTRY of the plan printed in the first boot
guest_line() {
	sed -n "/^@@START $3/,/^@@RESULT/{/^@@/d;p}" "$b/runs/bench-$1-$2-1/results.log" |
		tr -d '\r' | sed -n 1p
}
{
	echo "make bench, $(date -u '+%Y-%m-%d %H:%M UTC'): $reps boots per kernel and clock, interleaved, $(($(date +%s) - t0)) s"
	[ -z "${AA:-}" ] || echo "AA=1: the stock kernel in both columns; the ratios show the benchmark's noise"
	echo "host: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs;" \
	     "$(qemu-system-x86_64 --version | head -1 | sed 's/ (.*//'), ${ACCEL:-tcg,thread=single}, 2 vCPUs"
	for k in stock $second; do
		echo "$k: $(make -s -C "$b/out-bench-$k" kernelrelease 2>/dev/null), spectre_v2:" \
		     "$(guest_line "${clocks%% *}" "$k" spectre_v2)"
	done
	for c in $clocks; do
		echo
		case $c in
		icount) echo "== instruction clock (QEMU -icount shift=0): deterministic, counts guest instructions" ;;
		host) echo "== host clock (plain TCG): includes the emulator's own costs, and the host's noise" ;;
		esac
		guest_line "$c" stock uffd-bench | sed 's/^# //'
		# shellcheck disable=SC2086 # the run list is split on purpose
		"$top/scripts/bench-report.sh" /dev/stdout ${runs[$c]}
	done
	if [ -e "$b/runs/memcg-s-off-stock" ] && [ -z "${AA:-}" ]; then
		echo
		echo "== memcg charging: memory cgroup on (as booted above) / off (cgroup_disable=memory), instruction clock, 1 boot each"
		for k in stock patched; do
			echo "-- $k kernel"
			"$top/scripts/bench-report.sh" /dev/stdout "$b/runs/memcg-${k:0:1}-off-stock" "$b/runs/memcg-${k:0:1}-on-patched" |
				sed -e 's/patched\/stock/on\/off/g' -e 's/stock median/off/; s/patched median/on/' |
				grep -v '^$'
		done
	fi
} >"$out"
cat "$out"
[ -z "${AA:-}" ] || exit 0

# The tables go between these markers in both files; the rest of the files is left as is.
begin='<!-- bench table: written by make bench -->' end='<!-- end of bench table -->'
for f in "$top/docs/bench-results.md" "$top/README.md"; do
	grep -qF "$begin" "$f" || { echo "bench: $f has no '$begin' line" >&2; exit 1; }
	awk -v begin="$begin" -v end="$end" -v table="$out" '
		$0 == begin { print; print "```"; while ((getline l < table) > 0) print l; print "```"; skip = 1; next }
		$0 == end { skip = 0 }
		!skip' "$f" >"$f.new" && mv "$f.new" "$f"
done
echo "bench: tables written to docs/bench-results.md and README.md"
