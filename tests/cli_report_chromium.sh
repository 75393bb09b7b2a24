#!/usr/bin/env bash
# The report in a real browser: headless Chromium (Debian's chromium,
# installed by scripts/test.sh) loads a small campaign's report.html from
# disk (a page without any script: cli_report checks that): its DOM must
# hold every cluster row and the five charts (the page parsed whole), and a
# screenshot must be a PNG of the window's size with something drawn on it.
# Prints how long Chromium took for the report against a one-line page. The
# campaign is a real one where /dev/kvm is there, else a small one written
# here (two stats lines, two buckets): SKIPPED (77) only where Chromium is
# missing or cannot start.
set -u
exitdiff=$1 src=$2
fail=0
check() { if eval "$1"; then echo "checked: $2"; else echo "FAILED: $2"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"

chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "SKIPPED: chromium is not installed (scripts/test.sh installs Debian's chromium)"; exit 77; }
# Root in a container: Chromium's sandbox needs namespaces it may not have.
browse() { timeout 120 "$chromium" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$tmp/profile" "$@" 2>>"$tmp/chromium.log"; }
echo '<!DOCTYPE html><p>probe</p>' >"$tmp/probe.html"
if ! browse --dump-dom "file://$tmp/probe.html" >"$tmp/blank.html" || ! grep -q "<p>probe</p>" "$tmp/blank.html"; then
	echo "SKIPPED: chromium cannot start here: $(grep -v dbus "$tmp/chromium.log" | tail -1)"
	exit 77
fi

camp=$tmp/camp
if [ -e /dev/kvm ]; then
	"$exitdiff" fuzz --time 6 --seed 5 --mode long64 --knobs cpl3,no-osfxsr --report-period 0 --out "$camp" >"$tmp/fuzz.log" 2>&1
else
	echo "no /dev/kvm: a campaign directory written by hand instead"
	for b in a b; do
		mkdir -p "$camp/buckets/$b"
		printf 'signature hlt/hlt:rax:add%s\nhits 3\nseed 0x1\ncase case.case\nneeds long64\n' $b >"$camp/buckets/$b/hits"
		printf 'id %s\ncode f4\nexpect\n  exit hlt\n  rax 0x1\n' $b >"$camp/buckets/$b/case.case"
		printf 'divergence rax\nkvm outcome:\n  exit hlt\n  rax 0x2\n' >"$camp/buckets/$b/kvm-outcome.txt"
	done
	printf '{"time":2,"execs":100,"execs_per_s":50,"clusters":1,"buckets":1,"worker_health":[{"worker":0,"execs":100}],"lanes":{"long64":{"execs":100,"unsupported":5}},"new_buckets":[{"dir":"buckets/a","cluster":"hlt/hlt gpr alu long64 [none]"}]}\n' >"$camp/stats.jsonl"
	printf '{"time":4,"execs":300,"execs_per_s":100,"clusters":2,"buckets":2,"worker_health":[{"worker":0,"execs":300}],"lanes":{"long64":{"execs":300,"unsupported":9}},"new_buckets":[{"dir":"buckets/b","cluster":"hlt/hlt gpr none long64 [none]"}]}\n' >>"$camp/stats.jsonl"
fi
check '"$exitdiff" report "$camp" >/dev/null' "exitdiff report $camp"
html=$camp/report.html
rows=$(grep -o '<tr id="c[0-9]*" class="cluster">' "$html" | wc -l)

t0=$(date +%s%N)
browse --dump-dom "file://$tmp/probe.html" >/dev/null
t1=$(date +%s%N)
browse --dump-dom "file://$html" >"$tmp/dom.html"
t2=$(date +%s%N)
blank_ms=$(((t1 - t0) / 1000000)) page_ms=$(((t2 - t1) / 1000000))
echo "chromium --dump-dom: a one-line page $blank_ms ms, the report ($(stat -c %s "$html") bytes) $page_ms ms"
dom_rows=$(grep -o '<tr id="c[0-9]*" class="cluster">' "$tmp/dom.html" | wc -l)
dom_svg=$(grep -o '<svg ' "$tmp/dom.html" | wc -l)
check '[ "$rows" -ge 1 ] && [ "$dom_rows" -eq "$rows" ]' "Chromium's DOM holds all $rows cluster rows (got $dom_rows)"
check '[ "$dom_svg" -eq 5 ]' "Chromium's DOM holds the 5 SVG charts (got $dom_svg)"
check '[ $((page_ms - blank_ms)) -lt 3000 ]' "the report costs Chromium under 3 s more than a one-line page ($((page_ms - blank_ms)) ms)"

shot=$tmp/report.png
browse --window-size=1280,1600 --screenshot="$shot" "file://$html" >/dev/null
size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
# PNG: the 8-byte signature, then IHDR's big-endian width and height.
sig=$(od -An -tx1 -N8 "$shot" 2>/dev/null | tr -d ' \n')
dims=$(od -An -tu1 -j16 -N8 "$shot" 2>/dev/null | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 "x" $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }')
check '[ "$sig" = "89504e470d0a1a0a" ]' "the screenshot is a PNG"
check '[ "$dims" = "1280x1600" ]' "of the window's size ($dims)"
check '[ "$size" -gt 30000 ]' "with the page drawn on it ($size bytes; a blank page compresses to a few KB)"
[ -n "${EXITDIFF_REPORT_SHOT:-}" ] && cp "$shot" "$EXITDIFF_REPORT_SHOT"
exit $fail
