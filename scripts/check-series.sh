#!/usr/bin/env bash
# Check the series as reviewers would: every commit baseline..series of the patched tree builds
# on its own (workbench config) without compiler warnings and passes checkpatch --strict with no
# error, warning or check; the tip also builds with CONFIG_USERFAULTFD=n and without shmem/tmpfs
# and hugetlbfs (make check boots it without PTE markers), and its userfaultfd core calls no
# shmem_ function. Commits are built in order in one worktree: builds are incremental.
# usage: check-series.sh TREE BUILD_DIR RESULTS_FILE
set -euo pipefail
tree=$1 b=$2 results=$3
here=$(dirname "$(realpath "$0")")
wt=$b/linux-series
jobs=$(($(nproc) + 1))
: >"$results"
pass() { echo "PASS series: $*" >>"$results"; echo "PASS series: $*"; }
fail() { echo "FAIL series: $*" >>"$results"; echo "FAIL series: $*"; }

[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" baseline
commits=$(git -C "$tree" rev-list --reverse baseline..series)
[ -n "$commits" ] || { fail "no commits between baseline and series"; exit 0; }

# The workbench's configuration for every commit; at the tip also the same without userfaultfd
# (PTE markers for uffd-wp depend on it), and without the two memory types that provide
# vm_uffd_ops in the kernel. The series does not touch Kconfig, so any checkout configures
# alike. These kernels are not booted: they leave out the guest's ACPI and PCI, a fifth of
# the build, which the series does not touch.
noplatform='# CONFIG_ACPI is not set\n# CONFIG_PCI is not set\n'
printf "$noplatform" >"$b/series.config"
printf "$noplatform"'# CONFIG_USERFAULTFD is not set\n# CONFIG_PTE_MARKER_UFFD_WP is not set\n' >"$b/nouffd.config"
printf "$noplatform"'# CONFIG_SHMEM is not set\n# CONFIG_TMPFS is not set\n# CONFIG_HUGETLBFS is not set\n# CONFIG_HUGETLB_PAGE is not set\n' \
	>"$b/noshmem-nohugetlbfs.config"
"$here/config.sh" "$wt" "$b/out-series-uffd" "$b/series.config" >/dev/null

# build NAME CONFIG: vmlinux of the worktree's checkout in build/out-series-CONFIG
build() {
	local log=$b/out-series-$2/build.log
	if ! make -C "$wt" O="$b/out-series-$2" ARCH=x86_64 -j"$jobs" vmlinux >"$log" 2>&1; then
		fail "$1: does not build ($2 config)"
		grep -E 'error:' "$log" | sed 's/^/    /' | head -20
	elif grep -q 'warning:' "$log"; then
		fail "$1: builds with warnings ($2 config)"
		grep -E 'warning:' "$log" | sed 's/^/    /' | head -20
	else
		pass "$1: builds ($2 config)"
	fi
}

n=0
for c in $commits; do
	n=$((n + 1))
	name=$(printf '%04d %s' $n "$(git -C "$tree" log -1 --format=%s "$c")")
	git -C "$wt" checkout -q --detach "$c"

	# checkpatch reads the patch as format-patch writes it; the worktree supplies its data.
	cp=$(git -C "$tree" format-patch -1 --stdout "$c" | (cd "$wt" && scripts/checkpatch.pl --strict - || true))
	total=$(grep -E '^total: ' <<<"$cp" || echo "total: (checkpatch printed no total)")
	if [[ $total == "total: 0 errors, 0 warnings, 0 checks,"* ]]; then
		pass "$name: checkpatch --strict clean"
	else
		fail "$name: checkpatch --strict: $total"
		grep -E '^(ERROR|WARNING|CHECK):' <<<"$cp" | sed 's/^/    /' | head -20
	fi

	build "$name" uffd
done

# The tip in the other configurations.
for cfg in nouffd noshmem-nohugetlbfs; do
	"$here/config.sh" "$wt" "$b/out-series-$cfg" "$b/$cfg.config" >/dev/null
	build "tip" "$cfg"
done

# The point of the series: core userfaultfd code no longer reaches into shmem.
calls=$(grep -nE '\bshmem_[a-z_]+\(' "$wt/mm/userfaultfd.c" "$wt/fs/userfaultfd.c" || true)
if [ -z "$calls" ]; then
	pass "mm/userfaultfd.c and fs/userfaultfd.c call no shmem_ function"
else
	fail "userfaultfd core still calls shmem:"; sed 's/^/    /' <<<"$calls"
fi
