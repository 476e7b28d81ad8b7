#!/usr/bin/env bash
# Turn the BENCH lines of uffd_bench runs (tests/bench) into the table of ratios `make bench`
# publishes. Each RUN is a guest run directory whose name says its kernel ("stock" or
# "patched"); a run's value for a type and mode is the median of its inner repetitions.
# Across runs of one kernel: median, min and max. Ratios are of those medians; for
# patched/stock also the range of the ratios of run pairs (stock i, patched i), which the
# interleaving of boots makes comparable.
# usage: bench-report.sh TABLE_FILE RUN...
# exit: 1 if a run has no BENCH line or a measurement is missing on one kernel
set -euo pipefail
table=$1; shift

for run in "$@"; do
	k=patched; [[ ${run##*/} == *stock* ]] && k=stock
	sed -n "s/^BENCH /$k /p" "$run/results.log" 2>/dev/null | tr -d '\r' | grep . ||
		echo "norun $k ${run##*/}"
done | awk -v out="$table" '
function median(k, key,    n, i, j, t, a) {
	n = cnt[k, key]; for (i = 1; i <= n; i++) a[i] = val[k, key, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	lo[k, key] = a[1]; hi[k, key] = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(v) { return v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.3f", v) }
function cellv(k, key) { return (k, key) in med ? sprintf("%s [%s-%s]", fmt(med[k, key]), fmt(lo[k, key]), fmt(hi[k, key])) : "-" }
$1 == "norun" { printf "bench-report: no BENCH line in run %s\n", $3 > "/dev/stderr"; bad = 1; next }
{
	k = $1; key = $2 " " $3; v = $4 + 0
	if (!(key in seen)) { seen[key] = 1; keys[nk++] = key; unit[key] = $5 }
	val[k, key, ++cnt[k, key]] = v
}
END {
	if (!nk) { print "bench-report: no BENCH lines at all" > "/dev/stderr"; exit 1 }
	for (i = 0; i < nk; i++) {
		key = keys[i]
		for (kk = 0; kk < 2; kk++) { k = kk ? "patched" : "stock"; if (cnt[k, key]) med[k, key] = median(k, key) }
		split(key, tm, " ")
		if (tm[1] != "module" && cnt["stock", key] != cnt["patched", key]) {
			printf "bench-report: %s: %d stock runs, %d patched runs\n", key, cnt["stock", key], cnt["patched", key] > "/dev/stderr"; bad = 1
		}
	}
	runs = cnt["patched", keys[0]]
	printf "%-8s %-13s %-6s %-28s %-28s %-14s %s\n", "type", "mode", "unit", "stock median [min-max]", "patched median [min-max]", "patched/stock", "pairs min-max" > out
	for (i = 0; i < nk; i++) {
		key = keys[i]; split(key, tm, " ")
		r = "-"; pr = "-"
		if ((("stock", key) in med) && (("patched", key) in med) && med["stock", key] > 0) {
			r = sprintf("%.3f", med["patched", key] / med["stock", key])
			pmin = 1e9; pmax = 0
			for (j = 1; j <= cnt["patched", key] && j <= cnt["stock", key]; j++) {
				q = val["patched", key, j] / val["stock", key, j]
				if (q < pmin) pmin = q; if (q > pmax) pmax = q
			}
			pr = sprintf("%.3f-%.3f", pmin, pmax)
		}
		printf "%-8s %-13s %-6s %-28s %-28s %-14s %s\n", tm[1], tm[2], unit[key], cellv("stock", key), cellv("patched", key), r, pr > out
	}
	# module memory against shmem, on the patched kernel
	printf "\n%-13s %-14s %-14s %s\n", "mode", "module", "shmem", "module/shmem (patched kernel)" > out
	for (i = 0; i < nk; i++) {
		split(keys[i], tm, " "); if (tm[1] != "module") continue
		s = "shmem " tm[2]; m = keys[i]
		if ((("patched", s) in med) && med["patched", s] > 0)
			printf "%-13s %-14s %-14s %.3f\n", tm[2], fmt(med["patched", m]), fmt(med["patched", s]), med["patched", m] / med["patched", s] > out
	}
	# bulk UFFDIO_COPY against memcpy of the same size into populated memory
	printf "\n%-8s %-24s %-24s\n", "type", "copy/memcpy stock", "copy/memcpy patched" > out
	for (i = 0; i < nk; i++) {
		split(keys[i], tm, " "); if (tm[2] != "copy-bulk") continue
		mc = tm[1] " memcpy"; line = sprintf("%-8s", tm[1])
		for (kk = 0; kk < 2; kk++) {
			k = kk ? "patched" : "stock"
			line = line sprintf(" %-24s", ((k, mc) in med) && med[k, mc] > 0 ? sprintf("%.1f%%", 100 * med[k, keys[i]] / med[k, mc]) : "-")
		}
		print line > out
	}
	close(out)
	exit bad
}'
