#!/usr/bin/env bash
# Check the series as reviewers would: every commit baseline..series of the patched tree builds
# on its own (workbench config) without compiler warnings, passes checkpatch --strict with no
# error, warning or check, and adds no kernel-doc -Wall warning to the files it touches; the tip
# adds no warning to make htmldocs of Documentation/mm; it also builds with CONFIG_USERFAULTFD=n,
# without shmem/tmpfs and hugetlbfs (make check builds and boots it without PTE markers), for
# i386, where each commit's changed files build too, and for arm64; its sample and test driver
# build out of tree on all three; and its userfaultfd core calls no shmem_ function.
# The commits are built in order, incrementally. When the tree is clean on its branch series (a
# fresh clone), they are checked out in it and built in OUT, which holds its tip: the step to
# the first commit that changes mm.h rebuilds only what the later ones change, where a build
# from baseline would rebuild everything. The fixes at the head of the series change only .c
# files of baseline: they are checked out in the stock tree (BUILD_DIR/linux-stock, clean on
# baseline) and built in its build (BUILD_DIR/out-stock), a few files each. Otherwise a
# worktree builds every commit from baseline. Either way the trees end as they were.
# usage: check-series.sh TREE OUT BUILD_DIR RESULTS_FILE   (OUT: the tip built, make kernel-patched)
set -euo pipefail
tree=$1 out=$2 b=$3 results=$4
hdr=$out/usr/include	# the tip's uapi headers (make kernel-patched installs them)
here=$(dirname "$(realpath "$0")")
wt=$b/linux-series
jobs=$(($(nproc) + 1))
: >"$results"
pass() { echo "PASS series: $*" >>"$results"; echo "PASS series: $*"; }
fail() { echo "FAIL series: $*" >>"$results"; echo "FAIL series: $*"; }

# kdoc_new SRC FILE: the kernel-doc -Wall warnings of SRC/FILE that FILE at baseline has not
# (line numbers left out, so that moved comments compare equal)
kdoc_new() {
	local base=$b/kdoc-base.${2##*.}
	git -C "$tree" show "baseline:$2" >"$base" 2>/dev/null || : >"$base"
	comm -23 <(cd "$1" && scripts/kernel-doc -Wall -none "$2" 2>&1 | sed 's/:[0-9]*: / /' | sort) \
		<(cd "$1" && scripts/kernel-doc -Wall -none "$base" 2>&1 |
		  sed "s|$base|$2|; s/:[0-9]*: / /" | sort)
}

commits=$(git -C "$tree" rev-list --reverse baseline..series)
[ -n "$commits" ] || { fail "no commits between baseline and series"; exit 0; }
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" series

# [ARCH=i386] build NAME CONFIG SRC OUT LOG [TARGETS]: vmlinux (or TARGETS) of SRC's checkout in OUT
build() {
	# (a failure is reported and the checks go on: set -e must not end the script here)
	if ! make -C "$3" O="$4" ARCH="${ARCH:-x86_64}" -j"$jobs" ${6:-vmlinux} >"$5" 2>&1; then
		fail "$1: does not build ($2 config)"
		grep -E 'error:|Error|\*\*\*' "$5" | sed 's/^/    /' | head -20 || true
	elif grep -q 'warning:' "$5"; then
		fail "$1: builds with warnings ($2 config)"
		grep -E 'warning:' "$5" | sed 's/^/    /' | head -20 || true
	else
		pass "$1: builds ($2 config)"
	fi
}

# Put both trees back, each whatever happens to the other. The stock build's objects of the
# files the fixes change are removed: one finished late, from a fix, would outlive the restore.
restore() {
	set +e
	git -C "$tree" checkout -q series
	if [ -n "${stock:-}" ]; then
		git -C "$stock" checkout -q --detach baseline
		for f in $stock_files; do rm -f "$stock_out/${f%.c}.o"; done
	fi
}
stock_files=

mkdir -p "$b/series-logs"
if [ "$(git -C "$tree" symbolic-ref -q HEAD)" = refs/heads/series ] &&
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] && [ -f "$out/vmlinux" ]; then
	src=$tree
	stock=$b/linux-stock stock_out=$b/out-stock
	if [ -n "$(git -C "$stock" status --porcelain --untracked-files=no 2>/dev/null || echo dirty)" ] ||
		[ "$(git -C "$stock" rev-parse HEAD 2>/dev/null)" != "$(git -C "$tree" rev-parse baseline)" ] ||
		[ ! -f "$stock_out/vmlinux" ]; then
		stock=
	fi
	trap restore EXIT
	# What a step does not rebuild is as the tip's own build compiled it: its warnings count.
	if grep -q 'warning:' "$out/build.log" 2>/dev/null; then
		fail "tip: its build in $out has warnings (build.log)"
		grep -E 'warning:' "$out/build.log" | sed 's/^/    /' | head -20 || true
	fi
	echo "series: each commit checked out in $tree, built in $out"
