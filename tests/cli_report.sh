#!/usr/bin/env bash
# report OUT: the HTML page of a real (small) campaign, checked for its
# structure against the campaign's own files: one cluster row per cluster
# key the stats lines named (and one for a bucket planted with HTML in its
# signature and case, which must come out escaped), a link to every bucket
# directory on disk, five SVG charts in a page that parses as XML, no URL
# that leaves the machine, plot_data.tsv with a row per stats line. Also the
# campaign refreshing the page while it runs (--report-period), --compare
# (a cluster added, one removed, a verdict changed), and bad input: a
# missing or truncated stats.jsonl, a malformed line, an unknown option
# (exit 2, one line naming the file and line). Needs /dev/kvm, jq, xmllint.
set -u
exitdiff=$1 src=$2
. "$(dirname "$0")/lib_cli.sh"
for t in jq xmllint; do
	command -v $t >/dev/null || { echo "FAILED: $t is missing (scripts/test.sh installs it)"; exit 1; }
done
cd "$src"

camp=$tmp/camp
"$exitdiff" fuzz --time 10 --seed 3 --mode long64 --knobs cpl3,no-osfxsr --report-period 2 --out "$camp" >"$tmp/fuzz.log" 2>&1 &
pid=$!
sleep 5
[ -s "$camp/report.html" ]; running=$?
wait $pid; rc=$?
check '[ $rc -eq 0 ]' "the campaign ran (rc $rc)"
check '[ $running -eq 0 ]' "the campaign wrote report.html while running (--report-period 2, looked at 5 s)"
check 'grep -q "^{.*\"command\":\"exitdiff fuzz --time 10 --seed 3 --mode long64" "$camp/runs.jsonl"' "runs.jsonl records the command"

# A bucket whose signature and case carry markup: planted after the run,
# named by no stats line, so its cluster comes from its hits file.
evil=$camp/buckets/evil-0001
mkdir -p "$evil"
printf 'signature <script>alert(1)</script>/"x"&amp;\nhits 1\nseed 0x1\ncase case.case\n' >"$evil/hits"
printf 'id evil\ncode f4\nexpect\n  exit hlt\n  rax 0x1\n  note <img src=x onerror=alert(2)>\n' >"$evil/case.case"
printf 'divergence <b>bold</b>\nkvm outcome:\n  exit hlt\n  rax 0x2\n' >"$evil/kvm-outcome.txt"

out=$("$exitdiff" report "$camp" 2>&1); rc=$?
echo "$out"
html=$camp/report.html
check '[ $rc -eq 0 ] && [ -s "$html" ]' "exitdiff report exits 0 and writes $html"

keys=$(jq -r '.new_buckets[]?.cluster' "$camp/stats.jsonl" | sort -u)
nkeys=$(printf "%s\n" "$keys" | grep -c .)
nstat=$(tail -1 "$camp/stats.jsonl" | jq .clusters)
rows=$(grep -o '<tr id="c[0-9]*" class="cluster">' "$html" | wc -l)
check '[ "$nkeys" -ge 1 ] && [ "$nkeys" -eq "$nstat" ]' "the stats lines name $nkeys cluster keys, as many as the last line counts ($nstat)"
check '[ "$rows" -eq $((nkeys + 1)) ]' "one cluster row per key, plus the planted bucket's ($rows rows)"
missing=0
while IFS= read -r k; do
	grep -qF "<td class=\"k\">$k</td>" "$html" || { echo "  no row for cluster '$k'"; missing=1; }
done <<<"$keys"
check '[ $missing -eq 0 ]' "every cluster key has its row"
nb=0 nolink=0
for d in "$camp"/buckets/*/; do
	n=$(basename "$d"); nb=$((nb + 1))
	grep -qF "href=\"buckets/$n/case.case\"" "$html" || { echo "  no link to $n"; nolink=1; }
done
check '[ $nolink -eq 0 ] && [ $(grep -o "<tr class=\"bucket\">" "$html" | wc -l) -eq $nb ]' "every one of the $nb bucket directories has a row and a link"
check 'grep -q "exitdiff export $camp/buckets/[^ ]*/case.case -o tmk-" "$html"' "examples carry their TMK export command"
check 'xmllint --noout "$html"' "the page parses as XML (every SVG and table well-formed)"
nsvg=$(xmllint --xpath 'count(//*[local-name()="svg"])' "$html")
npath=$(xmllint --xpath 'count(//*[local-name()="svg"]/*[local-name()="path"][string-length(@d) > 3])' "$html")
check '[ "$nsvg" -eq 5 ] && [ "$npath" -ge 5 ]' "5 inline SVG charts with $npath drawn lines"
ext=$(grep -oiE "(https?|ftp)://[^\"' )]*" "$html" | grep -v '^http://www.w3.org/2000/svg$' | sort -u)
check '[ -z "$ext" ]' "no URL leaves the machine (only the SVG namespace name)${ext:+: $ext}"
check '! grep -qiE "<script|<link|<iframe|<img|<object|@import|url\(| src=[\"'"'"']" "$html"' "no script, stylesheet link, image, import or src attribute"
check 'grep -qF "&lt;script&gt;alert(1)&lt;/script&gt;/&quot;x&quot;&amp;amp;" "$html"' "the planted signature is escaped"
check 'grep -qF "&lt;img src=x onerror=alert(2)&gt;" "$html" && grep -qF "divergence &lt;b&gt;bold&lt;/b&gt;" "$html"' "its case and KVM outcome text are escaped"
check 'grep -q "<tr class=\"d\"><th>rax</th><td>0x1</td><td>0x2</td></tr>" "$html"' "side by side: the differing field marked with both values"

