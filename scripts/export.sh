#!/usr/bin/env bash
# Write the commits baseline..series of build/linux to patches/NNNN-*.patch. Unchanged commits
# give byte-identical files: zero From hashes, no signature, no base, the developer's git config
# ignored, dates from the commits. The cover letter (0000-cover-letter.patch) is regenerated with
# its subject and blurb from docs/cover-letter.txt (first line subject, the rest blurb), so its
# shortlog and diffstat stay current; no such file and no cover letter: none is written.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
T=build/linux COVER=docs/cover-letter.txt
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
g() { git -C "$T" "$@"; }

[ -d "$T/.git" ] || { echo "export: no build/linux: run 'make tree' first" >&2; exit 1; }
scripts/tree.sh --synced ||
	{ echo "export: patches/ changed since build/linux was made ('make tree' first); not overwriting it" >&2; exit 1; }
[ -z "$(g status --porcelain)" ] || echo "export: note: build/linux has uncommitted changes; only commits are exported" >&2

# A hand-written cover letter but no docs/cover-letter.txt: keep its subject and blurb there.
old=patches/0000-cover-letter.patch
if [ ! -f "$COVER" ] && [ -f "$old" ] && ! grep -q '\*\*\* SUBJECT HERE \*\*\*' "$old"; then
	mkdir -p docs
	awk '/^Subject: / { s = $0; sub(/^Subject: (\[[^]]*\] )?/, "", s); insub = 1; next }
	     insub && /^[ \t]/ { sub(/^[ \t]+/, " "); s = s $0; next }
	     { insub = 0 }
	     !body && /^$/ { body = 1; print s; next }
	     body && /^[^ \t].* \([0-9]+\):$/ { exit }	# the shortlog starts
	     body { print }' "$old" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$COVER"
	echo "export: saved the subject and blurb of $old to $COVER"
fi

tmp=$(mktemp -d build/export.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=$(g rev-list --count baseline..series)
if [ "$n" -gt 0 ]; then
	cover=(); [ -f "$COVER" ] && cover=(--cover-letter)
	# The cover letter is "from" the committer at "now": pin both to the last commit's author.
	GIT_COMMITTER_NAME=$(g log -1 --format=%an series) GIT_COMMITTER_EMAIL=$(g log -1 --format=%ae series) \
	GIT_COMMITTER_DATE=$(g log -1 --format=%ad --date=raw series) \
		g -c core.abbrev=12 format-patch -q --subject-prefix="PATCH v3" --zero-commit --no-signature --no-base "${cover[@]}" \
			-o "$PWD/$tmp" baseline..series
	if [ -f "$COVER" ]; then
		awk -v cover="$COVER" '
			BEGIN { getline subj <cover; while ((getline l <cover) > 0) if (blurb != "" || l != "") blurb = blurb l "\n"
			        sub(/\n+$/, "\n", blurb) }
			i = index($0, "*** SUBJECT HERE ***") { $0 = substr($0, 1, i - 1) subj substr($0, i + 20) }
			/^\*\*\* BLURB HERE \*\*\*$/ { printf "%s", blurb; next }
			{ print }' "$tmp/0000-cover-letter.patch" >"$tmp/cover" && mv "$tmp/cover" "$tmp/0000-cover-letter.patch"
	fi
fi

rm -f patches/[0-9][0-9][0-9][0-9]-*.patch
mv "$tmp"/*.patch patches/ 2>/dev/null || true
scripts/tree.sh --record >/dev/null
echo "export: wrote $n patches to patches/ (build/linux and patches/ are in sync)"
