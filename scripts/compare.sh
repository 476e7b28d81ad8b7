#!/usr/bin/env bash
# Turn plan runs into check results: RESULTS_DIR/<entry>.txt for each plan entry of the patched
# run, with PASS/FAIL/SKIP lines for the patched kernel, and boot-<run>.txt from each run's verdict.
# Entries that print uffd-unit-tests lines ("Testing <case>... done|skipped [reason: ..]|failed
# [reason: ..]") or TAP lines ("ok N name [# SKIP why]", "not ok N name") count per case,
# others by exit status (0 pass, 4 = KSFT_SKIP skip, else fail).
# With a stock run, whatever passes on stock but not on patched fails. Prints a side-by-side table.
# usage: compare.sh RESULTS_DIR PATCHED_RUN [STOCK_RUN]
# env:   TAG names another build of the patched tree: results go to TAG-<entry>.txt, lines
#        read "PASS TAG <entry>: ..."
set -euo pipefail
out=$1 patched=$2 stock=${3:-}
mkdir -p "$out"

for run in "$patched" $stock; do
	cp "$run/verdict" "$out/boot-$(basename "$run").txt" 2>/dev/null ||
		echo "FAIL $(basename "$run"): boot: no verdict (not booted?)" >"$out/boot-$(basename "$run").txt"
done
log() { [ -f "$1/results.log" ] && echo "$1/results.log" || echo /dev/null; }

awk -v out="$out" -v tag="${TAG:+$TAG }" -v ftag="${TAG:+$TAG-}" -v planf="$patched/plan" -v stockf="${stock:+$(log "$stock")}" \
    -v havestock="${stock:+1}" '