tsv=$camp/plot_data.tsv
nlines=$(grep -c . "$camp/stats.jsonl")
check '[ $(($(wc -l <"$tsv") - 1)) -eq $nlines ]' "plot_data.tsv has a row per stats line ($nlines)"
check 'head -1 "$tsv" | grep -q "^time	execs	execs_per_s	clusters	buckets	.*w0_execs_per_s.*unsupported_share_long64"' "plot_data.tsv's header names its columns"
check 'awk -F"\t" "NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }" "$tsv"' "every row has as many tab-separated fields as the header"
check '[ "$(tail -1 "$tsv" | cut -f4)" = "$nstat" ]' "its last clusters value is the last stats line's"

# --compare: B lacks one single-bucket cluster of A, has one A lacks, and
# a verdict of a shared cluster differs.
cp -r "$camp" "$tmp/b"
gone=$(jq -r '.new_buckets[]? | "\(.cluster)\t\(.dir)"' "$camp/stats.jsonl" | sort | awk -F'\t' '{ n[$1]++; d[$1] = $2 } END { for (k in n) if (n[k] == 1) { print k "\t" d[k]; exit } }')
gone_key=${gone%%	*} gone_dir=${gone#*	}
[ -n "$gone_dir" ] && rm -rf "${tmp:?}/b/$gone_dir"
mkdir -p "$tmp/b/buckets/extra-1"
printf 'signature extra-only-in-b\nhits 4\nseed 0x1\ncase case.case\n' >"$tmp/b/buckets/extra-1/hits"
touch "$tmp/b/buckets/extra-1/case.case" "$tmp/b/buckets/extra-1/kvm-outcome.txt"
rm -rf "$tmp/b/buckets/evil-0001" "$camp/buckets/evil-0001"
shared=$(ls "$tmp/b/buckets" | grep -v extra-1 | head -1)
echo "reference wrong (Unicorn and KVM agree)" >"$camp/buckets/$shared/verdict"
echo "KVM wrong (CPU and reference agree)" >"$tmp/b/buckets/$shared/verdict"
cmp=$("$exitdiff" report --compare "$camp" "$tmp/b" 2>&1); rc=$?
echo "$cmp"
check '[ $rc -eq 0 ]' "--compare exits 0"
check 'printf "%s\n" "$cmp" | sed -n "/^new in B/,/^gone in B/p" | grep -qF "  extra-only-in-b "' "--compare: the cluster only B has is new"
check 'printf "%s\n" "$cmp" | sed -n "/^gone in B/,/^verdict changed/p" | grep -qF "  $gone_key "' "--compare: the removed cluster ($gone_key) is gone"
check 'printf "%s\n" "$cmp" | grep -q "^summary: .* 1 new in B, 1 gone in B, [1-9][0-9]* with a changed verdict"' "--compare: the summary counts one new, one gone and the changed verdict"

# Bad input: one line naming the file (and line), exit 2.
mkdir -p "$tmp/bad"
"$exitdiff" report "$tmp/bad" >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && [ $(wc -l <"$tmp/err") -eq 1 ] && grep -q "bad/stats.jsonl: No such file" "$tmp/err"' "no stats.jsonl: exit 2, $(cat "$tmp/err")"
head -c -40 "$camp/stats.jsonl" >"$tmp/bad/stats.jsonl"
"$exitdiff" report "$tmp/bad" >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && [ $(wc -l <"$tmp/err") -eq 1 ] && grep -q "bad/stats.jsonl:$nlines: truncated line" "$tmp/err"' "a truncated stats.jsonl: exit 2, $(cat "$tmp/err")"
{ head -2 "$camp/stats.jsonl"; echo '{"time":4,"execs":[1,}'; tail -1 "$camp/stats.jsonl"; } >"$tmp/bad/stats.jsonl"
"$exitdiff" report "$tmp/bad" >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && [ $(wc -l <"$tmp/err") -eq 1 ] && grep -q "bad/stats.jsonl:3: unexpected character at column 22" "$tmp/err"' "a malformed line: exit 2, $(cat "$tmp/err")"
"$exitdiff" report "$camp" --bogus >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && [ $(wc -l <"$tmp/err") -eq 1 ] && grep -q "unknown option .--bogus" "$tmp/err"' "an unknown option: exit 2"
"$exitdiff" report --compare "$camp" >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "two campaign directories" "$tmp/err"' "--compare with one directory: exit 2"
exit $fail
