#!/usr/bin/env bash
# `make bench-ioctls`: boot the bench kernels (stock and patched) side by side under the
# instruction clock, each running tests/bench/ioctl_cost once, and print the guest
# instructions per ioctl of both and the difference. Diagnostic only: make bench holds the claims.
# usage: bench-ioctls.sh BUILD_DIR
set -euo pipefail
b=$1
top=$(realpath "$(dirname "$0")/..")
out=$b/bench/ioctls
mkdir -p "$out"
echo "ioctl-cost  ./ioctl_cost" >"$out/plan"
for k in stock patched; do
	"$top/scripts/initramfs.sh" "$out/$k.cpio" "$out/plan" "$b/guest/ioctl_cost"
	QEMU_ARGS="-icount shift=0,sleep=off" TIMEOUT=${TIMEOUT:-300} "$top/scripts/boot.sh" \
		"$b/out-bench-$k/arch/x86/boot/bzImage" "$out/$k.cpio" "$b/runs/bench-ioctls-$k" \
		>/dev/null &
done
failed=0
wait %1 || failed=1
wait %2 || failed=1
for k in stock patched; do
	grep -h '^COST' "$b/runs/bench-ioctls-$k/results.log" >"$out/$k.txt" || failed=1
done
if [ $failed -ne 0 ]; then
	echo "bench-ioctls: a boot failed (see $b/runs/bench-ioctls-*/console.log)" >&2
	exit 1
fi
printf '%-16s %10s %10s %8s\n' case stock patched added
join <(awk '{print $2, $3}' "$out/stock.txt") <(awk '{print $2, $3}' "$out/patched.txt") |
	awk '{printf "%-16s %10d %10d %+8d\n", $1, $2, $3, $3 - $2}'