else
	src=$wt out=$b/out-series-uffd
	echo "series: $tree has local changes or is not on series: each commit built in $wt, from baseline"
	git -C "$wt" checkout -q --detach baseline
	"$here/config.sh" "$wt" "$out" >/dev/null
fi

# Options of the tip that earlier commits lack (CONFIG_USERFAULTFD_KUNIT_TEST) leave OUT's .config
# when those are built: the tip is built with OUT's own .config again, and OUT ends as it began.
tip=$(git -C "$tree" rev-parse series)
cp "$out/.config" "$b/series-tip.config"

PATH=/usr/bin:$PATH python3 -c 'import ply, git' 2>/dev/null ||
	fail "checkpatch cannot check SPDX identifiers: Debian's python3-ply or python3-git is missing"
n=0
for c in $commits; do
	n=$((n + 1))
	name=$(printf '%04d %s' $n "$(git -C "$tree" log -1 --format=%s "$c")")
	csrc=$src cout=$out
	# only .c files changed since baseline: build it on the stock kernel's build
	files=$(git -C "$tree" diff --name-only baseline "$c")
	if [ -n "${stock:-}" ] && [ -n "$files" ] && ! grep -qv '\.c$' <<<"$files"; then
		csrc=$stock cout=$stock_out stock_files=$files
	fi
	git -C "$csrc" checkout -q --detach "$c"

	# checkpatch reads the patch as format-patch writes it; the checkout supplies its data.
	# The tree is Debian's tarball, without upstream history: checkpatch cannot look up the
	# ids of Fixes: tags (UNKNOWN_COMMIT_ID). They are checked by hand (tests/fixes/README).
	# Its SPDX check runs scripts/spdxcheck.py, which needs Debian's python3-ply and python3-git:
	# with another python3 first in PATH (pyenv) it crashed and checkpatch said nothing.
	# checkpatch asks of every new file whether MAINTAINERS needs updating (FILE_PATH_CHANGES):
	# the answer is no when a section of MAINTAINERS other than THE REST covers it. Asked by
	# section (get_maintainer.pl --sections): its list of people names one role per person, and
	# which one (maintainer:MEMORY MANAGEMENT or supporter:LIBRARY CODE) varies from run to run
	# with perl's hash order.
	cp=$(git -C "$tree" format-patch -1 --stdout "$c" |
		(cd "$csrc" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict \
			--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES - ||
		 true))
	for f in $(git -C "$tree" diff --name-only --diff-filter=A "$c^" "$c"); do
		(cd "$csrc" && scripts/get_maintainer.pl --nogit --nogit-fallback --nol --sections -f "$f" \
			2>/dev/null | grep -vE '^([A-Z]:|$)' | grep -qv '^THE REST$') ||
			fail "$name: $f is new and no section of MAINTAINERS covers it"
	done
	total=$(grep -E '^total: ' <<<"$cp" || echo "total: (checkpatch printed no total)")
	if [[ $total == "total: 0 errors, 0 warnings, 0 checks,"* ]]; then
		pass "$name: checkpatch --strict clean"
	else
		fail "$name: checkpatch --strict: $total"
		grep -E '^(ERROR|WARNING|CHECK):' <<<"$cp" | sed 's/^/    /' | head -20 || true
	fi

	# kernel-doc -Wall on the C files the commit touches: no warning that baseline's files lack
	kd=
	for f in $(git -C "$tree" diff --name-only "$c^" "$c" -- '*.c' '*.h'); do
		[ -f "$csrc/$f" ] && kd+=$(kdoc_new "$csrc" "$f")
	done
	if [ -z "$kd" ]; then
		pass "$name: kernel-doc -Wall adds no warning"
	else
		fail "$name: kernel-doc -Wall warns"
		sed 's/^/    /' <<<"$kd" | head -20 || true
	fi

	[ "$c" != "$tip" ] || [ "$cout" != "$out" ] || cp "$b/series-tip.config" "$out/.config"
	build "$name" uffd "$csrc" "$cout" "$b/series-logs/$(printf %04d $n).log" "vmlinux modules"
