#!/usr/bin/env bash
# Run sparse (make C=2) on every C file the series touches, in the stock and patched builds,
# and fail on any warning the patched file has that the stock file does not (compared by
# message, without line numbers, which the series shifts). The files the series adds (its sample
# provider and test driver among them) have nothing to compare with: any warning of theirs fails.
# usage: check-sparse.sh BUILD_DIR RESULTS_FILE
set -euo pipefail
b=$1 results=$2
: >"$results"
pass() { echo "PASS sparse: $*" >>"$results"; echo "PASS sparse: $*"; }
fail() { echo "FAIL sparse: $*" >>"$results"; echo "FAIL sparse: $*"; }
command -v sparse >/dev/null || { fail "sparse is not installed (make setup installs it)"; exit 0; }

# "path:line:col: warning: text" -> "path: warning: text", paths relative to the tree
warnings() {
	grep -E ': (warning|error):' | sed -E "s#^$1/##; s#^([^:]+):[0-9]+:[0-9]+:#\1:#" | sort || true
}
sparse_files() {	# TREE OUT OBJ...
	local tree=$1 out=$2; shift 2
	make -s -C "$tree" O="$out" ARCH=x86_64 C=2 "$@" 2>&1 | warnings "$tree"
}

# (the selftests are userspace programs, which kbuild does not build)
files=$(git -C "$b/linux" diff --name-only baseline..series -- '*.c' ':!tools/')
for f in $files; do
	# all of one object's warnings, also those sparse places in a header the file includes
	# a file the series adds has nothing on stock to compare with: none of its warnings is old
	stock= on="on both"
	if [ -f "$b/linux-stock/$f" ]; then
		stock=$(sparse_files "$b/linux-stock" "$b/out-stock" "${f%.c}.o")
	else
		on="new file"
	fi
	patched=$(sparse_files "$b/linux" "$b/out-patched" "${f%.c}.o")
	new=$(comm -13 <(echo "$stock") <(echo "$patched") | sed '/^$/d')
	if [ -z "$new" ]; then
		pass "$f: no warning that stock does not have ($(grep -c . <<<"$patched" || true) $on)"
	else
		fail "$f: $(wc -l <<<"$new") new warning(s)"; sed 's/^/    /' <<<"$new"
	fi
done
