#!/usr/bin/env bash
# Prepare the kernel sources from Debian's linux-source-6.12 tarball:
#   build/linux        git repo: tag "baseline" = the tarball, branch "series" = baseline + patches/
#   build/linux-stock  a worktree of baseline: the unpatched kernel
# Identities and dates are fixed, so the same tarball and patches always give the same hashes.
# Re-running leaves an up-to-date tree alone (builds stay incremental) and never destroys local work.
# For export.sh: "tree.sh --synced" tells whether build/linux was made from the current patches/,
# "tree.sh --record" marks the two as in sync.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
PKG=linux-source-6.12
T=build/linux STOCK=build/linux-stock STATE=build/linux.state

# Ignore personal git config (am.threeWay, hooks, ...): everyone must get the same commits.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_COMMITTER_NAME="vm_uffd_ops workbench" GIT_COMMITTER_EMAIL="workbench@localhost"
g() { git -C "$T" "$@"; }

series_patches() { ls patches/[0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '/0000-cover-letter\.patch$' || true; }
patches_sum() { series_patches | xargs -r sha256sum | sha256sum | cut -c1-64; }
state() { sed -n "s/^$1=//p" "$STATE" 2>/dev/null || true; }
record() { printf 'source=%s\npatches=%s\nhead=%s\n' "$source" "$2" "$1" >"$STATE"; }
kversion() { sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' "$1/Makefile" | paste -sd.; }

create() {
	local tmp=build/linux.tmp
	echo "tree: extracting $TARBALL"
	rm -rf "$tmp" && mkdir -p "$tmp"
	tar -xf "$TARBALL" -C "$tmp" --strip-components=1
	# Debian's .gitignore ignores every top-level path (it suits their packaging repo);
	# drop that block so new files in the series show up in git status.
	sed -i '/^# Debian packaging/,/^!\/debian\/$/d' "$tmp/.gitignore"
	git -C "$tmp" init -q -b series
	git -C "$tmp" config gc.auto 0	# a background gc of 90k objects would slow the first build
	git -C "$tmp" add -A -f
	GIT_AUTHOR_NAME="Debian $PKG" GIT_AUTHOR_EMAIL="$PKG@debian.invalid" \
	GIT_AUTHOR_DATE="2000-01-01T00:00:00+0000" GIT_COMMITTER_DATE="2000-01-01T00:00:00+0000" \
		git -C "$tmp" commit -q -m "Linux $(kversion "$tmp") from $PKG $deb"
	git -C "$tmp" tag baseline
	mv "$tmp" "$T"
}

apply() {
	local p out n=0
	for p in $(series_patches); do
		# one patch at a time, so a failure names its patch
		if ! out=$(g am --committer-date-is-author-date "$PWD/$p" 2>&1); then
			g am --abort 2>/dev/null || true	# nothing to abort if it was not even a patch
			record "$(g rev-parse HEAD)" failed
			echo "tree: patch ${p#patches/} does not apply to Linux $kver ($PKG version $deb)" >&2
			grep -E '^(error|fatal|warning):|detection failed' <<<"$out" | head -n 8 | sed 's/^/  /' >&2
			exit 1
		fi
		n=$((n + 1))
	done
	record "$(g rev-parse HEAD)" "$(patches_sum)"
	echo "tree: applied $n patches: build/linux branch series is at $(g rev-parse --short=12 HEAD)"
}

deb=$(dpkg-query -W -f='${Version}' "$PKG")
[ -d "$T/.git" ] || { source="$PKG $deb" && create && kver=$(kversion "$T") && apply; }
[ -d "$STOCK" ] || g worktree add -q --detach "$PWD/$STOCK" baseline
# check-series checks fix commits out in the stock tree; an interrupted run may leave it there
if [ "$(git -C "$STOCK" rev-parse HEAD)" != "$(g rev-parse baseline)" ]; then
	[ -z "$(git -C "$STOCK" status --porcelain --untracked-files=no)" ] ||
		{ echo "tree: $STOCK has local changes and is not on baseline; not touching it" >&2; exit 1; }
	echo "tree: $STOCK was not on baseline (an interrupted check-series?): back to baseline"
	git -C "$STOCK" checkout -q --detach baseline
fi

kver=$(kversion "$STOCK")
source=$(state source)
case ${1:-} in
--record) record "$(g rev-parse series)" "$(patches_sum)"; exit 0 ;;
--synced) [ "$(patches_sum)" = "$(state patches)" ]; exit ;;
esac
echo "tree: Linux $kver ($source, baseline $(g rev-parse --short=12 baseline))"
[ "$source" = "$PKG $deb" ] ||
	echo "tree: note: $PKG is now $deb; run 'rm -rf build' and 'make tree' to move to it" >&2

head=$(g rev-parse series)
if [ "$(patches_sum)" = "$(state patches)" ]; then
	[ "$head" = "$(state head)" ] ||
		echo "tree: build/linux has commits not in patches/ yet ('make export' writes them)"
	echo "tree: build/linux is up to date with patches/"
	exit 0
fi

# patches/ changed since build/linux was made: re-apply, unless that would lose work.
known=$(state head)
refuse() {
	echo "tree: patches/ changed, but build/linux $1; not touching it." >&2
	echo "tree: $2" >&2
	exit 1
}
[ "$(g symbolic-ref -q --short HEAD)" = series ] ||
	refuse "is not on branch series" "git -C build/linux checkout series, then re-run 'make tree'"
[ ! -d "$T/.git/rebase-apply" ] ||
	refuse "has a git am/rebase in progress" "finish or abort it, then re-run 'make tree'"
[ -z "$(g status --porcelain)" ] ||
	refuse "has uncommitted changes" "commit them, or set them aside (git -C build/linux stash), then re-run 'make tree'"
[ "$head" = "$known" ] ||
	refuse "has commits that are not in patches/" \
		"keep them with 'git -C build/linux format-patch -o ../my-commits ${known:-baseline}..series', then
      'git -C build/linux reset --hard ${known:-baseline}', 'make tree', and git am them on top;
      or drop the patches/ change (git checkout patches/) and 'make export'"
echo "tree: patches/ changed: re-applying the series on baseline"
g reset -q --hard baseline
apply
