#!/usr/bin/env bash
# `make bench-profile`: where the guest instructions of a patched/stock bench ratio go, per kernel
# function. Boots the bench kernels side by side under the instruction clock with the TCG plugin
# tests/bench/tbprof.c, twice: uffd_bench ARGS with --pages N, then 2N. The difference of the two
# runs is N pages of the measured loop and nothing else (boot, setup and exit cancel out); it
# is printed per function, stock against patched, largest differences first.
# ARGS should name one type and one mode (not hugetlb, whose sizes do not scale with --pages):
# uffd_bench runs that first measurement twice, an untimed warm-up and the timed run, so each
# page is filled twice and the figures are per fill (difference / 2N). copy-bulk scales with
# --bulk-mib instead (OPTION; it always warms up, and each run also memcpy()s the size once):
# its figures are per MiB copied once.
# Diagnostic only: make bench holds the claims. KASLR is off so that System.map applies.
# usage: bench-profile.sh BUILD_DIR PLUGIN "UFFD_BENCH_ARGS" [N [OPTION]]
set -euo pipefail
b=$1 plugin=$2 args=$3 n=${4:-1536} opt=${5:---pages}
top=$(realpath "$(dirname "$0")/..")
out=$b/bench/profile
rm -rf "$out" && mkdir -p "$out"

for r in 1 2; do
	echo "prof  uffd_bench $args $opt $((n * r)) --inner 1" >"$out/plan$r"
	for k in stock patched; do
		"$top/scripts/initramfs.sh" "$out/$k$r.cpio" "$out/plan$r" "$b/guest/uffd_bench"
		APPEND=nokaslr QEMU_ARGS="-icount shift=0,sleep=off -plugin $plugin,out=$out/$k$r.tb" \
			TIMEOUT=${TIMEOUT:-600} "$top/scripts/boot.sh" "$b/out-bench-$k/arch/x86/boot/bzImage" \
			"$out/$k$r.cpio" "$b/runs/bench-profile-$k$r" >/dev/null &
	done
	failed=0
	wait %1 || failed=1
	wait %2 || failed=1
	[ $failed = 0 ] && [ -s "$out/stock$r.tb" ] && [ -s "$out/patched$r.tb" ] || {
		echo "bench-profile: a boot failed (see $b/runs/bench-profile-*$r/console.log)" >&2
		exit 1
	}
	grep -h '^BENCH' "$b/runs/bench-profile-stock$r/results.log" "$b/runs/bench-profile-patched$r/results.log" |
		sed "s/^/run $r: /" || true
done

# Guest instructions per function: block start addresses (16 hex digits, so that they sort as
# strings) merged with the text symbols of System.map; user space is one line.
per_function() {
	{
		awk '$2 ~ /^[tTwW]$/ { print $1, 0, $3 }' "$2"
		awk '$1 ~ /^ffff/ { print $1, 1, $2 * $3 }' "$1"
	} | sort -k1,1 -k2,2n |
		awk '$2 == 0 { f = $3; next } { sum[f ? f : "(before_text)"] += $3 }
		     END { for (f in sum) printf "%s %.0f\n", f, sum[f] }'
	# Not kernel: user space, and the firmware and decompressor of the boot (they cancel out)
	awk '$1 !~ /^ffff/ { u += $2 * $3 } END { printf "(user) %.0f\n", u }' "$1"
}
for k in stock patched; do
	for r in 1 2; do
		per_function "$out/$k$r.tb" "$b/out-bench-$k/System.map" | sed "s/^/$k$r /" >>"$out/functions"
	done
done

unit="page filled"; [ "$opt" = --pages ] || unit="unit of $opt copied"
echo "guest instructions per $unit in the measured loop ($opt $((2 * n)) minus $n, warm-up included), by function:"
# One row per function that changed by half an instruction or more, led by that change's size
# for sort; the total on a line of its own
awk -v n=$((2 * n)) '
	{ v[$2, $1] = $3; f[$2] = 1 }
	END {
		for (x in f) {
			s = v[x, "stock2"] - v[x, "stock1"]; p = v[x, "patched2"] - v[x, "patched1"]
			S += s; P += p; d = (p - s) / n
			if (d >= 0.5 || d <= -0.5)
				printf "%.1f %-40s %12.1f %12.1f %+10.1f\n", d < 0 ? -d : d, x, s / n, p / n, d
		}
		printf "= %-40s %12.1f %12.1f %+10.1f\n", "all", S / n, P / n, (P - S) / n
	}' "$out/functions" >"$out/table"
printf '%-40s %12s %12s %10s\n' function stock patched added
# the 30 largest changes either way, then the total
grep -v '^= ' "$out/table" | sort -k1,1gr | sed -n '1,30p' | cut -d' ' -f2-
sed -n 's/^= //p' "$out/table"