FNR == 1 { died(); k = (FILENAME == planf) ? "plan" : (FILENAME == stockf) ? "s" : "p"; e = "" }
{ sub(/\r$/, "") }
k == "plan" { if ($1 != "" && $1 !~ /^#/) entries[n++] = $1; next }
/^@@START / { e = $2; pend = ""; last = ""; next }
/^@@RESULT / {
	rc[k, $2] = $3
	# say why, so that a one-off failure in CI can be told apart from the series
	if (pend != "") setcase("fail", "no result: the test exited with status " $3 (last == "" ? "" : \
		", its last output: " substr(last, 1, 200)))
	e = ""; next
}
e == "" { next }
/^Userfaults unit tests: pass=/ { summ[k, e] = $0 }
# tests/selftests/README: tolerated on stock; on patched, a failure of the first patch
/uffd-common: tolerated / { tol[k, e]++ }
# TAP (kselftest_harness, the fuzzer): "ok N name", "ok N name # SKIP why", "not ok N name"
/^(not )?ok [0-9]+ / {
	c = $0; st = "pass"; why = ""
	if (sub(/^not /, "", c)) st = "fail"
	sub(/^ok [0-9]+ /, "", c)
	# kselftest_harness: "ok N name # SKIP why"; kselftest.h: "ok N # SKIP why" (why names it)
	if (match(c, /(^| )# [Ss][Kk][Ii][Pp]/)) {
		why = substr(c, RSTART + RLENGTH); sub(/^ +/, "", why); c = substr(c, 1, RSTART - 1)
		if (c == "") { c = why; why = "" }
		if (st == "pass") st = "skip"
	}
	tap[e] = 1; startcase(c); setcase(st, why); next
}
{
	rest = $0
	if (match($0, /^Testing .*\.\.\. /)) {
		startcase(substr($0, 9, RLENGTH - 12))
		rest = substr($0, RLENGTH + 1)
	}
	if (rest != "") last = rest
	if (pend == "") next
	if (rest ~ /^done/) setcase("pass", "")
	else if (rest ~ /^skipped \[reason: /) setcase("skip", reason(rest))
	else if (rest ~ /^failed \[reason: /) setcase("fail", reason(rest))
}
function reason(s) { sub(/^[a-z]+ \[reason: /, "", s); sub(/\]$/, "", s); return s }
function startcase(c) { pend = c; if (!((e, c) in seen)) { seen[e, c] = 1; cases[e, ncase[e]++] = c } }
function setcase(st, why) { res[k, e, pend] = st; why_[k, e, pend] = why; pend = "" }
function died() { if (pend != "") setcase("fail", "no result: the guest died in this case") }

function emit(verdict, text) { print verdict " " tag text > file; cnt[verdict]++ }
function cell(k, e) { return (k, e) in tally ? tally[k, e] : "   -    -    -" }
function count(k, e, st) { n3[k, e, st]++; tally[k, e] = sprintf("%4d %4d %4d", n3[k, e, "pass"], n3[k, e, "skip"], n3[k, e, "fail"]) }

END {
	died()
	printf "%-24s%s%17s\n%-24s%s%17s\n", "", havestock ? sprintf("%17s", "stock   ") : "", "patched   ",
	       "suite", havestock ? "   pass skip fail" : "", "pass skip fail"
	for (i = 0; i < n; i++) {
		e = entries[i]; file = out "/" ftag e ".txt"
		if (ncase[e]) {
			for (j = 0; j < ncase[e]; j++) {
				c = cases[e, j]; p = res["p", e, c]; s = res["s", e, c]
				if (s != "") count("s", e, s)
				if (p != "") count("p", e, p)
				if (p == "pass") emit("PASS", e ": " c)
				else if (p == "skip" && s == "pass") emit("FAIL", e ": " c ": skipped on patched (" why_["p", e, c] "), passes on stock")
				else if (p == "skip") emit("SKIP", e ": " c (why_["p", e, c] == "" ? "" : ": " why_["p", e, c]))
				else if (p == "fail") emit("FAIL", e ": " c ": " why_["p", e, c])
				else emit("FAIL", e ": " c ": did not run on patched")
			}
			# the run itself: finished, and its own totals agree with the lines we parsed
			want = sprintf("pass=%d, skip=%d, fail=%d", n3["p", e, "pass"], n3["p", e, "skip"], n3["p", e, "fail"])
			if (tap[e]) {
				# TAP: the exit status must agree with the cases
				if (!(("p", e) in rc)) emit("FAIL", e ": did not finish")
				else if ((rc["p", e] != 0) != (n3["p", e, "fail"] > 0)) emit("FAIL", e ": exit status " rc["p", e] " with " want)
				else emit("PASS", e ": complete (" want ")")
			} else if (!(("p", e) in summ)) emit("FAIL", e ": no final pass=/skip=/fail= line: it did not finish")
			else if (index(summ["p", e], want) == 0) emit("FAIL", e ": parsed " want " but it printed: " summ["p", e])
			else if (!(("p", e) in rc) || rc["p", e] != (n3["p", e, "fail"] ? 1 : 0)) emit("FAIL", e ": exit status " rc["p", e])
			else emit("PASS", e ": complete (" want ")")
		} else {
			p = rc["p", e]; s = rc["s", e]; stockpass = (s != "" && s == 0)
			if (s != "") count("s", e, s == 0 ? "pass" : s == 4 ? "skip" : "fail")
			if (p != "") count("p", e, p == 0 ? "pass" : p == 4 ? "skip" : "fail")
			if (p == "") emit("FAIL", e ": did not finish on patched")
			else if (p == 0) emit("PASS", e)
			else if (p == 4 && !stockpass) emit("SKIP", e ": exit status 4 (KSFT_SKIP)")
			else emit("FAIL", e ": exit status " p (stockpass ? ", passes on stock" : ""))
		}
		if (("p", e) in tol)
			emit("FAIL", e ": " tol["p", e] " fault(s) reported after UFFDIO_UNREGISTER (the selftests tolerate that on stock only)")
		close(file)
		printf "%-24s%s   %s\n", e, havestock ? "   " cell("s", e) : "", cell("p", e)
	}
}' "$patched/plan" ${stock:+"$(log "$stock")"} "$(log "$patched")"
