#!/usr/bin/env bash
# Compare the userfaultfd registration matrix (tests/compat/uffd_reg_matrix.c) of a stock and a
# patched run: print both side by side and write RESULTS_FILE, one PASS/FAIL line per row. Every
# row must be the same on both kernels but for the two deliberate changes of patch 10 ("Report
# only the range ioctls that can succeed"):
#  (a) shmem kinds report stock's ioctls minus MOVE;
#  (b) WP-only in WP_ASYNC mode, on memory that is not anon, shmem or hugetlb: stock registers,
#      patched reports exactly WAKE|WRITEPROTECT.
# Module rows (patched only, from `uffd_reg_matrix --module`) pass if any of them registers.
# RESULTS_FILE gets a PASS line per kind of memory whose rows all pass, a FAIL line per row not.
# usage: matrix.sh RESULTS_FILE PATCHED_RESULTS_LOG STOCK_RESULTS_LOG [PATCHED_MODULE_RESULTS_LOG]
set -euo pipefail
out=$1 patched=$2 stock=$3 module=${4:-}

# The "matrix" lines of plan entry NAME of results log LOG, then "@rc <status of the entry>"
rows() {
	[ -r "$1" ] || { echo "@rc no-log"; return; }
	awk -v name="$2" '
		{ sub(/\r$/, "") }
		$1 == "@@START" && $2 == name { on = 1; next }
		$1 == "@@RESULT" && $2 == name { on = 0; rc = $3; next }
		on && $1 == "matrix" { $1 = ""; print substr($0, 2) }
		END { print "@rc", rc == "" ? "unfinished" : rc }' "$1"
}

awk -v out="$out" -v stocklog="$stock" -v patchedlog="$patched" -v modulelog="$module" '
BEGIN {
	split("anon-shared memfd-shared memfd-private tmpfs-shared tmpfs-private devzero-shared", a)
	for (i in a) shmem[a[i]] = own[a[i]] = 1
	split("anon-private devzero-private memfd-hugetlb-shared memfd-hugetlb-private " \
	      "hugetlbfs-shared hugetlbfs-private sysv-hugetlb", a)
	for (i in a) own[a[i]] = 1	# anon, shmem and hugetlb: what core mm knew by name
	printf "" >out
}
$1 == "@rc" { rc[side] = $2; next }
{
	key = $1 " " $2 " " $3; $1 = $2 = $3 = ""
	if (!((side, key) in r)) n[side]++
	r[side, key] = substr($0, 4)
	if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
}
function emit(s) { print s >out }
function show(res) { sub(/^ok ioctls=/, "", res); return res }
function row(c1, c2, c3, s, p, v) { printf "%-22s %-18s %-17s %-52s %-52s %s\n", c1, c2, c3, s, p, v }
# ok result RES without ioctl NAME
function minus(res, name) { res = "|" substr(res, 11) "|"; sub("\\|" name "\\|", "|", res); return "ok ioctls=" substr(res, 2, length(res) - 2) }
END {
	if (!n["stock"] || !n["patched"]) {
		miss = !n["stock"] && !n["patched"] ? "stock and patched runs" : !n["stock"] ? "stock run" : "patched run"
		emit("FAIL matrix: no results from the " miss " (no matrix lines in the uffd-reg-matrix entry)")
		exit
	}
	row("kind", "features", "modes", "stock", "patched", "verdict")
	for (i = 1; i <= nkeys; i++) {
		k = order[i]; split(k, a); hs = ("stock", k) in r; hp = ("patched", k) in r
		s = hs ? r["stock", k] : "(no row)"; p = hp ? r["patched", k] : "(no row)"
		if (!hs && !hp) {	# module rows, patched only
			s = "-"; p = r["module", k]; v = "module memory"
			if (p ~ /^ok /) module_ok = mok[a[1]] = 1
			if (p ~ /^unavailable/) { v = "DIFFERENT"; emit("FAIL matrix: " k ": module memory could not be built: " p) }
		} else if (s ~ /^unavailable/ || p ~ /^unavailable/) {
			# a kind of memory that was not built is a row not compared, not a pass
			v = "DIFFERENT"; emit("FAIL matrix: " k ": not built: stock " s ", patched " p)
		} else if (!hs || !hp) {
			v = "DIFFERENT"; emit("FAIL matrix: " k ": stock " s ", patched " p)
		} else if (s == p) {
			v = "same"
		} else if (shmem[a[1]] && s ~ /^ok .*MOVE/ && p == minus(s, "MOVE")) {
			v = "deliberate (a)"
		} else if (a[2] ~ /wp_async/ && a[3] == "wp" && !own[a[1]] && s ~ /^ok / && p == "ok ioctls=WAKE|WRITEPROTECT") {
			v = "deliberate (b)"
		} else {
			v = "DIFFERENT"; emit("FAIL matrix: " k ": stock " s ", patched " p)
		}
		row(a[1], a[2], a[3], show(s), show(p), v); count[v]++
		# one result line per kind of memory; a row that differs fails on its own line
		if (!(a[1] in kv)) kinds[++nk] = a[1]
		kv[a[1]]++; kvv[a[1], v]++
	}
	for (i = 1; i <= nk; i++) {
		m = kinds[i]
		if (kvv[m, "DIFFERENT"]) continue
		if (kvv[m, "module memory"]) {
			if (mok[m]) emit("PASS matrix: " m ": " kv[m] " rows (module memory, patched only)")
			else emit("FAIL matrix: " m ": module memory registered in no mode")
			continue
		}
		d = kvv[m, "deliberate (a)"] + kvv[m, "deliberate (b)"]
		emit("PASS matrix: " m ": " kv[m] " rows" (d ? ": " kv[m] - d " as on stock, " d " with the deliberate change of patch 10 (" \
		     (kvv[m, "deliberate (a)"] ? "no UFFDIO_MOVE on shmem" : "WP_ASYNC without vm_uffd_ops: WAKE|WRITEPROTECT only") ")" : " as on stock"))
	}
	logf["stock"] = stocklog; logf["patched"] = patchedlog; logf["module"] = modulelog
	for (side in logf)
		if (logf[side] != "" && n[side] && rc[side] != "0")
			emit("FAIL matrix: " side " run: uffd-reg-matrix" (side == "module" ? "-module" : "") \
			     " exit status " rc[side] " (" logf[side] ")")
	if (modulelog != "" && !n["module"])
		emit("FAIL matrix: no results from the module run (no matrix lines in the uffd-reg-matrix-module entry)")
	else if (modulelog != "" && !module_ok)
		emit("FAIL matrix: module memory: no module row registered")
	printf "%d rows: %d same, %d deliberate (a), %d deliberate (b), %d module memory, %d DIFFERENT\n", nkeys,
	       count["same"], count["deliberate (a)"], count["deliberate (b)"], count["module memory"], count["DIFFERENT"]
}' side=stock <(rows "$stock" uffd-reg-matrix) side=patched <(rows "$patched" uffd-reg-matrix) \
	side=module <([ -z "$module" ] || rows "$module" uffd-reg-matrix-module)
awk -v f="$out" '{ c[$1]++ } END { printf "%s: %d passed, %d failed\n", f, c["PASS"], c["FAIL"] }' "$out"
grep '^FAIL' "$out" || true