done

# oot_modules ARCH OUT: the series' sample and test driver built as out-of-tree modules (M=)
# against the tip's build in OUT, each from a copy of its files alone: what a driver author does,
# and the proof that a provider needs no file outside its own.
oot_modules() {
	local mods=$b/mod-oot-$1
	rm -rf "$mods" && mkdir -p "$mods/sample" "$mods/test"
	cp "$wt"/samples/userfaultfd/{Makefile,uffd_sample.c,uffd_sample.h} "$mods/sample/"
	cp "$wt"/lib/test_uffd_ops.c "$wt"/lib/test_uffd_ops_uapi.h "$mods/test/"
	echo 'obj-m := test_uffd_ops.o' >"$mods/test/Makefile"
	ARCH=$1 build "tip: samples/userfaultfd out of tree" "$1" "$wt" "$2" \
		"$b/series-logs/tip-$1-oot-sample.log" "M=$mods/sample CONFIG_SAMPLE_USERFAULTFD=m modules"
	ARCH=$1 build "tip: lib/test_uffd_ops.c out of tree" "$1" "$wt" "$2" \
		"$b/series-logs/tip-$1-oot-test.log" "M=$mods/test modules"
	[ -f "$mods/sample/uffd_sample.ko" ] && [ -f "$mods/test/test_uffd_ops.ko" ] ||
		fail "tip: out-of-tree builds for $1 left no uffd_sample.ko or test_uffd_ops.ko"
}
git -C "$wt" checkout -q --detach series
oot_modules x86_64 "$out"

# The userfaultfd selftests, the series' among them, with kselftest's own Makefile (lib.mk,
# OUTPUT=), against the tip's headers: no warning that baseline's lacks. (All of mm does not
# build at baseline: khugepaged.c of 6.12.118 misses KSFT_SKIP.)
ks_build() {	# REV DIR TARGET...: the warnings of building TARGETs of REV's selftests/mm in DIR
	local rev=$1 dir=$2; shift 2
	git -C "$wt" checkout -q --detach "$rev"
	rm -rf "$dir" && mkdir -p "$dir"
	make -C "$wt/tools/testing/selftests/mm" OUTPUT="$dir" KHDR_INCLUDES="-isystem $hdr" \
		"${@/#/$dir/}" >"$dir.log" 2>&1 || echo "make failed: $dir.log"
	grep -E 'warning:|error:' "$dir.log" | sed -E 's/:[0-9]+:[0-9]+:/:/' | sort -u
}
ks_tests="uffd-unit-tests uffd-stress uffd-sample-tests uffd-ops-tests uffd-unload-tests"
ks_base=$(ks_build baseline "$b/kselftest-baseline" uffd-unit-tests uffd-stress)
# shellcheck disable=SC2086
ks_new=$(comm -13 <(echo "$ks_base") <(ks_build series "$b/kselftest-series" $ks_tests))
for t in $ks_tests; do
	[ -x "$b/kselftest-series/$t" ] || ks_new+=$'\n'"no $t built"
done
ks_new=$(sed '/^$/d' <<<"$ks_new")
if [ -z "$ks_new" ]; then
	pass "tip: selftests/mm $ks_tests build with kselftest's Makefile, no new warning"
else
	fail "tip: selftests/mm with kselftest's Makefile"
	sed 's/^/    /' <<<"$ks_new" | head -20 || true
fi
git -C "$wt" checkout -q --detach series

echo "series: $(date +%T) the tip without userfaultfd, then without shmem and hugetlbfs"
# The tip in the other configurations, in the worktree: a minimal config of what the series'
# code meets (config/build-only.config), then the option off. Not booted.
git -C "$wt" checkout -q --detach series
printf '# CONFIG_USERFAULTFD is not set\n# CONFIG_PTE_MARKER_UFFD_WP is not set\n' >"$b/nouffd.config"
printf '# CONFIG_SHMEM is not set\n# CONFIG_TMPFS is not set\n# CONFIG_HUGETLBFS is not set\n# CONFIG_HUGETLB_PAGE is not set\n# CONFIG_CGROUP_HUGETLB is not set\n' \
	>"$b/noshmem-nohugetlbfs.config"
for cfg in nouffd noshmem-nohugetlbfs; do
	BASE=build-only "$here/config.sh" "$wt" "$b/out-series-$cfg" "$b/$cfg.config" >/dev/null ||
		fail "$cfg: the build-only config does not apply (config.sh)"
	build "tip" "$cfg" "$wt" "$b/out-series-$cfg" "$b/series-logs/tip-$cfg.log"
done

echo "series: $(date +%T) i386"
# 32-bit, where an unsigned long has 32 bits: the tip's vmlinux for i386, then each commit's
# changes, the objects of the .c files the series has changed up to it (headers included by
# them come along), built in the tip's build folder. Not booted.
ARCH=i386 "$here/config.sh" "$wt" "$b/out-series-i386" >/dev/null ||
	fail "i386: config/i386.config does not apply (config.sh)"
ARCH=i386 build "tip" i386 "$wt" "$b/out-series-i386" "$b/series-logs/tip-i386.log" "vmlinux modules"
oot_modules i386 "$b/out-series-i386"
n=0
for c in $commits; do
	n=$((n + 1))
	name=$(printf '%04d %s' $n "$(git -C "$tree" log -1 --format=%s "$c")")
	# (the sample and test driver are modules, built out of tree above; tools/ is userspace)
	objs=$(git -C "$tree" diff --name-only baseline "$c" -- '*.c' ':!samples/' ':!lib/test_uffd_ops.c' ':!tools/' |
		sed 's/\.c$/.o/')
	git -C "$wt" checkout -q --detach "$c"
	ARCH=i386 build "$name: $(wc -w <<<"$objs") objects" i386 "$wt" "$b/out-series-i386" \
		"$b/series-logs/$(printf %04d $n)-i386.log" "$objs"
done
git -C "$wt" checkout -q --detach series

echo "series: $(date +%T) arm64"
# arm64 with Debian's cross compiler: the tip's vmlinux, and the sample and test driver out of
# tree. Not booted.
export CROSS_COMPILE=aarch64-linux-gnu-
ARCH=arm64 "$here/config.sh" "$wt" "$b/out-series-arm64" >/dev/null ||
	fail "arm64: config/arm64.config does not apply (config.sh)"
ARCH=arm64 build "tip" arm64 "$wt" "$b/out-series-arm64" "$b/series-logs/tip-arm64.log" "vmlinux modules"
oot_modules arm64 "$b/out-series-arm64"
unset CROSS_COMPILE

echo "series: $(date +%T) htmldocs"
# Sphinx renders the kernel-doc that the guides pull in and finds what kernel-doc -Wall cannot:
# reST markup errors. Documentation/mm and admin-guide/mm alone, at baseline and at the tip;
# what the tip adds fails. (Those folders alone leave links elsewhere unresolved: at baseline
# too, so they cancel out.) Line numbers and the tree's path are left out.
docs_msgs() {
	local log=$b/series-logs/htmldocs-$1.log
	git -C "$wt" checkout -q --detach "$1"
	rm -rf "$b/out-series-docs"
	make -C "$wt" O="$b/out-series-docs" SPHINXDIRS="mm admin-guide/mm" htmldocs >"$log" 2>&1 ||
		echo "make htmldocs failed at $1: $log"
	grep -E 'WARNING|ERROR|CRITICAL|SEVERE' "$log" | sed -e "s|$wt/||g" -e 's/:[0-9]*:/:/g' | sort -u
}
docs_base=$(docs_msgs baseline)
docs_new=$(comm -13 <(echo "$docs_base") <(docs_msgs series))
guide=$b/out-series-docs/Documentation/output/mm/userfaultfd-providers.html
if ! grep -qs 'uffd_alloc_folio' "$guide"; then
	fail "tip: make htmldocs rendered no guide with the kernel-doc of struct vm_uffd_ops ($guide)"
elif [ -z "$docs_new" ]; then
	pass "tip: make htmldocs (Documentation/mm, admin-guide/mm) adds no warning"
else
	fail "tip: make htmldocs warns"
	sed 's/^/    /' <<<"$docs_new" | head -20 || true
fi

# The point of the series: core userfaultfd code no longer reaches into shmem.
calls=$(grep -nE '\bshmem_[a-z_]+\(' "$wt/mm/userfaultfd.c" "$wt/fs/userfaultfd.c" || true)
if [ -z "$calls" ]; then
	pass "mm/userfaultfd.c and fs/userfaultfd.c call no shmem_ function"
else
	fail "userfaultfd core still calls shmem:"; sed 's/^/    /' <<<"$calls"
fi
